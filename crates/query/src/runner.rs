//! `kaigo build`: the reference tables, then every model in dependency order, each checked on
//! its real rows before it replaces the previous version. Staging models are views: each is
//! checked, then the models after it read it through their session; none is written.

use std::{collections::BTreeSet, path::Path, sync::Arc, time::Instant};

use arrow::{
    array::{ArrayRef, BooleanArray, RecordBatch, StringArray},
    datatypes::{DataType, Field, Schema},
};
use deltalake::datafusion::{
    common::{Column, DFSchema, config::TableParquetOptions},
    dataframe::{DataFrame, DataFrameWriteOptions},
    error::DataFusionError,
    logical_expr::{Expr, LogicalPlan, SortExpr},
    prelude::{ParquetReadOptions, SessionContext},
};
use kaigo_codes::service::SERVICE_KINDS;
use kaigo_warehouse::{ModelRows, ModelWrite, Warehouse, Zone};

use crate::{
    QueryError, datafusion_error,
    increment::{self, Scope},
    model::{self, Layer, Model},
    resources,
    session::Session,
    slice,
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
    /// Slices it was built in (see `slice_by`); 1 for a staging view.
    pub slices: usize,
    /// Delta version written; `None` for a staging view.
    pub version: Option<u64>,
    /// Seconds to run, check and write.
    pub seconds: f64,
    /// For a model declaring `incremental`: which of its rows were rewritten.
    pub scope: Option<Scope>,
}

/// Whether `kaigo build` may rewrite only what new deliveries change in the models declaring
/// `incremental`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Rewrite the rows [`increment::scope`] names (all of them when it cannot tell).
    Incremental,
    /// Rewrite every row of every model.
    Full,
}

impl Built {
    /// What `model` came to, logged.
    fn of(model: &Model, rows: u64, checks: usize, slices: usize, version: Option<u64>, started: Instant) -> Self {
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            model = model.name,
            rows,
            checks,
            slices,
            version,
            seconds,
            "model built"
        );
        Self {
            name: model.name.clone(),
            layer: model.layer,
            rows,
            checks,
            slices,
            version,
            seconds,
            scope: None,
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
    checks_of(model, &model.name)
}

/// The checks of a model counting the failing rows of the relation `rows` (the model's table, or
/// the rows an incremental build rewrote): each reads `rows` under the model's name, so an
/// invariant's subquery of the model's table sees all of it.
fn checks_of(model: &Model, rows: &str) -> Vec<(String, String)> {
    let table = &model.name;
    let from = format!("{rows} as {table}");
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
            format!("select count(*) from {from} where {column} is null"),
        ));
    }
    let grain = sidecar.grain.join(", ");
    checks.push((
        format!("unique({grain})"),
        format!(
            "select coalesce(sum(n), 0) from (select count(*) as n from {from} group by {grain} having count(*) > 1) as duplicated"
        ),
    ));
    for column in &sidecar.columns {
        if let Some(values) = &column.accepted_values {
            let listed: Vec<String> = values.iter().map(sql_literal).collect();
            checks.push((
                format!("accepted_values({})", column.name),
                format!(
                    "select count(*) from {from} where {} is not null and {} not in ({})",
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
                    "select count(*) from {rows} as checked where checked.{column} is not null and not exists \
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
            format!("select count(*) from {from} where {}", invariant.fails_when),
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

/// Run every check of `model` against the rows of the relation `rows` in `context` (the model's
/// own name holding all of its rows): how many ran, or the failing ones with their row counts.
async fn run_checks(context: &SessionContext, model: &Model, rows: &str) -> Result<usize, QueryError> {
    let checks = checks_of(model, rows);
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
    let checks = run_checks(context, model, &model.name).await?;
    Ok(Built::of(model, rows, checks, 1, None, started))
}

/// Build one model: run it into Parquet files in a scratch folder (in slices of its `slice_by`
/// key when the memory budget calls for it), check the contract and every check on those rows,
/// then replace the table with them, streamed in the model's order. No stage holds the model's
/// rows in memory. A model declaring `incremental` rewrites only the rows its
/// [`increment::scope`] names, unless `refresh` is [`Refresh::Full`].
async fn build_model(
    warehouse: &Warehouse,
    model: &Model,
    views: &[&Model],
    slices: Option<usize>,
    refresh: Refresh,
) -> Result<Built, QueryError> {
    let started = Instant::now();
    let session = session_with(warehouse, views).await?;
    let context = session.context();
    let context_name = format!("model {}", model.name);
    let error = |error| datafusion_error(&context_name, error);
    let mut frame = session.query(&model.sql).await?;
    let (state, scope) = match &model.sidecar.incremental {
        Some(_) => {
            let person_map = session.versions().get("person_map").copied().unwrap_or_default();
            let state = increment::state(context, model, views, person_map).await?;
            let scope = match refresh {
                Refresh::Full => Scope::Full("a full build was asked for".into()),
                Refresh::Incremental => {
                    let previous = warehouse.model_state(&model.name).await?;
                    increment::scope(warehouse, context, model, views, previous, &state).await?
                }
            };
            tracing::info!(model = model.name, ?scope, "incremental model");
            (Some(state), Some(scope))
        }
        None => (None, None),
    };
    let rewritten = match &scope {
        Some(Scope::Rows { predicate, .. }) => Some(predicate.clone()),
        _ => None,
    };
    // The rows kept: the current table's, outside the rewritten ones.
    let kept = match &rewritten {
        Some(predicate) => {
            let current = context.table(model.name.as_str()).await.map_err(error)?;
            let outside = context
                .parse_sql_expr(&format!("not ({predicate})"), current.schema())
                .map_err(error)?;
            Some(current.filter(outside).map_err(error)?)
        }
        None => None,
    };
    if let Some(predicate) = &rewritten {
        let inside = context.parse_sql_expr(predicate, frame.schema()).map_err(error)?;
        frame = frame.filter(inside).map_err(error)?;
    }
    let slices = slice_count(context, model, views, frame.schema(), slices).await?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!("kaigo-model-{}-", model.name))
        .tempdir_in(resources::scratch())
        .map_err(|source| QueryError::Scratch { source })?;
    // Each slice reads only its share of the inputs that carry the key, written once in
    // buckets. A rewrite of some rows reads what its filter selects instead, as it is.
    if let Some(column) = &model.sidecar.slice_by
        && slices > 1
        && rewritten.is_none()
    {
        let inputs = scratch.path().join("inputs");
        let bucketed = slice::bucket_inputs(context, &model.sql, &model.reads, column, slices, &inputs)
            .await
            .map_err(error)?;
        tracing::info!(model = model.name, bucketed = ?bucketed.keys().collect::<Vec<_>>(), "inputs bucketed by slice");
        frame = session.query(&model.sql).await?;
    }
    let slices_folder = scratch.path().join("slices");
    for slice in 0..slices {
        let part = match &model.sidecar.slice_by {
            Some(column) if slices > 1 => frame
                .clone()
                .filter(slice::filter(column, slice, slices))
                .map_err(error)?,
            _ => frame.clone(),
        };
        write_file(part, &slices_folder.join(format!("{slice:05}.parquet")))
            .await
            .map_err(error)?;
        tracing::debug!(
            model = model.name,
            slice,
            seconds = started.elapsed().as_secs_f64(),
            "slice written"
        );
    }
    // One slice is in the model's order already; several are merged back into it, in a file of
    // their own (the Delta writer's optimizer drops a sort above its input as one no parent
    // requires).
    let rows_folder = match output_order(frame.logical_plan()) {
        Some(order) if slices > 1 => {
            let merged = scratch.path().join("merged");
            let rows = merged_slices(context, &slices_folder, order, slices)
                .await
                .map_err(error)?;
            write_file(rows, &merged.join("rows.parquet")).await.map_err(error)?;
            tracing::debug!(
                model = model.name,
                seconds = started.elapsed().as_secs_f64(),
                "slices merged"
            );
            let _ = std::fs::remove_dir_all(&slices_folder);
            merged
        }
        _ => slices_folder,
    };
    // The checks count the failing rows written, and see every row of the new version under
    // the model's own name (so an invariant may refer to the model).
    const INCREMENT: &str = "kaigo_increment";
    let written_name = if kept.is_some() { INCREMENT } else { model.name.as_str() };
    context.deregister_table(model.name.as_str()).map_err(error)?;
    context
        .register_parquet(
            written_name,
            rows_folder.to_string_lossy().as_ref(),
            ParquetReadOptions::default(),
        )
        .await
        .map_err(error)?;
    let written = context.table(written_name).await.map_err(error)?;
    if let Some(kept) = kept {
        let whole = kept.union(written.clone()).map_err(error)?;
        context
            .register_table(model.name.as_str(), whole.into_view())
            .map_err(error)?;
    }
    // The contract holds for what is written (DataFusion 55 can plan a sum over grouping sets
    // as Int64 and compute Float64).
    check_contract(model, written.schema().as_arrow())?;
    let rows = context
        .table(model.name.as_str())
        .await
        .map_err(error)?
        .count()
        .await
        .map_err(error)? as u64;
    let checks = run_checks(context, model, written_name).await?;
    tracing::debug!(model = model.name, seconds = started.elapsed().as_secs_f64(), "checked");
    let version = warehouse
        .write_model(
            &model.name,
            &model.sidecar.description,
            ModelRows::Plan {
                plan: written.into_unoptimized_plan(),
                runtime: resources::runtime(),
            },
            ModelWrite {
                replace_where: rewritten,
                state: state.map(|state| serde_json::to_value(state).expect("a state serializes")),
            },
        )
        .await?;
    let mut built = Built::of(model, rows, checks, slices, Some(version), started);
    built.scope = scope;
    Ok(built)
}

/// Rows per row group of a scratch file. The merge of slices reads a row group of every slice at
/// once, so they are kept to a few MB whatever the number of slices.
const SCRATCH_ROW_GROUP_ROWS: usize = 1 << 16;

/// Write the rows of `frame` to one Parquet file at `path`, in the frame's order.
async fn write_file(frame: DataFrame, path: &Path) -> Result<(), DataFusionError> {
    let mut options = TableParquetOptions::default();
    options.global.max_row_group_size = SCRATCH_ROW_GROUP_ROWS;
    frame
        .write_parquet(
            path.to_string_lossy().as_ref(),
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(options),
        )
        .await
        .map(|_| ())
}

/// The rows of the slice files in `folder`, each file already in `order`, merged into that
/// order. Each file is a partition of its own, declared sorted, so the plan is a k-way merge
/// holding a batch per slice rather than a sort that must hold or spill all the rows.
async fn merged_slices(
    context: &SessionContext,
    folder: &Path,
    order: Vec<SortExpr>,
    slices: usize,
) -> Result<DataFrame, DataFusionError> {
    let config = context
        .copied_config()
        .with_target_partitions(slices.max(1))
        .with_repartition_file_scans(false);
    // Same runtime, so the same memory pool and scratch.
    let merging = SessionContext::new_with_config_rt(config, context.runtime_env());
    merging
        .read_parquet(
            folder.to_string_lossy().as_ref(),
            ParquetReadOptions::default().file_sort_order(vec![order.clone()]),
        )
        .await?
        .sort(order)
}

/// How many slices `model` is built in: one, unless it declares `slice_by`; then `chosen`, else
/// one unless a memory budget is set and the rows of the tables the model reads (through the
/// staging views) need more of the pool than one slice may hold. A key the plan says may be
/// null is not sliced by (the slices would leave out the null keys, which the grain's check
/// must see).
async fn slice_count(
    context: &SessionContext,
    model: &Model,
    views: &[&Model],
    planned: &DFSchema,
    chosen: Option<usize>,
) -> Result<usize, QueryError> {
    let Some(column) = &model.sidecar.slice_by else {
        return Ok(1);
    };
    if planned
        .field_with_unqualified_name(column)
        .map_or(true, |field| field.is_nullable())
    {
        tracing::warn!(model = model.name, column, "not built in slices: the key may be null");
        return Ok(1);
    }
    if let Some(slices) = chosen {
        return Ok(slices.max(1));
    }
    let Some(pool) = resources::pool_limit() else {
        return Ok(1);
    };
    let mut tables = BTreeSet::new();
    let mut pending: Vec<&String> = model.reads.iter().collect();
    while let Some(table) = pending.pop() {
        match views.iter().find(|view| &view.name == table) {
            Some(view) => pending.extend(&view.reads),
            None => {
                tables.insert(table.clone());
            }
        }
    }
    let mut input_rows = 0;
    for table in &tables {
        let context_name = format!("model {}, counting {table}", model.name);
        let counted = context
            .table(table.as_str())
            .await
            .map_err(|error| datafusion_error(&context_name, error))?
            .count()
            .await
            .map_err(|error| datafusion_error(&context_name, error))?;
        input_rows += counted as u64;
    }
    let slices = slice::count(input_rows, pool);
    tracing::info!(model = model.name, input_rows, slices, "slices");
    Ok(slices)
}

/// The ORDER BY of a model's plan, over its output columns; None when it has none (or orders by
/// something other than its columns). The SQL planner may put the ORDER BY below the final
/// projection.
fn output_order(plan: &LogicalPlan) -> Option<Vec<SortExpr>> {
    let output = plan.schema();
    let mut node = plan;
    let sort = loop {
        match node {
            LogicalPlan::Sort(sort) => break sort,
            LogicalPlan::Projection(projection) => node = projection.input.as_ref(),
            LogicalPlan::Filter(filter) => node = filter.input.as_ref(),
            LogicalPlan::SubqueryAlias(alias) => node = alias.input.as_ref(),
            _ => return None,
        }
    };
    sort.expr
        .iter()
        .map(|order| match &order.expr {
            Expr::Column(column) if output.field_with_unqualified_name(&column.name).is_ok() => Some(SortExpr::new(
                Expr::Column(Column::new_unqualified(column.name.clone())),
                order.asc,
                order.nulls_first,
            )),
            _ => None,
        })
        .collect()
}

/// Write the reference tables, then build every shipped model in dependency order. A failed
/// check stops the build before that model is written: it and the models after it keep their
/// previous version. `slices` overrides how many slices the models declaring `slice_by` are
/// built in (otherwise estimated from the memory budget).
pub async fn build(warehouse: &Warehouse, slices: Option<usize>, refresh: Refresh) -> Result<Vec<Built>, QueryError> {
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
        slices: 1,
        version: Some(version),
        seconds: started.elapsed().as_secs_f64(),
        scope: None,
    });
    let mut views: Vec<&Model> = Vec::new();
    for model in &models {
        if model.layer == Layer::Staging {
            built.push(check_view(warehouse, model, &views).await?);
            views.push(model);
        } else {
            built.push(build_model(warehouse, model, &views, slices, refresh).await?);
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
    use arrow::{
        array::{AsArray, Int64Array},
        datatypes::Int64Type,
    };
    use deltalake::datafusion::{
        datasource::MemTable, parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder, physical_plan::displayable,
    };

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

    /// A model may rightly be empty (an outcome whose follow-up the data does not cover yet);
    /// it is still written, with its columns, so that it can be queried.
    #[test]
    fn an_empty_model_is_written_with_its_columns() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let sidecar = "description = \"test\"\ngrain = [\"a\"]\n[[columns]]\nname = \"a\"\ntype = \"bigint\"\nja = \"a\"\nen = \"a\"\n";
        let model = Model::parse(
            "marts",
            "fct_empty",
            "select cast(1 as bigint) as a where false",
            sidecar,
        )
        .unwrap();
        let runtime = kaigo_testkit::runtime();
        let built = runtime
            .block_on(build_model(&warehouse, &model, &[], None, Refresh::Full))
            .unwrap();
        assert_eq!((built.rows, built.version), (0, Some(0)));
        let counted = runtime.block_on(async {
            let session = Session::open(&warehouse).await.unwrap();
            session.collect("select count(a) from fct_empty").await.unwrap()
        });
        assert_eq!(counted.num_rows(), 1);
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

    /// A slice of the panel must hold only its persons in every join, aggregate and window, or
    /// slicing saves no memory: the filter reaches every scan the person key comes from,
    /// including the inner sides of the panel's left joins.
    #[test]
    fn a_sliced_panel_filters_every_scan_of_the_person_key_and_keeps_its_order() {
        let hub = kaigo_fixtures::Hub {
            persons: 300,
            from: (2026, 4),
            to: (2027, 3),
            seed: 3,
        };
        let fixture = kaigo_fixtures::built_warehouse(
            "runner-slices",
            hub,
            &kaigo_pseudonymize::key::SecretKey::from_bytes([6; 32]),
        );
        let models = model::shipped(&sources()).unwrap();
        let views: Vec<&Model> = models.iter().filter(|model| model.layer == Layer::Staging).collect();
        let panel = models.iter().find(|model| model.name == "fct_person_months").unwrap();
        let (text, bucketed) = kaigo_testkit::runtime().block_on(async {
            let session = session_with(&fixture.warehouse, &views).await.unwrap();
            let frame = session.query(&panel.sql).await.unwrap();
            // The slices are put back in this order.
            let order: Vec<String> = output_order(frame.logical_plan())
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(order, ["month_key ASC NULLS LAST", "person_key ASC NULLS LAST"]);
            let plan = frame
                .filter(slice::filter("person_key", 0, 4))
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            let filtered = displayable(plan.as_ref()).indent(true).to_string();
            // With its inputs bucketed, the slice reads their bucket 0.
            let inputs = tempfile::tempdir().unwrap();
            let read = slice::bucket_inputs(
                session.context(),
                &panel.sql,
                &panel.reads,
                "person_key",
                4,
                inputs.path(),
            )
            .await
            .unwrap();
            // Every input, with only the columns the panel reads.
            assert_eq!(read.len(), panel.reads.len(), "{read:?}");
            assert!(read.values().all(|columns| columns.contains("person_key")), "{read:?}");
            assert!(!read["stg_claim_statements"].contains("source_line"), "{read:?}");
            let plan = session
                .query(&panel.sql)
                .await
                .unwrap()
                .filter(slice::filter("person_key", 0, 4))
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            (filtered, displayable(plan.as_ref()).indent(true).to_string())
        });
        let (sliced, whole): (Vec<&str>, Vec<&str>) = bucketed
            .lines()
            .filter(|line| line.contains("DataSourceExec") && line.contains("kaigo_slice="))
            .partition(|scan| scan.contains("kaigo_slice_0_of_4"));
        assert!(sliced.len() >= 5, "{bucketed}");
        for scan in sliced {
            assert!(
                (1..=4).all(|other| !scan.contains(&format!("kaigo_slice={other}/"))),
                "{scan}"
            );
        }
        // The panel's months are those of every claim: only that scan reads every bucket.
        assert!(!whole.is_empty(), "{bucketed}");
        for scan in whole {
            assert!(scan.contains("projection=[month_key]"), "{scan}");
        }
        let scans: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("/person_map/") && line.contains("person_key"))
            .collect();
        // certified, served, served by group, deaths, assessments (twice: spine and as-of).
        assert!(scans.len() >= 5, "{text}");
        for scan in scans {
            assert!(scan.contains("predicate=kaigo_slice_0_of_4"), "{scan}");
        }

        // Built in 4 slices, the panel's files still hold its rows in its ORDER BY.
        let runtime = kaigo_testkit::runtime();
        let built = runtime
            .block_on(build(&fixture.warehouse, Some(4), Refresh::Full))
            .unwrap();
        let panel = built.iter().find(|built| built.name == "fct_person_months").unwrap();
        assert_eq!(panel.slices, 4);
        let mut files = runtime
            .block_on(fixture.warehouse.model_files("fct_person_months"))
            .unwrap();
        files.sort();
        let mut keys = Vec::new();
        for file in files {
            let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let months =
                    arrow::compute::cast(batch.column_by_name("month_key").unwrap(), &DataType::Int64).unwrap();
                let persons =
                    arrow::compute::cast(batch.column_by_name("person_key").unwrap(), &DataType::Utf8).unwrap();
                let (months, persons) = (months.as_primitive::<Int64Type>(), persons.as_string::<i32>());
                keys.extend((0..batch.num_rows()).map(|row| (months.value(row), persons.value(row).to_string())));
            }
        }
        assert_eq!(keys.len() as u64, panel.rows);
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn slices_are_merged_into_their_order_without_a_sort() {
        let folder = tempfile::tempdir().unwrap();
        let runtime = kaigo_testkit::runtime();
        let context = SessionContext::new();
        // Three slices, each in (month, person) order, whose keys interleave.
        let slices: [&[(i64, i64)]; 3] = [&[(1, 3), (2, 1), (2, 9)], &[(1, 1), (1, 7), (3, 2)], &[(2, 5), (3, 1)]];
        let schema = Arc::new(Schema::new(vec![
            Field::new("month", DataType::Int64, false),
            Field::new("person", DataType::Int64, false),
        ]));
        for (slice, rows) in slices.iter().enumerate() {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|row| row.0))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|row| row.1))),
            ];
            let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
            let frame = context.read_batch(batch).unwrap();
            runtime
                .block_on(write_file(frame, &folder.path().join(format!("{slice:05}.parquet"))))
                .unwrap();
        }
        let order = vec![
            SortExpr::new(Expr::Column(Column::new_unqualified("month")), true, false),
            SortExpr::new(Expr::Column(Column::new_unqualified("person")), true, false),
        ];
        let merged = runtime
            .block_on(merged_slices(&context, folder.path(), order, slices.len()))
            .unwrap();
        let plan = runtime.block_on(merged.clone().create_physical_plan()).unwrap();
        let text = deltalake::datafusion::physical_plan::displayable(plan.as_ref())
            .indent(true)
            .to_string();
        assert!(text.contains("SortPreservingMergeExec"), "{text}");
        assert!(!text.contains("SortExec"), "{text}");
        let batches = runtime.block_on(merged.collect()).unwrap();
        let mut rows = Vec::new();
        for batch in batches {
            let (months, persons) = (
                batch.column(0).as_primitive::<Int64Type>(),
                batch.column(1).as_primitive::<Int64Type>(),
            );
            rows.extend((0..batch.num_rows()).map(|row| (months.value(row), persons.value(row))));
        }
        let mut expected: Vec<(i64, i64)> = slices.concat();
        expected.sort();
        assert_eq!(rows, expected);
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
