//! `kaigo extract`: check, write and log a researcher extract; the manifest goes to stdout.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use kaigo_extracts::{Extract, ExtractRequest, Manifest};
use kaigo_pseudonymize::key::SecretKey;

use super::WarehouseRoot;

/// Arguments of `kaigo extract`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The request (TOML).
    request: PathBuf,
    #[command(flatten)]
    warehouse: WarehouseRoot,
    /// Key file (else KAIGO_KEY_FILE or KAIGO_KEY).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Reproduce an earlier extract: read the tables at the versions its manifest pins.
    #[arg(long, value_name = "MANIFEST")]
    as_of: Option<PathBuf>,
    /// Who runs it, for the audit log (default: the account this process runs as).
    #[arg(long)]
    operator: Option<String>,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let key = SecretKey::resolve(args.key.as_deref())?;
    let text = std::fs::read_to_string(&args.request).with_context(|| format!("reading {}", args.request.display()))?;
    let request = ExtractRequest::parse(&text, &args.request.display().to_string())?;
    let warehouse = args.warehouse.open()?;
    let mut extract = Extract::new(&warehouse, &key, request);
    if let Some(operator) = args.operator {
        extract = extract.operator(operator);
    }
    if let Some(path) = &args.as_of {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|error| crate::UserError(format!("{} is not an extract manifest: {error}", path.display())))?;
        extract = extract.pinned(manifest.warehouse_versions);
    }
    let report = runtime.block_on(extract.run())?;
    eprintln!(
        "kaigo extract: {} persons (smallest class {}, k = {}) → {}",
        report.manifest.anonymity.n_persons,
        report.manifest.anonymity.smallest_class,
        report.manifest.anonymity.k,
        report.folder.display()
    );
    println!("{}", serde_json::to_string_pretty(&report.manifest)?);
    Ok(ExitCode::SUCCESS)
}
