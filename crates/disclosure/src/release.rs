//! The public release: the counts of one model (see `release.toml`) by municipality, prefecture
//! and nation × month and fiscal year, protected and audited, written to `<root>/publish/`.
//!
//! Each count column becomes one [`Table`] (nation ⊃ prefecture ⊃ municipality × fiscal year ⊃
//! month), so the six published levels are slices of one cube and are protected together. Rates
//! are derived afterwards and shown only where both their counts are.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow::{
    array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array},
    compute::cast,
    datatypes::{DataType, Field, Schema},
};
use kaigo_codes::calendar::YearMonth;
use kaigo_query::session::Session;
use kaigo_warehouse::Warehouse;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::info;

use crate::{
    AreaUnit, CellStatus, CountUnit, DisclosureError, Hierarchy, Protection, Result, Rules, SUPPRESSED_MARK, Table,
    Within, protect_linked,
};

/// What a release publishes (the shipped one is `release.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// The model read: one row per municipal unit and month.
    pub source: String,
    /// The municipal unit's code column.
    pub area_column: String,
    /// The prefecture code column.
    pub prefecture_column: String,
    /// The month column (YYYYMM).
    pub month_column: String,
    /// The population the municipal bands of the rule apply to.
    pub population_column: String,
    /// The counts, one cube each.
    pub counts: Vec<CountSpec>,
    /// Rates derived from pairs of counts.
    #[serde(default)]
    pub rates: Vec<RateSpec>,
}

/// One published count.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountSpec {
    /// Column of the source, and the indicator's name in the release.
    pub column: String,
    /// What it counts.
    pub unit: CountUnit,
    /// Japanese label.
    pub ja: String,
    /// English label.
    pub en: String,
    /// A count of the release this one never exceeds by definition (level 3+ within certified):
    /// an attacker knows it, so the two are audited together.
    #[serde(default)]
    pub within: Option<String>,
}

/// One published rate: numerator / denominator × per.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    /// The indicator's name in the release.
    pub name: String,
    /// A count of the release.
    pub numerator: String,
    /// A count of the release.
    pub denominator: String,
    /// Scale (100 for a percentage).
    pub per: f64,
    /// Japanese label.
    pub ja: String,
    /// English label.
    pub en: String,
}

impl ReleaseSpec {
    /// The release kaigo ships.
    pub fn shipped() -> Self {
        Self::parse(include_str!("../release.toml"), "release.toml").expect("the shipped release spec parses")
    }

    /// Parse a spec; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let spec: Self = toml::from_str(text).map_err(|error| DisclosureError::Spec {
            origin: origin.to_string(),
            reason: error.to_string(),
        })?;
        let counts: Vec<&str> = spec.counts.iter().map(|count| count.column.as_str()).collect();
        let invalid = |reason: String| DisclosureError::Spec {
            origin: origin.to_string(),
            reason,
        };
        for count in &spec.counts {
            let Some(within) = &count.within else { continue };
            let Some(superset) = spec.counts.iter().find(|other| &other.column == within) else {
                return Err(invalid(format!(
                    "count {} is within {within}, which is not a count of the release",
                    count.column
                )));
            };
            if superset.unit != count.unit {
                return Err(invalid(format!(
                    "count {} is within {within}, which counts something else",
                    count.column
                )));
            }
            // Following `within` from any count must end: a cycle would make counts equal.
            let mut next = Some(within);
            for _ in 0..spec.counts.len() {
                next = next.and_then(|name| spec.counts.iter().find(|other| &other.column == name)?.within.as_ref());
            }
            if next.is_some() {
                return Err(invalid(format!(
                    "count {} is within itself through `within`",
                    count.column
                )));
            }
        }
        for rate in &spec.rates {
            for column in [&rate.numerator, &rate.denominator] {
                if !counts.contains(&column.as_str()) {
                    return Err(invalid(format!(
                        "rate {} uses {column}, which is not a count of the release",
                        rate.name
                    )));
                }
            }
        }
        Ok(spec)
    }

    /// The `within` links, by count index; the complement of the k-th link (superset − subset,
    /// never published) is table `counts.len() + k`.
    pub fn links(&self) -> Vec<Within> {
        self.counts
            .iter()
            .enumerate()
            .filter_map(|(subset, count)| {
                let within = count.within.as_ref()?;
                let superset = self.counts.iter().position(|other| &other.column == within)?;
                Some((subset, superset))
            })
            .enumerate()
            .map(|(index, (subset, superset))| Within {
                subset,
                superset,
                complement: self.counts.len() + index,
            })
            .collect()
    }

    /// The counts audited together: those joined by `within` links, each group in count order.
    pub fn linked_groups(&self) -> Vec<Vec<usize>> {
        let mut group_of: Vec<usize> = (0..self.counts.len()).collect();
        // Few counts: relabel until every link's ends share the smaller label.
        let links = self.links();
        let mut changed = true;
        while changed {
            changed = false;
            for link in &links {
                let label = group_of[link.subset].min(group_of[link.superset]);
                for end in [link.subset, link.superset] {
                    if group_of[end] != label {
                        group_of[end] = label;
                        changed = true;
                    }
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (count, label) in group_of.into_iter().enumerate() {
            groups.entry(label).or_default().push(count);
        }
        groups.into_values().collect()
    }
}

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
    /// whose follow-up year the data does not cover). Published as not available, with every
    /// total over them; protected as the zeros they are stored as.
    pub unavailable_months: Vec<Vec<u32>>,
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

/// Area levels of the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// The nation (code 00).
    National,
    /// A prefecture (2-digit JIS code).
    Prefecture,
    /// A municipal unit (insurer number).
    Municipality,
}

impl AreaLevel {
    fn name(self) -> &'static str {
        match self {
            AreaLevel::National => "national",
            AreaLevel::Prefecture => "prefecture",
            AreaLevel::Municipality => "municipality",
        }
    }
}

/// A protected release in memory.
#[derive(Debug)]
pub struct Release {
    spec: ReleaseSpec,
    rules: Rules,
    area: Hierarchy,
    area_levels: Vec<AreaLevel>,
    period: Hierarchy,
    indicators: Vec<(Table, Protection)>,
    /// Per count, [`IndicatorReport::n_sensitive_differences`].
    sensitive_differences: Vec<usize>,
    /// Per count, by period node: not known for the period (see [`SourceRows::unavailable_months`]).
    unavailable_periods: Vec<Vec<bool>>,
}

/// One protected count, as a linked group's protection gives it.
struct Indicator {
    count: usize,
    table: Table,
    protection: Protection,
    sensitive_differences: usize,
}

/// Area hierarchy, each area node's level, the source area of each municipal node, period hierarchy.
type Hierarchies = (Hierarchy, Vec<AreaLevel>, Vec<Option<usize>>, Hierarchy);

/// The area and period hierarchies of a source: nation ⊃ prefectures ⊃ municipal units (codes
/// sorted), fiscal years ⊃ months.
fn hierarchies(source: &SourceRows) -> Result<Hierarchies> {
    let mut area = Hierarchy::new("area");
    let mut levels = vec![AreaLevel::National];
    let mut source_area_of_node = vec![None];
    let nation = area.add("00", None)?;
    let mut prefectures: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, source_area) in source.areas.iter().enumerate() {
        prefectures
            .entry(source_area.prefecture.as_str())
            .or_default()
            .push(index);
    }
    for (prefecture, members) in prefectures {
        let node = area.add(prefecture, Some(nation))?;
        levels.push(AreaLevel::Prefecture);
        source_area_of_node.push(None);
        for member in members {
            area.add(source.areas[member].code.clone(), Some(node))?;
            levels.push(AreaLevel::Municipality);
            source_area_of_node.push(Some(member));
        }
    }
    let mut period = Hierarchy::new("period");
    let mut fiscal_years: BTreeMap<u32, usize> = BTreeMap::new();
    for month in &source.months {
        let year_month = YearMonth::new(month / 100, month % 100).ok_or_else(|| DisclosureError::Spec {
            origin: "source".into(),
            reason: format!("month {month} is not YYYYMM"),
        })?;
        let fiscal_year = year_month.fiscal_year();
        let parent = match fiscal_years.get(&fiscal_year) {
            Some(node) => *node,
            None => {
                let node = period.add(format!("FY{fiscal_year}"), None)?;
                fiscal_years.insert(fiscal_year, node);
                node
            }
        };
        period.add(month.to_string(), Some(parent))?;
    }
    Ok((area, levels, source_area_of_node, period))
}

/// Protects every count of a source under the rules.
pub fn protect_release(spec: &ReleaseSpec, source: &SourceRows, rules: &Rules) -> Result<Release> {
    let (area, area_levels, source_area_of_node, period) = hierarchies(source)?;
    let month_of_node: Vec<Option<usize>> = (0..period.len())
        .map(|node| {
            period
                .code(node)
                .parse::<u32>()
                .ok()
                .and_then(|month| source.months.iter().position(|m| *m == month))
        })
        .collect();
    check_links(spec, source)?;
    let apply_rules = |table: &mut Table, unit: CountUnit| {
        table.apply_rule(|coordinates, value| {
            let area_unit = match source_area_of_node[coordinates[0]] {
                Some(index) => AreaUnit::Municipality {
                    population: source.areas[index].population,
                },
                None => AreaUnit::Wider,
            };
            rules.primary_protection(unit, area_unit, value)
        });
    };
    let build_table = |values: &Vec<Vec<u64>>, unit: CountUnit| -> Result<Table> {
        let mut table = Table::new(vec![area.clone(), period.clone()])?;
        for (area_node, source_area) in source_area_of_node.iter().enumerate() {
            let Some(source_area) = source_area else { continue };
            for (period_node, month) in month_of_node.iter().enumerate() {
                if let Some(month) = month {
                    table.set(&[area_node, period_node], values[*source_area][*month]);
                }
            }
        }
        table.aggregate();
        apply_rules(&mut table, unit);
        Ok(table)
    };
    let links = spec.links();
    let groups = spec.linked_groups();
    let protected_groups: Vec<Vec<Indicator>> = groups
        .par_iter()
        .map(|group| {
            let mut tables: Vec<Table> = group
                .iter()
                .map(|count| build_table(&source.counts[*count], spec.counts[*count].unit))
                .collect::<Result<_>>()?;
            // The group's links by position in the group, each with its complement table
            // (counted like its superset) after the group's counts.
            let local = |count: usize| group.iter().position(|member| *member == count);
            let mut group_links = Vec::new();
            for link in &links {
                let (Some(subset), Some(superset)) = (local(link.subset), local(link.superset)) else {
                    continue;
                };
                let mut complement = Table::difference(&tables[superset], &tables[subset])?;
                apply_rules(&mut complement, spec.counts[link.superset].unit);
                group_links.push(Within {
                    subset,
                    superset,
                    complement: tables.len(),
                });
                tables.push(complement);
            }
            let table_refs: Vec<&Table> = tables.iter().collect();
            let mut protections = protect_linked(&table_refs, &group_links)?;
            // Per count of the group: the sensitive cells of its difference from its superset.
            let mut sensitive_differences = vec![0; group.len()];
            for link in &group_links {
                sensitive_differences[link.subset] = protections[link.complement].count(CellStatus::Primary);
            }
            protections.truncate(group.len());
            tables.truncate(group.len());
            for (index, (count, (table, protection))) in group.iter().zip(tables.iter().zip(&protections)).enumerate() {
                info!(
                    indicator = spec.counts[*count].column,
                    cells = table.len(),
                    primary = protection.count(CellStatus::Primary),
                    secondary = protection.count(CellStatus::Secondary),
                    linear_programs = protection.audit.n_linear_programs,
                    rounds = protection.n_rounds,
                    linked = group.len(),
                    sensitive_differences = sensitive_differences[index],
                    "protected"
                );
            }
            Ok(group
                .iter()
                .copied()
                .zip(tables)
                .zip(protections)
                .zip(sensitive_differences)
                .map(|(((count, table), protection), differences)| Indicator {
                    count,
                    table,
                    protection,
                    sensitive_differences: differences,
                })
                .collect())
        })
        .collect::<Result<_>>()?;
    // A period is unavailable when a month of it is: a fiscal year's total over known months
    // alone would read as the year's.
    let unavailable_periods = (0..spec.counts.len())
        .map(|count| {
            let unavailable = source.unavailable_months.get(count);
            let is_unavailable = |node: usize| {
                month_of_node[node]
                    .is_some_and(|month| unavailable.is_some_and(|months| months.contains(&source.months[month])))
            };
            (0..period.len())
                .map(|node| is_unavailable(node) || period.children(node).iter().any(|child| is_unavailable(*child)))
                .collect()
        })
        .collect();
    let mut protected: Vec<Indicator> = protected_groups.into_iter().flatten().collect();
    protected.sort_by_key(|indicator| indicator.count);
    let sensitive_differences = protected
        .iter()
        .map(|indicator| indicator.sensitive_differences)
        .collect();
    let indicators = protected
        .into_iter()
        .map(|indicator| (indicator.table, indicator.protection))
        .collect();
    Ok(Release {
        spec: spec.clone(),
        rules: *rules,
        area,
        area_levels,
        period,
        indicators,
        sensitive_differences,
        unavailable_periods,
    })
}

/// A count declared `within` another must not exceed it in any source row: the audit assumes it.
fn check_links(spec: &ReleaseSpec, source: &SourceRows) -> Result<()> {
    for link in spec.links() {
        let (subset, superset) = (&source.counts[link.subset], &source.counts[link.superset]);
        for (area, (small, large)) in subset.iter().zip(superset).enumerate() {
            if let Some(month) = small.iter().zip(large).position(|(small, large)| small > large) {
                return Err(DisclosureError::Spec {
                    origin: spec.source.clone(),
                    reason: format!(
                        "{} exceeds {} for {} in {}, but the release spec declares it within",
                        spec.counts[link.subset].column,
                        spec.counts[link.superset].column,
                        source.areas[area].code,
                        source.months[month]
                    ),
                });
            }
        }
    }
    Ok(())
}

/// One published cell, count or rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedCell {
    /// Indicator (count column or rate name).
    pub indicator: String,
    /// National, prefecture or municipality.
    pub area_level: AreaLevel,
    /// 00, the prefecture code or the insurer number.
    pub area_code: String,
    /// The prefecture the area is in (00 for the nation).
    pub prefecture_code: String,
    /// month or fiscal_year.
    pub period_level: &'static str,
    /// YYYYMM, or the fiscal year.
    pub period_key: u32,
    /// The value (None when suppressed or undefined).
    pub value: Option<f64>,
    /// As shown: the number, "―" when suppressed, "…" when not available.
    pub display: String,
    /// Suppressed (by the rules or to protect another cell: the release does not say which).
    pub is_suppressed: bool,
    /// A rate over fewer than 20 events.
    pub is_unstable: bool,
}

impl Release {
    /// The counts' tables and their protection, in spec order.
    pub fn indicators(&self) -> impl Iterator<Item = (&CountSpec, &Table, &Protection)> {
        self.spec
            .counts
            .iter()
            .zip(&self.indicators)
            .map(|(spec, (table, protection))| (spec, table, protection))
    }

    fn locate(&self, cell: usize, table: &Table) -> (AreaLevel, String, String, &'static str, u32) {
        let coordinates = table.coordinates(cell);
        let (area_node, period_node) = (coordinates[0], coordinates[1]);
        let level = self.area_levels[area_node];
        let prefecture = match level {
            AreaLevel::National => "00".to_string(),
            AreaLevel::Prefecture => self.area.code(area_node).to_string(),
            AreaLevel::Municipality => self
                .area
                .code(self.area.parent(area_node).expect("a municipality has a prefecture"))
                .to_string(),
        };
        let period_code = self.period.code(period_node);
        let (period_level, period_key) = match period_code.strip_prefix("FY") {
            Some(year) => ("fiscal_year", year.parse().expect("FY code")),
            None => ("month", period_code.parse().expect("month code")),
        };
        (
            level,
            self.area.code(area_node).to_string(),
            prefecture,
            period_level,
            period_key,
        )
    }

    /// Every published cell: counts, then rates, each by indicator, area and period.
    pub fn cells(&self) -> Vec<PublishedCell> {
        let mut cells = Vec::new();
        // Not known for the cell's period: shown as not available, whatever its pattern (the
        // zero stored for it tells nothing).
        let is_unavailable =
            |count: usize, table: &Table, cell: usize| self.unavailable_periods[count][table.coordinates(cell)[1]];
        for (index, (spec, table, protection)) in self.indicators().enumerate() {
            for cell in 0..table.len() {
                let (area_level, area_code, prefecture_code, period_level, period_key) = self.locate(cell, table);
                let is_unavailable = is_unavailable(index, table, cell);
                let is_suppressed = !is_unavailable && protection.status[cell] != CellStatus::Published;
                let value = table.value(cell);
                cells.push(PublishedCell {
                    indicator: spec.column.clone(),
                    area_level,
                    area_code,
                    prefecture_code,
                    period_level,
                    period_key,
                    value: (!is_suppressed && !is_unavailable).then_some(value as f64),
                    display: if is_unavailable {
                        NOT_AVAILABLE_MARK.to_string()
                    } else if is_suppressed {
                        SUPPRESSED_MARK.to_string()
                    } else {
                        value.to_string()
                    },
                    is_suppressed,
                    is_unstable: false,
                });
            }
        }
        let index_of = |column: &str| {
            self.spec
                .counts
                .iter()
                .position(|count| count.column == column)
                .expect("checked by the spec")
        };
        for rate in &self.spec.rates {
            let (numerator_index, denominator_index) = (index_of(&rate.numerator), index_of(&rate.denominator));
            let (numerator_table, numerator) = &self.indicators[numerator_index];
            let (denominator_table, denominator) = &self.indicators[denominator_index];
            for cell in 0..numerator_table.len() {
                let (area_level, area_code, prefecture_code, period_level, period_key) =
                    self.locate(cell, numerator_table);
                let is_unavailable = is_unavailable(numerator_index, numerator_table, cell)
                    || is_unavailable(denominator_index, denominator_table, cell);
                let is_suppressed = !is_unavailable
                    && (numerator.status[cell] != CellStatus::Published
                        || denominator.status[cell] != CellStatus::Published);
                let (events, base) = (numerator_table.value(cell), denominator_table.value(cell));
                let value =
                    (!is_suppressed && !is_unavailable && base > 0).then(|| events as f64 / base as f64 * rate.per);
                cells.push(PublishedCell {
                    indicator: rate.name.clone(),
                    area_level,
                    area_code,
                    prefecture_code,
                    period_level,
                    period_key,
                    value,
                    display: match value {
                        _ if is_suppressed => SUPPRESSED_MARK.to_string(),
                        Some(value) => format!("{value:.1}"),
                        None => NOT_AVAILABLE_MARK.to_string(),
                    },
                    is_suppressed,
                    is_unstable: !is_suppressed && !is_unavailable && self.rules.is_unstable_rate(events),
                });
            }
        }
        cells
    }
}

/// How a cell without a value that is not suppressed is shown: a rate over 0, or an outcome
/// whose follow-up the data does not cover yet.
pub const NOT_AVAILABLE_MARK: &str = "…";

/// What `kaigo release` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseReport {
    /// The folder written.
    pub folder: PathBuf,
    /// The source model and the version read.
    pub source: String,
    /// Source version.
    pub source_version: u64,
    /// The rules applied.
    pub rules: Rules,
    /// Per count: cells, suppressed, audit.
    pub indicators: Vec<IndicatorReport>,
    /// Files written with their SHA-256.
    pub files: Vec<PublishedFile>,
    /// SHA-256 of the published cells (the CSV): the same source gives the same digest.
    pub digest: String,
}

/// One count's protection, as the manifest records it.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorReport {
    /// Count column.
    pub indicator: String,
    /// Cells in the cube.
    pub n_cells: usize,
    /// Suppressed by the rules.
    pub n_primary: usize,
    /// Suppressed to protect them.
    pub n_secondary: usize,
    /// Audit rounds (of its linked group: counts joined by `within` are protected together).
    pub n_rounds: usize,
    /// Linear programs solved by the final audit round of its linked group (a cell proven in an
    /// earlier round needs none: later rounds only hide more, which cannot narrow it).
    pub n_linear_programs: usize,
    /// Suppressed cells the final audit could narrow below their protection (always 0 when
    /// written: a release with any is refused).
    pub n_recoverable: usize,
    /// For a count `within` another: cells where the difference between them (certified below
    /// level 3) is a sensitive count, which the pattern keeps as uncertain as a hidden cell.
    pub n_sensitive_differences: usize,
}

/// A written file.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedFile {
    /// Name within the folder.
    pub name: String,
    /// Rows (data files).
    pub rows: usize,
    /// SHA-256 of the bytes.
    pub sha256: String,
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
    let batches = session
        .query(&sql)
        .await?
        .collect()
        .await
        .map_err(|error| DisclosureError::Source {
            reason: error.to_string(),
        })?;

    let mut areas: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut rows: Vec<(String, u32, Vec<u64>)> = Vec::new();
    let mut unavailable_months: Vec<std::collections::BTreeSet<u32>> = vec![Default::default(); spec.counts.len()];
    for batch in &batches {
        let text = |index: usize| -> Result<StringArray> {
            let array = cast(batch.column(index), &DataType::Utf8).map_err(source_error)?;
            Ok(array.as_any().downcast_ref::<StringArray>().expect("utf8").clone())
        };
        let integer = |index: usize| -> Result<Int64Array> {
            let array = cast(batch.column(index), &DataType::Int64).map_err(source_error)?;
            Ok(array.as_any().downcast_ref::<Int64Array>().expect("int64").clone())
        };
        let (area, prefecture, month, population) = (text(0)?, text(1)?, integer(2)?, integer(3)?);
        let counts: Vec<Int64Array> = (0..spec.counts.len())
            .map(|index| integer(4 + index))
            .collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            if area.is_null(row) || prefecture.is_null(row) || month.is_null(row) || population.is_null(row) {
                return Err(DisclosureError::Source {
                    reason: format!("{}: a key or population column is null", spec.source),
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
    let areas = areas
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
    Ok((
        SourceRows {
            areas,
            months,
            counts,
            unavailable_months,
        },
        version,
    ))
}

fn source_error(error: arrow::error::ArrowError) -> DisclosureError {
    DisclosureError::Source {
        reason: error.to_string(),
    }
}

/// Build, protect, audit and write the release to `<root>/publish/` (replaced whole: written
/// beside it, then swapped in).
pub async fn release(warehouse: &Warehouse, spec: &ReleaseSpec, rules: &Rules) -> Result<ReleaseReport> {
    let (source, source_version) = read_source(warehouse, spec).await?;
    let release = protect_release(spec, &source, rules)?;
    let registry = read_registry(warehouse).await?;
    let folder = warehouse.root().join("publish");
    write(&release, &folder, &spec.source, source_version, &registry)
}

/// The model of public roll-out facts the release carries, with [`DATA_FLOW_INDICATOR`] added.
pub const REGISTRY_MODEL: &str = "rollout_public_registry_by_insurer_month";

/// The released count `is_data_flowing` is derived from: a registry month's data flows when the
/// insurer is live and this count's published cell for the month before reaches the registry's
/// `users_flowing_threshold`.
pub const DATA_FLOW_INDICATOR: &str = "n_users";

/// The registry with `is_data_flowing` appended, derived from the released cells alone: null
/// where the previous month's cell of [`DATA_FLOW_INDICATOR`] is suppressed or not available, so
/// the flag tells nothing about a count the release hides.
fn with_data_flow(registry: &[RecordBatch], cells: &[PublishedCell]) -> Result<Vec<RecordBatch>> {
    let released: BTreeMap<(&str, u32), Option<f64>> = cells
        .iter()
        .filter(|cell| {
            cell.indicator == DATA_FLOW_INDICATOR
                && cell.area_level == AreaLevel::Municipality
                && cell.period_level == "month"
        })
        .map(|cell| ((cell.area_code.as_str(), cell.period_key), cell.value))
        .collect();
    if registry.iter().any(|batch| batch.num_rows() > 0) && released.is_empty() {
        return Err(DisclosureError::Spec {
            origin: "release".into(),
            reason: format!(
                "the registry's is_data_flowing is derived from the released {DATA_FLOW_INDICATOR}: the spec must publish it"
            ),
        });
    }
    registry
        .iter()
        .map(|batch| {
            let column = |name: &str| {
                batch.column_by_name(name).ok_or_else(|| DisclosureError::Spec {
                    origin: REGISTRY_MODEL.into(),
                    reason: format!("no column {name}"),
                })
            };
            let insurers = cast(column("insurer_number")?, &DataType::Utf8).map_err(source_error)?;
            let insurers = insurers.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
            let months = cast(column("month_key")?, &DataType::UInt32).map_err(source_error)?;
            let months = months.as_any().downcast_ref::<UInt32Array>().expect("cast to UInt32");
            let live = cast(column("is_live")?, &DataType::Boolean).map_err(source_error)?;
            let live = live.as_any().downcast_ref::<BooleanArray>().expect("cast to Boolean");
            let thresholds = cast(column("users_flowing_threshold")?, &DataType::Float64).map_err(source_error)?;
            let thresholds = thresholds
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("cast to Float64");
            let flags: BooleanArray = (0..batch.num_rows())
                .map(|row| {
                    if live.is_null(row) || !live.value(row) {
                        return Some(false);
                    }
                    let month = months.value(row);
                    let previous = YearMonth::new(month / 100, month % 100)?.plus_months(-1);
                    let previous = previous.year() * 100 + previous.month();
                    let users = (*released.get(&(insurers.value(row), previous))?)?;
                    (!thresholds.is_null(row)).then(|| users >= thresholds.value(row))
                })
                .collect();
            let mut fields: Vec<Field> = batch
                .schema()
                .fields()
                .iter()
                .map(|field| field.as_ref().clone())
                .collect();
            fields.push(Field::new("is_data_flowing", DataType::Boolean, true));
            let mut columns = batch.columns().to_vec();
            columns.push(Arc::new(flags));
            RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(source_error)
        })
        .collect()
}

/// The public registry (no counts of persons or providers), ordered by insurer and month.
async fn read_registry(warehouse: &Warehouse) -> Result<Vec<RecordBatch>> {
    let session = Session::open(warehouse).await?;
    if !session.versions().contains_key(REGISTRY_MODEL) {
        return Err(DisclosureError::Spec {
            origin: "release".into(),
            reason: format!("the warehouse has no table {REGISTRY_MODEL}: run `kaigo build` first"),
        });
    }
    session
        .query(&format!(
            "select * from {REGISTRY_MODEL} order by insurer_number, month_key"
        ))
        .await?
        .collect()
        .await
        .map_err(|error| DisclosureError::Source {
            reason: error.to_string(),
        })
}

/// Write a protected release to `folder`: `cells.parquet`, `cells.csv` (UTF-8, what a
/// spreadsheet opens), `registry.parquet` (the public roll-out registry, when given, with its
/// `is_data_flowing` derived from the cells) and `manifest.json`.
pub fn write(
    release: &Release,
    folder: &Path,
    source: &str,
    source_version: u64,
    registry: &[RecordBatch],
) -> Result<ReleaseReport> {
    let cells = release.cells();
    let staging = folder.with_extension("staging");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| DisclosureError::Io { path, source }
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;

    let mut csv_bytes = Vec::new();
    {
        let mut writer = csv::Writer::from_writer(&mut csv_bytes);
        writer
            .write_record([
                "indicator",
                "area_level",
                "area_code",
                "prefecture_code",
                "period_level",
                "period_key",
                "value",
                "is_suppressed",
                "is_unstable",
            ])
            .map_err(csv_error)?;
        for cell in &cells {
            writer
                .write_record([
                    cell.indicator.as_str(),
                    cell.area_level.name(),
                    &cell.area_code,
                    &cell.prefecture_code,
                    cell.period_level,
                    &cell.period_key.to_string(),
                    &cell.display,
                    if cell.is_suppressed { "true" } else { "false" },
                    if cell.is_unstable { "true" } else { "false" },
                ])
                .map_err(csv_error)?;
        }
        writer.flush().map_err(io(&staging))?;
    }
    let digest = hex::encode(Sha256::digest(&csv_bytes));
    let mut files = vec![write_file(&staging, "cells.csv", &csv_bytes, cells.len())?];
    files.push(write_file(
        &staging,
        "cells.parquet",
        &parquet_bytes(&cells_batch(&cells)?)?,
        cells.len(),
    )?);
    if !registry.is_empty() {
        let registry = with_data_flow(registry, &cells)?;
        let rows = registry.iter().map(RecordBatch::num_rows).sum();
        let batch = arrow::compute::concat_batches(&registry[0].schema(), &registry).map_err(source_error)?;
        files.push(write_file(&staging, "registry.parquet", &parquet_bytes(&batch)?, rows)?);
    }

    let report = ReleaseReport {
        folder: folder.to_path_buf(),
        source: source.to_string(),
        source_version,
        rules: release.rules,
        indicators: release
            .indicators()
            .zip(&release.sensitive_differences)
            .map(|((spec, table, protection), sensitive_differences)| IndicatorReport {
                indicator: spec.column.clone(),
                n_cells: table.len(),
                n_primary: protection.count(CellStatus::Primary),
                n_secondary: protection.count(CellStatus::Secondary),
                n_rounds: protection.n_rounds,
                n_linear_programs: protection.audit.n_linear_programs,
                n_recoverable: protection.audit.failures().count(),
                n_sensitive_differences: *sensitive_differences,
            })
            .collect(),
        files,
        digest,
    };
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "release": &report,
        "indicators": release.spec.counts.iter().map(|count| serde_json::json!({
            "name": count.column, "unit": count.unit, "ja": count.ja, "en": count.en, "within": count.within,
        })).chain(release.spec.rates.iter().map(|rate| serde_json::json!({
            "name": rate.name, "unit": "rate", "per": rate.per, "ja": rate.ja, "en": rate.en,
            "numerator": rate.numerator, "denominator": rate.denominator,
        }))).collect::<Vec<_>>(),
        "footnotes": {
            SUPPRESSED_MARK: "秘匿：最小集計単位の原則（10人未満、人口2,000人未満の市町村は全て、\
    人口2万5千人未満の市町村は20人未満、事業所数3未満）により、または他の表や合計、2つの数の差から逆算されないよう秘匿。 \
    Suppressed: below the minimum cell (persons < 10; municipalities under 2,000 people: every count; \
    under 25,000: < 20; providers < 3), or hidden so that such a cell cannot be worked out from totals, \
    other tables or the difference of two counts.",
            NOT_AVAILABLE_MARK: "算出不能：分母が0、または追跡期間（1年）がまだデータにない。 \
    Not available: the denominator is 0, or the year of follow-up is not in the data yet.",
            "is_unstable": "分子が20未満の率は不安定。 A rate over fewer than 20 events is unstable.",
        },
    }))
    .expect("the manifest serializes");
    write_file(&staging, "manifest.json", &manifest, 0)?;

    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(io(folder))?;
    }
    std::fs::rename(&staging, folder).map_err(io(folder))?;
    Ok(report)
}

fn csv_error(error: csv::Error) -> DisclosureError {
    DisclosureError::Source {
        reason: error.to_string(),
    }
}

fn write_file(folder: &Path, name: &str, bytes: &[u8], rows: usize) -> Result<PublishedFile> {
    let path = folder.join(name);
    let mut file = std::fs::File::create(&path).map_err(|source| DisclosureError::Io {
        path: path.clone(),
        source,
    })?;
    file.write_all(bytes).map_err(|source| DisclosureError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(PublishedFile {
        name: name.to_string(),
        rows,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

fn cells_batch(cells: &[PublishedCell]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("indicator", DataType::Utf8, false),
        Field::new("area_level", DataType::Utf8, false),
        Field::new("area_code", DataType::Utf8, false),
        Field::new("prefecture_code", DataType::Utf8, false),
        Field::new("period_level", DataType::Utf8, false),
        Field::new("period_key", DataType::UInt32, false),
        Field::new("value", DataType::Float64, true),
        Field::new("display", DataType::Utf8, false),
        Field::new("is_suppressed", DataType::Boolean, false),
        Field::new("is_unstable", DataType::Boolean, false),
    ]));
    let text = |field: fn(&PublishedCell) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(cells.iter().map(field)))
    };
    let columns: Vec<ArrayRef> = vec![
        text(|cell| &cell.indicator),
        text(|cell| cell.area_level.name()),
        text(|cell| &cell.area_code),
        text(|cell| &cell.prefecture_code),
        text(|cell| cell.period_level),
        Arc::new(UInt32Array::from_iter_values(cells.iter().map(|cell| cell.period_key))),
        Arc::new(Float64Array::from_iter(cells.iter().map(|cell| cell.value))),
        text(|cell| &cell.display),
        Arc::new(BooleanArray::from_iter(
            cells.iter().map(|cell| Some(cell.is_suppressed)),
        )),
        Arc::new(BooleanArray::from_iter(cells.iter().map(|cell| Some(cell.is_unstable)))),
    ];
    RecordBatch::try_new(schema, columns).map_err(source_error)
}

fn parquet_bytes(batch: &RecordBatch) -> Result<Vec<u8>> {
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_created_by(format!("kaigo {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), Some(properties)).map_err(|error| {
            DisclosureError::Source {
                reason: error.to_string(),
            }
        })?;
    writer.write(batch).map_err(|error| DisclosureError::Source {
        reason: error.to_string(),
    })?;
    writer.close().map_err(|error| DisclosureError::Source {
        reason: error.to_string(),
    })?;
    Ok(bytes)
}
