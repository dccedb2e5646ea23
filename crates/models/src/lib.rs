//! SQL models over the warehouse: reference tables from `kaigo-codes`, then each model of
//! `sql/` run with DataFusion over the warehouse's Delta tables, its grain checked on the real
//! rows, and the result materialized as a warehouse table of the same name.
//!
//! A model is one SELECT in `sql/<layer>/<name>.sql` whose header declares its grain
//! (`-- grain: person_key, month_key`): the build fails, naming the model and the failing row
//! count, when the grain columns are null or not unique. Models run in [`MODELS`] order, each
//! seeing the tables loaded, linkage's `person_map`, the reference tables and the models before
//! it. Only the analysts' zone is registered: the vault is never reachable from SQL.
//!
//! ```no_run
//! # async fn example() -> Result<(), kaigo_models::ModelError> {
//! let warehouse = kaigo_warehouse::Warehouse::new("wh");
//! for built in kaigo_models::build(&warehouse).await? {
//!     println!("{}: {} rows", built.name, built.rows);
//! }
//! # Ok(()) }
//! ```
//!
//! What this crate does not do (yet): staging/marts layering rules, accepted-values and
//! relationship checks, the rollout and outcome marts, UDFs.

use std::sync::Arc;

use arrow::{
    array::{BooleanArray, RecordBatch, StringArray},
    datatypes::{DataType, Field, Schema},
};
use deltalake::datafusion::{datasource::MemTable, prelude::SessionContext};
use kaigo_codes::service::{SERVICE_KINDS, ServiceGroup};
use kaigo_warehouse::Warehouse;

/// A SQL model shipped with kaigo: name (= file stem = table) and text.
pub struct Model {
    /// Table name.
    pub name: &'static str,
    /// The SELECT, with its header comments.
    pub sql: &'static str,
}

/// The models, in build order.
pub const MODELS: &[Model] = &[Model {
    name: "fct_person_months",
    sql: include_str!("../../../sql/marts/fct_person_months.sql"),
}];

/// Errors of a build.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Reading or writing the warehouse failed.
    #[error(transparent)]
    Warehouse(#[from] kaigo_warehouse::WarehouseError),
    /// DataFusion could not plan or run a model.
    #[error("model {model}: {source}")]
    Query {
        /// Model.
        model: String,
        /// Cause.
        source: Box<deltalake::datafusion::error::DataFusionError>,
    },
    /// A model's header lacks `-- grain:`.
    #[error("model {model}: no `-- grain:` line in its header")]
    NoGrain {
        /// Model.
        model: String,
    },
    /// A check failed on the model's rows.
    #[error("model {model}: check {check} failed on {rows} rows")]
    Check {
        /// Model.
        model: String,
        /// Check.
        check: String,
        /// Failing rows.
        rows: u64,
    },
}

/// One model built.
#[derive(Debug, Clone)]
pub struct Built {
    /// Model.
    pub name: String,
    /// Rows.
    pub rows: u64,
    /// Table version written.
    pub version: u64,
}

impl Model {
    /// The grain columns declared in the header (`-- grain: a, b`).
    pub fn grain(&self) -> Option<Vec<&'static str>> {
        self.sql
            .lines()
            .take_while(|line| line.starts_with("--"))
            .find_map(|line| line.strip_prefix("-- grain:"))
            .map(|columns| columns.split(',').map(str::trim).collect())
    }

    /// The header's first line, after the name (the model's description).
    pub fn description(&self) -> &'static str {
        self.sql
            .lines()
            .next()
            .and_then(|line| line.split_once(": "))
            .map_or("", |(_, text)| text)
    }
}

/// Group codes of `dim_service_kinds` (stable, for SQL; the Japanese label is beside them).
fn group_code(group: ServiceGroup) -> &'static str {
    match group {
        ServiceGroup::InHome => "in_home",
        ServiceGroup::Community => "community",
        ServiceGroup::Facility => "facility",
        ServiceGroup::CareManagement => "care_management",
        ServiceGroup::Preventive => "preventive",
    }
}

/// `dim_service_kinds`: every service kind with its group, from `kaigo-codes`.
fn service_kinds() -> RecordBatch {
    let text = |values: Vec<&str>| Arc::new(StringArray::from(values)) as _;
    let schema = Arc::new(Schema::new(vec![
        Field::new("service_kind_code", DataType::Utf8, false),
        Field::new("name_ja", DataType::Utf8, false),
        Field::new("name_en", DataType::Utf8, false),
        Field::new("group_code", DataType::Utf8, false),
        Field::new("group_ja", DataType::Utf8, false),
        Field::new("is_limit_applied", DataType::Boolean, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            text(SERVICE_KINDS.iter().map(|kind| kind.code).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.name_ja).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.name_en).collect()),
            text(SERVICE_KINDS.iter().map(|kind| group_code(kind.group)).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.group.label_ja()).collect()),
            Arc::new(BooleanArray::from(
                SERVICE_KINDS.iter().map(|kind| kind.limit_applies).collect::<Vec<_>>(),
            )),
        ],
    )
    .expect("columns match the schema")
}

fn query_error(model: &str) -> impl Fn(deltalake::datafusion::error::DataFusionError) -> ModelError + '_ {
    move |source| ModelError::Query {
        model: model.to_string(),
        source: Box::new(source),
    }
}

/// Count the rows of `sql` (a query returning one count).
async fn count(context: &SessionContext, model: &str, sql: &str) -> Result<u64, ModelError> {
    let batches = context
        .sql(sql)
        .await
        .map_err(query_error(model))?
        .collect()
        .await
        .map_err(query_error(model))?;
    let value = arrow::compute::cast(batches[0].column(0), &DataType::UInt64).expect("a count is an integer");
    Ok(value
        .as_any()
        .downcast_ref::<arrow::array::UInt64Array>()
        .map_or(0, |counts| counts.value(0)))
}

/// Grain checks: every grain column not null, and the grain unique.
async fn check_grain(context: &SessionContext, model: &Model, table: &str) -> Result<(), ModelError> {
    let grain = model.grain().ok_or_else(|| ModelError::NoGrain {
        model: model.name.to_string(),
    })?;
    for column in &grain {
        let nulls = count(
            context,
            model.name,
            &format!("SELECT COUNT(*) FROM {table} WHERE {column} IS NULL"),
        )
        .await?;
        if nulls > 0 {
            return Err(ModelError::Check {
                model: model.name.to_string(),
                check: format!("not_null({column})"),
                rows: nulls,
            });
        }
    }
    let columns = grain.join(", ");
    let duplicates = count(
        context,
        model.name,
        &format!(
            "SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM {table} GROUP BY {columns} HAVING COUNT(*) > 1)"
        ),
    )
    .await?;
    if duplicates > 0 {
        return Err(ModelError::Check {
            model: model.name.to_string(),
            check: format!("unique({columns})"),
            rows: duplicates,
        });
    }
    Ok(())
}

/// Write the reference tables, then build every model in order. A failed check stops the build
/// before that model is written (the previous version stays).
pub async fn build(warehouse: &Warehouse) -> Result<Vec<Built>, ModelError> {
    let mut built = Vec::new();
    let kinds = service_kinds();
    let version = warehouse
        .replace_model(
            "dim_service_kinds",
            "Service kinds (サービス種類) with their group, from kaigo-codes.",
            vec![kinds.clone()],
        )
        .await?;
    built.push(Built {
        name: "dim_service_kinds".into(),
        rows: kinds.num_rows() as u64,
        version,
    });
    for model in MODELS {
        let context = SessionContext::new();
        warehouse.register_tables(&context).await?;
        let started = std::time::Instant::now();
        let frame = context.sql(model.sql).await.map_err(query_error(model.name))?;
        let planned = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(query_error(model.name))?;
        let schema = batches.first().map_or(planned, RecordBatch::schema);
        let rows = batches.iter().map(|batch| batch.num_rows() as u64).sum();
        let candidate = format!("candidate_{}", model.name);
        let table = MemTable::try_new(schema, vec![batches.clone()]).map_err(query_error(model.name))?;
        context
            .register_table(candidate.as_str(), Arc::new(table))
            .map_err(query_error(model.name))?;
        check_grain(&context, model, &candidate).await?;
        let version = warehouse
            .replace_model(model.name, model.description(), batches)
            .await?;
        tracing::info!(
            model = model.name,
            rows,
            seconds = started.elapsed().as_secs_f64(),
            "model built"
        );
        built.push(Built {
            name: model.name.to_string(),
            rows,
            version,
        });
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_declares_its_grain_and_description() {
        for model in MODELS {
            assert!(model.grain().is_some_and(|grain| !grain.is_empty()), "{}", model.name);
            assert!(!model.description().is_empty(), "{}", model.name);
            assert!(model.sql.starts_with(&format!("-- {}:", model.name)), "{}", model.name);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_duplicated_or_null_grain_fails_with_the_failing_row_count() {
        let model = Model {
            name: "fct_example",
            sql: "-- fct_example: test.\n-- grain: person_key, month_key\nSELECT 1",
        };
        let register = |context: &SessionContext, keys: Vec<Option<&str>>, months: Vec<i64>| {
            let schema = Arc::new(Schema::new(vec![
                Field::new("person_key", DataType::Utf8, true),
                Field::new("month_key", DataType::Int64, false),
            ]));
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(keys)),
                    Arc::new(arrow::array::Int64Array::from(months)),
                ],
            )
            .unwrap();
            let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
            context.register_table("candidate", Arc::new(table)).unwrap();
        };
        let context = SessionContext::new();
        register(
            &context,
            vec![Some("a"), Some("a"), Some("a"), Some("b")],
            vec![1, 1, 2, 1],
        );
        match check_grain(&context, &model, "candidate").await {
            Err(ModelError::Check { check, rows, .. }) => {
                assert_eq!(check, "unique(person_key, month_key)");
                assert_eq!(rows, 2);
            }
            other => panic!("{other:?}"),
        }
        let context = SessionContext::new();
        register(&context, vec![Some("a"), None], vec![1, 1]);
        match check_grain(&context, &model, "candidate").await {
            Err(ModelError::Check { check, rows, .. }) => {
                assert_eq!((check.as_str(), rows), ("not_null(person_key)", 1))
            }
            other => panic!("{other:?}"),
        }
        let context = SessionContext::new();
        register(&context, vec![Some("a"), Some("a"), Some("b")], vec![1, 2, 1]);
        check_grain(&context, &model, "candidate").await.unwrap();
    }

    #[test]
    fn service_kinds_are_unique_and_grouped() {
        let kinds = service_kinds();
        assert_eq!(kinds.num_rows(), SERVICE_KINDS.len());
        let groups = kinds.column(3).as_any().downcast_ref::<StringArray>().unwrap();
        let facility = (0..kinds.num_rows())
            .filter(|row| groups.value(*row) == "facility")
            .count();
        assert!(facility >= 4, "51, 52, 53, 55 are facility services");
    }
}
