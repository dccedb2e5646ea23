//! The population model: who is certified, how they age, change level, use services and die.
//! Every number here cites domain.md; where the source is silent the value is an assumption,
//! said so, and exposed in [`crate::SynthConfig`] where a user may want to vary it.

use kaigo_codes::care_level::CareLevel;

/// Level shares of all certified persons, end FY2022 (domain.md §2.2, §6.2), 要支援1…要介護5.
pub const LEVEL_SHARE: [f64; 7] = [0.142, 0.138, 0.208, 0.167, 0.132, 0.128, 0.085];

/// Age bands of 1st-tier certified persons: 65–69 … 90+.
pub const AGE_BANDS: [(u32, u32); 6] = [(65, 69), (70, 74), (75, 79), (80, 84), (85, 89), (90, 104)];

/// Share of each age band among 1st-tier certified (domain.md §6.2: 20/51/84/144/186/196 万).
pub const AGE_BAND_SHARE: [f64; 6] = [
    20.0 / 681.0,
    51.0 / 681.0,
    84.0 / 681.0,
    144.0 / 681.0,
    186.0 / 681.0,
    196.0 / 681.0,
];

/// Men, 1st tier, persons by age band × level (R4 年報 第4-1表, domain.md §2.2.1).
const MEN: [[f64; 7]; 6] = [
    [14_961.0, 15_706.0, 20_995.0, 20_817.0, 14_862.0, 13_263.0, 10_544.0],
    [33_531.0, 33_566.0, 48_872.0, 46_657.0, 34_445.0, 30_270.0, 21_777.0],
    [48_678.0, 45_270.0, 72_086.0, 62_881.0, 45_323.0, 39_329.0, 26_505.0],
    [76_667.0, 62_072.0, 109_869.0, 85_355.0, 61_818.0, 52_625.0, 32_150.0],
    [82_965.0, 67_164.0, 124_506.0, 94_288.0, 70_386.0, 58_943.0, 33_563.0],
    [52_537.0, 47_546.0, 93_570.0, 79_140.0, 65_101.0, 54_960.0, 27_570.0],
];

/// Women, 1st tier, totals by level (same table).
const WOMEN_BY_LEVEL: [f64; 7] = [
    663_513.0, 668_715.0, 954_886.0, 744_727.0, 609_567.0, 620_477.0, 419_326.0,
];

/// 2nd-tier (40–64) certified by level (men's row; the women's row was not found).
const SECOND_TIER_BY_LEVEL: [f64; 7] = [6_577.0, 10_447.0, 12_096.0, 15_146.0, 10_767.0, 9_106.0, 8_406.0];

/// Share of 2nd-tier persons among certified: 13万 / 694万.
pub const SECOND_TIER_SHARE: f64 = 13.0 / 694.0;
/// Share of women among 1st-tier certified: 468 / 681 (domain.md §2.2).
pub const FEMALE_SHARE_FIRST_TIER: f64 = 0.687;
/// Share of men among 2nd-tier certified: 7万 / 13万.
pub const MALE_SHARE_SECOND_TIER: f64 = 7.0 / 13.0;

/// One-year transition between levels among continuing users, % of row (domain.md §5.2, 2016–17).
/// Rows 要介護3–5 were not published; ours continue the pattern (stay ≈ 70–90 %, drift upward).
pub const ANNUAL_TRANSITIONS: [[f64; 7]; 7] = [
    [67.6, 19.4, 9.7, 2.2, 0.7, 0.4, 0.1],
    [10.3, 67.2, 14.0, 6.2, 1.4, 0.7, 0.2],
    [1.1, 3.3, 70.0, 17.7, 5.3, 2.0, 0.6],
    [0.3, 1.5, 8.2, 69.8, 14.0, 4.8, 1.4],
    [0.0, 0.5, 3.0, 8.0, 70.0, 14.0, 4.5],
    [0.0, 0.0, 1.0, 3.0, 8.0, 75.0, 13.0],
    [0.0, 0.0, 0.0, 1.0, 2.0, 7.0, 90.0],
];

/// How much faster the latent (true) level moves than the published table of certified levels:
/// the certified level follows the latent one only at renewals and change applications, so the
/// latent process must move more for certified levels 12 months apart to match §5.2.
pub const TRANSITION_INTENSITY: f64 = 1.35;

/// The annual latent transition matrix: the published one with its off-diagonal mass scaled by
/// [`TRANSITION_INTENSITY`] (rows sum to 1).
pub fn latent_annual_transitions() -> [[f64; 7]; 7] {
    let mut matrix = [[0.0; 7]; 7];
    for from in 0..7 {
        let row_sum: f64 = ANNUAL_TRANSITIONS[from].iter().sum();
        let stay = ANNUAL_TRANSITIONS[from][from] / row_sum;
        for to in 0..7 {
            matrix[from][to] = if to == from {
                1.0 - (1.0 - stay) * TRANSITION_INTENSITY
            } else {
                ANNUAL_TRANSITIONS[from][to] / row_sum * TRANSITION_INTENSITY
            };
        }
    }
    matrix
}

/// Annual mortality by level. Level-specific rates were not found (domain.md §6.6); these are
/// assumptions that give ≈ 13 % overall, within the 13–15 % implied by the 杉並区 cohort.
pub const ANNUAL_MORTALITY: [f64; 7] = [0.04, 0.05, 0.08, 0.11, 0.17, 0.24, 0.33];

/// Mortality multiplier by age band (assumption; normalised so the certified mix keeps ≈ 13 %).
pub const MORTALITY_AGE_FACTOR: [f64; 6] = [0.55, 0.65, 0.8, 0.95, 1.05, 1.25];

/// Users per certified person by level (domain.md §6.4, 予防 for 要支援).
pub const USERS_PER_CERTIFIED: [f64; 7] = [0.35, 0.53, 0.85, 0.94, 0.97, 0.96, 0.93];

/// Residential settings a user can live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Residence {
    /// 51 介護老人福祉施設（特養）.
    WelfareFacility,
    /// 52 介護老人保健施設（老健）.
    HealthFacility,
    /// 55 介護医療院.
    MedicalInstitution,
    /// 54 地域密着型介護老人福祉施設.
    SmallWelfareFacility,
    /// 32 認知症対応型共同生活介護 (group home).
    GroupHome,
    /// 33 特定施設入居者生活介護 (or 35 for 要支援).
    SpecifiedFacility,
}

impl Residence {
    /// All, in the order of [`RESIDENCE_SHARE`] columns.
    pub const ALL: [Residence; 6] = [
        Self::WelfareFacility,
        Self::HealthFacility,
        Self::MedicalInstitution,
        Self::SmallWelfareFacility,
        Self::GroupHome,
        Self::SpecifiedFacility,
    ];

    /// Service kind billed for this residence at a level.
    pub fn service_kind(self, level: usize) -> &'static str {
        match self {
            Self::WelfareFacility => "51",
            Self::HealthFacility => "52",
            Self::MedicalInstitution => "55",
            Self::SmallWelfareFacility => "54",
            Self::GroupHome if level < 2 => "37",
            Self::GroupHome => "32",
            Self::SpecifiedFacility if level < 2 => "35",
            Self::SpecifiedFacility => "33",
        }
    }

    /// Whether it is one of the three 施設 services (51/52/55).
    pub fn is_facility(self) -> bool {
        matches!(
            self,
            Self::WelfareFacility | Self::HealthFacility | Self::MedicalInstitution
        )
    }
}

/// Share of users at each level living in each residence (rows = level, columns = [`Residence::ALL`]).
/// Facility columns reproduce 施設 users 4 / 8 / 27 / 41 / 45 % of 要介護1–5 users (domain.md §6.4)
/// split by the April-2024 facility level mix (特養 56.1万, 老健 34.1万, 医療院 4.2万); group homes,
/// 特定施設 and small 特養 are assumptions of the order of their national counts.
pub const RESIDENCE_SHARE: [[f64; 6]; 7] = [
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.015],
    [0.0, 0.0, 0.0, 0.0, 0.004, 0.02],
    [0.006, 0.033, 0.001, 0.0, 0.043, 0.05],
    [0.015, 0.059, 0.002, 0.0, 0.048, 0.05],
    [0.167, 0.093, 0.005, 0.025, 0.059, 0.05],
    [0.275, 0.116, 0.019, 0.03, 0.037, 0.05],
    [0.31, 0.105, 0.035, 0.03, 0.038, 0.05],
];

/// Fit a table to row and column margins by iterative proportional fitting.
pub fn fit_margins(seed: [[f64; 7]; 6], row_totals: [f64; 6], column_totals: [f64; 7]) -> [[f64; 7]; 6] {
    let mut table = seed;
    for _ in 0..200 {
        for (row, &target) in table.iter_mut().zip(&row_totals) {
            let sum: f64 = row.iter().sum();
            row.iter_mut().for_each(|cell| *cell *= target / sum);
        }
        for (column, &target) in column_totals.iter().enumerate() {
            let sum: f64 = table.iter().map(|row| row[column]).sum();
            table.iter_mut().for_each(|row| row[column] *= target / sum);
        }
    }
    table
}

/// Joint distribution of (age band, level) for 1st-tier men and women, each summing to 1.
pub fn first_tier_tables() -> [[[f64; 7]; 6]; 2] {
    let men_total: f64 = MEN.iter().flatten().sum();
    let men = MEN.map(|row| row.map(|cell| cell / men_total));
    // Women by age band: all 1st-tier (20/51/84/144/186/196 万) minus men.
    let all_by_band = [200_000.0, 510_000.0, 840_000.0, 1_440_000.0, 1_860_000.0, 1_960_000.0];
    let mut women_by_band = [0.0; 6];
    for band in 0..6 {
        women_by_band[band] = all_by_band[band] - MEN[band].iter().sum::<f64>();
    }
    let women_total: f64 = WOMEN_BY_LEVEL.iter().sum();
    let band_total: f64 = women_by_band.iter().sum();
    let women_by_band = women_by_band.map(|value| value / band_total * women_total);
    let women = fit_margins(MEN, women_by_band, WOMEN_BY_LEVEL);
    let women = women.map(|row| row.map(|cell| cell / women_total));
    [men, women]
}

/// 2nd-tier level distribution.
pub fn second_tier_levels() -> [f64; 7] {
    let total: f64 = SECOND_TIER_BY_LEVEL.iter().sum();
    SECOND_TIER_BY_LEVEL.map(|value| value / total)
}

/// Monthly transition matrix from the annual one: M = I + (A − I)/12 (rows sum to 1).
pub fn monthly_transitions() -> [[f64; 7]; 7] {
    let latent = latent_annual_transitions();
    let mut monthly = [[0.0; 7]; 7];
    for from in 0..7 {
        for to in 0..7 {
            let annual = latent[from][to];
            let identity = if from == to { 1.0 } else { 0.0 };
            monthly[from][to] = identity + (annual - identity) / 12.0;
        }
    }
    monthly
}

/// Monthly death probability for a level and age band, given a yearly mortality multiplier.
pub fn monthly_death_probability(level: usize, band: usize, multiplier: f64) -> f64 {
    let annual = (ANNUAL_MORTALITY[level] * MORTALITY_AGE_FACTOR[band] * multiplier).min(0.95);
    1.0 - (1.0 - annual).powf(1.0 / 12.0)
}

/// Distribution over (sex, band, level) of persons newly certified each year, chosen so that the
/// certified population keeps its published mix while it ages, moves between levels and dies
/// (stationarity with growth `growth` per year), and its size: returns (distribution, entrants per
/// person-year of stock).
pub fn entrant_distribution(growth: f64, mortality_multiplier: f64) -> ([[[f64; 7]; 6]; 2], f64) {
    let tables = first_tier_tables();
    let mut target = [[[0.0; 7]; 6]; 2];
    for sex in 0..2 {
        let sex_share = if sex == 1 {
            FEMALE_SHARE_FIRST_TIER
        } else {
            1.0 - FEMALE_SHARE_FIRST_TIER
        };
        for band in 0..6 {
            for level in 0..7 {
                target[sex][band][level] = tables[sex][band][level] * sex_share;
            }
        }
    }
    let latent = latent_annual_transitions();
    let mut survivors = [[[0.0; 7]; 6]; 2];
    for sex in 0..2 {
        for band in 0..6 {
            for level in 0..7 {
                let stock = target[sex][band][level];
                let alive = stock
                    * (1.0 - (ANNUAL_MORTALITY[level] * MORTALITY_AGE_FACTOR[band] * mortality_multiplier).min(0.95));
                // A fifth of a 5-year band ages into the next band each year; 90+ is open.
                let ageing = if band < 5 { 0.2 } else { 0.0 };
                for to in 0..7 {
                    let moved = alive * latent[level][to];
                    survivors[sex][band][to] += moved * (1.0 - ageing);
                    if band < 5 {
                        survivors[sex][band + 1][to] += moved * ageing;
                    }
                }
            }
        }
    }
    let mut entrants = [[[0.0; 7]; 6]; 2];
    let mut total = 0.0;
    for sex in 0..2 {
        for band in 0..6 {
            for level in 0..7 {
                let needed = (target[sex][band][level] * (1.0 + growth) - survivors[sex][band][level]).max(0.0);
                entrants[sex][band][level] = needed;
                total += needed;
            }
        }
    }
    for value in entrants.iter_mut().flatten().flatten() {
        *value /= total;
    }
    (entrants, total)
}

/// The level for an index 0…6.
pub fn level(index: usize) -> CareLevel {
    CareLevel::from_certified_index(index)
}

/// Base-time band (minutes) for a level (domain.md §3.9): 要支援2 and 要介護1 share 32–50.
pub fn base_time_band(level: usize) -> (f64, f64) {
    [
        (25.0, 32.0),
        (32.0, 50.0),
        (32.0, 50.0),
        (50.0, 70.0),
        (70.0, 90.0),
        (90.0, 110.0),
        (110.0, 150.0),
    ][level]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_women_table_meets_both_margins() {
        let [men, women] = first_tier_tables();
        let sum: f64 = women.iter().flatten().sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let women_total: f64 = WOMEN_BY_LEVEL.iter().sum();
        for level in 0..7 {
            let column: f64 = women.iter().map(|row| row[level]).sum();
            assert!((column - WOMEN_BY_LEVEL[level] / women_total).abs() < 1e-6);
        }
        assert!((men.iter().flatten().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn overall_level_mix_reproduces_the_published_shares() {
        let [men, women] = first_tier_tables();
        let second = second_tier_levels();
        for level in 0..7 {
            let first: f64 = (0..6)
                .map(|band| {
                    men[band][level] * (1.0 - FEMALE_SHARE_FIRST_TIER) + women[band][level] * FEMALE_SHARE_FIRST_TIER
                })
                .sum();
            let share = first * (1.0 - SECOND_TIER_SHARE) + second[level] * SECOND_TIER_SHARE;
            assert!((share - LEVEL_SHARE[level]).abs() < 0.005, "level {level}: {share}");
        }
    }

    #[test]
    fn stationary_entrants_are_a_distribution() {
        let (entrants, rate) = entrant_distribution(0.02, 1.0);
        assert!((entrants.iter().flatten().flatten().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((0.10..0.25).contains(&rate), "entrants per stock-year {rate}");
        let monthly = monthly_transitions();
        for row in monthly {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(row.iter().all(|&p| p >= 0.0));
        }
    }
}
