//! Load manifests: what one load read, checked and wrote. Written atomically (temporary file,
//! then rename) as `<root>/manifests/<delivery>.json`, after every table commit of the load.

use std::{collections::BTreeMap, io::Write, path::PathBuf};

use crate::{Result, Warehouse, WarehouseError};

/// One input file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// Source file id used in the tables' lineage columns.
    pub source_file_id: String,
    /// Path relative to the hub root.
    pub path: String,
    /// Extract type.
    pub extract: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Data records read.
    pub rows_in: u64,
    /// Records loaded into tables.
    pub rows_loaded: u64,
    /// Records quarantined.
    pub rows_quarantined: u64,
    /// Why the whole file was rejected, if it was.
    pub rejected: Option<String>,
}

/// One load of one delivery.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadManifest {
    /// Delivery month (YYYYMM).
    pub delivery: String,
    /// Fingerprint of the key used (never the key).
    pub key_fingerprint: String,
    /// kaigo version that loaded it.
    pub code_version: String,
    /// Input files.
    pub files: Vec<FileEntry>,
    /// Rows written per table.
    pub table_rows: BTreeMap<String, u64>,
    /// Table versions after the load.
    pub table_versions: BTreeMap<String, u64>,
    /// Quarantined records per rule.
    pub quarantine_by_rule: BTreeMap<String, u64>,
    /// Seconds the load took.
    pub seconds: f64,
}

impl Warehouse {
    /// Folder of the manifests.
    pub fn manifest_folder(&self) -> PathBuf {
        self.root().join("manifests")
    }

    /// Write a manifest atomically.
    pub fn write_manifest(&self, manifest: &LoadManifest) -> Result<PathBuf> {
        let folder = self.manifest_folder();
        let io = |path: &PathBuf, source| WarehouseError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(|source| io(&folder, source))?;
        let path = folder.join(format!("{}.json", manifest.delivery));
        let temporary = folder.join(format!(".{}.json.tmp", manifest.delivery));
        let mut file = std::fs::File::create(&temporary).map_err(|source| io(&temporary, source))?;
        file.write_all(&serde_json::to_vec_pretty(manifest).expect("serialisable"))
            .map_err(|source| io(&temporary, source))?;
        file.sync_all().map_err(|source| io(&temporary, source))?;
        std::fs::rename(&temporary, &path).map_err(|source| io(&path, source))?;
        Ok(path)
    }

    /// Read the manifest of a delivery, if it was loaded.
    pub fn read_manifest(&self, delivery: &str) -> Result<Option<LoadManifest>> {
        let path = self.manifest_folder().join(format!("{delivery}.json"));
        match std::fs::read(&path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(WarehouseError::Io { path, source }),
        }
    }
}
