//! `kaigo linkage`: resolve persons over the vault's tokens and measure the result.

use std::{collections::HashMap, path::Path, process::ExitCode};

use kaigo_linkage::{
    LinkageConfig,
    evaluate::{Evaluation, Truth, evaluate},
    load_identities, resolve,
};
use kaigo_warehouse::Warehouse;

/// Link incrementally and rewrite `person_map`; one summary line on stderr.
pub(crate) fn link(
    runtime: &tokio::runtime::Runtime,
    warehouse: &Warehouse,
    key: &kaigo_pseudonymize::key::SecretKey,
) -> anyhow::Result<kaigo_linkage::LinkRun> {
    let started = std::time::Instant::now();
    let run = runtime.block_on(kaigo_linkage::link(warehouse, key, &LinkageConfig::default()))?;
    eprintln!(
        "linkage: {} deliveries read, {} reused; {} identities → {} persons; person_map version {} ({:.1}s)",
        run.deliveries_read.len(),
        run.deliveries_reused.len(),
        run.resolution.identities.identities.len(),
        run.resolution.persons(),
        run.person_map_version,
        started.elapsed().as_secs_f64()
    );
    Ok(run)
}

pub(crate) fn run_command(warehouse: &Path, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let key = kaigo_pseudonymize::key::SecretKey::resolve(key).map_err(crate::key_error)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    link(&runtime, &Warehouse::new(warehouse), &key)?;
    Ok(ExitCode::SUCCESS)
}

/// Link the warehouse's records and evaluate against `<hub>/truth`; writes
/// `<warehouse>/linkage/evaluation.json` and `.txt`. Returns the evaluation.
pub(crate) fn evaluate_against_truth(
    runtime: &tokio::runtime::Runtime,
    warehouse: &Warehouse,
    hub: &Path,
) -> anyhow::Result<Evaluation> {
    let started = std::time::Instant::now();
    let identities = runtime.block_on(load_identities(warehouse))?;
    let resolution = resolve(identities, &LinkageConfig::default());
    let seconds = started.elapsed().as_secs_f64();
    let paths: HashMap<String, String> = warehouse
        .manifests()?
        .into_iter()
        .flat_map(|manifest| manifest.files)
        .map(|file| (file.source_file_id, file.path))
        .collect();
    let truth = Truth::load(&hub.join("truth"))?;
    let evaluation = evaluate(&resolution, &truth, &paths);
    let folder = warehouse.root().join("linkage");
    std::fs::create_dir_all(&folder)?;
    let report = serde_json::json!({
        "evaluation": evaluation,
        "parameters": resolution.parameters,
        "threshold_bits": resolution.threshold,
        "pairs_compared": resolution.pairs_compared,
        "blocks_skipped": resolution.blocks_skipped,
        "clustering": resolution.stats,
        "seconds": seconds,
    });
    std::fs::write(folder.join("evaluation.json"), serde_json::to_vec_pretty(&report)?)?;
    std::fs::write(folder.join("evaluation.txt"), evaluation.render())?;
    eprintln!(
        "linkage: {} records, {} identities → {} persons; {} pairs compared ({:.1}s)",
        evaluation.records,
        evaluation.identities,
        resolution.persons(),
        resolution.pairs_compared,
        seconds
    );
    Ok(evaluation)
}

pub(crate) fn evaluate_command(warehouse: &Path, hub: &Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let evaluation = evaluate_against_truth(&runtime, &Warehouse::new(warehouse), hub)?;
    print!("{}", evaluation.render());
    Ok(ExitCode::SUCCESS)
}

fn record(text: &str) -> anyhow::Result<(&str, i64)> {
    let (file, line) = text
        .split_once(':')
        .ok_or_else(|| crate::UserError(format!("{text:?}: a record is SOURCE_FILE_ID:LINE")))?;
    let line = line
        .parse()
        .map_err(|_| crate::UserError(format!("{text:?}: the line is not a number")))?;
    Ok((file, line))
}

pub(crate) fn explain_command(warehouse: &Path, left: &str, right: &str) -> anyhow::Result<ExitCode> {
    let (left, right) = (record(left)?, record(right)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let identities = runtime.block_on(load_identities(&Warehouse::new(warehouse)))?;
    let resolution = resolve(identities, &LinkageConfig::default());
    let explanation = resolution
        .explain(left, right)
        .ok_or_else(|| crate::UserError("no identity-bearing record at one of these file ids and lines".into()))?;
    print!("{}", explanation.render());
    Ok(ExitCode::SUCCESS)
}
