//! Test support shared by the crates' integration tests (a dev-dependency only): the runtime they
//! drive async library calls with, the folder a fixture shared by a test binary lives in, the files
//! below a folder, and the Python environment whose real clients (DuckDB, pyarrow) check what
//! kaigo wrote.
//!
//! What this crate does not do: generate or load hubs (kaigo-fixtures does, for the suites that
//! read a built warehouse).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// A two-worker runtime (this machine's core count; the same scheduling in CI).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A temporary folder for a fixture that the tests of one binary share through a `static`.
///
/// A static is never dropped, so its folder would outlive the process and every run would leave
/// one behind (hundreds of MB each). The folder's name carries the process id, and creating one
/// first removes the folders of the same `name` whose process has ended (Linux: `/proc/<pid>`),
/// which keeps the folders of a concurrent run.
pub fn shared_fixture_dir(name: &str) -> tempfile::TempDir {
    let prefix = format!("kaigo-fixture-{name}-");
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(rest) = file_name.to_str().and_then(|file_name| file_name.strip_prefix(&prefix)) else {
                continue;
            };
            let pid = rest.split('-').next().unwrap_or_default();
            if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir()
        .expect("a temporary folder")
}

/// Run the Python `script` with `request` as JSON on stdin and parse its JSON stdout; panics
/// (failing the test) when the script fails.
pub fn run_python<T: serde::de::DeserializeOwned>(script: &Path, request: &serde_json::Value) -> T {
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the Python interpreter starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    serde_json::to_writer(&mut stdin, request).expect("the request is written");
    stdin.flush().expect("the request is written");
    drop(stdin);
    let output = child.wait_with_output().expect("the script ends");
    assert!(output.status.success(), "{} failed", script.display());
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// The Python interpreter with the test clients: `KAIGO_PYTHON`, else the environment
/// `scripts/python-env.sh` creates under `~/.cache/kaigo/venv`.
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("KAIGO_PYTHON") {
        return PathBuf::from(path);
    }
    let default = PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/kaigo/venv/bin/python");
    assert!(
        default.exists(),
        "no Python environment: run `bash scripts/python-env.sh` (scripts/test.sh does) or set KAIGO_PYTHON"
    );
    default
}

/// Copy a folder tree with its permissions, as `cp -a` would (a warehouse's restricted zones
/// stay private in the copy, or kaigo refuses them).
pub fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::metadata(from).unwrap().permissions()).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Every file below `folder`, in no particular order (an absent folder has none).
pub fn files_under(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.expect("a readable folder entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The data rows (no header) of a synthetic hub's per-delivery truth file `name` (`records`,
/// `noise`, `invalid`, `events`), every delivery folder of `truth/` in month order.
pub fn truth_rows(hub: &Path, name: &str) -> Vec<String> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(hub.join("truth"))
        .expect("a hub with truth/")
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.is_dir() && !path.ends_with(".parts"))
        .collect();
    folders.sort();
    folders
        .iter()
        .flat_map(|folder| {
            std::fs::read_to_string(folder.join(format!("{name}.csv")))
                .expect("every delivery's truth has each file")
                .lines()
                .skip(1)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_folder_removes_those_of_ended_processes_and_keeps_live_ones() {
        // No process has the largest pid; this process is alive.
        let ended = std::env::temp_dir().join(format!("kaigo-fixture-selftest-{}-a", u32::MAX));
        let live = std::env::temp_dir().join(format!("kaigo-fixture-selftest-{}-b", std::process::id()));
        let other = std::env::temp_dir().join(format!("kaigo-fixture-selftestother-{}-c", u32::MAX));
        for folder in [&ended, &live, &other] {
            std::fs::create_dir_all(folder.join("inside")).unwrap();
        }

        let fixture = shared_fixture_dir("selftest");

        assert!(!ended.exists(), "the folder of an ended process is removed");
        assert!(live.exists(), "a live process's folder is kept");
        assert!(other.exists(), "another fixture's folder is not touched");
        let name = fixture.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with(&format!("kaigo-fixture-selftest-{}-", std::process::id())));
        for folder in [&live, &other] {
            std::fs::remove_dir_all(folder).unwrap();
        }
    }
}
