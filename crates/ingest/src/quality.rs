//! The data-quality report of a load: each insurer's delivery against its own history.
//!
//! The hub's failure modes are per insurer: a go-live that delivered nothing, a back-fill that
//! stopped short or skipped months, a month with a fraction of the usual claims, a file full of
//! invalid rows. Each check below compares what an insurer delivered now with what it delivered
//! before (the load manifests), so a small village and a designated city are judged by their own
//! scale. The report is JSON for tools and a short text for people; it never holds a person's
//! value, only counts per insurer.

use std::collections::{BTreeMap, BTreeSet};

use kaigo_codes::calendar::YearMonth;
use kaigo_warehouse::manifest::{InsurerVolume, LoadManifest};

/// Service months of history a monthly volume is compared with.
pub const HISTORY_MONTHS: usize = 6;
/// History months needed before volumes are judged.
pub const MIN_HISTORY_MONTHS: usize = 3;
/// Median monthly statements below which volumes (and gaps) are too noisy to judge.
pub const MIN_MEDIAN_STATEMENTS: f64 = 20.0;

/// What stands out about one insurer's delivery.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Finding {
    /// Live since before this month by the registry, but not a single file delivered.
    NoDataWhileLive {
        /// Go-live month per the registry.
        go_live: String,
    },
    /// Data delivered although the registry says the insurer is not live.
    DataBeforeGoLive,
    /// This month's statements far from the median of its previous months.
    VolumeOutlier {
        /// Statements for the month.
        statements: u64,
        /// Median of the previous months.
        median: f64,
        /// statements / median.
        ratio: f64,
    },
    /// The first delivery's back-fill starts later than the hub's history.
    BackfillShort {
        /// First service month delivered.
        first_month: String,
        /// First service month of the hub's history (earliest any insurer delivered).
        history_start: String,
    },
    /// Service months without a statement inside the delivered history.
    BackfillGaps {
        /// The empty months.
        months: Vec<String>,
    },
    /// A quarantine share far above the delivery's overall share.
    QuarantineHigh {
        /// Quarantined / rows in, this insurer.
        rate: f64,
        /// Quarantined / rows in, whole delivery.
        overall: f64,
    },
    /// Files rejected whole.
    FilesRejected {
        /// How many.
        files: u64,
    },
}

impl Finding {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Self::NoDataWhileLive { go_live } => format!("live since {go_live} but delivered no file"),
            Self::DataBeforeGoLive => "data delivered before go-live".into(),
            Self::VolumeOutlier {
                statements,
                median,
                ratio,
            } => format!("{statements} statements vs median {median:.0} ({ratio:.2}×)"),
            Self::BackfillShort {
                first_month,
                history_start,
            } => format!("back-fill starts {first_month}, history starts {history_start}"),
            Self::BackfillGaps { months } => format!("back-fill has no claims in {}", months.join(", ")),
            Self::QuarantineHigh { rate, overall } => {
                format!("{:.2} % quarantined (delivery {:.2} %)", rate * 100.0, overall * 100.0)
            }
            Self::FilesRejected { files } => format!("{files} file(s) rejected"),
        }
    }
}

/// One insurer in the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InsurerQuality {
    /// Insurer number.
    pub insurer_number: String,
    /// Go-live month per the registry, if live.
    pub go_live: Option<String>,
    /// Whether this is the insurer's first delivery (its back-fill).
    pub first_delivery: bool,
    /// Statements for the delivery's service month (delivery − 1).
    pub statements: u64,
    /// Median statements of the previous service months (up to [`HISTORY_MONTHS`]).
    pub median: Option<f64>,
    /// Rows in.
    pub rows_in: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// What stands out (empty: nothing).
    pub findings: Vec<Finding>,
}

/// The data-quality report of one load.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QualityReport {
    /// Delivery month.
    pub delivery: String,
    /// Insurers that delivered or should have.
    pub insurers: Vec<InsurerQuality>,
    /// Quarantined / rows in over the delivery.
    pub quarantine_rate: f64,
    /// Insurers with at least one finding.
    pub insurers_flagged: usize,
}

fn median(values: &mut [u64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle] as f64
    } else {
        (values[middle - 1] + values[middle]) as f64 / 2.0
    })
}

/// A monthly count is an outlier when it is further from the median than both 4 Poisson
/// standard deviations and 30 %: small insurers vary a lot by chance, large ones should not.
fn is_outlier(count: u64, median: f64) -> bool {
    let distance = (count as f64 - median).abs();
    distance > (4.0 * median.sqrt()).max(0.3 * median)
}

/// Judge `current` against the manifests of earlier deliveries (`history`, any order) and the
/// registry's go-live month per insurer (`None`: not live).
pub fn assess(
    current: &LoadManifest,
    history: &[LoadManifest],
    go_live: &BTreeMap<String, Option<YearMonth>>,
) -> QualityReport {
    let delivery = YearMonth::parse_compact(&current.delivery).ok();
    let service_month = delivery.map(|month| month.plus_months(-1).compact());
    let earlier: Vec<&LoadManifest> = history
        .iter()
        .filter(|manifest| manifest.delivery < current.delivery)
        .collect();
    let history_start = earlier
        .iter()
        .copied()
        .chain([current])
        .flat_map(|manifest| manifest.insurers.values())
        .filter_map(|volume| volume.statements_by_service_month.keys().next())
        .min()
        .cloned();
    let (rows_in, quarantined) = current.insurers.values().fold((0, 0), |(rows, bad), volume| {
        (rows + volume.rows_in, bad + volume.rows_quarantined)
    });
    let overall = if rows_in == 0 {
        0.0
    } else {
        quarantined as f64 / rows_in as f64
    };

    let live_before: BTreeSet<&String> = go_live
        .iter()
        .filter(|(_, month)| matches!((month, delivery), (Some(month), Some(delivery)) if *month < delivery))
        .map(|(insurer, _)| insurer)
        .collect();
    let insurers: BTreeSet<&String> = current.insurers.keys().chain(live_before.iter().copied()).collect();
    let empty = InsurerVolume::default();
    let mut report = Vec::new();
    for insurer in insurers {
        let volume = current.insurers.get(insurer).unwrap_or(&empty);
        let go_live_month = go_live.get(insurer).copied().flatten();
        let first_delivery = current.insurers.contains_key(insurer)
            && !earlier.iter().any(|manifest| manifest.insurers.contains_key(insurer));
        // The insurer's statements by service month, over every delivery so far.
        let mut by_month: BTreeMap<&String, u64> = BTreeMap::new();
        for manifest in earlier.iter().copied().chain([current]) {
            if let Some(volume) = manifest.insurers.get(insurer) {
                for (month, count) in &volume.statements_by_service_month {
                    *by_month.entry(month).or_default() += count;
                }
            }
        }
        let statements = service_month
            .as_ref()
            .and_then(|month| by_month.get(month).copied())
            .unwrap_or(0);
        let mut previous: Vec<u64> = by_month
            .iter()
            .filter(|(month, _)| service_month.as_ref().is_some_and(|current| *month < &current))
            .rev()
            .take(HISTORY_MONTHS)
            .map(|(_, count)| *count)
            .collect();
        let enough_history = previous.len() >= MIN_HISTORY_MONTHS;
        let median = median(&mut previous);

        let mut findings = Vec::new();
        if live_before.contains(insurer) && volume.files == 0 {
            findings.push(Finding::NoDataWhileLive {
                go_live: go_live_month.map(|month| month.compact()).unwrap_or_default(),
            });
        }
        if current.insurers.contains_key(insurer) && go_live_month.is_none_or(|month| Some(month) > delivery) {
            findings.push(Finding::DataBeforeGoLive);
        }
        if let Some(median) = median.filter(|median| enough_history && *median >= MIN_MEDIAN_STATEMENTS)
            && is_outlier(statements, median)
        {
            findings.push(Finding::VolumeOutlier {
                statements,
                median,
                ratio: statements as f64 / median,
            });
        }
        if first_delivery && let Some(first) = volume.statements_by_service_month.keys().next() {
            if let Some(start) = &history_start
                && first > start
            {
                findings.push(Finding::BackfillShort {
                    first_month: first.clone(),
                    history_start: start.clone(),
                });
            }
            let delivered = &volume.statements_by_service_month;
            let busy = median.is_some_and(|median| median >= MIN_MEDIAN_STATEMENTS);
            if busy && let (Ok(first), Some(last)) = (YearMonth::parse_compact(first), delivery) {
                let gaps: Vec<String> = (0..last.months_since(first).max(0))
                    .map(|offset| first.plus_months(offset).compact())
                    .filter(|month| !delivered.contains_key(month))
                    .collect();
                if !gaps.is_empty() {
                    findings.push(Finding::BackfillGaps { months: gaps });
                }
            }
        }
        let rate = if volume.rows_in == 0 {
            0.0
        } else {
            volume.rows_quarantined as f64 / volume.rows_in as f64
        };
        if volume.rows_quarantined >= 5 && rate > 0.01 && rate > 3.0 * overall {
            findings.push(Finding::QuarantineHigh { rate, overall });
        }
        if volume.files_rejected > 0 {
            findings.push(Finding::FilesRejected {
                files: volume.files_rejected,
            });
        }
        report.push(InsurerQuality {
            insurer_number: insurer.clone(),
            go_live: go_live_month.map(|month| month.compact()),
            first_delivery,
            statements,
            median,
            rows_in: volume.rows_in,
            rows_quarantined: volume.rows_quarantined,
            findings,
        });
    }
    QualityReport {
        delivery: current.delivery.clone(),
        insurers_flagged: report.iter().filter(|insurer| !insurer.findings.is_empty()).count(),
        insurers: report,
        quarantine_rate: overall,
    }
}

impl QualityReport {
    /// The readable summary: a headline and one line per finding.
    pub fn render(&self) -> String {
        let mut out = format!(
            "data quality {}: {} insurers, {} flagged; {:.3} % of rows quarantined\n",
            self.delivery,
            self.insurers.len(),
            self.insurers_flagged,
            self.quarantine_rate * 100.0
        );
        for insurer in &self.insurers {
            for finding in &insurer.findings {
                out.push_str(&format!("  {}  {}\n", insurer.insurer_number, finding.describe()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(months: &[(&str, u64)], rows_in: u64, quarantined: u64) -> InsurerVolume {
        InsurerVolume {
            files: 1,
            rows_in,
            rows_quarantined: quarantined,
            statements_by_service_month: months
                .iter()
                .map(|(month, count)| (month.to_string(), *count))
                .collect(),
            ..InsurerVolume::default()
        }
    }

    fn manifest(delivery: &str, insurers: Vec<(&str, InsurerVolume)>) -> LoadManifest {
        LoadManifest {
            delivery: delivery.into(),
            key_fingerprint: String::new(),
            code_version: String::new(),
            files: Vec::new(),
            table_rows: BTreeMap::new(),
            table_versions: BTreeMap::new(),
            quarantine_by_rule: BTreeMap::new(),
            insurers: insurers
                .into_iter()
                .map(|(insurer, volume)| (insurer.into(), volume))
                .collect(),
            seconds: 0.0,
        }
    }

    fn month(text: &str) -> Option<YearMonth> {
        Some(YearMonth::parse_compact(text).unwrap())
    }

    /// Insurer A went live in 202611 with a back-fill of 202604..202610 (100 a month).
    fn history() -> Vec<LoadManifest> {
        let backfill: Vec<(String, u64)> = (4..=10).map(|m| (format!("2026{m:02}"), 100)).collect();
        let backfill: Vec<(&str, u64)> = backfill.iter().map(|(m, c)| (m.as_str(), *c)).collect();
        vec![manifest("202611", vec![("111111", volume(&backfill, 1000, 1))])]
    }

    #[test]
    fn a_normal_month_raises_nothing() {
        let current = manifest("202612", vec![("111111", volume(&[("202611", 104)], 150, 0))]);
        let go_live = BTreeMap::from([("111111".to_string(), month("202611"))]);
        let report = assess(&current, &history(), &go_live);
        assert_eq!(report.insurers_flagged, 0, "{}", report.render());
        assert_eq!(report.insurers[0].median, Some(100.0));
        assert_eq!(report.insurers[0].statements, 104);
    }

    #[test]
    fn a_short_month_and_a_silent_live_insurer_stand_out() {
        // 55 vs 100: |45| > max(4·10, 30) → outlier; 60 would not be (|40| is not > 40).
        let current = manifest(
            "202612",
            vec![
                ("111111", volume(&[("202611", 55)], 80, 0)),
                ("222222", InsurerVolume::default()),
                ("666666", volume(&[], 3, 0)),
            ],
        );
        let go_live = BTreeMap::from([
            ("111111".to_string(), month("202611")),
            ("222222".to_string(), month("202610")),
            ("333333".to_string(), month("202609")),
            ("666666".to_string(), month("202610")),
        ]);
        let report = assess(&current, &history(), &go_live);
        let findings: BTreeMap<&str, &Vec<Finding>> = report
            .insurers
            .iter()
            .map(|insurer| (insurer.insurer_number.as_str(), &insurer.findings))
            .collect();
        assert_eq!(
            findings["111111"],
            &vec![Finding::VolumeOutlier {
                statements: 55,
                median: 100.0,
                ratio: 0.55
            }]
        );
        assert_eq!(
            findings["222222"],
            &vec![Finding::NoDataWhileLive {
                go_live: "202610".into()
            }]
        );
        // Live but no folder at all: still listed.
        assert_eq!(
            findings["333333"],
            &vec![Finding::NoDataWhileLive {
                go_live: "202609".into()
            }]
        );
        // A folder without claims is not silent (a small insurer may have no user in a month);
        // its first delivery is a back-fill that starts late, though.
        assert!(
            findings["666666"]
                .iter()
                .all(|finding| !matches!(finding, Finding::NoDataWhileLive { .. }))
        );
        assert_eq!(report.insurers_flagged, 3);
        let current = manifest("202612", vec![("111111", volume(&[("202611", 60)], 80, 0))]);
        assert_eq!(assess(&current, &history(), &go_live).insurers[0].findings, vec![]);
    }

    #[test]
    fn a_short_or_holed_backfill_stands_out() {
        let go_live = BTreeMap::from([
            ("111111".to_string(), month("202611")),
            ("444444".to_string(), month("202612")),
        ]);
        // 444444 goes live in 202612: back-fill 202606..202611 without 202608.
        let months: Vec<(String, u64)> = [6, 7, 9, 10, 11].iter().map(|m| (format!("2026{m:02}"), 50)).collect();
        let months: Vec<(&str, u64)> = months.iter().map(|(m, c)| (m.as_str(), *c)).collect();
        let current = manifest(
            "202612",
            vec![
                ("111111", volume(&[("202611", 100)], 150, 0)),
                ("444444", volume(&months, 400, 0)),
            ],
        );
        let report = assess(&current, &history(), &go_live);
        let new = report.insurers.iter().find(|i| i.insurer_number == "444444").unwrap();
        assert!(new.first_delivery);
        assert_eq!(
            new.findings,
            vec![
                Finding::BackfillShort {
                    first_month: "202606".into(),
                    history_start: "202604".into()
                },
                Finding::BackfillGaps {
                    months: vec!["202608".into()]
                },
            ]
        );
    }

    #[test]
    fn quarantine_and_rejections_and_early_data_stand_out() {
        let go_live = BTreeMap::from([("111111".to_string(), month("202611"))]);
        let mut bad = volume(&[("202611", 100)], 200, 20);
        bad.files_rejected = 1;
        let current = manifest(
            "202612",
            vec![("111111", bad), ("555555", volume(&[("202611", 5)], 5000, 1))],
        );
        let report = assess(&current, &history(), &go_live);
        let a = &report.insurers[0];
        // overall 21 / 5200 = 0.40 %; 111111: 10 % > 1 % and > 3 × overall.
        assert_eq!(
            a.findings,
            vec![
                Finding::QuarantineHigh {
                    rate: 0.1,
                    overall: 21.0 / 5200.0
                },
                Finding::FilesRejected { files: 1 }
            ]
        );
        // Not in the registry as live, and its first delivery carries one month of history.
        assert_eq!(
            report.insurers[1].findings,
            vec![
                Finding::DataBeforeGoLive,
                Finding::BackfillShort {
                    first_month: "202611".into(),
                    history_start: "202604".into()
                }
            ]
        );
        assert!(report.render().contains("555555  data delivered before go-live"));
    }
}
