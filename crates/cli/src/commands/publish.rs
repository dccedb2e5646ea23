//! `kaigo publish`: the policymakers' dashboard, built from the public release and scanned
//! against it.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::bail;
use kaigo_warehouse::Warehouse;

use super::WarehouseRoot;

/// Arguments of `kaigo publish`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    warehouse: WarehouseRoot,
    /// The site's folder (replaced).
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    publish_site(&args.warehouse.open()?, &args.out)?;
    Ok(ExitCode::SUCCESS)
}

/// Build the site and scan it against the release; a count that should not be there fails.
pub(crate) fn publish_site(warehouse: &Warehouse, out: &Path) -> anyhow::Result<kaigo_site::SiteReport> {
    let publish = warehouse.root().join("publish");
    let report = kaigo_site::build(&publish, out)?;
    let scan = kaigo_site::scan(out, &publish)?;
    if !scan.violations.is_empty() {
        bail!(
            "the site shows what the release does not ({} problems): {}",
            scan.violations.len(),
            scan.violations.join("; ")
        );
    }
    let largest = report.pages.iter().map(|(_, bytes)| *bytes).max().unwrap_or(0);
    eprintln!(
        "publish: {} pages ({} counts checked against the release), largest {:.0} KB, in {}",
        report.pages.len(),
        scan.n_counts,
        largest as f64 / 1024.0,
        out.display()
    );
    Ok(report)
}
