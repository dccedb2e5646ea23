//! The numbers of the person step and of the extracts' contents that the published statistics
//! (calibrated in `population`, `services` and `world`) do not fix. Each says where it comes from:
//! a section of the domain reference (`domain.md`) or **assumption** — a shape chosen so that the
//! generated records look like the real ones, exposed here to be replaced when a figure is found.
//! Changing one changes every hub generated with the same seed.

/// Validity periods, in months, with their shares, of a certification in force when the hub
/// starts (domain.md §2.3: renewals run 12 months as standard, up to 36 before 2021 and 48 after;
/// the shares are an assumption).
pub(super) const VALIDITY_IN_FORCE: [(i32, f64); 4] = [(6, 0.2), (12, 0.4), (24, 0.25), (36, 0.15)];
/// A new certification (§2.3: 6 months as standard, 3–12 allowed; shares assumed).
pub(super) const VALIDITY_NEW: [(i32, f64); 3] = [(6, 0.7), (12, 0.2), (3, 0.1)];
/// A renewal at the same level (§2.3: 12 as standard, up to 48; shares assumed).
pub(super) const VALIDITY_RENEWAL_SAME_LEVEL: [(i32, f64); 4] = [(12, 0.5), (24, 0.3), (36, 0.15), (48, 0.05)];
/// A renewal at another level (§2.3: 12 as standard, up to 36; shares assumed).
pub(super) const VALIDITY_RENEWAL_OTHER_LEVEL: [(i32, f64); 3] = [(12, 0.7), (24, 0.2), (36, 0.1)];
/// A change of level (§2.3: 6 as standard, 3–12; shares assumed).
pub(super) const VALIDITY_CHANGE: [(i32, f64); 2] = [(6, 0.7), (12, 0.3)];
/// Share of persons whose need rose who apply for a change of level before their renewal
/// (assumption; the rest wait for the renewal).
pub(super) const CHANGE_APPLICATION_SHARE: f64 = 0.6;

/// The board's (secondary) judgement against the computer's (domain.md §3.9, §6.3: no recent
/// national figure; 2009: 27 % raised, 5 % lowered; the generator's assumption 12 % raised, 3 %
/// lowered): draws below this are raised by the board …
pub(super) const BOARD_RAISES_BELOW: f64 = 0.12;
/// … and draws from [`BOARD_RAISES_BELOW`] to this lowered.
pub(super) const BOARD_LOWERS_BELOW: f64 = 0.15;

/// Share of moves that stay within the prefecture (assumption; domain.md §6.7 gives no rate).
pub(super) const MOVES_WITHIN_PREFECTURE: f64 = 0.6;

/// Benefit rate by co-payment (domain.md §3.6: 1, 2 or 3 割 by income; shares assumed): draws
/// below the first bound pay 1 割 (benefit 90 %), below the second 2 割 (80 %), the rest 3 割.
pub(super) const COPAY_BOUNDS: [f64; 2] = [0.91, 0.955];

/// Ages of the 90+ band: each further year is reached with this probability (assumption: a
/// geometric tail giving a median of about 92).
pub(super) const NINETY_PLUS_YEAR_SHARE: f64 = 0.78;
/// Second-tier (40–64) insured persons' ages fall back from 64 by the product of two uniform
/// draws times this many years (assumption: most are in their sixties).
pub(super) const SECOND_TIER_AGE_SPREAD: f64 = 25.0;

/// Cognition in [0, 1]: this weight on the care level (of 6) plus a uniform draw times
/// [`COGNITION_NOISE`] (assumption: dementia is common at every level and rises with it).
pub(super) const COGNITION_FROM_LEVEL: f64 = 0.6;
/// See [`COGNITION_FROM_LEVEL`].
pub(super) const COGNITION_NOISE: f64 = 0.45;

/// How much of a service's intensity is the person's own (fixed over months) rather than the
/// month's (assumption).
pub(super) const INTENSITY_PERSONAL: f64 = 0.8;
/// See [`INTENSITY_PERSONAL`].
pub(super) const INTENSITY_MONTHLY: f64 = 0.2;

/// Care minutes per day (要介護認定等基準時間, domain.md §3.9) at which the survey's severity
/// reaches 1; severity drives the answers (§3.8, §6.3: consistent with the level, shape only).
pub(super) const SEVERITY_FULL_MINUTES: f64 = 150.0;
/// Group 6 (特別な医療) answers rise only above this severity (§6.3: mostly at 要介護4–5) …
pub(super) const SPECIAL_MEDICAL_FROM: f64 = 0.55;
/// … with this slope.
pub(super) const SPECIAL_MEDICAL_SLOPE: f64 = 0.8;
/// An answer's spread around its driver: a uniform draw this wide (assumption).
pub(super) const ANSWER_NOISE: f64 = 0.35;
/// A two-choice item outside group 3 is answered "yes" with this share of its driver (assumption).
pub(super) const YES_NO_SHARE: f64 = 0.5;
/// 障害高齢者の日常生活自立度 from severity, scaled by this (assumption).
pub(super) const BEDRIDDEN_SCALE: f64 = 0.95;
/// 認知症高齢者の日常生活自立度 from cognition, scaled by this (§6.3: Ⅲa+ mostly at 要介護3+).
pub(super) const DEMENTIA_SCALE: f64 = 0.9;
/// The physician's ratings differ from the survey's by a uniform draw this wide (assumption).
pub(super) const OPINION_NOISE: f64 = 0.1;
/// Above this severity the physician finds the state unstable (状態の安定性 2) …
pub(super) const UNSTABLE_FROM: f64 = 0.7;
/// … with this probability (assumption).
pub(super) const UNSTABLE_SHARE: f64 = 0.3;
/// Short-term memory is a problem above this cognition (assumption).
pub(super) const SHORT_TERM_MEMORY_FROM: f64 = 0.45;

/// Barthel items (domain.md §3.11, §6.6: 0–100 in steps of 5; shape assumed): an item's ability
/// is 1 − severity × a factor drawn from [LOW, LOW + SPREAD], plus a uniform draw NOISE wide.
pub(super) const BARTHEL_SEVERITY_LOW: f64 = 0.8;
/// See [`BARTHEL_SEVERITY_LOW`].
pub(super) const BARTHEL_SEVERITY_SPREAD: f64 = 0.4;
/// See [`BARTHEL_SEVERITY_LOW`].
pub(super) const BARTHEL_NOISE: f64 = 0.2;
/// Vitality Index items (0–2, §6.6) fall with severity and cognition by these weights (assumption).
pub(super) const VITALITY_SEVERITY: f64 = 0.7;
/// See [`VITALITY_SEVERITY`].
pub(super) const VITALITY_COGNITION: f64 = 0.3;
/// DBD13 (0–52, §6.6): cognition times this, plus a uniform draw up to [`DBD13_NOISE`] (assumption).
pub(super) const DBD13_COGNITION: f64 = 30.0;
/// See [`DBD13_COGNITION`].
pub(super) const DBD13_NOISE: f64 = 8.0;
/// Oral items of a LIFE assessment: dentures, choking (rising with severity), dirty teeth, gum
/// bleeding (assumption: no frequencies published).
pub(super) const DENTURE_SHARE: f64 = 0.6;
/// See [`DENTURE_SHARE`].
pub(super) const CHOKING_BASE: f64 = 0.1;
/// See [`DENTURE_SHARE`].
pub(super) const CHOKING_SEVERITY: f64 = 0.2;
/// See [`DENTURE_SHARE`].
pub(super) const DIRTY_TEETH_SHARE: f64 = 0.2;
/// See [`DENTURE_SHARE`].
pub(super) const GUM_BLEEDING_SHARE: f64 = 0.1;

/// Consent to record viewing among an onboarded provider's users (domain.md §1.4: consent is
/// given per provider; uptake not published): this share in the first month …
pub(super) const CONSENT_FIRST_MONTH: f64 = 0.15;
/// … rising by this much a month …
pub(super) const CONSENT_MONTHLY_GAIN: f64 = 0.1;
/// … to at most this.
pub(super) const CONSENT_MAX: f64 = 0.9;
