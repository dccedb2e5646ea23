//! One DataFusion session per connection, holding only what the user's role reads.
//!
//! The tables of both zones are opened once at start ([`Zones::open`]); each login gets a new
//! `SessionContext` of its own — its own settings, prepared statements and catalog — into which
//! only the tables its role grants are registered. What is not registered cannot be named,
//! listed in `information_schema`/`pg_catalog`, or reached through a view or a trick of
//! quoting: the plan check ([`crate::hook`]) is the second wall, not the only one.

use std::{collections::HashMap, path::Path, sync::Arc};

use datafusion::{
    arrow::{
        array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array, new_null_array},
        compute::cast,
        datatypes::{DataType, Int32Type},
    },
    catalog::TableProvider,
    common::ScalarValue,
    execution::{
        disk_manager::{DiskManagerBuilder, DiskManagerMode},
        runtime_env::RuntimeEnvBuilder,
    },
    logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf},
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
    /// `pg_type`'s names and oids, for `to_regtype`.
    type_oids: Arc<HashMap<String, i32>>,
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
            type_oids: Arc::new(type_oids().await?),
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
        context.register_udf(to_regtype(self.type_oids.clone()));
        for name in ["pg_type_is_visible", "pg_function_is_visible"] {
            context.register_udf(is_visible(name));
        }
        for name in ["pg_get_function_result", "pg_get_function_arguments"] {
            context.register_udf(no_text(name, vec![DataType::Int64]));
        }
        // Comments on objects: kaigo holds none (psql's `\d+` asks for each column's).
        context.register_udf(no_text("col_description", vec![DataType::Int64, DataType::Int32]));
        for name in ["obj_description", "shobj_description"] {
            context.register_udf(no_text(name, vec![DataType::Int64, DataType::Utf8]));
        }
        // DataFusion's own `version()` says "Apache DataFusion …", which clients that parse a
        // PostgreSQL version refuse; registered last, this one replaces it.
        let version = crate::version_text();
        context.register_udf(create_udf(
            "version",
            vec![],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(move |_: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(version.clone()))))),
        ));
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

/// The names and oids of `pg_type`, as the Postgres catalogs of a session list them.
async fn type_oids() -> Result<HashMap<String, i32>, ServeError> {
    let context = SessionContext::new_with_config(session_config("warehouse"));
    setup_pg_catalog(&context, "kaigo", EmptyContextProvider).map_err(|error| catalog("pg_catalog")(*error))?;
    let frame = context
        .sql("select typname, cast(oid as int) from pg_catalog.pg_type")
        .await
        .map_err(catalog("pg_type"))?;
    let batches = frame.collect().await.map_err(catalog("pg_type"))?;
    let mut oids = HashMap::new();
    for batch in &batches {
        let names = cast(batch.column(0), &DataType::Utf8).map_err(|error| catalog("pg_type")(error.into()))?;
        let names = names.as_string::<i32>();
        let values = batch.column(1).as_primitive::<Int32Type>();
        for row in 0..batch.num_rows() {
            if !names.is_null(row) && !values.is_null(row) {
                oids.insert(names.value(row).to_string(), values.value(row));
            }
        }
    }
    Ok(oids)
}

/// `to_regtype(name)`: the oid of the type of that name, or null — PostgreSQL's function, which
/// drivers use to look types up (psycopg's `TypeInfo`, SQLAlchemy at connect). Names as
/// `pg_type.typname` lists them, optionally qualified with `pg_catalog.`.
fn to_regtype(oids: Arc<HashMap<String, i32>>) -> ScalarUDF {
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(move |arguments: &[ColumnarValue]| {
            let names = arguments[0].to_array(1)?;
            let names = cast(&names, &DataType::Utf8)?;
            let oids: Int32Array = names
                .as_string::<i32>()
                .iter()
                .map(|name| {
                    let name = name?.trim().to_lowercase();
                    oids.get(name.strip_prefix("pg_catalog.").unwrap_or(&name)).copied()
                })
                .collect();
            Ok(match &arguments[0] {
                ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&oids, 0)?),
                ColumnarValue::Array(_) => ColumnarValue::Array(Arc::new(oids)),
            })
        }),
    )
}

/// `pg_type_is_visible(oid)`, `pg_function_is_visible(oid)`: whether a search for the object's
/// unqualified name finds it — always, here: every type and function of the emulated catalogs
/// lives in `pg_catalog`, which is on every search path (SQLAlchemy asks when it reflects columns).
fn is_visible(name: &str) -> ScalarUDF {
    of_oid(name, vec![DataType::Int64], DataType::Boolean, |oids| {
        let visible: BooleanArray = (0..oids.len())
            .map(|row| (!oids.is_null(row)).then_some(true))
            .collect();
        Arc::new(visible)
    })
}

/// A catalog function of an oid whose text is NULL, as PostgreSQL answers for an object it holds
/// no such text for: `pg_get_function_result(oid)` and `pg_get_function_arguments(oid)` (the
/// emulated `pg_proc` has no result or argument text, and outside `pg_catalog` it lists no
/// function, so psql's `\df` lists none instead of failing), and the comments of
/// `col_description(oid, column)`, `obj_description(oid, catalog)`, `shobj_description(oid, catalog)`.
fn no_text(name: &str, inputs: Vec<DataType>) -> ScalarUDF {
    of_oid(name, inputs, DataType::Utf8, |oids| {
        new_null_array(&DataType::Utf8, oids.len())
    })
}

/// A catalog function of an oid (and `inputs` after it), answered for a column of oids at once.
fn of_oid(name: &str, inputs: Vec<DataType>, output: DataType, answer: fn(&ArrayRef) -> ArrayRef) -> ScalarUDF {
    create_udf(
        name,
        inputs,
        output,
        Volatility::Immutable,
        Arc::new(move |arguments: &[ColumnarValue]| {
            let answers = answer(&arguments[0].to_array(1)?);
            Ok(match &arguments[0] {
                ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&answers, 0)?),
                ColumnarValue::Array(_) => ColumnarValue::Array(answers),
            })
        }),
    )
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
