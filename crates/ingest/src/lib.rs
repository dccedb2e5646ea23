//! A hub delivery → validated, pseudonymized warehouse tables, quarantine and row accounting.
//!
//! [`Ingest`] reads every extract of one delivery folder (`<hub>/<YYYYMM>/`), decodes and parses
//! it with `kaigo-formats`, checks the rules of [`rules`] (check digits, code lists, statement
//! totals, unit prices, dates, plausibility), and for each record either
//! - loads it: identifiers become keyed tokens in the vault (`record_tokens`) and a pseudonymous
//!   `identity_key` (per insurer and insured number) in the warehouse tables, which keep only coarsened attributes (sex, birth
//!   year-month, municipality); or
//! - quarantines it (`vault/quarantine`) with file, line, rule, field and a reason that never
//!   quotes the record. A claim statement is loaded or quarantined whole.
//!
//! A file that cannot be read as its layout at all (wrong encoding or header, truncated, missing
//! control or end record, wrong record count) is rejected whole, with the reason in the report.
//! For every other file, rows in = rows loaded + rows quarantined, checked here and reported.
//! The load replaces the delivery in every table atomically (see `kaigo-warehouse`), so reruns
//! converge and never duplicate.
//!
//! Memory does not grow with the delivery: insurer folders are loaded in parallel, one per core,
//! and written in folder order; a file's rows go to the writers in chunks of a few thousand
//! records (a first, cheap reading of the file makes sure it will not be rejected after its
//! first rows went out); folders loaded ahead of the one being written hold a bounded amount of
//! rows; and each table's writer holds at most one Parquet row group.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use kaigo_ingest::Ingest;
//! use kaigo_pseudonymize::key::SecretKey;
//! use kaigo_warehouse::Warehouse;
//! let key = SecretKey::load(std::path::Path::new("kaigo.key"))?;
//! let report = Ingest::new("hub/202611", &key).run(&Warehouse::new("wh")).await?;
//! println!("{} loaded, {} quarantined", report.rows_loaded, report.rows_quarantined);
//! # Ok(()) }
//! ```
//!
//! What this crate does not do: link persons across insurers (that is `kaigo-linkage`, which maps
//! each `identity_key` to a `person_key`), or build SQL models.

pub mod extract;
pub mod identity;
mod load;
pub mod quality;
pub mod rules;

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    path::{Path, PathBuf},
    sync::{
        Condvar, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use arrow::{
    array::{Array, StringArray},
    record_batch::RecordBatch,
};
use kaigo_codes::{calendar::YearMonth, unit_price::AreaGrade};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    token::Tokenizer,
};
use kaigo_warehouse::{
    DeliveryLoad, TableSpec, Warehouse, WarehouseError, Zone,
    columns::Table,
    manifest::{FileEntry, InsurerVolume, LoadManifest},
    rows::{TableRows, sorted},
    tables::{ClaimStatementRow, Lineage, SourceFileRow},
};

pub use load::source_file_id;

use crate::{
    extract::Extract,
    identity::{IdentityKeys, TokenCache},
    load::{Context, FileOutput},
    quality::QualityReport,
};

/// Errors that stop a load (a bad row or a bad file does not: it is quarantined or rejected).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The delivery folder is not usable.
    #[error("{path}: {problem}")]
    Drop {
        /// Folder.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Writing the warehouse failed.
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// A broken invariant of ours (a bug), e.g. rows that do not add up.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IngestError {
    /// Whether the user can fix it: the delivery folder, or the warehouse's own cases.
    pub fn is_user(&self) -> bool {
        match self {
            IngestError::Drop { .. } => true,
            IngestError::Warehouse(error) => error.is_user(),
            IngestError::Internal(_) => false,
        }
    }
}

/// What one load did; stored as the load manifest and printed by the CLI.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    /// Delivery month.
    pub delivery: String,
    /// Files read.
    pub files: Vec<FileEntry>,
    /// Data records read from accepted files.
    pub rows_in: u64,
    /// Records loaded.
    pub rows_loaded: u64,
    /// Records quarantined.
    pub rows_quarantined: u64,
    /// Files rejected whole.
    pub files_rejected: usize,
    /// Quarantined records per rule.
    pub quarantine_by_rule: BTreeMap<String, u64>,
    /// Rows written per table.
    pub table_rows: BTreeMap<String, u64>,
    /// Table versions after the load.
    pub table_versions: BTreeMap<String, u64>,
    /// Volumes per insurer folder.
    pub insurers: BTreeMap<String, InsurerVolume>,
    /// The data-quality report (also in `<root>/quality/<delivery>.json` and `.txt`).
    pub quality: QualityReport,
    /// Key fingerprint.
    pub key_fingerprint: String,
    /// Seconds.
    pub seconds: f64,
}

impl IngestReport {
    /// The load manifest of this report.
    pub fn manifest(&self) -> LoadManifest {
        LoadManifest {
            delivery: self.delivery.clone(),
            key_fingerprint: self.key_fingerprint.clone(),
            code_version: env!("CARGO_PKG_VERSION").to_string(),
            files: self.files.clone(),
            table_rows: self.table_rows.clone(),
            table_versions: self.table_versions.clone(),
            quarantine_by_rule: self.quarantine_by_rule.clone(),
            insurers: self.insurers.clone(),
            seconds: self.seconds,
        }
    }
}

/// Progress of a load, for a progress bar: called from the loading threads.
pub trait Progress: Send + Sync {
    /// The load will read `files` files of `bytes` bytes in all.
    fn start(&self, files: u64, bytes: u64);
    /// `files` more files of `bytes` bytes were read.
    fn advance(&self, files: u64, bytes: u64);
}

/// One load of one delivery folder.
pub struct Ingest<'k> {
    drop: PathBuf,
    key: &'k SecretKey,
    progress: Option<&'k dyn Progress>,
    single_pass_bytes: u64,
    read_ahead_bytes: usize,
}

/// The files of one insurer folder (or of the delivery root), written together so the tables
/// come out in insurer order.
struct Unit {
    insurer: Option<String>,
    files: Vec<DiscoveredFile>,
}

/// Default of the rows that folders loaded ahead of the one being written may hold (Arrow
/// memory), waiting for their turn. With the chunked reading of files (`load`), this bounds a
/// load's memory whatever the size of the delivery, its folders or its files.
const READ_AHEAD_BYTES: usize = 384 << 20;

/// Threads that parse folders in parallel: one per core.
fn loading_threads() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Read-ahead and single-pass file size for a budget of `memory` bytes and `threads` loading
/// threads ([`Ingest::with_memory_limit`]).
fn buffer_sizes(memory: u64, threads: usize) -> (usize, u64) {
    let read_ahead = (memory / 4).clamp(16 << 20, READ_AHEAD_BYTES as u64) as usize;
    let single_pass = (memory / (8 * threads as u64)).clamp(4 << 20, load::SINGLE_PASS_BYTES);
    (read_ahead, single_pass)
}

/// Part of a unit's output on its way to the writers.
enum Piece {
    /// A chunk of a file's rows, per table.
    Rows(Vec<(&'static TableSpec, RecordBatch)>),
    /// A file's accounts, after all its rows.
    File(FileOutput),
    /// The unit's last piece.
    End,
}

/// Units are loaded in parallel and written in unit order. A loading thread may run ahead of
/// the unit being written while the rows it holds stay within the read-ahead; the unit
/// being written always gets one piece through, so the load cannot stall.
struct Reorder {
    read_ahead_bytes: usize,
    state: Mutex<ReorderState>,
    changed: Condvar,
}

#[derive(Default)]
struct ReorderState {
    /// The unit being written.
    head: usize,
    pieces: BTreeMap<usize, VecDeque<(Piece, usize)>>,
    /// Arrow bytes held in `pieces`.
    held: usize,
    /// Set when either side fails: the other stops.
    failed: Option<IngestError>,
    stopped: bool,
}

fn piece_bytes(piece: &Piece) -> usize {
    match piece {
        Piece::Rows(batches) => batches.iter().map(|(_, batch)| batch.get_array_memory_size()).sum(),
        Piece::File(_) | Piece::End => 0,
    }
}

impl Reorder {
    fn new(read_ahead_bytes: usize) -> Self {
        Self {
            read_ahead_bytes,
            state: Mutex::new(ReorderState::default()),
            changed: Condvar::new(),
        }
    }

    /// Queue a piece of `unit`, waiting for room. Err if the load stopped.
    fn push(&self, unit: usize, piece: Piece) -> Result<(), IngestError> {
        let bytes = piece_bytes(&piece);
        let mut state = self.state.lock().expect("not poisoned");
        loop {
            if state.stopped {
                return Err(IngestError::Internal("the load stopped".into()));
            }
            let queued = state.pieces.get(&unit).map_or(0, VecDeque::len);
            if bytes == 0 || state.held + bytes <= self.read_ahead_bytes || (unit == state.head && queued == 0) {
                break;
            }
            state = self.changed.wait(state).expect("not poisoned");
        }
        state.held += bytes;
        state.pieces.entry(unit).or_default().push_back((piece, bytes));
        self.changed.notify_all();
        Ok(())
    }

    /// A loading thread failed: the writing side stops at its next piece.
    fn fail(&self, error: IngestError) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.failed.get_or_insert(error);
        state.stopped = true;
        self.changed.notify_all();
    }

    /// The writing side is done or failed: loading threads stop waiting.
    fn stop(&self) {
        self.state.lock().expect("not poisoned").stopped = true;
        self.changed.notify_all();
    }

    /// The next piece of the unit being written; after its `End`, the next unit's.
    fn pop(&self) -> Result<Piece, IngestError> {
        let mut state = self.state.lock().expect("not poisoned");
        loop {
            if let Some(error) = state.failed.take() {
                return Err(error);
            }
            let head = state.head;
            if let Some((piece, bytes)) = state.pieces.get_mut(&head).and_then(VecDeque::pop_front) {
                state.held -= bytes;
                if matches!(piece, Piece::End) {
                    state.pieces.remove(&head);
                    state.head += 1;
                }
                self.changed.notify_all();
                return Ok(piece);
            }
            state = self.changed.wait(state).expect("not poisoned");
        }
    }
}

impl<'k> Ingest<'k> {
    /// Load the delivery folder `drop` (`<hub>/<YYYYMM>`) with `key`.
    pub fn new(drop: impl Into<PathBuf>, key: &'k SecretKey) -> Self {
        Self {
            drop: drop.into(),
            key,
            progress: None,
            single_pass_bytes: load::SINGLE_PASS_BYTES,
            read_ahead_bytes: READ_AHEAD_BYTES,
        }
    }

    /// Size the load's buffers from the memory the command may use (`kaigo --memory-limit`):
    /// the rows held for folders loaded ahead get a quarter of it (16–384 MiB), and each loading
    /// thread's files read once an eighth of its share (4–64 MiB; their decoded rows take about
    /// twice their size). The defaults are those of a budget of 1.5 GiB or more on 2 cores.
    pub fn with_memory_limit(mut self, bytes: u64) -> Self {
        (self.read_ahead_bytes, self.single_pass_bytes) = buffer_sizes(bytes, loading_threads());
        self
    }

    /// Read files of up to `bytes` once, holding their rows back until their end was read
    /// (default 64 MiB). Larger files are read twice, the first time to find what would reject
    /// them, so their rows can go on while they are read and memory stays bounded. 0 reads every
    /// file twice.
    pub fn with_single_pass_bytes(mut self, bytes: u64) -> Self {
        self.single_pass_bytes = bytes;
        self
    }

    /// Report progress to `progress`.
    pub fn with_progress(mut self, progress: &'k dyn Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Read, check, pseudonymize and load the delivery.
    ///
    /// Insurer folders are parsed on one thread per core and streamed, in folder order, into the
    /// tables' writers, which run as tasks of the current Tokio runtime; it must be a
    /// multi-thread runtime.
    pub async fn run(self, warehouse: &Warehouse) -> Result<IngestReport, IngestError> {
        let started = std::time::Instant::now();
        let drop_error = |problem: &str| IngestError::Drop {
            path: self.drop.clone(),
            problem: problem.to_string(),
        };
        match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {}
            _ => {
                return Err(IngestError::Internal(
                    "ingest needs a multi-thread Tokio runtime".into(),
                ));
            }
        }
        let delivery = self
            .drop
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| drop_error("not a delivery folder"))?
            .to_string();
        let delivery_month =
            YearMonth::parse_compact(&delivery).map_err(|_| drop_error("a delivery folder is named YYYYMM"))?;
        let root = self
            .drop
            .parent()
            .ok_or_else(|| drop_error("a delivery folder sits in the hub root"))?
            .to_path_buf();
        let files = discover(&self.drop, &delivery).map_err(|error| drop_error(&error))?;
        tracing::info!(delivery = %delivery, files = files.len(), "ingesting delivery");
        if let Some(progress) = self.progress {
            progress.start(files.len() as u64, files.iter().map(|file| file.bytes).sum());
        }

        let tokenizer = Tokenizer::new(self.key, Purpose::LinkageToken);
        let keys = IdentityKeys::new(self.key);
        let mut report = IngestReport {
            delivery: delivery.clone(),
            files: Vec::new(),
            rows_in: 0,
            rows_loaded: 0,
            rows_quarantined: 0,
            files_rejected: 0,
            quarantine_by_rule: BTreeMap::new(),
            table_rows: BTreeMap::new(),
            table_versions: BTreeMap::new(),
            insurers: BTreeMap::new(),
            quality: QualityReport::default(),
            key_fingerprint: self.key.fingerprint().to_string(),
            seconds: 0.0,
        };
        let mut go_live: BTreeMap<String, Option<YearMonth>> = BTreeMap::new();
        let load = DeliveryLoad::begin(warehouse, &delivery);
        let mut writer = UnitWriter {
            load: &load,
            report: &mut report,
            source_files: TableRows::new(SourceFileRow::spec()),
            progress: self.progress,
        };
        // The parsing blocks; the table writers keep running on the runtime's other workers.
        let streamed = tokio::task::block_in_place(|| -> Result<(), IngestError> {
            // The registry first: unit prices are checked against each insurer's area grade.
            let empty = HashMap::new();
            let mut context = Context {
                delivery: delivery.clone(),
                delivery_month,
                grades: &empty,
                tokens: &tokenizer,
                keys: &keys,
                single_pass_bytes: self.single_pass_bytes,
            };
            let (registry, rest): (Vec<_>, Vec<_>) =
                files.into_iter().partition(|file| file.extract == Extract::Insurers);
            let mut grades: HashMap<String, AreaGrade> = HashMap::new();
            let mut volume = InsurerVolume::default();
            for file in &registry {
                let output = load::load_file(
                    &context,
                    &root,
                    &file.relative,
                    file.extract,
                    None,
                    &mut TokenCache::default(),
                    &mut |batches| writer.rows(&mut volume, batches),
                )?;
                if output.entry.rejected.is_none() {
                    for (insurer, (grade, live)) in read_registry(&root.join(&file.relative)) {
                        if let Some(grade) = grade {
                            grades.insert(insurer.clone(), grade);
                        }
                        go_live.insert(insurer, live);
                    }
                }
                writer.file(&mut volume, output)?;
            }
            if let Some(progress) = writer.progress {
                progress.advance(registry.len() as u64, registry.iter().map(|file| file.bytes).sum());
            }
            context.grades = &grades;
            let units = units(rest);
            let reorder = Reorder::new(self.read_ahead_bytes);
            let next_unit = AtomicUsize::new(0);
            let threads = loading_threads();
            std::thread::scope(|scope| -> Result<(), IngestError> {
                for _ in 0..threads {
                    scope.spawn(|| {
                        let _guard = FailOnPanic(&reorder);
                        loop {
                            let index = next_unit.fetch_add(1, Ordering::SeqCst);
                            let Some(unit) = units.get(index) else { break };
                            if let Err(error) =
                                load_unit(&context, &root, unit, &mut |piece| reorder.push(index, piece))
                            {
                                reorder.fail(error);
                                break;
                            }
                        }
                    });
                }
                let written = (|| -> Result<(), IngestError> {
                    for (index, unit) in units.iter().enumerate() {
                        let mut volume = InsurerVolume::default();
                        let (mut files, mut bytes) = (0, 0);
                        loop {
                            match reorder.pop()? {
                                Piece::Rows(batches) => writer.rows(&mut volume, batches)?,
                                Piece::File(output) => {
                                    files += 1;
                                    bytes += output.entry.bytes;
                                    writer.file(&mut volume, output)?;
                                }
                                Piece::End => break,
                            }
                        }
                        if let Some(insurer) = &unit.insurer {
                            writer.report.insurers.insert(insurer.clone(), volume);
                        }
                        if let Some(progress) = writer.progress {
                            progress.advance(files, bytes);
                        }
                        kaigo_warehouse::crash_point(&format!("unit:{}", index + 1));
                    }
                    Ok(())
                })();
                reorder.stop();
                written
            })?;
            let source_files = writer.source_files.finish()?;
            load.send_blocking(SourceFileRow::spec(), source_files)?;
            Ok(())
        });
        if let Err(error) = streamed {
            load.abort().await;
            return Err(error);
        }
        let streamed_after = started.elapsed().as_secs_f64();

        // One commit per table, every table (an empty delivery still replaces old rows).
        kaigo_warehouse::crash_point("streamed");
        for (name, commit) in load.commit().await? {
            report.table_rows.insert(name.clone(), commit.rows);
            report.table_versions.insert(name, commit.version);
        }
        tracing::debug!(
            streamed = streamed_after,
            committed = started.elapsed().as_secs_f64(),
            "rows handed to the writers, then every table committed (seconds from start)"
        );
        let history: Vec<LoadManifest> = warehouse
            .manifests()?
            .into_iter()
            .filter(|manifest| manifest.delivery != delivery)
            .collect();
        report.quality = quality::assess(&report.manifest(), &history, &go_live);
        write_quality(warehouse, &report.quality)?;
        report.seconds = started.elapsed().as_secs_f64();
        kaigo_warehouse::crash_point("manifest");
        warehouse.write_manifest(&report.manifest())?;
        tracing::info!(delivery = %delivery, rows_in = report.rows_in, loaded = report.rows_loaded, quarantined = report.rows_quarantined, rejected_files = report.files_rejected, seconds = report.seconds, "delivery loaded");
        Ok(report)
    }
}

/// Write the quality report as JSON and text under `<root>/quality/`.
fn write_quality(warehouse: &Warehouse, report: &QualityReport) -> Result<(), IngestError> {
    let folder = warehouse.root().join("quality");
    let io = |path: &Path, source| WarehouseError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&folder).map_err(|source| io(&folder, source))?;
    let json = folder.join(format!("{}.json", report.delivery));
    std::fs::write(&json, serde_json::to_vec_pretty(report).expect("serialisable"))
        .map_err(|source| io(&json, source))?;
    let text = folder.join(format!("{}.txt", report.delivery));
    std::fs::write(&text, report.render()).map_err(|source| io(&text, source))?;
    Ok(())
}

/// Tells the writing side when a loading thread panics, which would otherwise wait for it forever.
struct FailOnPanic<'r>(&'r Reorder);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail(IngestError::Internal("a loading thread panicked".into()));
        }
    }
}

/// Load the files of one unit, handing its pieces to `deliver` in order.
fn load_unit(
    context: &Context<'_>,
    root: &Path,
    unit: &Unit,
    deliver: &mut dyn FnMut(Piece) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut cache = TokenCache::default();
    for file in &unit.files {
        let output = load::load_file(
            context,
            root,
            &file.relative,
            file.extract,
            unit.insurer.as_deref(),
            &mut cache,
            &mut |batches| deliver(Piece::Rows(batches)),
        )?;
        deliver(Piece::File(output))?;
    }
    deliver(Piece::End)
}

/// Hands rows to the table writers, in unit order, and keeps the accounts.
struct UnitWriter<'a> {
    load: &'a DeliveryLoad,
    report: &'a mut IngestReport,
    source_files: TableRows,
    progress: Option<&'a dyn Progress>,
}

impl UnitWriter<'_> {
    /// A chunk of a file's rows: sorted (see [`TableSpec::sort_columns`]) and sent on.
    fn rows(
        &mut self,
        volume: &mut InsurerVolume,
        batches: Vec<(&'static TableSpec, RecordBatch)>,
    ) -> Result<(), IngestError> {
        for (spec, batch) in batches {
            if spec.zone == Zone::Warehouse {
                *volume.table_rows.entry(spec.name.to_string()).or_default() += batch.num_rows() as u64;
            }
            if std::ptr::eq(spec, ClaimStatementRow::spec()) {
                count_service_months(spec, &batch, &mut volume.statements_by_service_month);
            }
            self.load.send_blocking(spec, sorted(spec, &batch)?)?;
        }
        Ok(())
    }

    /// A file's accounts, once all its rows were sent.
    fn file(&mut self, volume: &mut InsurerVolume, output: FileOutput) -> Result<(), IngestError> {
        let report = &mut *self.report;
        let entry = &output.entry;
        if entry.rows_in != entry.rows_loaded + entry.rows_quarantined {
            return Err(IngestError::Internal(format!(
                "{}: {} rows in but {} loaded + {} quarantined",
                entry.path, entry.rows_in, entry.rows_loaded, entry.rows_quarantined
            )));
        }
        report.rows_in += entry.rows_in;
        report.rows_loaded += entry.rows_loaded;
        report.rows_quarantined += entry.rows_quarantined;
        report.files_rejected += usize::from(entry.rejected.is_some());
        volume.files += 1;
        volume.files_rejected += u64::from(entry.rejected.is_some());
        volume.rows_in += entry.rows_in;
        volume.rows_quarantined += entry.rows_quarantined;
        if let Some(reason) = &entry.rejected {
            tracing::warn!(file = %entry.path, reason = %reason, "file rejected");
        }
        for (rule, count) in &output.quarantine_by_rule {
            *report.quarantine_by_rule.entry(rule.clone()).or_default() += count;
        }
        let lineage = Lineage {
            delivery_month: &report.delivery,
            source_file_id: &entry.source_file_id,
            source_line: 0,
        };
        let row = SourceFileRow {
            path: &entry.path,
            extract: &entry.extract,
            sha256: &entry.sha256,
            n_bytes: entry.bytes as i64,
            n_rows_in: entry.rows_in as i64,
            n_rows_loaded: entry.rows_loaded as i64,
            n_rows_quarantined: entry.rows_quarantined as i64,
            rejected_reason: entry.rejected.as_deref(),
        };
        self.source_files.push_loaded(lineage, row);
        report.files.push(output.entry);
        Ok(())
    }
}

fn count_service_months(spec: &TableSpec, batch: &RecordBatch, counts: &mut BTreeMap<String, u64>) {
    let Some(index) = spec.column_index("service_month") else {
        return;
    };
    let Some(months) = batch.column(index).as_any().downcast_ref::<StringArray>() else {
        return;
    };
    for month in months.iter().flatten() {
        *counts.entry(month.to_string()).or_default() += 1;
    }
}

/// Group files by folder, the delivery root first, then insurers in number order.
fn units(files: Vec<DiscoveredFile>) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for file in files {
        match units.last_mut() {
            Some(unit) if unit.insurer == file.insurer => unit.files.push(file),
            _ => units.push(Unit {
                insurer: file.insurer.clone(),
                files: vec![file],
            }),
        }
    }
    units
}

/// Area grade and go-live month per insurer from the registry's valid rows (the file was
/// already accepted by the load).
fn read_registry(path: &Path) -> BTreeMap<String, (Option<AreaGrade>, Option<YearMonth>)> {
    let Ok(file) = std::fs::File::open(path) else {
        return BTreeMap::new();
    };
    let Ok(reader) = kaigo_formats::flat::FlatReader::<_, kaigo_formats::registry::InsurerRecord>::open(file) else {
        return BTreeMap::new();
    };
    reader
        .read_all()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, row)| row.ok())
        .map(|row| {
            let go_live = row.start_date.map(YearMonth::of);
            (row.insurer_number, (AreaGrade::new(row.area_grade), go_live))
        })
        .collect()
}

/// A file of a delivery.
struct DiscoveredFile {
    /// Path relative to the hub root.
    relative: String,
    extract: Extract,
    /// Insurer folder, `None` at the delivery root.
    insurer: Option<String>,
    bytes: u64,
}

/// Files of a delivery, sorted: the delivery root's first, then each insurer folder's.
/// Unknown files are reported as an error listing them: a delivery holds nothing unexpected.
fn discover(drop: &Path, delivery: &str) -> Result<Vec<DiscoveredFile>, String> {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    let mut unknown = Vec::new();
    let entries = std::fs::read_dir(drop).map_err(|error| format!("cannot list the folder: {error}"))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    let size = |path: &Path| std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0);
    for path in paths {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        if path.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|error| format!("cannot list {name}: {error}"))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            inner.sort();
            for file in inner {
                let file_name = file
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_string();
                match Extract::classify(&file, false) {
                    Some(extract) => folders.push(DiscoveredFile {
                        relative: format!("{delivery}/{name}/{file_name}"),
                        extract,
                        insurer: Some(name.clone()),
                        bytes: size(&file),
                    }),
                    None => unknown.push(format!("{name}/{file_name}")),
                }
            }
        } else {
            match Extract::classify(&path, true) {
                Some(extract) => files.push(DiscoveredFile {
                    relative: format!("{delivery}/{name}"),
                    extract,
                    insurer: None,
                    bytes: size(&path),
                }),
                None => unknown.push(name),
            }
        }
    }
    if !unknown.is_empty() {
        return Err(format!("files that are no known extract: {}", unknown.join(", ")));
    }
    if !files.iter().any(|file| file.extract == Extract::Insurers) {
        return Err("no insurers.csv: every delivery carries the insurer registry".into());
    }
    files.extend(folders);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_follow_the_memory_limit_within_their_bounds() {
        const MIB: u64 = 1 << 20;
        // A small budget: the floors.
        assert_eq!(buffer_sizes(32 * MIB, 2), (16 << 20, 4 * MIB));
        // In between: a quarter, and an eighth of each thread's share.
        assert_eq!(buffer_sizes(256 * MIB, 2), (64 << 20, 16 * MIB));
        assert_eq!(buffer_sizes(256 * MIB, 4), (64 << 20, 8 * MIB));
        // 1.5 GiB on 2 cores and more: the defaults, which a load without a limit uses.
        let key = SecretKey::from_bytes([42; 32]);
        let unlimited = Ingest::new("hub/202611", &key);
        let defaults = (unlimited.read_ahead_bytes, unlimited.single_pass_bytes);
        assert_eq!(buffer_sizes(1536 * MIB, 2), defaults);
        assert_eq!(buffer_sizes(64 << 30, 16), defaults);
        // The builder applies them.
        let sized = Ingest::new("hub/202611", &key).with_memory_limit(32 * MIB);
        assert_eq!((sized.read_ahead_bytes, sized.single_pass_bytes), (16 << 20, 4 * MIB));
    }
}
