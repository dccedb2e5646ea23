//! `kaigo linkage`: resolve persons over the vault's tokens and measure the result.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use kaigo_linkage::{
    LinkageConfig,
    evaluate::{Evaluation, Truth, evaluate, source_paths},
    load_identities, resolve,
};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_warehouse::Warehouse;

use crate::UserError;

/// Subcommands of `kaigo linkage`.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Resolve persons and rewrite the warehouse's person_map (identity_key → person_key).
    /// Incremental: reads only deliveries loaded since the last run; the result equals linking
    /// every delivery at once.
    Run {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// Key file; otherwise KAIGO_KEY_FILE or KAIGO_KEY.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Link a warehouse loaded from a synthetic hub and measure it against the hub's truth:
    /// prints precision, recall and F1 over pairs of identities beside the ID1/ID2 baselines,
    /// cluster measures, recall by life event, false merges by cause, and record-pair figures
    /// as a secondary table; writes <warehouse>/linkage/evaluation.json and .txt.
    Evaluate {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// The synthetic hub the warehouse was loaded from (its truth/ is read).
        #[arg(long)]
        hub: PathBuf,
    },
    /// Explain the link between two records (operators: reads the vault): the match weight,
    /// comparison by comparison. Records are SOURCE_FILE_ID:LINE (see vault/quarantine,
    /// source_files or any table's lineage columns).
    Explain {
        /// Warehouse root.
        #[arg(long)]
        warehouse: PathBuf,
        /// First record.
        left: String,
        /// Second record.
        right: String,
    },
}

pub(crate) fn run(command: Command, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { warehouse, key } => {
            link(
                runtime,
                &Warehouse::new(warehouse),
                &SecretKey::resolve(key.as_deref())?,
            )?;
        }
        Command::Evaluate { warehouse, hub } => {
            let evaluation = evaluate_against_truth(runtime, &Warehouse::new(warehouse), &hub)?;
            print!("{}", evaluation.render());
        }
        Command::Explain { warehouse, left, right } => {
            let (left, right) = (record(&left)?, record(&right)?);
            let identities = runtime.block_on(load_identities(&Warehouse::new(warehouse)))?;
            let resolution = resolve(identities, &LinkageConfig::default());
            let explanation = resolution
                .explain(left, right)
                .ok_or_else(|| UserError("no identity-bearing record at one of these file ids and lines".into()))?;
            print!("{}", explanation.render());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Link incrementally and rewrite `person_map`; one summary line on stderr.
pub(crate) fn link(
    runtime: &tokio::runtime::Runtime,
    warehouse: &Warehouse,
    key: &SecretKey,
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
    let paths = source_paths(warehouse)?;
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

fn record(text: &str) -> anyhow::Result<(&str, i64)> {
    let (file, line) = text
        .split_once(':')
        .ok_or_else(|| UserError(format!("{text:?}: a record is SOURCE_FILE_ID:LINE")))?;
    let line = line
        .parse()
        .map_err(|_| UserError(format!("{text:?}: the line is not a number")))?;
    Ok((file, line))
}
