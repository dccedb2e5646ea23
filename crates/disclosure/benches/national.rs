//! Benchmark (not a test): secondary suppression and the audit for a national release — the
//! shipped release's twelve counts with their nesting (level 3+ within certified…), over 47
//! prefectures × 1,571 insurers × 36 months. Counts are drawn around national rates for
//! heavy-tailed populations, a nested count from its superset's (seeded, so every run protects
//! the same tables). Each linked group is protected on its own, one after the other, so each has
//! its time. Prints one JSON line per count, one per group and a total.
//!
//! `cargo bench --workspace --bench national` (or benches/disclosure_national.sh);
//! `KAIGO_BENCH_AREAS` and `KAIGO_BENCH_MONTHS` set a smaller size.

use std::time::Instant;

use kaigo_disclosure::{
    CellStatus, Rules,
    release::{ReleaseSpec, SourceArea, SourceRows, protect_release},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N_PREFECTURES: usize = 47;

/// Expected count per person of the population per month, by the shipped release's count names
/// (a nested count's rate is its share of the population too, not of its superset).
const RATES: [(&str, f64); 12] = [
    ("n_certified", 0.055),
    ("n_certified_level_3_plus", 0.020),
    ("n_new_certifications", 0.0009),
    ("n_certified_died_within_year", 0.0072),
    ("n_certified_admitted_within_year", 0.0028),
    ("n_users", 0.042),
    ("n_facility_users", 0.009),
    ("n_deaths", 0.0007),
    ("n_provider_reported_users", 0.06),
    ("n_users_with_consent", 0.018),
    ("n_providers", 0.0017),
    ("n_providers_client_certificate", 0.0008),
];

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A draw around `mean` (normal by the sum of twelve uniforms, variance `mean`).
fn around(random: &mut ChaCha8Rng, mean: f64) -> u64 {
    let normal: f64 = (0..12).map(|_| random.random::<f64>()).sum::<f64>() - 6.0;
    (mean + normal * mean.sqrt()).round().max(0.0) as u64
}

fn main() {
    let n_areas = setting("KAIGO_BENCH_AREAS", 1_571);
    let n_months = setting("KAIGO_BENCH_MONTHS", 36);
    let mut random = ChaCha8Rng::seed_from_u64(2026);
    // Hokkaido has about a tenth of the insurers; the rest share the remainder.
    let n_first = n_areas / 10;
    let mut areas: Vec<SourceArea> = (0..n_areas)
        .map(|area| {
            let prefecture = if area < n_first {
                1
            } else {
                2 + (area - n_first) % (N_PREFECTURES - 1)
            };
            // Log-normal around a median of 24,000 people (σ = 1.3 in log space): about 2 % of
            // insurers under 2,000 and half under 25,000, as among Japan's municipalities.
            let normal: f64 = (0..12).map(|_| random.random::<f64>()).sum::<f64>() - 6.0;
            let population = (24_000.0 * (1.3 * normal).exp()).clamp(200.0, 3_700_000.0) as u64;
            SourceArea {
                code: format!("{prefecture:02}{area:04}"),
                prefecture: format!("{prefecture:02}"),
                population,
            }
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let months: Vec<u32> = (0..n_months as u32)
        .map(|index| (2025 + (index + 3) / 12) * 100 + (index + 3) % 12 + 1)
        .collect();
    let shipped = ReleaseSpec::shipped();
    let rate = |column: &str| {
        RATES
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, rate)| *rate)
            .expect("a rate for every shipped count")
    };
    // Supersets come before their subsets in the shipped spec.
    let mut counts: Vec<Vec<Vec<u64>>> = Vec::new();
    for count in &shipped.counts {
        let superset = count.within.as_ref().map(|within| {
            shipped
                .counts
                .iter()
                .position(|other| &other.column == within)
                .expect("declared")
        });
        let values = areas
            .iter()
            .enumerate()
            .map(|(area_index, area)| {
                (0..months.len())
                    .map(|month| match superset {
                        None => around(&mut random, area.population as f64 * rate(&count.column)),
                        Some(superset) => {
                            let whole = counts[superset][area_index][month];
                            let share = rate(&count.column) / rate(&shipped.counts[superset].column);
                            around(&mut random, whole as f64 * share).min(whole)
                        }
                    })
                    .collect()
            })
            .collect();
        counts.push(values);
    }
    let mut totals = (0, 0, 0, 0, 0.0);
    for group in shipped.linked_groups() {
        let spec = ReleaseSpec {
            counts: group.iter().map(|count| shipped.counts[*count].clone()).collect(),
            rates: Vec::new(),
            ..shipped.clone()
        };
        let source = SourceRows {
            areas: areas.clone(),
            months: months.clone(),
            counts: group.iter().map(|count| counts[*count].clone()).collect(),
            ..SourceRows::default()
        };
        let started = Instant::now();
        let release = protect_release(&spec, &source, &Rules::default()).expect("protects");
        let seconds = started.elapsed().as_secs_f64();
        let mut group_programs = 0;
        for (count, table, protection) in release.indicators() {
            let (primary, secondary) = (
                protection.count(CellStatus::Primary),
                protection.count(CellStatus::Secondary),
            );
            println!(
                "{{\"indicator\": \"{}\", \"cells\": {}, \"primary\": {primary}, \"secondary\": {secondary}, \"rounds\": {}, \"linear_programs\": {}, \"recoverable\": {}}}",
                count.column,
                table.len(),
                protection.n_rounds,
                protection.audit.n_linear_programs,
                protection.audit.failures().count()
            );
            // A group's counts share one audit: its programs are counted once.
            group_programs = protection.audit.n_linear_programs;
            totals = (
                totals.0 + table.len(),
                totals.1 + primary,
                totals.2 + secondary,
                totals.3,
                totals.4,
            );
        }
        let names: Vec<&str> = group
            .iter()
            .map(|count| shipped.counts[*count].column.as_str())
            .collect();
        println!("{{\"group\": {names:?}, \"linear_programs\": {group_programs}, \"seconds\": {seconds:.1}}}");
        totals.3 += group_programs;
        totals.4 += seconds;
    }
    println!(
        "{{\"benchmark\": \"disclosure national\", \"areas\": {n_areas}, \"months\": {n_months}, \"counts\": {}, \"cells\": {}, \"primary\": {}, \"secondary\": {}, \"linear_programs\": {}, \"seconds\": {:.1}}}",
        shipped.counts.len(),
        totals.0,
        totals.1,
        totals.2,
        totals.3,
        totals.4
    );
}
