//! Embeds the models of `sql/` (every `<layer>/<name>.sql` with its `<name>.toml` sidecar), so
//! the binary carries them and a new file is picked up without editing a list.

use std::{fmt::Write, path::Path};

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let sql = Path::new(&manifest).join("../../sql");
    // Only paths that exist: cargo reruns a build script whose rerun-if-changed path is
    // missing on every build. The sql/ folder itself catches a layer folder being created.
    println!("cargo:rerun-if-changed={}", sql.display());
    let mut entries = Vec::new();
    for layer in ["staging", "marts", "rollout", "outcomes"] {
        let folder = sql.join(layer);
        let Ok(files) = std::fs::read_dir(&folder) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", folder.display());
        for file in files {
            let path = file.expect("readable sql folder").path();
            println!("cargo:rerun-if-changed={}", path.display());
            if path.extension().is_some_and(|extension| extension == "sql") {
                let name = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .expect("UTF-8 model name");
                let sidecar = path.with_extension("toml");
                assert!(sidecar.exists(), "sql/{layer}/{name}.sql has no sidecar {name}.toml");
                entries.push((layer, name.to_string(), path.clone(), sidecar));
            }
        }
    }
    entries.sort();
    let mut out = String::from("&[\n");
    for (layer, name, path, sidecar) in entries {
        writeln!(
            out,
            "    ({layer:?}, {name:?}, include_str!({:?}), include_str!({:?})),",
            path.canonicalize().expect("model path"),
            sidecar.canonicalize().expect("sidecar path")
        )
        .expect("write to a String");
    }
    out.push(']');
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("models.rs");
    std::fs::write(target, out).expect("write models.rs");
}
