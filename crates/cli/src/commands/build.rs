//! `kaigo build`: the SQL models over the warehouse, in dependency order, with their checks.

use std::process::ExitCode;

use kaigo_query::{increment::Scope, runner::Refresh};
use kaigo_warehouse::Warehouse;

use super::WarehouseRoot;

/// Arguments of `kaigo build`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    warehouse: WarehouseRoot,
    /// Build the models that declare `slice_by` (the person-month panel, the outcome cohorts,
    /// `dim_persons`) in this many slices, instead of as many as the memory budget calls for.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    slices: Option<u16>,
    /// Rewrite every row of every model. Without it, the models that declare `incremental` (the
    /// person-month panel) rewrite only the rows the deliveries loaded since their last build
    /// change, and relinked persons.
    #[arg(long)]
    full: bool,
}

pub(crate) fn run(args: Args, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let refresh = if args.full { Refresh::Full } else { Refresh::Incremental };
    build_models(runtime, &args.warehouse.open()?, args.slices.map(usize::from), refresh)?;
    Ok(ExitCode::SUCCESS)
}

/// Build the models; one line per model on stderr. A failed check is a data problem (exit 1).
pub(crate) fn build_models(
    runtime: &tokio::runtime::Runtime,
    warehouse: &Warehouse,
    slices: Option<usize>,
    refresh: Refresh,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let built = runtime.block_on(kaigo_query::runner::build(warehouse, slices, refresh))?;
    for table in built {
        eprintln!(
            "build: {:<40} {:>10} rows  {:>2} checks  {:<11} {:>6.1}s{}",
            table.name,
            table.rows,
            table.checks,
            table
                .version
                .map_or("view".to_string(), |version| format!("version {version}")),
            table.seconds,
            if table.slices > 1 {
                format!("  in {} slices", table.slices)
            } else {
                String::new()
            }
        );
        match table.scope {
            Some(Scope::Full(reason)) => eprintln!("build: {:<40} rebuilt whole: {reason}", ""),
            Some(Scope::Rows {
                from_month, persons, ..
            }) => eprintln!(
                "build: {:<40} rewrote {} and {persons} persons' every month",
                "",
                from_month.map_or("no month".to_string(), |month| format!("months from {month}"))
            ),
            None => {}
        }
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
