//! Benchmark (not a test): secondary suppression and the audit for a national release —
//! 47 prefectures × 1,741 municipalities × 24 months × 10 indicators, with counts drawn around
//! national rates for heavy-tailed municipal populations (seeded, so every run protects the same
//! tables). Prints one JSON line per indicator and a total.
//!
//! `cargo bench -p kaigo-disclosure --bench national` (or benches/disclosure_national.sh).

use std::time::Instant;

use kaigo_disclosure::{
    CellStatus, CountUnit, Rules,
    release::{CountSpec, ReleaseSpec, SourceArea, SourceRows, protect_release},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N_MUNICIPALITIES: usize = 1_741;
const N_PREFECTURES: usize = 47;

/// Indicators: (name, unit, expected count per person of the population per month).
const INDICATORS: [(&str, CountUnit, f64); 10] = [
    ("n_certified", CountUnit::Persons, 0.055),
    ("n_certified_level_3_plus", CountUnit::Persons, 0.020),
    ("n_new_certifications", CountUnit::Persons, 0.0009),
    ("n_users", CountUnit::Persons, 0.042),
    ("n_in_home_users", CountUnit::Persons, 0.033),
    ("n_facility_users", CountUnit::Persons, 0.009),
    ("n_deaths", CountUnit::Persons, 0.0007),
    ("n_users_with_consent", CountUnit::Persons, 0.012),
    ("n_providers", CountUnit::Providers, 0.0017),
    ("n_providers_client_certificate", CountUnit::Providers, 0.0008),
];

fn main() {
    let mut random = ChaCha8Rng::seed_from_u64(2026);
    // Hokkaido has 179 municipalities; the rest share the remainder.
    let mut prefecture_of = Vec::with_capacity(N_MUNICIPALITIES);
    for municipality in 0..N_MUNICIPALITIES {
        let prefecture = if municipality < 179 {
            1
        } else {
            2 + (municipality - 179) % (N_PREFECTURES - 1)
        };
        prefecture_of.push(prefecture);
    }
    let areas: Vec<SourceArea> = (0..N_MUNICIPALITIES)
        .map(|municipality| {
            // Log-normal around a median of 24,000 people (σ = 1.3 in log space): about 2 % of
            // municipalities under 2,000 and half under 25,000, as in Japan.
            let normal: f64 = (0..12).map(|_| random.random::<f64>()).sum::<f64>() - 6.0;
            let population = (24_000.0 * (1.3 * normal).exp()).clamp(200.0, 3_700_000.0) as u64;
            SourceArea {
                code: format!("{:02}{:04}", prefecture_of[municipality], municipality),
                prefecture: format!("{:02}", prefecture_of[municipality]),
                population,
            }
        })
        .collect();
    let mut areas = areas;
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let months: Vec<u32> = (0..24)
        .map(|index| (2026 + (index + 3) / 12) * 100 + (index + 3) % 12 + 1)
        .collect();
    let counts: Vec<Vec<Vec<u64>>> = INDICATORS
        .iter()
        .map(|(_, _, rate)| {
            areas
                .iter()
                .map(|area| {
                    months
                        .iter()
                        .map(|_| {
                            let mean = area.population as f64 * rate;
                            let normal: f64 = (0..12).map(|_| random.random::<f64>()).sum::<f64>() - 6.0;
                            (mean + normal * mean.sqrt()).round().max(0.0) as u64
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let spec = ReleaseSpec {
        counts: INDICATORS
            .iter()
            .map(|(name, unit, _)| CountSpec {
                column: name.to_string(),
                unit: *unit,
                ja: String::new(),
                en: String::new(),
                // Drawn independently, so none is declared within another.
                within: None,
            })
            .collect(),
        rates: Vec::new(),
        ..ReleaseSpec::shipped()
    };
    let source = SourceRows {
        areas,
        months,
        counts,
        ..SourceRows::default()
    };
    let started = Instant::now();
    let release = protect_release(&spec, &source, &Rules::default()).expect("protects");
    let seconds = started.elapsed().as_secs_f64();
    let mut totals = (0, 0, 0, 0);
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
        totals = (
            totals.0 + table.len(),
            totals.1 + primary,
            totals.2 + secondary,
            totals.3 + protection.audit.n_linear_programs,
        );
    }
    println!(
        "{{\"benchmark\": \"disclosure national\", \"municipalities\": {N_MUNICIPALITIES}, \"months\": 24, \"indicators\": 10, \"cells\": {}, \"primary\": {}, \"secondary\": {}, \"linear_programs\": {}, \"seconds\": {seconds:.1}}}",
        totals.0, totals.1, totals.2, totals.3
    );
}
