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
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use arrow::{
    array::{Array, StringArray},
    compute::concat_batches,
    record_batch::RecordBatch,
};
use kaigo_codes::{calendar::YearMonth, unit_price::AreaGrade};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    token::Tokenizer,
};
use kaigo_warehouse::{
    DeliveryLoad, TableSpec, Warehouse, WarehouseError, Zone,
    manifest::{FileEntry, InsurerVolume, LoadManifest},
    rows::{TableRows, sorted},
    table,
};
use rayon::prelude::*;

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
}

/// The files of one insurer folder (or of the delivery root), loaded and written together so
/// the tables come out in insurer order.
struct Unit {
    insurer: Option<String>,
    files: Vec<DiscoveredFile>,
}

/// Insurer folders are loaded in parallel in rounds, each handed to the writers in insurer
/// order; a round ends at this many folders or this many input bytes, whichever comes first.
/// Large rounds keep both cores busy (a round waits for its slowest folder); the byte limit
/// bounds the rows held in memory whatever the delivery's size.
const ROUND_UNITS: usize = 64;
const ROUND_BYTES: u64 = 192 << 20;

/// Cut `units` into rounds (see [`ROUND_UNITS`]).
fn rounds(units: &[Unit]) -> Vec<&[Unit]> {
    let mut rounds = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, unit) in units.iter().enumerate() {
        bytes += unit.files.iter().map(|file| file.bytes).sum::<u64>();
        if index + 1 - start >= ROUND_UNITS || bytes >= ROUND_BYTES {
            rounds.push(&units[start..=index]);
            (start, bytes) = (index + 1, 0);
        }
    }
    if start < units.len() {
        rounds.push(&units[start..]);
    }
    rounds
}

impl<'k> Ingest<'k> {
    /// Load the delivery folder `drop` (`<hub>/<YYYYMM>`) with `key`.
    pub fn new(drop: impl Into<PathBuf>, key: &'k SecretKey) -> Self {
        Self {
            drop: drop.into(),
            key,
            progress: None,
        }
    }

    /// Report progress to `progress`.
    pub fn with_progress(mut self, progress: &'k dyn Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Read, check, pseudonymize and load the delivery.
    ///
    /// Files are parsed on the rayon pool and streamed into the tables' writers, which run as
    /// tasks of the current Tokio runtime; it must be a multi-thread runtime.
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
        let load = DeliveryLoad::begin(warehouse, &delivery)?;
        let mut writer = UnitWriter {
            load: &load,
            report: &mut report,
            source_files: TableRows::new(table("source_files").expect("declared")),
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
            };
            let (registry, rest): (Vec<_>, Vec<_>) =
                files.into_iter().partition(|file| file.extract == Extract::Insurers);
            let mut grades: HashMap<String, AreaGrade> = HashMap::new();
            let mut outputs = Vec::new();
            for file in &registry {
                let output = load::load_file(
                    &context,
                    &root,
                    &file.relative,
                    file.extract,
                    None,
                    &mut TokenCache::default(),
                );
                if output.entry.rejected.is_none() {
                    for (insurer, (grade, live)) in read_registry(&root.join(&file.relative)) {
                        if let Some(grade) = grade {
                            grades.insert(insurer.clone(), grade);
                        }
                        go_live.insert(insurer, live);
                    }
                }
                outputs.push(output);
            }
            writer.write(None, outputs)?;
            context.grades = &grades;
            let units = units(rest);
            let mut units_written = 0;
            for round in rounds(&units) {
                let loaded: Vec<Vec<FileOutput>> = round
                    .par_iter()
                    .map(|unit| {
                        let mut cache = TokenCache::default();
                        unit.files
                            .iter()
                            .map(|file| {
                                load::load_file(
                                    &context,
                                    &root,
                                    &file.relative,
                                    file.extract,
                                    unit.insurer.as_deref(),
                                    &mut cache,
                                )
                            })
                            .collect()
                    })
                    .collect();
                for (unit, outputs) in round.iter().zip(loaded) {
                    writer.write(unit.insurer.as_deref(), outputs)?;
                    units_written += 1;
                    kaigo_warehouse::crash_point(&format!("unit:{units_written}"));
                }
            }
            let source_files = writer.source_files.finish()?;
            load.send_blocking("source_files", source_files)?;
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

/// Hands the outputs of each unit to the table writers, in unit order, and keeps the accounts.
struct UnitWriter<'a> {
    load: &'a DeliveryLoad,
    report: &'a mut IngestReport,
    source_files: TableRows,
    progress: Option<&'a dyn Progress>,
}

impl UnitWriter<'_> {
    fn write(&mut self, insurer: Option<&str>, outputs: Vec<FileOutput>) -> Result<(), IngestError> {
        let report = &mut *self.report;
        let mut volume = InsurerVolume::default();
        let mut per_table: BTreeMap<&'static str, Vec<RecordBatch>> = BTreeMap::new();
        let mut bytes = 0;
        let files = outputs.len() as u64;
        for mut output in outputs {
            let entry = &output.entry;
            if entry.rows_in != entry.rows_loaded + entry.rows_quarantined {
                return Err(IngestError::Internal(format!(
                    "{}: {} rows in but {} loaded + {} quarantined",
                    entry.path, entry.rows_in, entry.rows_loaded, entry.rows_quarantined
                )));
            }
            bytes += entry.bytes;
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
            let rows = &mut self.source_files;
            rows.text("delivery_month", Some(&report.delivery))
                .text("source_file_id", Some(&entry.source_file_id))
                .int("source_line", Some(0))
                .text("path", Some(&entry.path))
                .text("extract", Some(&entry.extract))
                .text("sha256", Some(&entry.sha256))
                .int("n_bytes", Some(entry.bytes as i64))
                .int("n_rows_in", Some(entry.rows_in as i64))
                .int("n_rows_loaded", Some(entry.rows_loaded as i64))
                .int("n_rows_quarantined", Some(entry.rows_quarantined as i64))
                .text("rejected_reason", entry.rejected.as_deref());
            rows.end_row();
            for (name, rows) in output.tables.iter_mut() {
                per_table.entry(name).or_default().push(rows.finish()?);
            }
            report.files.push(output.entry);
        }
        for (name, mut batches) in per_table {
            let spec = table(name).expect("declared");
            // Most tables get rows from one file of the folder: no need to copy them into one batch.
            let batch = if batches.len() == 1 {
                batches.pop().expect("one")
            } else {
                concat_batches(&spec.schema(), &batches).map_err(|source| WarehouseError::Arrow {
                    table: name.into(),
                    source,
                })?
            };
            if batch.num_rows() == 0 {
                continue;
            }
            if spec.zone == Zone::Warehouse {
                *volume.table_rows.entry(name.to_string()).or_default() += batch.num_rows() as u64;
            }
            if name == "claim_statements" {
                count_service_months(spec, &batch, &mut volume.statements_by_service_month);
            }
            self.load.send_blocking(name, sorted(spec, &batch)?)?;
        }
        if let Some(insurer) = insurer {
            report.insurers.insert(insurer.to_string(), volume);
        }
        if let Some(progress) = self.progress {
            progress.advance(files, bytes);
        }
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
