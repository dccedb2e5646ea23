//! `kaigo build`: the SQL models over the warehouse, in dependency order, with their checks.

use std::process::ExitCode;

use kaigo_warehouse::Warehouse;

use super::WarehouseRoot;

/// Arguments of `kaigo build`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    warehouse: WarehouseRoot,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    build_models(runtime, &args.warehouse.open()?)?;
    Ok(ExitCode::SUCCESS)
}

/// Build the models; one line per model on stderr. A failed check is a data problem (exit 1).
pub(crate) fn build_models(runtime: &tokio::runtime::Runtime, warehouse: &Warehouse) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let built = runtime.block_on(kaigo_query::runner::build(warehouse))?;
    for table in built {
        eprintln!(
            "build: {:<40} {:>10} rows  {:>2} checks  {:<11} {:>6.1}s",
            table.name,
            table.rows,
            table.checks,
            table
                .version
                .map_or("view".to_string(), |version| format!("version {version}")),
            table.seconds
        );
    }
    eprintln!("build: done in {:.1}s", started.elapsed().as_secs_f64());
    for name in kaigo_query::runner::stale_tables(warehouse)? {
        eprintln!(
            "build: warning: warehouse/{name} is no model any more (renamed or removed?): it was not rebuilt and \
             still answers queries with old rows; delete its folder to drop it"
        );
    }
    Ok(())
}
