//! One DataFusion session per connection, holding only what the user's role reads.
//!
//! The tables of both zones are opened once at start ([`Zones::open`]); each login gets a new
//! `SessionContext` of its own — its own settings, prepared statements and catalog — into which
//! only the tables its role grants are registered. What is not registered cannot be named,
//! listed in `information_schema`/`pg_catalog`, or reached through a view or a trick of
//! quoting: the plan check ([`crate::hook`]) is the second wall, not the only one.

use std::{path::Path, sync::Arc};

use datafusion::{
    catalog::TableProvider,
    execution::{
        disk_manager::{DiskManagerBuilder, DiskManagerMode},
        runtime_env::RuntimeEnvBuilder,
    },
    prelude::{ParquetReadOptions, SessionContext},
};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::{context::EmptyContextProvider, setup_pg_catalog};
use kaigo_query::session::{Session, session_config};
use kaigo_warehouse::Warehouse;

use crate::{
    ServeError,
    config::{Limits, Role, Zone},
};

/// The read-only tables of each zone, shared by every connection's session.
pub(crate) struct Zones {
    warehouse: Vec<(String, Arc<dyn TableProvider>)>,
    publish: Vec<(String, Arc<dyn TableProvider>)>,
}

impl Zones {
    /// Open the committed tables of `<root>/warehouse/` and the released Parquet files of
    /// `<root>/publish/` (one table per file, named by its stem). The vault and the landing
    /// zone are never opened.
    pub(crate) async fn open(warehouse: &Warehouse) -> Result<Self, ServeError> {
        let session = Session::open(warehouse).await?;
        let mut tables = Vec::new();
        for name in session.tables() {
            let provider = session
                .context()
                .table_provider(name.as_str())
                .await
                .map_err(catalog(&format!("table {name}")))?;
            tables.push((name.clone(), provider));
        }
        Ok(Self {
            warehouse: tables,
            publish: released_tables(&warehouse.root().join("publish")).await?,
        })
    }

    /// The names of a zone's tables, sorted.
    pub(crate) fn names(&self, zone: Zone) -> Vec<&str> {
        self.tables(zone).iter().map(|(name, _)| name.as_str()).collect()
    }

    fn tables(&self, zone: Zone) -> &[(String, Arc<dyn TableProvider>)] {
        match zone {
            Zone::Warehouse => &self.warehouse,
            Zone::Publish => &self.publish,
        }
    }

    /// A new session for one connection of `role`: the tables it grants, the kaigo functions,
    /// the Postgres catalogs, a memory pool of its own and no spill files (so no setting can
    /// point the server at a folder).
    pub(crate) fn connect(&self, role: &Role, limits: &Limits) -> Result<SessionContext, ServeError> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(limits.memory_per_connection_mib << 20, 1.0)
            .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled))
            .build_arc()
            .map_err(catalog("the connection's memory pool"))?;
        let context = SessionContext::new_with_config_rt(session_config(schema(role.zone)), runtime);
        kaigo_query::udf::register(&context);
        for (name, provider) in self.tables(role.zone) {
            if role.grants(name) {
                context
                    .register_table(name.as_str(), provider.clone())
                    .map_err(catalog(&format!("table {name}")))?;
            }
        }
        setup_pg_catalog(&context, "kaigo", EmptyContextProvider).map_err(|error| catalog("pg_catalog")(*error))?;
        Ok(context)
    }
}

fn catalog(what: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> ServeError + use<> {
    let what = what.to_string();
    move |source| ServeError::Catalog {
        what,
        source: Box::new(source),
    }
}

/// The schema a zone's tables appear under.
fn schema(zone: Zone) -> &'static str {
    match zone {
        Zone::Warehouse => "warehouse",
        Zone::Publish => "publish",
    }
}

/// Every `*.parquet` of the release folder as a read-only table (none when nothing is released).
async fn released_tables(folder: &Path) -> Result<Vec<(String, Arc<dyn TableProvider>)>, ServeError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ServeError::Publish {
                path: folder.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "parquet"))
        .collect();
    files.sort();
    let reader = SessionContext::new();
    let mut tables = Vec::new();
    for file in files {
        let Some(name) = file.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        let what = file.display().to_string();
        reader
            .register_parquet(name, &what, ParquetReadOptions::default())
            .await
            .map_err(catalog(&what))?;
        tables.push((
            name.to_string(),
            reader.table_provider(name).await.map_err(catalog(&what))?,
        ));
    }
    Ok(tables)
}
