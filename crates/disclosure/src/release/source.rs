//! Reading a release's inputs from the warehouse: the source model's counts on the
//! municipalities × months grid, and the public registry.

use std::collections::BTreeMap;

use arrow::{
    array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray},
    compute::cast,
    datatypes::DataType,
};
use kaigo_query::session::Session;
use kaigo_warehouse::Warehouse;

use super::ReleaseSpec;
use crate::{DisclosureError, Result};

/// The source rows: municipal units, months and each count on the units × months grid.
#[derive(Debug, Clone, Default)]
pub struct SourceRows {
    /// Municipal units, sorted by code.
    pub areas: Vec<SourceArea>,
    /// Months (YYYYMM), ascending.
    pub months: Vec<u32>,
    /// Per count of the spec: values by area (outer) and month (inner); a missing row is 0.
    pub counts: Vec<Vec<Vec<u64>>>,
    /// Per count of the spec: months it is not known for yet (null in the source: an outcome
    /// whose follow-up year the data does not cover, a month the claims do not reach yet).
    /// Published as not available, with every total over them, and out of every relation the
    /// audit uses (stored as 0).
    pub unavailable_months: Vec<Vec<u32>>,
    /// By area (outer) and month (inner): whether the public registry says the insurer is live
    /// (read when a count is `zero_unless_live`; empty otherwise, and then nothing is taken as a
    /// structural zero).
    pub live: Vec<Vec<bool>>,
}

/// A municipal unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceArea {
    /// Code (insurer number).
    pub code: String,
    /// Prefecture code (2 digits).
    pub prefecture: String,
    /// Smallest population over the months.
    pub population: u64,
}

/// Read the source model into memory.
pub async fn read_source(warehouse: &Warehouse, spec: &ReleaseSpec) -> Result<(SourceRows, u64)> {
    let session = Session::open(warehouse).await?;
    let version = session
        .versions()
        .get(&spec.source)
        .copied()
        .ok_or_else(|| DisclosureError::Spec {
            origin: "release".into(),
            reason: format!("the warehouse has no table {}: run `kaigo build` first", spec.source),
        })?;
    let columns: Vec<String> = [
        &spec.area_column,
        &spec.prefecture_column,
        &spec.month_column,
        &spec.population_column,
    ]
    .into_iter()
    .chain(spec.counts.iter().map(|count| &count.column))
    .map(|column| format!("\"{column}\""))
    .collect();
    let sql = format!("select {} from \"{}\"", columns.join(", "), spec.source);
    let batches = [session.collect(&sql).await?];

    let mut areas: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut rows: Vec<(String, u32, Vec<u64>)> = Vec::new();
    let mut unavailable_months: Vec<std::collections::BTreeSet<u32>> = vec![Default::default(); spec.counts.len()];
    for batch in &batches {
        let text = |index: usize| -> Result<StringArray> {
            let array = cast(batch.column(index), &DataType::Utf8)?;
            Ok(array.as_any().downcast_ref::<StringArray>().expect("utf8").clone())
        };
        let integer = |index: usize| -> Result<Int64Array> {
            let array = cast(batch.column(index), &DataType::Int64)?;
            Ok(array.as_any().downcast_ref::<Int64Array>().expect("int64").clone())
        };
        let (area, prefecture, month, population) = (text(0)?, text(1)?, integer(2)?, integer(3)?);
        let counts: Vec<Int64Array> = (0..spec.counts.len())
            .map(|index| integer(4 + index))
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            if area.is_null(row) || prefecture.is_null(row) || month.is_null(row) || population.is_null(row) {
                return Err(DisclosureError::SourceRows {
                    model: spec.source.clone(),
                    reason: "a key or population column is null".into(),
                });
            }
            let entry = areas
                .entry(area.value(row).to_string())
                .or_insert_with(|| (prefecture.value(row).to_string(), u64::MAX));
            entry.1 = entry.1.min(population.value(row).max(0) as u64);
            let values = counts
                .iter()
                .enumerate()
                .map(|(count, column)| {
                    if column.is_null(row) {
                        unavailable_months[count].insert(month.value(row) as u32);
                        0
                    } else {
                        column.value(row).max(0) as u64
                    }
                })
                .collect();
            rows.push((area.value(row).to_string(), month.value(row) as u32, values));
        }
    }
    let months: Vec<u32> = {
        let mut months: Vec<u32> = rows.iter().map(|row| row.1).collect();
        months.sort_unstable();
        months.dedup();
        months
    };
    let area_index: BTreeMap<&str, usize> = areas
        .keys()
        .enumerate()
        .map(|(index, code)| (code.as_str(), index))
        .collect();
    let mut counts = vec![vec![vec![0u64; months.len()]; areas.len()]; spec.counts.len()];
    for (area, month, values) in &rows {
        let month = months.binary_search(month).expect("collected");
        for (count, value) in values.iter().enumerate() {
            counts[count][area_index[area.as_str()]][month] = *value;
        }
    }
    let areas: Vec<SourceArea> = areas
        .into_iter()
        .map(|(code, (prefecture, population))| SourceArea {
            code,
            prefecture,
            population,
        })
        .collect();
    let unavailable_months = unavailable_months
        .into_iter()
        .map(|months| months.into_iter().collect())
        .collect();
    let live = if spec.counts.iter().any(|count| count.zero_unless_live) {
        read_live(warehouse, &areas, &months).await?
    } else {
        Vec::new()
    };
    Ok((
        SourceRows {
            areas,
            months,
            counts,
            unavailable_months,
            live,
        },
        version,
    ))
}

/// The model of public roll-out facts the release carries, with [`DATA_FLOW_INDICATOR`] added.
pub const REGISTRY_MODEL: &str = "rollout_public_registry_by_insurer_month";

/// Whether each area is live in each month, by the public registry (an insurer-month it does not
/// list counts as live: nothing is inferred from a missing row).
async fn read_live(warehouse: &Warehouse, areas: &[SourceArea], months: &[u32]) -> Result<Vec<Vec<bool>>> {
    let registry = read_registry(warehouse).await?;
    let insurers = registry_column(&registry, "insurer_number", &DataType::Utf8)?;
    let insurers = insurers.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let month_keys = registry_column(&registry, "month_key", &DataType::Int64)?;
    let month_keys = month_keys.as_any().downcast_ref::<Int64Array>().expect("cast to Int64");
    let is_live = registry_column(&registry, "is_live", &DataType::Boolean)?;
    let is_live = is_live
        .as_any()
        .downcast_ref::<BooleanArray>()
        .expect("cast to Boolean");
    let mut live = vec![vec![true; months.len()]; areas.len()];
    for row in 0..registry.num_rows() {
        let area = areas.binary_search_by(|area| area.code.as_str().cmp(insurers.value(row)));
        let month = months.binary_search(&(month_keys.value(row) as u32));
        if let (Ok(area), Ok(month)) = (area, month) {
            live[area][month] = is_live.is_null(row) || is_live.value(row);
        }
    }
    Ok(live)
}

/// A column of the public registry, cast to `data_type`.
pub(super) fn registry_column(registry: &RecordBatch, name: &str, data_type: &DataType) -> Result<ArrayRef> {
    let column = registry.column_by_name(name).ok_or_else(|| DisclosureError::Spec {
        origin: REGISTRY_MODEL.into(),
        reason: format!("no column {name}"),
    })?;
    Ok(cast(column, data_type)?)
}

/// The public registry (no counts of persons or providers), ordered by insurer and month.
pub(super) async fn read_registry(warehouse: &Warehouse) -> Result<RecordBatch> {
    let session = Session::open(warehouse).await?;
    if !session.versions().contains_key(REGISTRY_MODEL) {
        return Err(DisclosureError::Spec {
            origin: "release".into(),
            reason: format!("the warehouse has no table {REGISTRY_MODEL}: run `kaigo build` first"),
        });
    }
    Ok(session
        .collect(&format!(
            "select * from {REGISTRY_MODEL} order by insurer_number, month_key"
        ))
        .await?)
}
