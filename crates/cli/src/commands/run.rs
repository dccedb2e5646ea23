//! `kaigo run`: a pipeline end to end — synthetic hub, ingest, linkage, models, public
//! release, dashboard — with a summary of each step on stdout and the reports in
//! `<root>/reports/`.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use kaigo_pseudonymize::key::SecretKey;
use kaigo_query::runner::Refresh;
use kaigo_warehouse::Warehouse;

use super::{build, ingest, linkage, publish, release};
use crate::pipeline;

/// Arguments of `kaigo run`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A pipeline definition (see pipelines/demo.toml); the embedded demo when omitted.
    pipeline: Option<PathBuf>,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let pipeline = pipeline::load(args.pipeline.as_deref())?;
    let root = pipeline.output.root;
    let reports = root.join("reports");
    std::fs::create_dir_all(&reports).with_context(|| format!("creating {}", reports.display()))?;
    let config = pipeline.synth.config()?;
    let (first, last) = (config.first_month, config.last_month);
    let started = std::time::Instant::now();

    eprintln!(
        "kaigo run: 1/6 synthetic hub ({} persons, {first}..{last}, seed {})",
        config.persons, config.seed
    );
    let hub = root.join("hub");
    let summary = kaigo_synth::generate(&config, &hub)?;
    let report = summary.calibration.render();
    std::fs::write(reports.join("calibration.txt"), &report)?;
    std::fs::write(
        reports.join("calibration.json"),
        serde_json::to_vec_pretty(&summary.calibration)?,
    )?;
    let failures = summary.calibration.failures().len();

    eprintln!("kaigo run: 2/6 ingest → {}", root.join("warehouse").display());
    let key_path = pipeline.ingest.key;
    if !key_path.exists() {
        if let Some(parent) = key_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        SecretKey::write_new(&key_path)?;
    }
    let key = SecretKey::load(&key_path)?;
    let warehouse = Warehouse::new(root.join("warehouse"));
    let loads = ingest::load_all(runtime, &ingest::delivery_folders(&hub)?, &warehouse, &key)?;
    let sum = |field: fn(&kaigo_ingest::IngestReport) -> u64| loads.iter().map(field).sum::<u64>();
    let (rows_in, loaded, quarantined) = (
        sum(|load| load.rows_in),
        sum(|load| load.rows_loaded),
        sum(|load| load.rows_quarantined),
    );
    let rejected = sum(|load| load.files_rejected as u64);
    let flagged = sum(|load| load.quality.insurers_flagged as u64);

    eprintln!("kaigo run: 3/6 linkage");
    linkage::link(runtime, &warehouse, &key)?;
    let linkage = linkage::evaluate_against_truth(runtime, &warehouse, &hub)?;
    eprintln!("kaigo run: 4/6 models");
    build::build_models(runtime, &warehouse, None, Refresh::Incremental)?;
    eprintln!("kaigo run: 5/6 public release");
    let release = release::publish_release(runtime, &warehouse, None)?;
    eprintln!("kaigo run: 6/6 dashboard");
    let site = publish::publish_site(&warehouse, &root.join("site"))?;
    std::fs::write(reports.join("ingest.json"), serde_json::to_vec_pretty(&loads)?)?;

    println!("synthetic hub   {}", hub.display());
    println!(
        "  insurers      {} simulated, {} providers",
        summary.insurers, summary.providers
    );
    println!(
        "  deliveries    {} ({}..{})",
        summary.deliveries.len(),
        summary.deliveries.first().map_or("-", String::as_str),
        summary.deliveries.last().map_or("-", String::as_str)
    );
    println!(
        "  records       {} ({} claim statements)",
        summary.records, summary.statements
    );
    println!(
        "calibration     {} of {} marginals within tolerance",
        summary.calibration.rows.len() - failures,
        summary.calibration.rows.len()
    );
    println!("warehouse       {}", root.join("warehouse").display());
    println!("  rows          {rows_in} in = {loaded} loaded + {quarantined} quarantined; {rejected} files rejected");
    println!("  quality       {flagged} insurer-deliveries flagged (see warehouse/quality/)");
    println!("  key           {}", key.fingerprint());
    let identity_pairs = &linkage.identity_pairs;
    println!(
        "linkage         identity pairs: precision {:.5}, recall {:.5}, F1 {:.5} (ID1 ∪ ID2: F1 {:.5}); {} false merges",
        identity_pairs.kaigo.precision,
        identity_pairs.kaigo.recall,
        identity_pairs.kaigo.f1,
        identity_pairs.baselines["ID1 ∪ ID2"].f1,
        linkage.false_merges_by_cause.values().sum::<u64>()
    );
    let total = |field: fn(&kaigo_disclosure::release::IndicatorReport) -> usize| -> usize {
        release.indicators.iter().map(field).sum()
    };
    println!("release         {}", release.folder.display());
    println!(
        "  cells         {} counts: {} suppressed by rule + {} to protect them; audit: {} recoverable",
        total(|indicator| indicator.n_cells),
        total(|indicator| indicator.n_primary),
        total(|indicator| indicator.n_secondary),
        total(|indicator| indicator.n_recoverable),
    );
    println!(
        "roll-out        {} of {} insurers live in {}-{:02}",
        site.n_live,
        site.n_insurers,
        site.as_of / 100,
        site.as_of % 100
    );
    println!(
        "dashboard       {} (open index.html)",
        site.folder.join("index.html").display()
    );
    println!("reports         {}", reports.display());
    println!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
