//! Delta Lake storage of the tables: one atomic, idempotent replacement per table and delivery.

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use deltalake::{
    DeltaTable,
    datafusion::prelude::{col, lit},
    kernel::transaction::CommitProperties,
    protocol::SaveMode,
};
use parquet::{
    basic::{Compression, ZstdLevel},
    file::properties::{EnabledStatistics, WriterProperties},
};

use crate::{Result, TableSpec, WarehouseError, schema::DELIVERY_MONTH};

/// The warehouse root: `warehouse/`, `vault/` and `manifests/` below it.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid zstd level")))
        // Page statistics let DataFusion and DuckDB skip pages by service month, insurer and key.
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(1 << 20))
        .set_created_by(format!("kaigo {}", env!("CARGO_PKG_VERSION")))
        .build()
}

impl Warehouse {
    /// A warehouse rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Folder of a table.
    pub fn table_path(&self, spec: &TableSpec) -> PathBuf {
        self.root.join(spec.zone.folder()).join(spec.name)
    }

    fn delta_error(spec: &TableSpec, source: deltalake::DeltaTableError) -> WarehouseError {
        WarehouseError::Delta {
            table: spec.name.to_string(),
            source: Box::new(source),
        }
    }

    async fn open(&self, spec: &TableSpec) -> Result<DeltaTable> {
        let path = self.table_path(spec);
        std::fs::create_dir_all(&path).map_err(|source| WarehouseError::Io {
            path: path.clone(),
            source,
        })?;
        let absolute = std::fs::canonicalize(&path).map_err(|source| WarehouseError::Io {
            path: path.clone(),
            source,
        })?;
        let url = url::Url::from_directory_path(&absolute)
            .map_err(|()| WarehouseError::Location { path: absolute.clone() })?;
        DeltaTable::try_from_url(url)
            .await
            .map_err(|source| Self::delta_error(spec, source))
    }

    /// Replace the rows of one delivery in a table with `batch`, in one Delta commit. Creates the
    /// table (partitioned by `delivery_month`) on first use. Returns the new table version.
    ///
    /// Readers see the old rows or the new ones, never a mix; a crash before the commit leaves the
    /// previous version; running it again with the same rows gives the same table content.
    pub async fn replace_delivery(&self, spec: &TableSpec, delivery: &str, batch: RecordBatch) -> Result<u64> {
        let table = self.open(spec).await?;
        let exists = table.version().is_some();
        let commit = CommitProperties::default().with_metadata([
            ("kaigo.table".to_string(), serde_json::Value::from(spec.name)),
            ("kaigo.delivery".to_string(), serde_json::Value::from(delivery)),
            ("kaigo.rows".to_string(), serde_json::Value::from(batch.num_rows())),
        ]);
        let mut write = table
            .write(vec![batch])
            .with_writer_properties(writer_properties())
            .with_commit_properties(commit)
            .with_table_name(spec.name)
            .with_description(spec.description);
        write = if exists {
            write
                .with_save_mode(SaveMode::Overwrite)
                .with_replace_where(col(DELIVERY_MONTH).eq(lit(delivery.to_string())))
        } else {
            write
                .with_save_mode(SaveMode::Append)
                .with_partition_columns([DELIVERY_MONTH])
        };
        let table = write.await.map_err(|source| Self::delta_error(spec, source))?;
        Ok(table.version().unwrap_or(0))
    }

    /// Current version of a table, `None` if it does not exist yet.
    pub async fn version(&self, spec: &TableSpec) -> Result<Option<u64>> {
        if !self.table_path(spec).join("_delta_log").exists() {
            return Ok(None);
        }
        Ok(self.open(spec).await?.version())
    }

    /// Paths of the Parquet files of the current version (relative to the table folder).
    pub async fn data_files(&self, spec: &TableSpec) -> Result<Vec<String>> {
        let table = self.open(spec).await?;
        if table.version().is_none() {
            return Ok(Vec::new());
        }
        let mut files: Vec<String> = table
            .get_file_uris()
            .map_err(|source| Self::delta_error(spec, source))?
            .map(|uri| uri.to_string())
            .collect();
        files.sort();
        Ok(files)
    }
}
