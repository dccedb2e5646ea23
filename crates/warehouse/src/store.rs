//! Delta Lake storage of the tables: one atomic, idempotent replacement per table and delivery.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow::record_batch::RecordBatch;
use delta_kernel::{
    expressions::Scalar, table_features::ColumnMappingMode, table_properties::DataSkippingNumIndexedCols,
};
use deltalake::{
    DeltaTable,
    datafile::writer::{DeltaWriter, WriterConfig},
    datafusion::{
        arrow::datatypes::SchemaRef,
        catalog::{TableProvider, streaming::StreamingTable},
        datasource::provider_as_source,
        error::DataFusionError,
        execution::{TaskContext, runtime_env::RuntimeEnv},
        logical_expr::{LogicalPlan, LogicalPlanBuilder},
        physical_plan::{SendableRecordBatchStream, stream::RecordBatchStreamAdapter, streaming::PartitionStream},
        prelude::SessionContext,
    },
    delta_datafusion::DeltaSessionContext,
    kernel::{
        Action, StructType,
        engine::arrow_conversion::TryFromArrow,
        transaction::{CommitBuilder, CommitProperties},
    },
    operations::{create::CreateBuilder, write::SchemaMode, write::configs::WriterStatsConfig},
    protocol::{DeltaOperation, SaveMode},
    table::{
        config::{DEFAULT_NUM_INDEX_COLS, DEFAULT_TARGET_FILE_SIZE, TablePropertiesExt},
        state::DeltaTableState,
    },
};
use futures::{Stream, StreamExt};
use indexmap::IndexMap;
use parquet::{
    basic::{Compression, ZstdLevel},
    file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder},
};

use crate::{Result, TableSpec, WarehouseError, Zone, committed::CommittedTable, schema::DELIVERY_MONTH};

/// The warehouse root: `warehouse/`, `vault/` and `manifests/` below it.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

/// The most rows a row group of a model holds (see [`Warehouse::replace_model`]).
const MODEL_ROW_GROUP_ROWS: usize = 1 << 16;

/// What every Parquet file kaigo writes has: zstd, page statistics, and kaigo as its writer.
fn base_writer_properties() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid zstd level")))
        // Page statistics let DataFusion and DuckDB skip pages by service month, insurer and key.
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("kaigo {}", env!("CARGO_PKG_VERSION")))
}

fn writer_properties(spec: &TableSpec) -> WriterProperties {
    let mut builder = base_writer_properties()
        .set_max_row_group_row_count(Some(1 << 20))
        // A table's writer holds its row group in memory until it is full; wide tables (tokens,
        // survey items) reach this size long before a million rows.
        .set_max_row_group_bytes(Some(32 << 20));
    // Identity keys and the tokens of whole names and numbers are (nearly) unique per person:
    // a dictionary only costs time (the vault of a 900k-person delivery was 445 MB with and
    // without). The other token columns keep theirs: sex, insurer, birth-year and surname
    // tokens repeat across persons.
    const PER_PERSON_COLUMNS: [&str; 8] = [
        "identity_key",
        "insured_number_token",
        "insurer_insured_token",
        "kana_name_token",
        "kana_name_loose_token",
        "kanji_name_token",
        "kanji_name_loose_token",
        "insured_number_masked_tokens",
    ];
    for column in spec
        .columns
        .iter()
        .filter(|column| PER_PERSON_COLUMNS.contains(&column.name.as_str()))
    {
        builder = builder.set_column_dictionary_enabled(column.name.as_str().into(), false);
    }
    builder.build()
}

/// The batches of an iterator as the one partition of a scan, read once.
struct OneStream {
    schema: SchemaRef,
    batches: std::sync::Mutex<Option<Box<dyn Iterator<Item = Result<RecordBatch>> + Send>>>,
}

impl std::fmt::Debug for OneStream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("OneStream").finish_non_exhaustive()
    }
}

impl PartitionStream for OneStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _context: Arc<TaskContext>) -> SendableRecordBatchStream {
        // Planned once and run once by the writer; a second run would see no rows.
        let batches = self
            .batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Box::new(std::iter::empty()));
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(
                batches.map(|batch| batch.map_err(|error| DataFusionError::External(Box::new(error)))),
            ),
        ))
    }
}

/// The rows a table is overwritten with.
pub enum ModelRows {
    /// Rows in memory, written in their order.
    Batches(Vec<RecordBatch>),
    /// A plan the writer runs in one partition, streaming its rows to the files. The files keep
    /// the order its scans read in; a sort at its top is dropped by the writer's optimizer (no
    /// operator above it asks for the order), so a caller sorts into files first.
    Plan {
        /// The rows.
        plan: LogicalPlan,
        /// The memory pool and spill folder it runs in.
        runtime: Arc<RuntimeEnv>,
    },
}

/// The commit metadata key under which a model's build records what it was built from.
const MODEL_STATE: &str = "kaigo.build";

/// How a model's rows replace its table.
#[derive(Debug, Default)]
pub struct ModelWrite {
    /// Replace only the rows matching this SQL predicate over the table's columns (every new
    /// row must match it); `None` replaces the whole table, its schema included.
    pub replace_where: Option<String>,
    /// What the build was built from, kept in the commit (see [`Warehouse::model_state`]).
    pub state: Option<serde_json::Value>,
}

impl From<Vec<RecordBatch>> for ModelRows {
    fn from(batches: Vec<RecordBatch>) -> Self {
        Self::Batches(batches)
    }
}

/// Overwrite a whole (unpartitioned) table in one commit; with `replace_schema`, its schema too
/// (a model whose SQL gained or lost a column). The files hold the rows in the order of
/// `rows` (a model's ORDER BY).
async fn overwrite(
    table: DeltaTable,
    name: &str,
    description: &str,
    rows: ModelRows,
    properties: WriterProperties,
    replace_schema: bool,
    write: ModelWrite,
) -> Result<u64> {
    let mut metadata = vec![("kaigo.table".to_string(), serde_json::Value::from(name))];
    if let Some(state) = write.state {
        metadata.push((MODEL_STATE.to_string(), state));
    }
    let commit = CommitProperties::default().with_metadata(metadata);
    // One partition, so one writer: deltalake spreads the batches over as many writers as the
    // session has partitions, and parallel writers interleave the batches in the files (a
    // model's rows lost their ORDER BY, in blocks of two batches, at 2 cores).
    let (rows, runtime) = match rows {
        ModelRows::Batches(batches) => (table.write(batches), Arc::new(RuntimeEnv::default())),
        ModelRows::Plan { plan, runtime } => (table.write(Vec::new()).with_input_plan(plan), runtime),
    };
    let mut one_writer = DeltaSessionContext::with_runtime_env(runtime).into_inner().state();
    one_writer.config_mut().options_mut().execution.target_partitions = 1;
    let replace_where = write.replace_where;
    let mut write = rows.with_session_state(Arc::new(one_writer));
    match replace_where {
        Some(predicate) => write = write.with_replace_where(predicate),
        None if replace_schema => write = write.with_schema_mode(SchemaMode::Overwrite),
        None => {}
    }
    let table = write
        .with_save_mode(SaveMode::Overwrite)
        .with_writer_properties(properties)
        .with_commit_properties(commit)
        .with_table_name(name)
        .with_description(description)
        .await
        .map_err(|source| WarehouseError::Delta {
            table: name.to_string(),
            source: Box::new(source),
        })?;
    Ok(table.version().unwrap_or(0))
}

/// How the files of a delivery are written: as the table's own settings say (statistics
/// columns, target file size), or deltalake's defaults for a table not created yet. A table that
/// another tool changed (schema, partitioning, column mapping) is refused, not half-written.
fn writer_config(spec: &TableSpec, snapshot: Option<&DeltaTableState>, columns: &StructType) -> Result<WriterConfig> {
    let (stats, target_file_size) = match snapshot {
        Some(snapshot) => {
            let configuration = snapshot.snapshot().table_configuration();
            if *snapshot.schema() != *columns
                || snapshot.metadata().partition_columns() != [DELIVERY_MONTH.to_string()]
                || configuration.column_mapping_mode() != ColumnMappingMode::None
            {
                return Err(WarehouseError::Schema {
                    table: spec.name.to_string(),
                });
            }
            (
                WriterStatsConfig::from_config(configuration),
                configuration.table_properties().target_file_size(),
            )
        }
        None => (
            WriterStatsConfig::new(DataSkippingNumIndexedCols::NumColumns(DEFAULT_NUM_INDEX_COLS), None),
            DEFAULT_TARGET_FILE_SIZE,
        ),
    };
    Ok(WriterConfig::new(
        spec.schema(),
        vec![DELIVERY_MONTH.to_string()],
        Some(writer_properties(spec)),
        Some(target_file_size),
        None,
        stats.num_indexed_cols,
        stats.stats_columns,
    ))
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
        self.open_folder(spec.name, &self.table_path(spec)).await
    }

    async fn open_folder(&self, name: &str, path: &Path) -> Result<DeltaTable> {
        // Only loads and linkage open vault tables; they create its folders private first.
        if path.starts_with(self.root.join(Zone::Vault.folder())) {
            crate::private::prepare(&self.root)?;
        }
        let path = path.to_path_buf();
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
            .map_err(|source| WarehouseError::Delta {
                table: name.to_string(),
                source: Box::new(source),
            })
    }

    /// Replace the rows of one delivery in a table with `batches` (rows of the table's schema, all
    /// of that delivery), in one Delta commit. Creates the table (partitioned by
    /// `delivery_month`) on first use. Returns the new table version. Readers see the old rows or
    /// the new ones, never a mix; a failure before the commit (an error in `batches` included)
    /// leaves the previous version. Loads go through [`crate::DeliveryLoad`].
    ///
    /// The commit is what deltalake's write with `replaceWhere delivery_month = …` makes (the
    /// partition's files removed, the new ones added; a first load creates the table in the same
    /// commit), but the rows go straight to the partition's Parquet writer: a load writes one
    /// partition, and the generic write spent about 4 % of a large load's CPU (profiled at 3.55M
    /// persons) splitting every batch by partition value.
    pub(crate) async fn replace_delivery(
        &self,
        spec: &TableSpec,
        delivery: &str,
        batches: impl Stream<Item = Result<RecordBatch>>,
    ) -> Result<u64> {
        let delta = |source| Self::delta_error(spec, source);
        let table = self.open(spec).await?;
        let columns = StructType::try_from_arrow(spec.schema().as_ref()).map_err(|source| WarehouseError::Arrow {
            table: spec.name.to_string(),
            source,
        })?;
        let snapshot = match table.version() {
            Some(_) => Some(table.snapshot().map_err(delta)?),
            None => None,
        };
        let mut writer = DeltaWriter::new(
            table.log_store().object_store(None),
            writer_config(spec, snapshot, &columns)?,
        );
        let partition = IndexMap::from([(DELIVERY_MONTH.to_string(), Scalar::String(delivery.to_string()))]);
        let mut batches = std::pin::pin!(batches);
        let mut rows = 0;
        while let Some(batch) = batches.next().await {
            let written = match batch {
                Ok(batch) => {
                    rows += batch.num_rows();
                    writer.write_partition(batch, &partition).await.map_err(delta)
                }
                Err(error) => Err(error),
            };
            if let Err(error) = written {
                // Files already flushed stay as unreferenced orphans (vacuum removes them).
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(table = spec.name, error = %abort, "abandoned Parquet uploads not cleaned up");
                }
                return Err(error);
            }
        }
        let adds = writer.close().await.map_err(delta)?;
        let removes: Vec<Action> = snapshot
            .map(|snapshot| {
                snapshot
                    .log_data()
                    .iter()
                    .filter(|file| {
                        file.partition_values_map()
                            .get(DELIVERY_MONTH)
                            .and_then(Option::as_deref)
                            == Some(delivery)
                    })
                    .map(|file| Action::Remove(file.remove_action(true)))
                    .collect()
            })
            .unwrap_or_default();
        let metrics = serde_json::json!({
            "num_added_files": adds.len(),
            "num_removed_files": removes.len(),
            "num_added_rows": rows,
        });
        let commit = CommitProperties::default().with_metadata([
            ("kaigo.table".to_string(), serde_json::Value::from(spec.name)),
            ("kaigo.delivery".to_string(), serde_json::Value::from(delivery)),
            ("operationMetrics".to_string(), metrics),
        ]);
        let adds = adds.into_iter().map(Action::Add);
        let Some(snapshot) = snapshot else {
            let table = CreateBuilder::new()
                .with_log_store(table.log_store())
                .with_columns(columns.fields().cloned())
                .with_partition_columns([DELIVERY_MONTH])
                .with_table_name(spec.name)
                .with_comment(spec.description)
                .with_commit_properties(commit)
                .with_actions(adds)
                .await
                .map_err(delta)?;
            return Ok(table.version().unwrap_or(0));
        };
        let operation = DeltaOperation::Write {
            mode: SaveMode::Overwrite,
            partition_by: Some(vec![DELIVERY_MONTH.to_string()]),
            predicate: Some(format!("{DELIVERY_MONTH} = '{delivery}'")),
        };
        let committed = CommitBuilder::from(commit)
            .with_actions(removes.into_iter().chain(adds).collect())
            .build(Some(snapshot), table.log_store(), operation)
            .await
            .map_err(delta)?;
        Ok(committed.version() as u64)
    }

    /// Replace every row of a derived table (see [`crate::derived_tables`]) with `batches`, in one
    /// Delta commit: readers see the old table or the new one. Returns the new version. Each batch
    /// is made when the writer asks for it and written before the next is made, so a table whose
    /// rows would not fit in memory as Arrow all at once (linkage's `person_map` of a nation's
    /// identities) never is.
    pub async fn replace_table(
        &self,
        spec: &TableSpec,
        batches: impl Iterator<Item = Result<RecordBatch>> + Send + 'static,
    ) -> Result<u64> {
        let delta = |source: DataFusionError| WarehouseError::Delta {
            table: spec.name.to_string(),
            source: Box::new(source.into()),
        };
        let (schema, table) = (spec.schema(), spec.name);
        let checked = batches.map(move |batch| match batch {
            Ok(batch) if batch.schema() != schema => Err(WarehouseError::Schema {
                table: table.to_string(),
            }),
            other => other,
        });
        let source = OneStream {
            schema: spec.schema(),
            batches: std::sync::Mutex::new(Some(Box::new(checked))),
        };
        let table = StreamingTable::try_new(spec.schema(), vec![Arc::new(source)]).map_err(delta)?;
        let plan = LogicalPlanBuilder::scan(spec.name, provider_as_source(Arc::new(table)), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(delta)?;
        let table = self.open(spec).await?;
        overwrite(
            table,
            spec.name,
            spec.description,
            ModelRows::Plan {
                plan,
                runtime: Arc::new(RuntimeEnv::default()),
            },
            writer_properties(spec),
            false,
            ModelWrite::default(),
        )
        .await
    }

    /// Replace the SQL model `name` (`<root>/warehouse/<name>`, its schema the query's, which may
    /// differ from the table's last version) with `rows`, in one Delta commit. Returns the new
    /// version.
    pub async fn replace_model(&self, name: &str, description: &str, rows: impl Into<ModelRows>) -> Result<u64> {
        self.write_model(name, description, rows, ModelWrite::default()).await
    }

    /// Write the SQL model `name` as `write` says: all of it (as [`Self::replace_model`]) or only
    /// the rows matching a predicate, with the build's state, in one Delta commit. Returns the
    /// new version.
    pub async fn write_model(
        &self,
        name: &str,
        description: &str,
        rows: impl Into<ModelRows>,
        write: ModelWrite,
    ) -> Result<u64> {
        let table = self
            .open_folder(name, &self.root.join(Zone::Warehouse.folder()).join(name))
            .await?;
        // A mart below deltalake's target file size is one file, and a scan hands each row
        // group to one core: in one row group, a mart of a few hundred thousand rows was read,
        // joined and aggregated on one core. Row groups of MODEL_ROW_GROUP_ROWS spread it over
        // all of them.
        let properties = base_writer_properties()
            .set_max_row_group_row_count(Some(MODEL_ROW_GROUP_ROWS))
            .build();
        overwrite(table, name, description, rows.into(), properties, true, write).await
    }

    /// The state the last build of model `name` recorded (see [`ModelWrite::state`]); `None`
    /// when the model does not exist or its last commit recorded none.
    pub async fn model_state(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let folder = self.root.join(Zone::Warehouse.folder()).join(name);
        if !folder.join("_delta_log").exists() {
            return Ok(None);
        }
        let table = self.open_folder(name, &folder).await?;
        let mut history = table.history(Some(1));
        let Some(commit) = history.next().await else {
            return Ok(None);
        };
        let commit = commit.map_err(|source| WarehouseError::Delta {
            table: name.to_string(),
            source: Box::new(source),
        })?;
        Ok(commit.info.get(MODEL_STATE).cloned())
    }

    /// Table `name` of the analysts' zone as of `version`, for a query to compare with the
    /// current one.
    pub async fn table_at(&self, name: &str, version: u64) -> Result<Arc<dyn TableProvider>> {
        Ok(self.committed(name, Some(version)).await?.0)
    }

    /// Table `name` of the analysts' zone at `version` (else its current one), with that version.
    async fn committed(&self, name: &str, version: Option<u64>) -> Result<(Arc<dyn TableProvider>, u64)> {
        let mut table = self
            .open_folder(name, &self.root.join(Zone::Warehouse.folder()).join(name))
            .await?;
        if let Some(version) = version {
            table
                .load_version(version)
                .await
                .map_err(|source| WarehouseError::Delta {
                    table: name.to_string(),
                    source: Box::new(source),
                })?;
        }
        let version = table.version().unwrap_or(0);
        Ok((Arc::new(CommittedTable::new(name, &table)?), version))
    }

    /// The tables of the analysts' zone (`<root>/warehouse/*`: loaded tables, derived tables,
    /// models): the folders holding a Delta log, sorted.
    pub fn table_names(&self) -> Result<Vec<String>> {
        let folder = self.root.join(Zone::Warehouse.folder());
        let mut names: Vec<String> = match std::fs::read_dir(&folder) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok())
                .filter(|entry| entry.path().join("_delta_log").is_dir())
                .filter_map(|entry| entry.file_name().to_str().map(String::from))
                .collect(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(WarehouseError::Io { path: folder, source }),
        };
        names.sort();
        Ok(names)
    }

    /// Register every table of the analysts' zone ([`Self::table_names`]) in `context` under
    /// its folder name. The vault is never registered. Returns the names, sorted.
    pub async fn register_tables(&self, context: &SessionContext) -> Result<Vec<String>> {
        let versions = self.register_tables_at(context, &BTreeMap::new()).await?;
        Ok(versions.into_keys().collect())
    }

    /// Like [`Self::register_tables`], but a table named in `pinned` is registered as it was at
    /// that version (Delta time travel), so a read can be repeated exactly after later loads.
    /// Returns the version registered for each table.
    pub async fn register_tables_at(
        &self,
        context: &SessionContext,
        pinned: &BTreeMap<String, u64>,
    ) -> Result<BTreeMap<String, u64>> {
        let mut versions = BTreeMap::new();
        for name in self.table_names()? {
            let (provider, version) = self.committed(&name, pinned.get(&name).copied()).await?;
            versions.insert(name.clone(), version);
            context
                .register_table(name.as_str(), provider)
                .map_err(|source| WarehouseError::Delta {
                    table: name.clone(),
                    source: Box::new(source.into()),
                })?;
        }
        for name in pinned.keys() {
            if !versions.contains_key(name) {
                return Err(WarehouseError::Unknown { table: name.clone() });
            }
        }
        Ok(versions)
    }

    /// Current version of a table, `None` if it does not exist yet.
    pub async fn version(&self, spec: &TableSpec) -> Result<Option<u64>> {
        if !self.table_path(spec).join("_delta_log").exists() {
            return Ok(None);
        }
        Ok(self.open(spec).await?.version())
    }

    /// Every row of the current version, file by file (a plain Parquet read: for tests and small
    /// tables; queries go through DataFusion). Partition columns are not in the files.
    pub async fn read_rows(&self, spec: &TableSpec) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::new();
        self.visit_rows(spec, |batch| batches.push(batch)).await?;
        Ok(batches)
    }

    /// Hand every batch of the current version to `visit`, file by file, holding one batch at a
    /// time (for readers that aggregate, like linkage).
    pub async fn visit_rows(&self, spec: &TableSpec, visit: impl FnMut(RecordBatch)) -> Result<()> {
        let files = self.data_files(spec).await?;
        Self::visit_files(spec, &files, visit)
    }

    /// The Parquet files of one delivery's partition in the current version, sorted. Their names
    /// change whenever the delivery is loaded again, so they also tell whether it was.
    pub async fn delivery_files(&self, spec: &TableSpec, delivery: &str) -> Result<Vec<PathBuf>> {
        let table = self.open(spec).await?;
        if table.version().is_none() {
            return Ok(Vec::new());
        }
        let filter = (
            DELIVERY_MONTH,
            deltalake::FilterOp::Eq,
            deltalake::FilterValue::Scalar(delivery),
        );
        let mut files: Vec<PathBuf> = table
            .get_file_uris_by_partitions(&[filter])
            .await
            .map_err(|source| Self::delta_error(spec, source))?
            .iter()
            .map(|uri| local_path(uri))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Hand every batch of `files` (from [`Warehouse::data_files`] or
    /// [`Warehouse::delivery_files`]) to `visit`, one batch at a time.
    pub fn visit_files(spec: &TableSpec, files: &[PathBuf], mut visit: impl FnMut(RecordBatch)) -> Result<()> {
        for path in files {
            let io = |source| WarehouseError::Io {
                path: path.clone(),
                source,
            };
            let file = std::fs::File::open(path).map_err(io)?;
            let parquet_error = |source: parquet::errors::ParquetError| WarehouseError::Io {
                path: path.clone(),
                source: std::io::Error::other(source),
            };
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|builder| builder.build())
                .map_err(parquet_error)?;
            for batch in reader {
                visit(batch.map_err(|source| WarehouseError::Arrow {
                    table: spec.name.to_string(),
                    source,
                })?);
            }
        }
        Ok(())
    }

    /// SHA-256 (hex) of the current rows, independent of their order and of how they are split
    /// into files: two loads with the same content have the same digest. Holds the rows' text
    /// in memory; for tests and reproducibility checks, not for national-size tables.
    pub async fn content_digest(&self, spec: &TableSpec) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut rows = Vec::new();
        for batch in self.read_rows(spec).await? {
            for row in 0..batch.num_rows() {
                let mut text = String::new();
                for column in batch.columns() {
                    let value = arrow::util::display::array_value_to_string(column, row).map_err(|source| {
                        WarehouseError::Arrow {
                            table: spec.name.to_string(),
                            source,
                        }
                    })?;
                    text.push_str(&value);
                    text.push('\u{1f}');
                }
                rows.push(text);
            }
        }
        rows.sort_unstable();
        let mut hasher = Sha256::new();
        for row in &rows {
            hasher.update(row.as_bytes());
            hasher.update(b"\n");
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Paths of the Parquet files of the current version (relative to the table folder).
    pub async fn data_files(&self, spec: &TableSpec) -> Result<Vec<PathBuf>> {
        self.files_in(spec.name, &self.table_path(spec)).await
    }

    /// Like [`Warehouse::data_files`], for any table of the analysts' zone by name (models too).
    pub async fn model_files(&self, name: &str) -> Result<Vec<PathBuf>> {
        self.files_in(name, &self.root.join(Zone::Warehouse.folder()).join(name))
            .await
    }

    async fn files_in(&self, name: &str, path: &Path) -> Result<Vec<PathBuf>> {
        let table = self.open_folder(name, path).await?;
        if table.version().is_none() {
            return Ok(Vec::new());
        }
        let mut files: Vec<PathBuf> = table
            .get_file_uris()
            .map_err(|source| WarehouseError::Delta {
                table: name.to_string(),
                source: Box::new(source),
            })?
            .map(|uri| local_path(&uri))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// The local path of a file URI Delta reports (the warehouse lives on a local file system).
fn local_path(uri: &str) -> PathBuf {
    url::Url::parse(uri)
        .ok()
        .and_then(|url| url.to_file_path().ok())
        .unwrap_or_else(|| PathBuf::from(uri))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::{
        array::{ArrayRef, Int32Array, Int64Array, StringArray},
        datatypes::{DataType, Field, Schema},
    };
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;

    fn batch(columns: &[&str]) -> RecordBatch {
        let fields: Vec<Field> = columns
            .iter()
            .map(|name| Field::new(*name, DataType::Int32, true))
            .chain([Field::new("label", DataType::Utf8, true)])
            .collect();
        let mut arrays: Vec<arrow::array::ArrayRef> = columns
            .iter()
            .map(|_| Arc::new(Int32Array::from(vec![1, 2])) as _)
            .collect();
        arrays.push(Arc::new(StringArray::from(vec!["a", "b"])));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
    }

    #[test]
    fn a_model_whose_sql_gained_a_column_replaces_its_table_schema() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let runtime = crate::test_runtime();
        runtime.block_on(async {
            let first = warehouse
                .replace_model("dim_example", "example", vec![batch(&["a"])])
                .await
                .unwrap();
            let second = warehouse
                .replace_model("dim_example", "example", vec![batch(&["a", "b"])])
                .await
                .unwrap();
            assert_eq!(second, first + 1);
            let context = SessionContext::new();
            warehouse.register_tables(&context).await.unwrap();
            let frame = context
                .sql("select a, b, label from dim_example order by a")
                .await
                .unwrap();
            let rows: usize = frame.collect().await.unwrap().iter().map(RecordBatch::num_rows).sum();
            assert_eq!(rows, 2);
        });
    }

    #[test]
    fn a_model_is_written_in_row_groups_that_all_cores_can_share() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let runtime = crate::test_runtime();
        let rows = MODEL_ROW_GROUP_ROWS as i64 * 2 + 1;
        let numbers = Int64Array::from_iter_values(0..rows);
        let batch = RecordBatch::try_from_iter([("n", Arc::new(numbers) as ArrayRef)]).unwrap();
        let files = runtime.block_on(async {
            warehouse
                .replace_model("fct_example", "example", vec![batch])
                .await
                .unwrap();
            warehouse.model_files("fct_example").await.unwrap()
        });
        assert_eq!(files.len(), 1);
        let reader = SerializedFileReader::new(std::fs::File::open(&files[0]).unwrap()).unwrap();
        let row_groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|row_group| row_group.num_rows())
            .collect();
        assert_eq!(
            row_groups,
            [MODEL_ROW_GROUP_ROWS as i64, MODEL_ROW_GROUP_ROWS as i64, 1]
        );
    }

    #[test]
    fn a_model_file_holds_its_rows_in_the_order_of_its_batches() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        // Several batches on several worker threads: spread over parallel writers, they were
        // interleaved in the file.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = (0..32)
            .map(|part| {
                let numbers = Int64Array::from_iter_values(part * 8_192..(part + 1) * 8_192);
                RecordBatch::try_from_iter([("n", Arc::new(numbers) as ArrayRef)]).unwrap()
            })
            .collect();
        let files = runtime.block_on(async {
            warehouse
                .replace_model("fct_example", "example", batches)
                .await
                .unwrap();
            warehouse.model_files("fct_example").await.unwrap()
        });
        assert_eq!(files.len(), 1);
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
            std::fs::File::open(&files[0]).unwrap(),
            8_192,
        )
        .unwrap();
        let numbers: Vec<i64> = reader
            .flat_map(|batch| {
                let batch = batch.unwrap();
                let column = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap().clone();
                column.values().to_vec()
            })
            .collect();
        assert_eq!(numbers.len(), 32 * 8_192);
        let disorder = numbers.windows(2).position(|pair| pair[0] > pair[1]);
        assert_eq!(disorder, None, "rows out of order after this position");
    }
}
