//! `kaigo synth`: generate a calibrated synthetic hub with ground truth.

use std::{ops::RangeInclusive, path::PathBuf, process::ExitCode};

use anyhow::Context;
use kaigo_codes::calendar::YearMonth;

use crate::{UserError, pipeline};

/// Arguments of `kaigo synth`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Read `[synth]` (persons, months, seed, `[synth.rates]`, `[synth.noise]`) from a pipeline
    /// file; the flags below override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Persons holding a certification at the start (national ≈ 7,100,000). Default 20,000.
    #[arg(long)]
    persons: Option<u64>,
    /// Service months to simulate, `YYYY-MM..YYYY-MM` (inclusive). Default 2025-04..2028-03.
    #[arg(long)]
    months: Option<String>,
    /// Seed: same seed, same bytes. Default 7.
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (delivery folders and truth/).
    #[arg(long)]
    out: PathBuf,
    /// Write only these delivery folders, `YYYYMM..YYYYMM` or `YYYYMM` (folder names), each
    /// byte-identical to the same folder of a full run, with their truth; the other folders under
    /// `--out` are left alone. For hubs too large for the disk: generate, ingest, delete, repeat.
    #[arg(long)]
    deliveries: Option<String>,
    /// Print the calibration report (each marginal beside its published target) on stdout.
    #[arg(long)]
    report: bool,
    /// Also write the calibration report as JSON to this file.
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// Exit with code 1 if a calibration row is outside its tolerance.
    #[arg(long)]
    strict: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut section = match &args.config {
        Some(path) => pipeline::load(Some(path))?.synth,
        None => pipeline::SynthSection::default(),
    };
    section.persons = args.persons.unwrap_or(section.persons);
    section.months = args.months.clone().unwrap_or(section.months);
    section.seed = args.seed.unwrap_or(section.seed);
    let config = section.config()?;
    let (first, last) = (config.first_month, config.last_month);
    let started = std::time::Instant::now();
    tracing::info!(persons = config.persons, %first, %last, seed = config.seed, out = %args.out.display(), "generating synthetic hub");
    let summary = match &args.deliveries {
        Some(text) => kaigo_synth::generate_deliveries(&config, &args.out, parse_deliveries(text)?)?,
        None => kaigo_synth::generate(&config, &args.out)?,
    };
    tracing::info!(
        insurers = summary.insurers,
        providers = summary.providers,
        deliveries = summary.deliveries.len(),
        records = summary.records,
        statements = summary.statements,
        seconds = started.elapsed().as_secs_f64(),
        "synthetic hub written"
    );
    eprintln!(
        "kaigo synth: {} insurers, {} providers, {} delivery folders, {} records ({} statements) in {:.1}s → {}",
        summary.insurers,
        summary.providers,
        summary.deliveries.len(),
        summary.records,
        summary.statements,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    if args.report {
        print!("{}", summary.calibration.render());
    }
    if let Some(path) = &args.report_json {
        std::fs::write(path, serde_json::to_vec_pretty(&summary.calibration)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.strict && !summary.calibration.failures().is_empty() {
        eprintln!(
            "kaigo synth: {} calibration rows outside tolerance",
            summary.calibration.failures().len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `YYYYMM..YYYYMM` or `YYYYMM`.
fn parse_deliveries(text: &str) -> anyhow::Result<RangeInclusive<YearMonth>> {
    let (first, last) = text.split_once("..").unwrap_or((text, text));
    let parse = |part: &str| {
        YearMonth::parse_compact(part).map_err(|error| {
            UserError(format!(
                "--deliveries must be YYYYMM..YYYYMM or YYYYMM, got {text:?}: {error}"
            ))
        })
    };
    let (first, last) = (parse(first)?, parse(last)?);
    if last < first {
        anyhow::bail!(UserError("--deliveries: the end is before the start".into()));
    }
    Ok(first..=last)
}
