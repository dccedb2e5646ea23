//! One module per subcommand: its arguments (`Args`, or a `Command` of subcommands) and its
//! `run`, which calls the libraries and prints. `main` only parses, logs and picks the exit code.

pub(crate) mod audit;
pub(crate) mod build;
pub(crate) mod docs;
pub(crate) mod extract;
pub(crate) mod ingest;
pub(crate) mod key;
pub(crate) mod linkage;
pub(crate) mod publish;
pub(crate) mod release;
pub(crate) mod run;
pub(crate) mod serve;
pub(crate) mod sql;
pub(crate) mod synth;

/// `--warehouse`, the root most commands read or write.
#[derive(clap::Args)]
pub(crate) struct WarehouseRoot {
    /// Warehouse root.
    #[arg(long)]
    warehouse: std::path::PathBuf,
}

impl WarehouseRoot {
    /// The warehouse, which must have been loaded (its `warehouse/` folder exists).
    pub(crate) fn open(&self) -> anyhow::Result<kaigo_warehouse::Warehouse> {
        if !self.warehouse.join("warehouse").is_dir() {
            return Err(crate::UserError(format!(
                "{}: not a warehouse (no warehouse/ folder); load one with kaigo ingest",
                self.warehouse.display()
            ))
            .into());
        }
        Ok(kaigo_warehouse::Warehouse::new(&self.warehouse))
    }
}
