//! Load manifests: what one load read, checked and wrote. Written atomically (temporary file,
//! then rename) as `<root>/manifests/<delivery>.json`, after every table commit of the load.

use std::{collections::BTreeMap, path::PathBuf};

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

/// What one insurer delivered in a load: the volumes the data-quality report compares with the
/// insurer's own history.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InsurerVolume {
    /// Files in the insurer's folder.
    pub files: u64,
    /// Files rejected whole.
    pub files_rejected: u64,
    /// Data records read from accepted files.
    pub rows_in: u64,
    /// Records quarantined.
    pub rows_quarantined: u64,
    /// Rows written per warehouse table.
    pub table_rows: BTreeMap<String, u64>,
    /// Claim statements loaded per service month (YYYYMM).
    pub statements_by_service_month: BTreeMap<String, u64>,
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
    /// Volumes per insurer folder.
    pub insurers: BTreeMap<String, InsurerVolume>,
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
        crate::private::prepare(self.root())?;
        let path = folder.join(format!("{}.json", manifest.delivery));
        let temporary = folder.join(format!(".{}.json.tmp", manifest.delivery));
        crate::private::write_file(&temporary, &serde_json::to_vec_pretty(manifest).expect("serialisable"))?;
        std::fs::rename(&temporary, &path).map_err(|source| io(&path, source))?;
        Ok(path)
    }

    /// Manifests of every delivery loaded so far, oldest first.
    pub fn manifests(&self) -> Result<Vec<LoadManifest>> {
        let folder = self.manifest_folder();
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(WarehouseError::Io { path: folder, source }),
        };
        let mut deliveries: Vec<String> = entries
            .filter_map(|entry| {
                entry
                    .ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .map(String::from)
            })
            .filter(|name| name.len() == 6 && name.bytes().all(|byte| byte.is_ascii_digit()))
            .collect();
        deliveries.sort();
        let mut manifests = Vec::new();
        for delivery in deliveries {
            manifests.extend(self.read_manifest(&delivery)?);
        }
        Ok(manifests)
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
