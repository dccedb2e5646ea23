//! `kaigo ingest`: load hub deliveries into the warehouse, one progress bar per delivery and
//! one summary line each.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use kaigo_ingest::{Ingest, IngestReport, Progress};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_warehouse::Warehouse;

use crate::UserError;

/// Arguments of `kaigo ingest`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A delivery folder (`<hub>/<YYYYMM>`), or a hub root to load every delivery in order.
    #[arg(long)]
    drop: PathBuf,
    /// Warehouse root (created if missing).
    #[arg(long)]
    warehouse: PathBuf,
    /// Key file; otherwise KAIGO_KEY_FILE or KAIGO_KEY.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Write the load reports as JSON to this file.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

/// Load; exit 1 when a file was rejected whole.
pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let key = SecretKey::resolve(args.key.as_deref())?;
    let folders = delivery_folders(&args.drop)?;
    let reports = load_all(runtime, &folders, &Warehouse::new(&args.warehouse), &key)?;
    if let Some(path) = &args.report_json {
        std::fs::write(path, serde_json::to_vec_pretty(&reports)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if reports.iter().any(|report| report.files_rejected > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Delivery folders to load: the folder itself, or every `YYYYMM` folder of a hub root in order.
pub(crate) fn delivery_folders(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if kaigo_formats::is_delivery_folder(path) {
        return Ok(vec![path.to_path_buf()]);
    }
    let folders = kaigo_formats::delivery_folders(path)
        .map_err(|error| UserError(format!("--drop {}: {error}", path.display())))?;
    if folders.is_empty() {
        return Err(UserError(format!(
            "--drop {}: neither a delivery folder (YYYYMM) nor a hub root holding any",
            path.display()
        ))
        .into());
    }
    Ok(folders)
}

/// Findings printed per delivery; the rest are in `<warehouse>/quality/<delivery>.txt`.
const FINDINGS_SHOWN: usize = 5;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        self.0.set_length(bytes);
        self.0.set_message(format!("{files} files"));
    }

    fn advance(&self, _files: u64, bytes: u64) {
        self.0.inc(bytes);
    }
}

/// Load `folders` in order into `warehouse`; stops at the first load that fails.
pub(crate) fn load_all(
    runtime: &tokio::runtime::Runtime,
    folders: &[PathBuf],
    warehouse: &Warehouse,
    key: &SecretKey,
) -> anyhow::Result<Vec<IngestReport>> {
    let mut reports = Vec::new();
    for folder in folders {
        reports.push(load_one(runtime, folder, warehouse, key)?);
    }
    Ok(reports)
}

fn load_one(
    runtime: &tokio::runtime::Runtime,
    folder: &Path,
    warehouse: &Warehouse,
    key: &SecretKey,
) -> anyhow::Result<IngestReport> {
    // Drawn on stderr, and only when it is a terminal (indicatif hides it otherwise).
    let bar = Bar(ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    ));
    let name = folder.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    bar.0.set_prefix(format!("ingest {name}"));
    let mut ingest = Ingest::new(folder, key).with_progress(&bar);
    if let Some(memory) = kaigo_query::resources::memory_limit() {
        ingest = ingest.with_memory_limit(memory);
    }
    let result = runtime.block_on(ingest.run(warehouse));
    bar.0.finish_and_clear();
    let report = result?;
    eprintln!(
        "ingest {}: {} files, {} rows in = {} loaded + {} quarantined{}; {} of {} insurers flagged ({:.1}s)",
        report.delivery,
        report.files.len(),
        report.rows_in,
        report.rows_loaded,
        report.rows_quarantined,
        if report.files_rejected > 0 {
            format!(", {} files REJECTED", report.files_rejected)
        } else {
            String::new()
        },
        report.quality.insurers_flagged,
        report.quality.insurers.len(),
        report.seconds
    );
    for file in report.files.iter().filter(|file| file.rejected.is_some()) {
        eprintln!(
            "  rejected {}: {}",
            file.path,
            file.rejected.as_deref().unwrap_or_default()
        );
    }
    let findings: Vec<String> = report
        .quality
        .insurers
        .iter()
        .flat_map(|insurer| {
            insurer
                .findings
                .iter()
                .map(move |finding| format!("  {}  {}", insurer.insurer_number, finding.describe()))
        })
        .collect();
    for line in findings.iter().take(FINDINGS_SHOWN) {
        eprintln!("{line}");
    }
    if findings.len() > FINDINGS_SHOWN {
        eprintln!(
            "  … {} more in {}",
            findings.len() - FINDINGS_SHOWN,
            warehouse
                .root()
                .join("quality")
                .join(format!("{}.txt", report.delivery))
                .display()
        );
    }
    Ok(report)
}
