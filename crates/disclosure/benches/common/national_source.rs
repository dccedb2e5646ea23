//! National-shaped source rows for the disclosure benchmark and its regression test: 47
//! prefectures of insurers with heavy-tailed populations, the shipped release's counts drawn
//! around national rates, a nested count from its superset's. Seeded, so every call with one
//! size gives the same rows.

use kaigo_disclosure::release::{ReleaseSpec, SourceArea, SourceRows};
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

/// A draw around `mean` (normal by the sum of twelve uniforms, variance `mean`).
fn around(random: &mut ChaCha8Rng, mean: f64) -> u64 {
    let normal: f64 = (0..12).map(|_| random.random::<f64>()).sum::<f64>() - 6.0;
    (mean + normal * mean.sqrt()).round().max(0.0) as u64
}

/// Areas, months (from 2025-04) and, per shipped count, per area, per month, its value.
pub struct NationalSource {
    areas: Vec<SourceArea>,
    months: Vec<u32>,
    counts: Vec<Vec<Vec<u64>>>,
}

impl NationalSource {
    /// The release spec of one linked group of the shipped spec (no rates) and its source rows.
    pub fn group(&self, shipped: &ReleaseSpec, group: &[usize]) -> (ReleaseSpec, SourceRows) {
        let spec = ReleaseSpec {
            counts: group.iter().map(|count| shipped.counts[*count].clone()).collect(),
            rates: Vec::new(),
            ..shipped.clone()
        };
        let source = SourceRows {
            areas: self.areas.clone(),
            months: self.months.clone(),
            counts: group.iter().map(|count| self.counts[*count].clone()).collect(),
            ..SourceRows::default()
        };
        (spec, source)
    }
}

/// The shipped counts over `n_areas` insurers and `n_months` months.
pub fn national_source(n_areas: usize, n_months: usize) -> NationalSource {
    let shipped = ReleaseSpec::shipped();
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
    NationalSource { areas, months, counts }
}
