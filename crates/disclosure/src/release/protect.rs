//! Building each count's cube (areas × periods), protecting and auditing it, and the cells
//! (with the derived rates) that a protected release publishes.

use std::collections::BTreeMap;

use kaigo_codes::calendar::YearMonth;
use rayon::prelude::*;
use serde::Serialize;
use tracing::info;

use super::{CountSpec, OverTime, ReleaseSpec, SourceRows};
use crate::{
    AreaUnit, CellStatus, CountUnit, DisclosureError, Hierarchy, Order, Protection, Result, Rules, SUPPRESSED_MARK,
    Table, Within, protect_linked,
};

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
    pub(super) fn name(self) -> &'static str {
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
    pub(super) spec: ReleaseSpec,
    pub(super) rules: Rules,
    area: Hierarchy,
    area_levels: Vec<AreaLevel>,
    period: Hierarchy,
    indicators: Vec<(Table, Protection)>,
    /// Per count, [`IndicatorReport::n_sensitive_differences`].
    pub(super) sensitive_differences: Vec<usize>,
    /// Per count, [`IndicatorReport::relations`].
    pub(super) relations: Vec<Vec<String>>,
}

/// One protected count, as a linked group's protection gives it.
struct Indicator {
    count: usize,
    table: Table,
    protection: Protection,
    sensitive_differences: usize,
    relations: Vec<String>,
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
    // A municipal month the registry says is not live is a structural zero of a
    // `zero_unless_live` count, and so is every total over such months alone.
    let mark_structural_zeros = |table: &mut Table, count: usize| -> Result<()> {
        let mut ordinary = Table::new(table.dimensions().to_vec())?;
        for (area_node, source_area) in source_area_of_node.iter().enumerate() {
            for (period_node, month) in month_of_node.iter().enumerate() {
                let (Some(source_area), Some(month)) = (source_area, month) else {
                    continue;
                };
                let is_zero = !source.live[*source_area][*month];
                if is_zero && source.counts[count][*source_area][*month] > 0 {
                    return Err(DisclosureError::Spec {
                        origin: spec.source.clone(),
                        reason: format!(
                            "{} is not 0 for {} in {}, where the registry says the insurer is not live, but the \
                             release spec declares it zero_unless_live",
                            spec.counts[count].column, source.areas[*source_area].code, source.months[*month]
                        ),
                    });
                }
                ordinary.set(&[area_node, period_node], u64::from(!is_zero));
            }
        }
        ordinary.aggregate();
        for cell in 0..table.len() {
            if ordinary.value(cell) == 0 && table.is_available(cell) {
                table.set_public(cell);
            }
        }
        Ok(())
    };
    // Source months' period nodes, in order, and the municipal area nodes.
    let month_nodes: Vec<usize> = (0..source.months.len())
        .map(|month| {
            month_of_node
                .iter()
                .position(|node| *node == Some(month))
                .expect("every month has a node")
        })
        .collect();
    let municipal_nodes: Vec<usize> = (0..area.len())
        .filter(|node| source_area_of_node[*node].is_some())
        .collect();
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
    let build_table = |count: usize| -> Result<Table> {
        let values = &source.counts[count];
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
        // A month the count is not known for, and a fiscal year over it (a total over the known
        // months alone would read as the year's), in every area.
        let unavailable = source.unavailable_months.get(count).map_or(&[][..], Vec::as_slice);
        let is_unavailable =
            |node: usize| month_of_node[node].is_some_and(|month| unavailable.contains(&source.months[month]));
        for cell in 0..table.len() {
            let period_node = table.coordinates(cell)[1];
            if is_unavailable(period_node) || period.children(period_node).iter().any(|child| is_unavailable(*child)) {
                table.set_unavailable(cell);
            }
        }
        if spec.counts[count].zero_unless_live && !source.live.is_empty() {
            mark_structural_zeros(&mut table, count)?;
        }
        apply_rules(&mut table, spec.counts[count].unit);
        Ok(table)
    };
    let links = spec.links();
    let groups = spec.linked_groups();
    let protected_groups: Vec<Vec<Indicator>> = groups
        .par_iter()
        .map(|group| {
            let mut tables: Vec<Table> = group.iter().map(|count| build_table(*count)).collect::<Result<_>>()?;
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
            let (orders, relations) = regularities(spec, group, &tables, &month_nodes, &municipal_nodes);
            let table_refs: Vec<&Table> = tables.iter().collect();
            // Wall time is logged only: the release's files stay the same run to run.
            let started = std::time::Instant::now();
            let mut protections = protect_linked(&table_refs, &group_links, &orders)?;
            let seconds = started.elapsed().as_secs_f64();
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
                    group_seconds = format!("{seconds:.1}"),
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
                .zip(relations)
                .map(|((((count, table), protection), differences), relations)| Indicator {
                    count,
                    table,
                    protection,
                    sensitive_differences: differences,
                    relations,
                })
                .collect())
        })
        .collect::<Result<_>>()?;
    let mut protected: Vec<Indicator> = protected_groups.into_iter().flatten().collect();
    protected.sort_by_key(|indicator| indicator.count);
    let sensitive_differences = protected
        .iter()
        .map(|indicator| indicator.sensitive_differences)
        .collect();
    let relations = protected
        .iter_mut()
        .map(|indicator| std::mem::take(&mut indicator.relations))
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
        relations,
    })
}

/// The orders an attacker can read off a linked group's counts (`at_most`, `over_time`), each
/// wherever the data keeps it — a municipal cell against another count's, a municipal month
/// against the next — and, per count of the group, the relations its audit holds, described.
/// Orders at municipal cells imply those of every total, through the relations.
fn regularities(
    spec: &ReleaseSpec,
    group: &[usize],
    tables: &[Table],
    month_nodes: &[usize],
    municipal_nodes: &[usize],
) -> (Vec<Order>, Vec<Vec<String>>) {
    let mut orders = Vec::new();
    let mut described = Vec::with_capacity(group.len());
    for (local, count) in group.iter().enumerate() {
        let count_spec = &spec.counts[*count];
        let table = &tables[local];
        let mut relations = vec!["totals over areas and fiscal years".to_string()];
        if let Some(within) = &count_spec.within {
            relations.push(format!("within {within}, and the difference protected as a count"));
        }
        // Where the data keeps `smaller ≤ larger` at every pair of [table, cell], the pair's
        // orders; counted (kept, pairs).
        let mut keep = |pairs: &mut dyn Iterator<Item = Vec<([usize; 2], [usize; 2])>>| {
            let (mut kept, mut n_pairs) = (0, 0);
            for pair in pairs {
                let value = |[table, cell]: [usize; 2]| tables[table].value(cell);
                let available = |[table, cell]: [usize; 2]| tables[table].is_available(cell);
                if !pair
                    .iter()
                    .all(|(smaller, larger)| available(*smaller) && available(*larger))
                {
                    continue;
                }
                n_pairs += 1;
                if pair.iter().all(|(smaller, larger)| value(*smaller) <= value(*larger)) {
                    kept += 1;
                    orders.extend(pair.iter().map(|(smaller, larger)| Order {
                        smaller: *smaller,
                        larger: *larger,
                    }));
                }
            }
            (kept, n_pairs)
        };
        for bound in &count_spec.at_most {
            let Some(larger) = group.iter().position(|member| spec.counts[*member].column == *bound) else {
                continue;
            };
            let (kept, n_pairs) = keep(&mut municipal_nodes.iter().flat_map(|area| {
                month_nodes.iter().map(move |month| {
                    let cell = table.cell(&[*area, *month]);
                    vec![([local, cell], [larger, cell])]
                })
            }));
            relations.push(format!("at most {bound}, in {kept} of {n_pairs} municipality-months"));
        }
        if count_spec.zero_unless_live {
            let n_zeros = (municipal_nodes.iter())
                .flat_map(|area| month_nodes.iter().map(move |month| table.cell(&[*area, *month])))
                .filter(|cell| table.is_public(*cell))
                .count();
            relations.push(format!(
                "0 where the public registry says the insurer is not live, published as such: {n_zeros} \
                 municipality-months"
            ));
        }
        if let Some(over_time) = count_spec.over_time {
            let (kept, n_pairs) = keep(&mut municipal_nodes.iter().flat_map(|area| {
                month_nodes.windows(2).map(move |months| {
                    let (earlier, later) = (table.cell(&[*area, months[0]]), table.cell(&[*area, months[1]]));
                    let rises = ([local, earlier], [local, later]);
                    match over_time {
                        OverTime::NonDecreasing => vec![rises],
                        OverTime::Constant => vec![rises, (rises.1, rises.0)],
                    }
                })
            }));
            let name = match over_time {
                OverTime::NonDecreasing => "never falls month to month",
                OverTime::Constant => "never changes month to month",
            };
            relations.push(format!("{name}, in {kept} of {n_pairs} municipality-month pairs"));
        }
        described.push(relations);
    }
    (orders, described)
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
        for (spec, table, protection) in self.indicators() {
            for cell in 0..table.len() {
                let (area_level, area_code, prefecture_code, period_level, period_key) = self.locate(cell, table);
                let is_unavailable = !table.is_available(cell);
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
                let is_unavailable = !numerator_table.is_available(cell) || !denominator_table.is_available(cell);
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
