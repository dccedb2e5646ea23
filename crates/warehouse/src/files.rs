//! Files kaigo hands out — a release's `publish/` and a researcher's extract — written once,
//! with the SHA-256 their manifests list. The Parquet encoding (zstd, `created_by` naming the
//! kaigo version) is declared here and nowhere else, so two outputs of the same rows are the
//! same bytes.

use std::{io::Write, path::Path};

use arrow::array::RecordBatch;
use sha2::{Digest, Sha256};

use crate::{Result, WarehouseError};

/// One written file, as a manifest lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WrittenFile {
    /// Name within its folder.
    pub name: String,
    /// Rows (0 for files that are not tables).
    pub rows: usize,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// Who may read a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The owner only (0600): extracts and everything else in a restricted zone.
    Private,
    /// Whatever the process's umask gives: the public release.
    Public,
}

/// `batch` as kaigo's Parquet.
pub fn parquet_bytes(batch: &RecordBatch) -> std::result::Result<Vec<u8>, parquet::errors::ParquetError> {
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_created_by(format!("kaigo {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(bytes)
}

/// Write `batch` as `<folder>/<name>` in Parquet.
pub fn write_parquet(folder: &Path, name: &str, batch: &RecordBatch, access: Access) -> Result<WrittenFile> {
    let path = folder.join(name);
    let bytes = parquet_bytes(batch).map_err(|source| WarehouseError::Parquet {
        path: path.clone(),
        source,
    })?;
    write_bytes(folder, name, &bytes, batch.num_rows(), access)
}

/// Write `bytes` (holding `rows` rows) as `<folder>/<name>`, synced.
pub fn write_bytes(folder: &Path, name: &str, bytes: &[u8], rows: usize, access: Access) -> Result<WrittenFile> {
    let path = folder.join(name);
    match access {
        Access::Private => crate::private::write_file(&path, bytes)?,
        Access::Public => {
            let io = |source| WarehouseError::Io {
                path: path.clone(),
                source,
            };
            let mut file = std::fs::File::create(&path).map_err(io)?;
            file.write_all(bytes).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
    }
    Ok(WrittenFile {
        name: name.to_string(),
        rows,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;

    use super::*;

    #[test]
    fn the_digest_is_of_the_bytes_written_and_the_same_rows_give_the_same_bytes() {
        let folder = tempfile::tempdir().unwrap();
        let batch = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1, 2, 3])) as _)]).unwrap();
        let first = write_parquet(folder.path(), "a.parquet", &batch, Access::Public).unwrap();
        let second = write_parquet(folder.path(), "b.parquet", &batch, Access::Private).unwrap();
        assert_eq!((first.rows, &first.sha256), (3, &second.sha256));
        let bytes = std::fs::read(folder.path().join("a.parquet")).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), first.sha256);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |name: &str| {
                std::fs::metadata(folder.path().join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode("b.parquet"), 0o600);
        }
    }
}
