//! The command's memory budget: `--memory-limit` (or `KAIGO_MEMORY_LIMIT`; half the machine's
//! memory when neither is given) and the private folder DataFusion spills to, made under
//! `--scratch` (or `KAIGO_SCRATCH`, else the OS temporary folder) and removed when the command
//! ends.

use std::path::{Path, PathBuf};

use kaigo_query::resources::{Budget, configure, format_size, parse_size};

use crate::UserError;

/// Set the budget every SQL session of this process runs within; the returned folder holds the
/// spill files and goes away when dropped.
pub fn set(limit: Option<String>, scratch: Option<PathBuf>, announce: bool) -> anyhow::Result<tempfile::TempDir> {
    let limit = limit.or_else(|| std::env::var("KAIGO_MEMORY_LIMIT").ok());
    let (memory, source) = match &limit {
        Some(text) => (parse_size(text).map_err(|error| UserError(error.to_string()))?, "set"),
        None => (Budget::machine_default(), "half the machine's memory"),
    };
    let parent = scratch
        .or_else(|| std::env::var_os("KAIGO_SCRATCH").map(PathBuf::from))
        .unwrap_or_else(std::env::temp_dir);
    remove_orphans(&parent);
    // tempfile makes the folder 0700: spill files hold person-level rows.
    let folder = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(&parent)
        .map_err(|error| UserError(format!("scratch folder in {}: {error}", parent.display())))?;
    configure(&Budget {
        memory,
        scratch: folder.path().to_path_buf(),
    })?;
    let line = format!(
        "memory limit {} ({source}); spilling to {}",
        format_size(memory),
        folder.path().display()
    );
    if announce {
        eprintln!("{line}");
    } else {
        tracing::info!("{line}");
    }
    Ok(folder)
}

const PREFIX: &str = "kaigo-spill-";

/// Remove the spill folders of commands that were killed before they could (their process id,
/// in the folder's name, is gone). Linux only: elsewhere there is no `/proc` to ask.
fn remove_orphans(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| pid.parse::<u32>().is_ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
