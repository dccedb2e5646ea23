//! A hub delivery → validated, pseudonymized warehouse tables, quarantine and row accounting.
//!
//! [`Ingest`] reads every extract of one delivery folder (`<hub>/<YYYYMM>/`), decodes and parses
//! it with `kaigo-formats`, checks the rules of [`rules`] (check digits, code lists, statement
//! totals, unit prices, dates, plausibility), and for each record either
//! - loads it: identifiers become keyed tokens in the vault (`record_tokens`) and a pseudonymous
//!   `person_key` in the warehouse tables, which keep only coarsened attributes (sex, birth
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
//! What this crate does not do: link persons across insurers (that is linkage, which will replace
//! the interim insurer-scoped [`identity::InsurerScopedKeys`]), or build SQL models.

pub mod extract;
pub mod identity;
mod load;
pub mod rules;

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
};

use kaigo_codes::{calendar::YearMonth, unit_price::AreaGrade};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    token::Tokenizer,
};
use kaigo_warehouse::{
    Warehouse, WarehouseError,
    manifest::{FileEntry, LoadManifest},
    rows::TableRows,
    table, tables,
};
use rayon::prelude::*;

pub use load::source_file_id;

use crate::{extract::Extract, identity::PersonKeys, load::Context};

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
    /// Key fingerprint.
    pub key_fingerprint: String,
    /// Seconds.
    pub seconds: f64,
}

/// One load of one delivery folder.
pub struct Ingest<'k> {
    drop: PathBuf,
    key: &'k SecretKey,
    person_keys: Option<Box<dyn PersonKeys + 'k>>,
}

impl<'k> Ingest<'k> {
    /// Load the delivery folder `drop` (`<hub>/<YYYYMM>`) with `key`.
    pub fn new(drop: impl Into<PathBuf>, key: &'k SecretKey) -> Self {
        Self {
            drop: drop.into(),
            key,
            person_keys: None,
        }
    }

    /// Use another person-key assignment (linkage) instead of the insurer-scoped one.
    pub fn with_person_keys(mut self, keys: Box<dyn PersonKeys + 'k>) -> Self {
        self.person_keys = Some(keys);
        self
    }

    /// Read, check, pseudonymize and load the delivery.
    pub async fn run(self, warehouse: &Warehouse) -> Result<IngestReport, IngestError> {
        let started = std::time::Instant::now();
        let drop_error = |problem: &str| IngestError::Drop {
            path: self.drop.clone(),
            problem: problem.to_string(),
        };
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

        let tokenizer = Tokenizer::new(self.key, Purpose::LinkageToken);
        let interim;
        let keys: &dyn PersonKeys = match &self.person_keys {
            Some(keys) => keys.as_ref(),
            None => {
                interim = identity::InsurerScopedKeys::new(self.key);
                &interim
            }
        };
        // The registry first: unit prices are checked against each insurer's area grade.
        let empty = HashMap::new();
        let registry_context = Context {
            delivery: delivery.clone(),
            delivery_month,
            grades: &empty,
            tokens: &tokenizer,
            keys,
        };
        let mut outputs = Vec::new();
        let mut grades: HashMap<String, AreaGrade> = HashMap::new();
        for (relative, extract, insurer) in files.iter().filter(|(_, extract, _)| *extract == Extract::Insurers) {
            let output = load::load_file(&registry_context, &root, relative, *extract, insurer.as_deref());
            if output.entry.rejected.is_none() {
                grades.extend(registry_grades(&root.join(relative)));
            }
            outputs.push(output);
        }
        let context = Context {
            delivery: delivery.clone(),
            delivery_month,
            grades: &grades,
            tokens: &tokenizer,
            keys,
        };
        let rest: Vec<_> = files
            .iter()
            .filter(|(_, extract, _)| *extract != Extract::Insurers)
            .collect();
        outputs.extend(
            rest.par_iter()
                .map(|(relative, extract, insurer)| {
                    load::load_file(&context, &root, relative, *extract, insurer.as_deref())
                })
                .collect::<Vec<_>>(),
        );

        // Row accounting, per file.
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
            key_fingerprint: self.key.fingerprint().to_string(),
            seconds: 0.0,
        };
        let mut per_table: BTreeMap<&'static str, Vec<arrow::record_batch::RecordBatch>> = BTreeMap::new();
        let mut source_files = TableRows::new(table("source_files").expect("declared"));
        for mut output in outputs {
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
            if let Some(reason) = &entry.rejected {
                tracing::warn!(file = %entry.path, reason = %reason, "file rejected");
            }
            for (rule, count) in &output.quarantine_by_rule {
                *report.quarantine_by_rule.entry(rule.clone()).or_default() += count;
            }
            source_files
                .text("delivery_month", Some(&delivery))
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
            source_files.end_row();
            for (name, rows) in output.tables.iter_mut() {
                per_table.entry(name).or_default().push(rows.finish()?);
            }
            report.files.push(output.entry);
        }
        per_table
            .entry("source_files")
            .or_default()
            .push(source_files.finish()?);

        // One commit per table, every table (an empty delivery still replaces old rows).
        for spec in tables() {
            let batches = per_table.remove(spec.name).unwrap_or_default();
            let batch = if batches.is_empty() {
                arrow::record_batch::RecordBatch::new_empty(spec.schema())
            } else {
                arrow::compute::concat_batches(&spec.schema(), &batches).map_err(|source| WarehouseError::Arrow {
                    table: spec.name.into(),
                    source,
                })?
            };
            let rows = batch.num_rows() as u64;
            let version = warehouse.replace_delivery(spec, &delivery, batch).await?;
            report.table_rows.insert(spec.name.to_string(), rows);
            report.table_versions.insert(spec.name.to_string(), version);
        }
        report.seconds = started.elapsed().as_secs_f64();
        warehouse.write_manifest(&LoadManifest {
            delivery: delivery.clone(),
            key_fingerprint: report.key_fingerprint.clone(),
            code_version: env!("CARGO_PKG_VERSION").to_string(),
            files: report.files.clone(),
            table_rows: report.table_rows.clone(),
            table_versions: report.table_versions.clone(),
            quarantine_by_rule: report.quarantine_by_rule.clone(),
            seconds: report.seconds,
        })?;
        tracing::info!(delivery = %delivery, rows_in = report.rows_in, loaded = report.rows_loaded, quarantined = report.rows_quarantined, rejected_files = report.files_rejected, seconds = report.seconds, "delivery loaded");
        Ok(report)
    }
}

/// Area grades of the registry's valid rows (the file was already accepted by the load).
fn registry_grades(path: &Path) -> HashMap<String, AreaGrade> {
    let Ok(file) = std::fs::File::open(path) else {
        return HashMap::new();
    };
    let Ok(reader) = kaigo_formats::flat::FlatReader::<_, kaigo_formats::registry::InsurerRecord>::open(file) else {
        return HashMap::new();
    };
    reader
        .read_all()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, row)| row.ok())
        .filter_map(|row| AreaGrade::new(row.area_grade).map(|grade| (row.insurer_number, grade)))
        .collect()
}

/// Files of a delivery, sorted: (path relative to the hub root, extract, insurer folder).
/// Unknown files are reported as an error listing them: a delivery holds nothing unexpected.
fn discover(drop: &Path, delivery: &str) -> Result<Vec<(String, Extract, Option<String>)>, String> {
    let mut files = Vec::new();
    let mut unknown = Vec::new();
    let entries = std::fs::read_dir(drop).map_err(|error| format!("cannot list the folder: {error}"))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
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
                    Some(extract) => {
                        files.push((format!("{delivery}/{name}/{file_name}"), extract, Some(name.clone())))
                    }
                    None => unknown.push(format!("{name}/{file_name}")),
                }
            }
        } else {
            match Extract::classify(&path, true) {
                Some(extract) => files.push((format!("{delivery}/{name}"), extract, None)),
                None => unknown.push(name),
            }
        }
    }
    if !unknown.is_empty() {
        return Err(format!("files that are no known extract: {}", unknown.join(", ")));
    }
    if !files.iter().any(|(_, extract, _)| *extract == Extract::Insurers) {
        return Err("no insurers.csv: every delivery carries the insurer registry".into());
    }
    Ok(files)
}
