//! Test support shared by the crates' integration tests (a dev-dependency only): the runtime they
//! drive async library calls with, and the Python environment whose real clients (DuckDB,
//! pyarrow) check what kaigo wrote.
//!
//! What this crate does not do: generate or load hubs — each test suite sizes its own fixture.

use std::path::PathBuf;

/// A two-worker runtime (this machine's core count; the same scheduling in CI).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The Python interpreter with the test clients: `KAIGO_PYTHON`, else the environment
/// `scripts/python-env.sh` creates under `~/.cache/kaigo/venv`.
pub fn python() -> PathBuf {
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
