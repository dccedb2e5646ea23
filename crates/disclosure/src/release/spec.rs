//! The release spec: which model, which counts (with their units, nesting and regularities) and
//! which rates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{CountUnit, DisclosureError, Result, Within};

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
    /// Counts this one does not exceed in practice, though no definition says so (service users
    /// within certified persons): an attacker who sees it hold in the published cells may assume
    /// it, so the audit holds it, cell by cell, wherever the data keeps it.
    #[serde(default)]
    pub at_most: Vec<String>,
    /// How the count moves from one month to the next in a municipality, as an attacker can read
    /// off the published months: held by the audit wherever the data keeps it.
    #[serde(default)]
    pub over_time: Option<OverTime>,
    /// Zero wherever the public registry says the insurer is not live (no provider reports users
    /// to a hub the insurer has not joined): anyone can read those zeros off the registry, so
    /// they are published as 0 whatever the rules say, never hidden, and the release fails if
    /// the data breaks one.
    #[serde(default)]
    pub zero_unless_live: bool,
}

/// A count's regularity over months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverTime {
    /// Never falls (providers with a client certificate: once set up, kept).
    NonDecreasing,
    /// Never changes (the providers of an area).
    Constant,
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
        Self::parse(include_str!("../../release.toml"), "release.toml").expect("the shipped release spec parses")
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
        for count in &spec.counts {
            for bound in &count.at_most {
                match spec.counts.iter().find(|other| &other.column == bound) {
                    None => {
                        return Err(invalid(format!(
                            "count {} is at most {bound}, which is not a count of the release",
                            count.column
                        )));
                    }
                    Some(other) if other.unit != count.unit || other.column == count.column => {
                        return Err(invalid(format!(
                            "count {} is at most {bound}: it must be another count of the same unit",
                            count.column
                        )));
                    }
                    Some(_) => {}
                }
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

    /// The `at_most` pairs, by count index: (smaller, larger).
    pub fn at_most_pairs(&self) -> Vec<(usize, usize)> {
        let index_of = |column: &str| self.counts.iter().position(|count| count.column == column);
        self.counts
            .iter()
            .enumerate()
            .flat_map(|(smaller, count)| {
                (count.at_most.iter())
                    .filter_map(move |bound| index_of(bound))
                    .map(move |larger| (smaller, larger))
            })
            .collect()
    }

    /// The counts audited together: those joined by `within` links or `at_most` pairs, each
    /// group in count order.
    pub fn linked_groups(&self) -> Vec<Vec<usize>> {
        let mut group_of: Vec<usize> = (0..self.counts.len()).collect();
        // Few counts: relabel until every pair's ends share the smaller label.
        let pairs: Vec<(usize, usize)> = (self.links().iter())
            .map(|link| (link.subset, link.superset))
            .chain(self.at_most_pairs())
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (subset, superset) in &pairs {
                let label = group_of[*subset].min(group_of[*superset]);
                for end in [*subset, *superset] {
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
