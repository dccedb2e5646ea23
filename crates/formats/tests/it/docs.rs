//! `docs/formats/` is generated from the layouts; this fails when it is stale.
//! Regenerate with `cargo run -p kaigo-cli -- docs`.

#[test]
fn format_docs_are_up_to_date() {
    let folder = std::path::Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../docs/formats");
    for (name, text) in kaigo_formats::docs::pages() {
        let on_disk = std::fs::read_to_string(folder.join(&name)).unwrap_or_default();
        assert!(
            on_disk == text,
            "docs/formats/{name} is stale: run `cargo run -p kaigo-cli -- docs`"
        );
    }
}
