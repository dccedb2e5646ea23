//! The restricted folders of a warehouse root — `vault/` (tokens, quarantine, linkage
//! summaries), `manifests/` and `extracts/` — created 0700 and refused when group or others may
//! enter them, as the key file is refused when others may read it. Whatever is written inside
//! (by kaigo or by deltalake) is then out of other accounts' reach; files kaigo writes itself
//! there are 0600 as well ([`write_file`]).

use std::path::Path;

use crate::{Result, WarehouseError};

/// The restricted folders under a warehouse root.
pub const RESTRICTED: [&str; 3] = ["vault", "manifests", "extracts"];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WarehouseError + use<> {
    let path = path.to_path_buf();
    move |source| WarehouseError::Io { path, source }
}

/// Create each restricted folder of `root` that is missing (0700) and check every one of them.
/// Called by the commands that write there (ingest, linkage, extracts), never by readers.
pub fn prepare(root: &Path) -> Result<()> {
    for name in RESTRICTED {
        create_folder(&root.join(name))?;
    }
    Ok(())
}

/// Create `path` (and missing parents) private to its owner, or check an existing one.
pub fn create_folder(path: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(io(path))?;
    check(path)
}

/// Refuse a restricted folder or file that group or others may use.
pub fn check(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io(path))?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(WarehouseError::NotPrivate {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    Ok(())
}

/// Write `bytes` to a new or replaced file readable by its owner only, and sync it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    check(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn restricted_folders_are_created_private_and_refused_when_open() {
        let root = tempfile::tempdir().unwrap();
        prepare(root.path()).unwrap();
        for name in RESTRICTED {
            let mode = std::fs::metadata(root.path().join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{name}");
        }
        let file = root.path().join("vault/x.json");
        write_file(&file, b"{}").unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(root.path().join("vault"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let error = prepare(root.path()).unwrap_err().to_string();
        assert!(error.contains("chmod go-rwx"), "{error}");
    }
}
