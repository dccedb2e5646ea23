//! Incremental builds of the models that declare `incremental` (see [`crate::model::Sidecar`]):
//! what changed since a model's last build, and which of its rows that rewrites.
//!
//! Each build of such a model records its [`State`] in the model's Delta commit: a digest of its
//! definition, the version of `person_map`, and a digest of every loaded delivery's files. The
//! next build compares: a changed definition, or a delivery reloaded or removed, rebuilds the
//! whole model; otherwise the rows of the new deliveries, read through the staging views, say
//! from which month each person changed (`changes_from`), and the model's rows of months from
//! [`LOOKBACK_MONTHS`] before the latest such month on, every row of the persons changed earlier
//! or relinked, and a month new to `months_of` for everyone, are rewritten. What this module does not do: decide for models that do not
//! declare `incremental` (they are rebuilt whole), or check the declaration; the test that an
//! incremental build equals a full one does.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use arrow::{
    array::{Array, AsArray, RecordBatch},
    datatypes::{DataType, Int64Type},
};
use deltalake::datafusion::{catalog::TableProvider, prelude::SessionContext};
use kaigo_codes::calendar::YearMonth;
use kaigo_warehouse::Warehouse;
use sha2::{Digest, Sha256};

use crate::{QueryError, datafusion_error, model::Model};

/// Months before the latest month of a new delivery whose rows are rewritten for every person:
/// late claims and certifications back-dated to the application reach back this far. A person
/// whose new rows reach back further has all of its rows rewritten.
pub const LOOKBACK_MONTHS: u32 = 3;

/// What a build of an incremental model was built from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// Digest of the model's SQL and sidecar, of every staging view's and of kaigo's version.
    definition: String,
    /// Version of `person_map`.
    person_map: u64,
    /// Each loaded delivery with a digest of its files (ids and checksums).
    deliveries: BTreeMap<String, String>,
}

/// Which rows of an incremental model a build rewrites.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every row: why.
    Full(String),
    /// The rows matching `predicate`, a SQL expression over the model's grain columns.
    Rows {
        /// The rewritten rows.
        predicate: String,
        /// First month rewritten for every person (YYYYMM); `None` when no month is.
        from_month: Option<i64>,
        /// Persons rewritten in every month.
        persons: usize,
    },
}

fn query_error(model: &Model, error: deltalake::datafusion::error::DataFusionError) -> QueryError {
    datafusion_error(&format!("model {}, finding what changed", model.name), error)
}

async fn collect(context: &SessionContext, model: &Model, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
    context
        .sql(sql)
        .await
        .map_err(|error| query_error(model, error))?
        .collect()
        .await
        .map_err(|error| query_error(model, error))
}

/// The state `model` would be built from now, in a session over the warehouse with the staging
/// `views` defined, `person_map` at version `person_map`.
pub async fn state(
    context: &SessionContext,
    model: &Model,
    views: &[&Model],
    person_map: u64,
) -> Result<State, QueryError> {
    let mut definition = Sha256::new();
    definition.update(env!("CARGO_PKG_VERSION"));
    for part in std::iter::once(model).chain(views.iter().copied()) {
        definition.update(&part.sql);
        definition.update(serde_json::to_string(&part.sidecar).expect("a sidecar serializes"));
    }
    let mut deliveries: BTreeMap<String, Sha256> = BTreeMap::new();
    let files = collect(
        context,
        model,
        "select delivery_month, source_file_id, sha256 from source_files order by delivery_month, source_file_id",
    )
    .await?;
    for batch in &files {
        let text = |column: usize| arrow::compute::cast(batch.column(column), &DataType::Utf8).expect("text");
        let (months, ids, sums) = (text(0), text(1), text(2));
        let (months, ids, sums) = (
            months.as_string::<i32>(),
            ids.as_string::<i32>(),
            sums.as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            let digest = deliveries.entry(months.value(row).to_string()).or_default();
            digest.update(ids.value(row));
            digest.update(sums.value(row));
        }
    }
    Ok(State {
        definition: hex::encode(definition.finalize()),
        person_map,
        deliveries: deliveries
            .into_iter()
            .map(|(month, digest)| (month, hex::encode(digest.finalize())))
            .collect(),
    })
}

/// Which rows of `model` to rewrite, given the state of its last build (`previous`, from the
/// model's last commit) and the current one. The session must hold the staging `views`.
pub async fn scope(
    warehouse: &Warehouse,
    context: &SessionContext,
    model: &Model,
    views: &[&Model],
    previous: Option<serde_json::Value>,
    current: &State,
) -> Result<Scope, QueryError> {
    let Some(incremental) = &model.sidecar.incremental else {
        return Ok(Scope::Full("not incremental".into()));
    };
    let Some(previous) = previous.and_then(|state| serde_json::from_value::<State>(state).ok()) else {
        return Ok(Scope::Full("no earlier incremental build".into()));
    };
    if previous.definition != current.definition {
        return Ok(Scope::Full("its definition or kaigo's version changed".into()));
    }
    for (delivery, digest) in &previous.deliveries {
        if current.deliveries.get(delivery) != Some(digest) {
            return Ok(Scope::Full(format!("delivery {delivery} was reloaded or removed")));
        }
    }
    let new: Vec<&String> = current
        .deliveries
        .keys()
        .filter(|delivery| !previous.deliveries.contains_key(*delivery))
        .collect();
    let Ok(before) = warehouse.table_at("person_map", previous.person_map).await else {
        return Ok(Scope::Full(format!(
            "person_map version {} is no longer readable",
            previous.person_map
        )));
    };
    let mut persons = relinked(context, model, before).await?;
    let mut from_month = None;
    if !new.is_empty() {
        let files = collect(
            context,
            model,
            &format!(
                "select source_file_id from source_files where delivery_month in ({})",
                quoted(new.iter().copied())
            ),
        )
        .await?;
        let new_files = format!("source_file_id in ({})", quoted(&texts(&files, 0)));
        // Per person, the first month each view's new rows change (null: every month).
        let changes: Vec<String> = views
            .iter()
            .filter(|view| model.reads.contains(&view.name))
            .map(|view| {
                let changes_from = view.sidecar.changes_from.as_deref().expect("checked by model::order");
                format!(
                    "select person_key, coalesce(cast({changes_from} as bigint), 0) as from_month from {} where {new_files}",
                    view.name
                )
            })
            .collect();
        let changes = changes.join(" union all ");
        let latest = collect(
            context,
            model,
            &format!("select max(from_month) from ({changes}) as changes"),
        )
        .await?;
        if let Some(latest) = latest.first().map(|batch| batch.column(0).as_primitive::<Int64Type>())
            && !latest.is_null(0)
        {
            let mut first = months_before(latest.value(0), LOOKBACK_MONTHS - 1);
            // A month the data held no row for before changes which months every person has.
            for view in views.iter().filter(|view| incremental.months_of.contains(&view.name)) {
                let changes_from = view.sidecar.changes_from.as_deref().expect("checked by model::order");
                let appeared = collect(
                    context,
                    model,
                    &format!(
                        "select min(month) from (select cast({changes_from} as bigint) as month, bool_and({new_files}) as only_new \
                         from {} where cast({changes_from} as bigint) < {first} group by 1) as months where only_new",
                        view.name
                    ),
                )
                .await?;
                if let Some(month) = appeared
                    .first()
                    .map(|batch| batch.column(0).as_primitive::<Int64Type>())
                    && !month.is_null(0)
                {
                    first = first.min(month.value(0));
                }
            }
            let earlier = collect(
                context,
                model,
                &format!(
                    "select distinct person_key from ({changes}) as changes where from_month < {first} and person_key is not null"
                ),
            )
            .await?;
            persons.extend(texts(&earlier, 0));
            from_month = Some(first);
        }
    }
    let mut terms = Vec::new();
    if let Some(first) = from_month {
        terms.push(format!("{} >= {first}", incremental.month));
    }
    if !persons.is_empty() {
        terms.push(format!("{} in ({})", incremental.person, quoted(&persons)));
    }
    Ok(Scope::Rows {
        predicate: if terms.is_empty() {
            "false".into()
        } else {
            terms.join(" or ")
        },
        from_month,
        persons: persons.len(),
    })
}

/// The person keys, before and now, of every identity whose person changed since `person_map`
/// was `before`.
async fn relinked(
    context: &SessionContext,
    model: &Model,
    before: Arc<dyn TableProvider>,
) -> Result<BTreeSet<String>, QueryError> {
    const BEFORE: &str = "kaigo_person_map_before";
    context
        .register_table(BEFORE, before)
        .map_err(|error| query_error(model, error))?;
    let changed = collect(
        context,
        model,
        &format!(
            "select before.person_key, now.person_key from {BEFORE} as before \
             left join person_map as now on now.identity_key = before.identity_key \
             where now.person_key is null or now.person_key <> before.person_key"
        ),
    )
    .await;
    context
        .deregister_table(BEFORE)
        .map_err(|error| query_error(model, error))?;
    let changed = changed?;
    Ok(texts(&changed, 0).into_iter().chain(texts(&changed, 1)).collect())
}

/// The non-null values of column `column` of `batches`, as text.
fn texts(batches: &[RecordBatch], column: usize) -> Vec<String> {
    let mut values = Vec::new();
    for batch in batches {
        let text = arrow::compute::cast(batch.column(column), &DataType::Utf8).expect("any value casts to text");
        values.extend(text.as_string::<i32>().iter().flatten().map(str::to_string));
    }
    values
}

/// `values` as a list of SQL string literals.
fn quoted<'a>(values: impl IntoIterator<Item = &'a String>) -> String {
    let literals: Vec<String> = values
        .into_iter()
        .map(|value| format!("'{}'", value.replace('\'', "''")))
        .collect();
    literals.join(", ")
}

/// The month `months` before `month` (both YYYYMM).
fn months_before(month: i64, months: u32) -> i64 {
    let Some(parsed) = u32::try_from(month)
        .ok()
        .and_then(|month| YearMonth::new(month / 100, month % 100))
    else {
        return month;
    };
    let earlier = parsed.plus_months(-(months as i32));
    i64::from(earlier.year()) * 100 + i64::from(earlier.month())
}
