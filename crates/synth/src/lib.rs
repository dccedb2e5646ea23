//! A calibrated synthetic long-term-care hub with known ground truth.
//!
//! Real hub data can never be had, so every claim the warehouse makes (linkage accuracy, outcome
//! measures, disclosure safety, speed) is measured on data made here. [`generate`] simulates a
//! population of certified persons month by month — certification and renewal, level changes,
//! service use, facility admissions, hospital stays, moves between insurers, name changes,
//! deaths — and writes what the hub would deliver:
//!
//! ```text
//! OUT/<YYYYMM>/insurers.csv, providers.csv            registries as known in that month
//! OUT/<YYYYMM>/<insurer>/d<eeMM>a.csv …               claims (711), care management (812), 給付管理票 (821)
//!                        certification.csv, life.csv, register.csv, provider_activity.csv
//!                        UP1KYO_… UP2KYO_… UPPLAN_… UPJSK_… UPHOSOKU_…   care plans
//! OUT/truth/                                          ground truth, never read by the pipeline
//! ```
//!
//! A delivery folder `<YYYYMM>` is the hub's extract processed in that month: it carries service
//! month YYYYMM−1 for insurers already live, and for an insurer going live that month its whole
//! history back to the first simulated month (the back-fill). Months before any insurer is live
//! have no folder.
//!
//! ```no_run
//! use kaigo_synth::{SynthConfig, generate};
//! use kaigo_codes::calendar::YearMonth;
//! let config = SynthConfig::new(20_000, YearMonth::new(2025, 4).unwrap(), YearMonth::new(2028, 3).unwrap(), 7);
//! let summary = generate(&config, std::path::Path::new("hub")).unwrap();
//! println!("{}", summary.calibration.render());
//! ```
//!
//! Same configuration and seed give byte-identical output, however many threads run it.
//!
//! A national hub does not fit on a disk before loading, so [`generate_deliveries`] writes only
//! some delivery folders — byte-identical to the same folders of a full run — and the truth of
//! those folders: generate → ingest → delete, one delivery at a time. It simulates every month
//! up to the last one selected (state is carried forward) but formats and writes only the
//! selection.
//!
//! ```text
//! OUT/truth/persons.csv, insurers.csv, params.json    the whole run (the same for any selection)
//! OUT/truth/<YYYYMM>/records.csv, noise.csv,          the lines of delivery folder <YYYYMM>;
//!                    invalid.csv, events.csv          life events of the months it first delivers
//! ```
//!
//! What this crate does not do: read hub files back (that is `kaigo-formats` and ingest), or
//! model what the sources do not describe — 総合事業 services, public-expense (公費) claims,
//! food-and-lodging subsidy records and insured persons who never hold a certification are
//! absent, and the calibration report says which targets are not modelled.

pub mod calibration;
mod delivery;
pub mod names;
pub mod population;
pub mod services;
mod simulate;
pub mod world;

use std::{
    ops::RangeInclusive,
    path::{Path, PathBuf},
};

use kaigo_codes::calendar::YearMonth;

pub use calibration::CalibrationReport;

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A record could not be written in its format.
    #[error(transparent)]
    Format(#[from] kaigo_formats::FormatError),
    /// The configuration is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl SynthError {
    /// Whether the user can fix it: the configuration.
    pub fn is_user(&self) -> bool {
        matches!(self, SynthError::Config(_))
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Rates of identifier noise and invalid records, per written record unless said otherwise.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseRates {
    /// Kana spelling variant in a kana name (small kana, voiced mark, long vowel, spacing, half width).
    pub kana_variant: f64,
    /// Insured number written in full-width digits (human-entered extracts only).
    pub full_width_digits: f64,
    /// One digit of the insured number mistyped.
    pub insured_number_typo: f64,
    /// Birth day unknown, written as the 1st of the month.
    pub missing_birth_day: f64,
    /// Sex written wrong (human-entered extracts). NDB finds ~330,000 persons whose records
    /// disagree on sex or birth month (domain reference §4.1); the rate per record is an
    /// assumption of that order (0.2 % of persons over three years, each of the two).
    pub sex_wrong: f64,
    /// Birth month written one month early (human-entered extracts); as `sex_wrong`.
    pub birth_month_wrong: f64,
    /// Share of persons who are homonyms of another person (same kana and kanji name, birth date, sex).
    pub homonym: f64,
    /// Share of persons who are twins of the previous person (same surname, birth date, sex, insurer).
    pub twin: f64,
    /// Records that break a validation rule (invalid code, impossible date, totals that do not add up …).
    pub invalid: f64,
}

impl Default for NoiseRates {
    fn default() -> Self {
        Self {
            kana_variant: 0.02,
            full_width_digits: 0.01,
            insured_number_typo: 0.002,
            missing_birth_day: 0.005,
            sex_wrong: 0.0003,
            birth_month_wrong: 0.0003,
            homonym: 0.001,
            twin: 0.0005,
            invalid: 0.001,
        }
    }
}

/// Rates of life events and roll-out behaviour. Defaults are documented assumptions where
/// domain.md has no figure (moves, surname changes, hospital stays, slips).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventRates {
    /// Moves to another insurer, per person-year.
    pub moves_per_year: f64,
    /// Surname changes, per person-year.
    pub surname_changes_per_year: f64,
    /// A new insured number issued at the same insurer (persons who never move; at most once),
    /// per person-year. The register shows the new number as その他変更, without the old one.
    pub number_reissues_per_year: f64,
    /// Hospital admissions of in-home users, per person-month.
    pub hospital_admissions_per_month: f64,
    /// Share of insurers (planned from FY2027) whose go-live slips 1–6 months.
    pub rollout_slip_rate: f64,
    /// Growth of the certified population per year.
    pub growth_per_year: f64,
    /// Multiplier on the level-specific mortality.
    pub mortality_multiplier: f64,
    /// Share of care-management offices that exchange care plans through the linkage system.
    pub care_plan_linkage_share: f64,
}

impl Default for EventRates {
    fn default() -> Self {
        Self {
            moves_per_year: 0.01,
            surname_changes_per_year: 0.002,
            number_reissues_per_year: 0.001,
            hospital_admissions_per_month: 0.02,
            rollout_slip_rate: 0.2,
            growth_per_year: 0.02,
            mortality_multiplier: 1.0,
            care_plan_linkage_share: 0.3,
        }
    }
}

/// What to simulate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthConfig {
    /// Persons holding a certification at the start of the period.
    pub persons: u64,
    /// First service month.
    pub first_month: YearMonth,
    /// Last service month.
    pub last_month: YearMonth,
    /// Seed: same seed, same output.
    pub seed: u64,
    /// Life events and roll-out.
    pub rates: EventRates,
    /// Identifier noise and invalid records.
    pub noise: NoiseRates,
    /// Draw surnames and given names uniformly among only this many of the most common of each:
    /// a hub full of natural coincidences (same name, birth date and sex by chance), for testing
    /// what tells them from moves. `None`: the full pools.
    pub narrow_names: Option<u16>,
}

impl SynthConfig {
    /// Defaults for everything but size, period and seed.
    pub fn new(persons: u64, first_month: YearMonth, last_month: YearMonth, seed: u64) -> Self {
        Self {
            persons,
            first_month,
            last_month,
            seed,
            rates: EventRates::default(),
            noise: NoiseRates::default(),
            narrow_names: None,
        }
    }

    /// Every delivery month a full run can have: each service month is delivered the month after.
    pub fn delivery_months(&self) -> RangeInclusive<YearMonth> {
        self.first_month.plus_months(1)..=self.last_month.plus_months(1)
    }

    fn validate(&self) -> Result<(), SynthError> {
        if self.persons == 0 {
            return Err(SynthError::Config("--persons must be at least 1".into()));
        }
        if self.last_month < self.first_month {
            return Err(SynthError::Config("the last month is before the first month".into()));
        }
        if self.persons > u64::from(u32::MAX) {
            return Err(SynthError::Config("--persons must be below 4.29 billion".into()));
        }
        let rates = [
            self.noise.kana_variant,
            self.noise.full_width_digits,
            self.noise.insured_number_typo,
            self.noise.missing_birth_day,
            self.noise.sex_wrong,
            self.noise.birth_month_wrong,
            self.noise.homonym,
            self.noise.twin,
            self.noise.invalid,
            self.rates.moves_per_year,
            self.rates.surname_changes_per_year,
            self.rates.number_reissues_per_year,
            self.rates.hospital_admissions_per_month,
            self.rates.rollout_slip_rate,
            self.rates.care_plan_linkage_share,
        ];
        if rates.iter().any(|rate| !(0.0..=1.0).contains(rate)) {
            return Err(SynthError::Config("rates must lie between 0 and 1".into()));
        }
        if !(0.0..=5.0).contains(&self.rates.mortality_multiplier)
            || !(-0.5..=0.5).contains(&self.rates.growth_per_year)
        {
            return Err(SynthError::Config(
                "mortality_multiplier must lie in 0–5 and growth_per_year in −0.5–0.5".into(),
            ));
        }
        Ok(())
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthSummary {
    /// Insurers simulated.
    pub insurers: usize,
    /// Providers.
    pub providers: usize,
    /// Delivery folders written.
    pub deliveries: Vec<String>,
    /// Data records written, all files of the folders written.
    pub records: u64,
    /// Claim statements written (71xx and 812x) in the folders written.
    pub statements: u64,
    /// Calibration against published targets, over the months simulated.
    pub calibration: CalibrationReport,
}

/// Simulate and write a hub to `out` (created if missing; existing delivery folders are replaced).
pub fn generate(config: &SynthConfig, out: &Path) -> Result<SynthSummary, SynthError> {
    config.validate()?;
    simulate::run(config, out, &config.delivery_months())
}

/// Simulate through the last delivery of `deliveries` and write only the delivery folders (and
/// their truth) whose month lies in it, each byte-identical to the same folder of [`generate`].
/// Other folders under `out` are left alone; the calibration report covers the months simulated.
pub fn generate_deliveries(
    config: &SynthConfig,
    out: &Path,
    deliveries: RangeInclusive<YearMonth>,
) -> Result<SynthSummary, SynthError> {
    config.validate()?;
    let possible = config.delivery_months();
    if deliveries.is_empty() || deliveries.end() < possible.start() || deliveries.start() > possible.end() {
        return Err(SynthError::Config(format!(
            "--deliveries {}..{} selects no delivery of service months {}..{} (deliveries {}..{})",
            deliveries.start(),
            deliveries.end(),
            config.first_month,
            config.last_month,
            possible.start(),
            possible.end()
        )));
    }
    simulate::run(config, out, &deliveries)
}

/// Mix a seed, a named stream and an index into a 64-bit seed (SplitMix64 finaliser), so that
/// every part of the simulation draws from its own reproducible stream.
pub(crate) fn stream(seed: u64, name: &str, index: u64) -> u64 {
    let mut hash = seed ^ 0x9E37_79B9_7F4A_7C15;
    for byte in name.bytes() {
        hash = mix(hash ^ u64::from(byte));
    }
    mix(hash ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

pub(crate) fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

/// A small, fast, reproducible generator (SplitMix64) for per-person streams: eight bytes of
/// state, so millions of persons can each carry their own.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }
}

impl rand::RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.0;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    fn fill_bytes(&mut self, destination: &mut [u8]) {
        for chunk in destination.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
