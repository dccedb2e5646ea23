//! `kaigo release`: protect and write the public release.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use kaigo_disclosure::release::{ReleaseReport, ReleaseSpec};
use kaigo_warehouse::Warehouse;

use super::WarehouseRoot;

/// Arguments of `kaigo release`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    warehouse: WarehouseRoot,
    /// A release spec (see crates/disclosure/release.toml, the default).
    #[arg(long)]
    spec: Option<PathBuf>,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    publish_release(runtime, &args.warehouse.open()?, args.spec.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// Protect and write the release; one summary line per indicator on stderr.
pub(crate) fn publish_release(
    runtime: &tokio::runtime::Runtime,
    warehouse: &Warehouse,
    spec: Option<&Path>,
) -> anyhow::Result<ReleaseReport> {
    let spec = match spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            ReleaseSpec::parse(&text, &path.display().to_string())?
        }
        None => ReleaseSpec::shipped(),
    };
    let started = std::time::Instant::now();
    let report = runtime.block_on(kaigo_disclosure::release::release(
        warehouse,
        &spec,
        &Default::default(),
    ))?;
    for indicator in &report.indicators {
        eprintln!(
            "release: {:<32} {:>7} cells  {:>6} suppressed by rule  {:>6} to protect them  {:>7} LPs",
            indicator.indicator,
            indicator.n_cells,
            indicator.n_primary,
            indicator.n_secondary,
            indicator.n_linear_programs
        );
    }
    let recoverable: usize = report.indicators.iter().map(|indicator| indicator.n_recoverable).sum();
    eprintln!(
        "release: audited, {recoverable} recoverable cells; wrote {} in {:.1}s (digest {})",
        report.folder.display(),
        started.elapsed().as_secs_f64(),
        &report.digest[..16]
    );
    Ok(report)
}
