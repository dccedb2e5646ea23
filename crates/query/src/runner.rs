//! `kaigo build`: the reference tables, then every model in dependency order, each checked on
//! its real rows before it replaces the previous version. Staging models are views: each is
//! checked, then the models after it read it through their session; none is written.

use std::{collections::BTreeSet, sync::Arc, time::Instant};

use arrow::{
    array::{ArrayRef, BooleanArray, RecordBatch, StringArray},
    datatypes::{DataType, Field, Schema},
};
use deltalake::datafusion::{datasource::MemTable, prelude::SessionContext};
use kaigo_codes::service::SERVICE_KINDS;
use kaigo_warehouse::{Warehouse, Zone};

use crate::{
    QueryError, datafusion_error,
    model::{self, Layer, Model},
    session::Session,
};

/// A reference table written from `kaigo-codes` before the models.
pub struct ReferenceTable {
    /// Name.
    pub name: &'static str,
    /// Description, with its grain.
    pub description: &'static str,
    /// Columns: name, SQL type, Japanese and English description.
    pub columns: &'static [[&'static str; 4]],
}

/// The reference tables.
pub const REFERENCE: &[ReferenceTable] = &[ReferenceTable {
    name: "dim_service_kinds",
    description: "Service kinds (サービス種類) with their group, from kaigo-codes. Grain: service_kind_code.",
    columns: &[
        [
            "service_kind_code",
            "text",
            "サービス種類コード",
            "service kind code (2 characters)",
        ],
        ["name_ja", "text", "サービス種類名", "name (Japanese)"],
        ["name_en", "text", "サービス種類名（英）", "name (English)"],
        [
            "group_code",
            "text",
            "サービス区分コード",
            "group: in_home, community, facility, care_management, preventive",
        ],
        ["group_ja", "text", "サービス区分", "group (Japanese)"],
        [
            "is_limit_applied",
            "boolean",
            "支給限度額対象",
            "units count against the monthly in-home limit",
        ],
    ],
}];

/// The tables a model may read besides other models: loaded and derived tables of the analysts'
/// zone and the reference tables.
pub fn sources() -> BTreeSet<String> {
    kaigo_warehouse::tables()
        .iter()
        .chain(kaigo_warehouse::derived_tables())
        .filter(|spec| spec.zone == Zone::Warehouse)
        .map(|spec| spec.name.to_string())
        .chain(REFERENCE.iter().map(|table| table.name.to_string()))
        .collect()
}

/// One table built.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Built {
    /// Table.
    pub name: String,
    /// Layer.
    pub layer: Layer,
    /// Rows.
    pub rows: u64,
    /// Checks run (all passed).
    pub checks: usize,
    /// Delta version written; `None` for a staging view.
    pub version: Option<u64>,
    /// Seconds to run, check and write.
    pub seconds: f64,
}

impl Built {
    /// What `model` came to, logged.
    fn of(model: &Model, rows: u64, checks: usize, version: Option<u64>, started: Instant) -> Self {
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(model = model.name, rows, checks, version, seconds, "model built");
        Self {
            name: model.name.clone(),
            layer: model.layer,
            rows,
            checks,
            version,
            seconds,
        }
    }
}

/// `dim_service_kinds`.
fn service_kinds() -> RecordBatch {
    let text = |values: Vec<&str>| Arc::new(StringArray::from(values)) as ArrayRef;
    let schema = Arc::new(Schema::new(
        REFERENCE[0]
            .columns
            .iter()
            .map(|[name, kind, _, _]| {
                let data_type = if *kind == "boolean" {
                    DataType::Boolean
                } else {
                    DataType::Utf8
                };
                Field::new(*name, data_type, false)
            })
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new(
        schema,
        vec![
            text(SERVICE_KINDS.iter().map(|kind| kind.code).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.name_ja).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.name_en).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.group.code()).collect()),
            text(SERVICE_KINDS.iter().map(|kind| kind.group.label_ja()).collect()),
            Arc::new(BooleanArray::from(
                SERVICE_KINDS.iter().map(|kind| kind.limit_applies).collect::<Vec<_>>(),
            )),
        ],
    )
    .expect("columns match the schema")
}

/// The SQL type name of an Arrow type, as sidecars spell it.
pub fn sql_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "text".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Date32 => "date".into(),
        other => other.to_string().to_lowercase(),
    }
}

/// The checks of a model as `(name, SQL counting the failing rows)`, over the table of the
/// model's name.
pub fn checks(model: &Model) -> Vec<(String, String)> {
    let table = &model.name;
    let mut checks = Vec::new();
    let sidecar = &model.sidecar;
    let mut not_null: Vec<&str> = sidecar.grain.iter().map(String::as_str).collect();
    not_null.extend(
        sidecar
            .columns
            .iter()
            .filter(|column| column.not_null && !sidecar.grain.contains(&column.name))
            .map(|column| column.name.as_str()),
    );
    for column in not_null {
        checks.push((
            format!("not_null({column})"),
            format!("select count(*) from {table} where {column} is null"),
        ));
    }
    let grain = sidecar.grain.join(", ");
    checks.push((
        format!("unique({grain})"),
        format!(
            "select coalesce(sum(n), 0) from (select count(*) as n from {table} group by {grain} having count(*) > 1) as duplicated"
        ),
    ));
    for column in &sidecar.columns {
        if let Some(values) = &column.accepted_values {
            let listed: Vec<String> = values.iter().map(sql_literal).collect();
            checks.push((
                format!("accepted_values({})", column.name),
                format!(
                    "select count(*) from {table} where {} is not null and {} not in ({})",
                    column.name,
                    column.name,
                    listed.join(", ")
                ),
            ));
        }
        if let Some(target) = &column.relationships {
            checks.push((
                format!("relationships({} → {}.{})", column.name, target.table, target.column),
                format!(
                    "select count(*) from {table} as checked where checked.{column} is not null and not exists \
                     (select 1 from {target_table} as target where target.{target_column} = checked.{column})",
                    column = column.name,
                    target_table = target.table,
                    target_column = target.column,
                ),
            ));
        }
    }
    for invariant in &sidecar.invariants {
        checks.push((
            invariant.name.clone(),
            format!("select count(*) from {table} where {}", invariant.fails_when),
        ));
    }
    checks
}

/// A sidecar value as a SQL literal (strings quoted, numbers and booleans as they are).
pub fn sql_literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("'{}'", text.replace('\'', "''")),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        other => format!("'{}'", other.type_str()),
    }
}

/// Run `checks` against `context`; every failing check, with its failing row count.
async fn failing(
    context: &SessionContext,
    model: &str,
    checks: &[(String, String)],
) -> Result<Vec<(String, u64)>, QueryError> {
    let mut failures = Vec::new();
    for (name, sql) in checks {
        let batches = context
            .sql(sql)
            .await
            .map_err(|error| datafusion_error(&format!("model {model}, check {name}"), error))?
            .collect()
            .await
            .map_err(|error| datafusion_error(&format!("model {model}, check {name}"), error))?;
        let counted = arrow::compute::cast(batches[0].column(0), &DataType::UInt64).expect("a count is an integer");
        let rows = counted
            .as_any()
            .downcast_ref::<arrow::array::UInt64Array>()
            .map_or(0, |counts| counts.value(0));
        if rows > 0 {
            failures.push((name.clone(), rows));
        }
    }
    Ok(failures)
}

/// Run every check of `model` against its rows under its name in `context`: how many ran, or
/// the failing ones with their row counts.
async fn run_checks(context: &SessionContext, model: &Model) -> Result<usize, QueryError> {
    let checks = checks(model);
    let failures = failing(context, &model.name, &checks).await?;
    if failures.is_empty() {
        Ok(checks.len())
    } else {
        Err(QueryError::Checks {
            model: model.name.clone(),
            failures,
        })
    }
}

/// The output columns must be the sidecar's, in its order and of its types.
fn check_contract(model: &Model, schema: &Schema) -> Result<(), QueryError> {
    let found: Vec<(String, String)> = schema
        .fields()
        .iter()
        .map(|field| (field.name().clone(), sql_type(field.data_type())))
        .collect();
    let declared: Vec<(String, String)> = model
        .sidecar
        .columns
        .iter()
        .map(|column| (column.name.clone(), column.kind.clone()))
        .collect();
    if found == declared {
        return Ok(());
    }
    let mut differences = Vec::new();
    for position in 0..found.len().max(declared.len()) {
        match (found.get(position), declared.get(position)) {
            (Some(query), Some(sidecar)) if query != sidecar => differences.push(format!(
                "column {}: the query gives {} {}, the sidecar declares {} {}",
                position + 1,
                query.0,
                query.1,
                sidecar.0,
                sidecar.1
            )),
            (Some(query), None) => {
                differences.push(format!("the query's {} {} is not in the sidecar", query.0, query.1))
            }
            (None, Some(sidecar)) => {
                differences.push(format!("the sidecar's {} {} is not in the query", sidecar.0, sidecar.1))
            }
            _ => {}
        }
    }
    Err(QueryError::Model {
        model: model.name.clone(),
        reason: format!("its columns differ from its sidecar's: {}", differences.join("; ")),
    })
}

/// A session over the warehouse with the staging `views` defined in it.
async fn session_with(warehouse: &Warehouse, views: &[&Model]) -> Result<Session, QueryError> {
    let session = Session::open(warehouse).await?;
    for view in views {
        define_view(session.context(), view).await?;
    }
    Ok(session)
}

async fn define_view(context: &SessionContext, model: &Model) -> Result<(), QueryError> {
    let context_name = format!("model {}", model.name);
    context
        .sql(&format!("create view {} as {}", model.name, model.sql))
        .await
        .map_err(|error| datafusion_error(&context_name, error))?;
    Ok(())
}

/// Check one staging view: its contract on the planned columns, then every check on its rows.
async fn check_view(warehouse: &Warehouse, model: &Model, views: &[&Model]) -> Result<Built, QueryError> {
    let started = Instant::now();
    let session = session_with(warehouse, views).await?;
    let context = session.context();
    define_view(context, model).await?;
    let context_name = format!("model {}", model.name);
    let frame = context
        .table(model.name.as_str())
        .await
        .map_err(|error| datafusion_error(&context_name, error))?;
    check_contract(model, frame.schema().as_arrow())?;
    let rows = frame
        .count()
        .await
        .map_err(|error| datafusion_error(&context_name, error))? as u64;
    let checks = run_checks(context, model).await?;
    Ok(Built::of(model, rows, checks, None, started))
}

/// Build one model: run, check the contract and every check on the rows, then replace the table.
async fn build_model(warehouse: &Warehouse, model: &Model, views: &[&Model]) -> Result<Built, QueryError> {
    let started = Instant::now();
    let session = session_with(warehouse, views).await?;
    let context = session.context();
    let frame = session.query(&model.sql).await?;
    let planned = Arc::new(frame.schema().as_arrow().clone());
    let context_name = format!("model {}", model.name);
    let batches = frame
        .collect()
        .await
        .map_err(|error| datafusion_error(&context_name, error))?;
    let rows = batches.iter().map(|batch| batch.num_rows() as u64).sum();
    // The contract holds for what is written: the batches' schema (DataFusion 55 can plan a
    // sum over grouping sets as Int64 and compute Float64).
    let schema = batches.first().map_or(planned, RecordBatch::schema);
    check_contract(model, &schema)?;
    // The checks see the new rows under the model's own name (so an invariant may refer to
    // the model), in place of the previous version.
    let table = MemTable::try_new(schema.clone(), vec![batches.clone()])
        .map_err(|error| datafusion_error(&context_name, error))?;
    context
        .deregister_table(model.name.as_str())
        .map_err(|error| datafusion_error(&context_name, error))?;
    context
        .register_table(model.name.as_str(), Arc::new(table))
        .map_err(|error| datafusion_error(&context_name, error))?;
    let checks = run_checks(context, model).await?;
    // A model may rightly be empty (an outcome whose follow-up the data does not cover yet);
    // it is still written, with its columns, so that it can be queried.
    let written = if batches.is_empty() {
        vec![RecordBatch::new_empty(schema)]
    } else {
        batches
    };
    let version = warehouse
        .replace_model(&model.name, &model.sidecar.description, written)
        .await?;
    Ok(Built::of(model, rows, checks, Some(version), started))
}

/// Write the reference tables, then build every shipped model in dependency order. A failed
/// check stops the build before that model is written: it and the models after it keep their
/// previous version.
pub async fn build(warehouse: &Warehouse) -> Result<Vec<Built>, QueryError> {
    let models = model::shipped(&sources())?;
    let mut built = Vec::new();
    let started = Instant::now();
    let kinds = service_kinds();
    let reference = &REFERENCE[0];
    let version = warehouse
        .replace_model(reference.name, reference.description, vec![kinds.clone()])
        .await?;
    built.push(Built {
        name: reference.name.into(),
        layer: Layer::Source,
        rows: kinds.num_rows() as u64,
        checks: 0,
        version: Some(version),
        seconds: started.elapsed().as_secs_f64(),
    });
    let mut views: Vec<&Model> = Vec::new();
    for model in &models {
        if model.layer == Layer::Staging {
            built.push(check_view(warehouse, model, &views).await?);
            views.push(model);
        } else {
            built.push(build_model(warehouse, model, &views).await?);
        }
    }
    Ok(built)
}

/// Tables of the analysts' zone that are neither loaded nor a shipped model: left by a model that
/// was renamed or removed. The build does not touch them, so they would go on answering queries
/// with old rows; the CLI names them.
pub fn stale_tables(warehouse: &Warehouse) -> Result<Vec<String>, QueryError> {
    let sources = sources();
    let models: BTreeSet<String> = model::shipped(&sources)?.into_iter().map(|model| model.name).collect();
    Ok(warehouse
        .table_names()?
        .into_iter()
        .filter(|name| !sources.contains(name) && !models.contains(name))
        .collect())
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;

    use super::*;

    fn model(sidecar: &str) -> Model {
        Model::parse("marts", "fct_example", "select 1 as a", sidecar).unwrap()
    }

    async fn failures_on(model: &Model, keys: Vec<Option<&str>>, months: Vec<i64>) -> Vec<(String, u64)> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_key", DataType::Utf8, true),
            Field::new("month_key", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(keys)), Arc::new(Int64Array::from(months))],
        )
        .unwrap();
        let context = SessionContext::new();
        let table = MemTable::try_new(schema.clone(), vec![vec![batch]]).unwrap();
        context.register_table("fct_example", Arc::new(table)).unwrap();
        let people = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("person_key", DataType::Utf8, false)])),
            vec![Arc::new(StringArray::from(vec!["a", "b"]))],
        )
        .unwrap();
        let people = MemTable::try_new(people.schema(), vec![vec![people]]).unwrap();
        context.register_table("person_map", Arc::new(people)).unwrap();
        failing(&context, &model.name, &checks(model)).await.unwrap()
    }

    const SIDECAR: &str = r#"
description = "test"
grain = ["person_key", "month_key"]
[[columns]]
name = "person_key"
type = "text"
ja = "キー"
en = "key"
relationships = { table = "person_map", column = "person_key" }
[[columns]]
name = "month_key"
type = "bigint"
ja = "月"
en = "month"
accepted_values = [202601, 202602]
[[invariants]]
name = "month_after_2025"
fails_when = "month_key < 202601"
"#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_check_counts_its_failing_rows() {
        let model = model(SIDECAR);
        let clean = failures_on(
            &model,
            vec![Some("a"), Some("a"), Some("b")],
            vec![202601, 202602, 202601],
        )
        .await;
        assert!(clean.is_empty(), "{clean:?}");
        let failures = failures_on(
            &model,
            vec![Some("a"), Some("a"), Some("a"), None, Some("z")],
            vec![202601, 202601, 202603, 202601, 202512],
        )
        .await;
        assert_eq!(
            failures,
            [
                ("not_null(person_key)".to_string(), 1),
                ("unique(person_key, month_key)".to_string(), 2),
                ("relationships(person_key → person_map.person_key)".to_string(), 1),
                ("accepted_values(month_key)".to_string(), 2),
                ("month_after_2025".to_string(), 1),
            ]
        );
    }

    #[test]
    fn the_contract_is_the_sidecars_names_order_and_types() {
        let model = model(SIDECAR);
        let good = Schema::new(vec![
            Field::new("person_key", DataType::Utf8View, true),
            Field::new("month_key", DataType::Int64, false),
        ]);
        check_contract(&model, &good).unwrap();
        let retyped = Schema::new(vec![
            Field::new("person_key", DataType::Utf8, true),
            Field::new("month_key", DataType::Int32, false),
        ]);
        let error = check_contract(&model, &retyped).unwrap_err().to_string();
        assert!(
            error.contains("column 2: the query gives month_key int, the sidecar declares month_key bigint"),
            "{error}"
        );
        let reordered = Schema::new(vec![
            Field::new("month_key", DataType::Int64, false),
            Field::new("person_key", DataType::Utf8, true),
        ]);
        assert!(check_contract(&model, &reordered).is_err());
    }

    #[test]
    fn a_table_no_model_builds_any_more_is_stale() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for name in ["dim_persons", "outcomes_renamed_long_ago", "dim_service_kinds"] {
            runtime
                .block_on(warehouse.replace_model(name, "", vec![service_kinds()]))
                .unwrap();
        }
        assert_eq!(stale_tables(&warehouse).unwrap(), ["outcomes_renamed_long_ago"]);
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
