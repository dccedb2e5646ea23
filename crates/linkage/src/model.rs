//! The Fellegi–Sunter model: how two identities compare, and what each comparison is worth.
//!
//! Two identities are compared on seven things, each at a few levels (0 = a side has no value,
//! which counts for nothing). Name levels are nested in one comparison, because surname, given
//! name and full name are not independent evidence:
//!
//! | comparison | levels |
//! |---|---|
//! | kana name | 1 none agrees · 2 surname only · 3 given name only · 4 loose full name · 5 exact full name |
//! | kanji name | 1 disagrees · 2 agrees (loose) |
//! | birth date | 1 disagrees · 2 year and day only (the month differs) · 3 year and month only · 4 exact |
//! | sex | 1 disagrees · 2 agrees |
//! | insurer | 0 another · 1 the same |
//! | insured number | 0 unrelated · 1 one digit apart (same insurer) |
//! | register event | 0 numbers one digit apart, or either a mistyped copy · 1 another insurer, no move joins them · 2 another insurer, one moved out, the other in, one or two months apart · 3 same insurer, no re-issue joins them · 4 same insurer, the later number registered (その他変更) where the earlier's claims end · 5 another insurer, one moved out, the other in, in the same month · 6 same insurer, the later number registered after the earlier's last record, the earlier without claims up to it |
//!
//! A level's weight is log2(m/u): m = P(level | same person), u = P(level | different persons).
//! u comes from a deterministic sample of random identity pairs; the kanji name's u is taken
//! among the pairs at the same kana level (two persons with one kana name mostly write it with
//! the same kanji, so kanji agreement beside kana agreement is little further evidence, and
//! counting it as independent would double the name's weight); for an exact name or birth date
//! it is the agreeing value's own frequency instead (term-frequency adjustment: sharing a rare
//! name is stronger evidence than sharing 「サトウ ヒロシ」). m is estimated by expectation–
//! maximisation on candidate pairs, in two sessions so that no comparison is estimated from pairs
//! selected by agreeing on it (Splink's practice): pairs one digit apart within an insurer teach
//! the name, kanji, birth and sex comparisons; pairs sharing birth date, sex and part of the name
//! teach the insurer, number and move comparisons. Pairs the clustering's constraints rule out
//! (two numbers of one insurer in the same months, …) are left out of both: they are not matches,
//! and namesakes living side by side would otherwise count as matches lacking a move or re-issue.
//!
//! The move comparison is what tells a person who moved from two persons who happen to share a
//! name and birth date at two insurers: such coincidences grow with the square of the population,
//! moves only linearly. Its weight is learned like the others, so a link across insurers without
//! a register move needs as much more agreement as the data show moves lacking one. (EM counts
//! some coincidences among those moves, so the weight of a missing move weakens as the
//! population grows: measured in benches/README.md.) Within one insurer the same holds for a
//! re-issued number: the insurer registers the new number as a change where the old one ends,
//! while two persons sharing a name and birth date there have no such record. The closer the
//! register's evidence (a move registered in one month at both ends; the old number's claims
//! running up to the change), the more it weighs: namesakes otherwise tie, and the clustering
//! would pair them by index. What the register makes impossible is no weight but a constraint
//! of the clustering ([`crate::cluster`]).

use std::collections::{BTreeMap, HashMap};

use rand::{Rng, SeedableRng};

use crate::identities::{Field, Identities, Identity, Short};

/// The comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Comparison {
    /// Kana name (nested levels).
    Name,
    /// Kanji name.
    Kanji,
    /// Birth date.
    Birth,
    /// Sex.
    Sex,
    /// Same insurer.
    Insurer,
    /// Insured number one digit apart.
    Number,
    /// A register event joins the two: a move (転出 at one insurer, 転入 at the other), or at one
    /// insurer a new number registered (その他変更) where the other ends.
    Move,
}

impl Comparison {
    /// Every comparison, in vector order.
    pub const ALL: [Comparison; 7] = [
        Self::Name,
        Self::Kanji,
        Self::Birth,
        Self::Sex,
        Self::Insurer,
        Self::Number,
        Self::Move,
    ];

    /// Levels, including 0.
    pub fn levels(self) -> usize {
        match self {
            Self::Name => 6,
            Self::Kanji | Self::Sex => 3,
            Self::Birth => 5,
            Self::Move => 7,
            Self::Insurer | Self::Number => 2,
        }
    }

    /// Whether level 0 means "no value" (no evidence) rather than a disagreement.
    pub fn zero_is_missing(self) -> bool {
        !matches!(self, Self::Insurer | Self::Number)
    }

    /// Names of the levels, for explanations.
    pub fn level_name(self, level: u8) -> &'static str {
        match (self, level) {
            (Self::Insurer, 0) => "another insurer",
            (Self::Insurer, _) => "same insurer",
            (Self::Number, 0) => "numbers unrelated",
            (Self::Number, _) => "numbers one digit apart",
            (Self::Move, 0) => "numbers one digit apart, or a mistyped copy",
            (Self::Move, 1) => "no register move between them",
            (Self::Move, 2) => "moved out of one, into the other, a month or two apart",
            (Self::Move, 3) => "same insurer, no re-issue between them",
            (Self::Move, 4) => "same insurer, the later number registered where the earlier's claims end",
            (Self::Move, 5) => "moved out of one, into the other, in the same month",
            (Self::Move, _) => "same insurer, the later number registered after the earlier's last record",
            (_, 0) => "no value",
            (Self::Name, 1) => "names differ",
            (Self::Name, 2) => "surname only",
            (Self::Name, 3) => "given name only",
            (Self::Name, 4) => "loose full name",
            (Self::Name, _) => "exact full name",
            (Self::Birth, 2) => "birth year and day only",
            (Self::Birth, 3) => "birth year-month only",
            (Self::Birth, 4) => "exact birth date",
            (_, 1) => "differs",
            (_, _) => "agrees",
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "kana name",
            Self::Kanji => "kanji name",
            Self::Birth => "birth date",
            Self::Sex => "sex",
            Self::Insurer => "insurer",
            Self::Number => "insured number",
            Self::Move => "register event",
        }
    }
}

/// Levels of the seven comparisons of one pair.
pub type Vector = [u8; 7];

/// Months a move out of one insurer and into the other may lie apart (a loss dated at the end of
/// one month, the gain registered the next, or the month after); so too a re-issued number's
/// registration and the old number's last record.
pub const MOVE_WINDOW_MONTHS: u32 = 2;

fn either_empty(left: &Identity, right: &Identity, field: Field) -> bool {
    left.field(field).is_empty() || right.field(field).is_empty()
}

fn agree(left: &Identity, right: &Identity, field: Field) -> bool {
    left.field(field).intersects(right.field(field))
}

/// Compare two identities.
pub fn compare(left: &Identity, right: &Identity) -> Vector {
    let name = if either_empty(left, right, Field::KanaNameLoose) {
        0
    } else if agree(left, right, Field::KanaName) {
        5
    } else if agree(left, right, Field::KanaNameLoose) {
        4
    } else {
        match (
            agree(left, right, Field::KanaSurname),
            agree(left, right, Field::KanaGiven),
        ) {
            (_, true) => 3,
            (true, false) => 2,
            (false, false) => 1,
        }
    };
    let flag = |field: Field| {
        if either_empty(left, right, field) {
            0
        } else if agree(left, right, field) {
            2
        } else {
            1
        }
    };
    let birth = if either_empty(left, right, Field::BirthYearMonth) {
        0
    } else if agree(left, right, Field::BirthDate) {
        4
    } else if agree(left, right, Field::BirthYearMonth) {
        3
    } else if agree(left, right, Field::BirthYearDay) {
        2
    } else {
        1
    };
    let one_digit_apart = left.one_digit_apart(right);
    [
        name,
        flag(Field::KanjiName),
        birth,
        flag(Field::Sex),
        u8::from(left.insurer == right.insurer),
        u8::from(one_digit_apart),
        if one_digit_apart {
            0
        } else if left.insurer != right.insurer {
            // A move registered in one month at both ends is told from one a month or two apart:
            // two namesakes of one insurer who both moved to another are paired by it.
            if left.moved_between(right, 0) {
                5
            } else if left.moved_between(right, MOVE_WINDOW_MONTHS) {
                2
            } else {
                1
            }
        } else if left.mistyped_copy || right.mistyped_copy {
            // Two mistyped copies of one number, or one and an unrelated number: no question of
            // a re-issue.
            0
        } else if let Some((earlier, change)) = left.reissued_between(right, MOVE_WINDOW_MONTHS) {
            // Claims under the earlier number up to the change say it was in use until then; a
            // namesake of the insurer whose records ended earlier meets the rest as well.
            if earlier
                .claim_months
                .last()
                .is_some_and(|&last| last + MOVE_WINDOW_MONTHS >= change)
            {
                4
            } else {
                6
            }
        } else {
            3
        },
    ]
}

/// m and u per comparison and level, and how often each exact name and birth date occurs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Parameters {
    /// P(level | same person), per comparison (index like [`Comparison::ALL`]) and level.
    pub m: Vec<Vec<f64>>,
    /// P(level | different persons).
    pub u: Vec<Vec<f64>>,
    /// P(kanji level | different persons, kana name level), per kana level (this replaces the
    /// kanji row of `u`).
    pub u_kanji_by_kana: Vec<Vec<f64>>,
    /// Identities the parameters were estimated on.
    pub identities: usize,
    /// Random pairs sampled for u.
    pub sampled_pairs: usize,
    /// EM iterations run per session.
    pub em_iterations: Vec<usize>,
    /// Share of identities per exact kana name (token) and per birth date.
    #[serde(skip)]
    pub frequencies: HashMap<(u8, Short), f64>,
}

/// What a pair's weight is made of.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Contribution {
    /// Comparison.
    pub comparison: Comparison,
    /// Level reached.
    pub level: u8,
    /// Its name.
    pub level_name: &'static str,
    /// Weight in bits.
    pub weight: f64,
    /// Whether term frequency replaced the level's u.
    pub term_frequency: bool,
}

const FREQUENCY_NAME: u8 = 0;
const FREQUENCY_BIRTH: u8 = 1;

impl Parameters {
    /// The weight of each comparison of a pair (0 for missing values).
    pub fn contributions(&self, left: &Identity, right: &Identity, vector: &Vector) -> Vec<Contribution> {
        Comparison::ALL
            .iter()
            .enumerate()
            .map(|(index, comparison)| {
                let level = vector[index];
                let (u, term_frequency) = match (comparison, level) {
                    (Comparison::Name, 5) => (
                        self.shared_frequency(FREQUENCY_NAME, left, right, Field::KanaName),
                        true,
                    ),
                    (Comparison::Birth, 4) => (
                        self.shared_frequency(FREQUENCY_BIRTH, left, right, Field::BirthDate),
                        true,
                    ),
                    _ => (None, false),
                };
                let weight = if level == 0 && comparison.zero_is_missing() {
                    0.0
                } else {
                    let u = u.unwrap_or_else(|| non_match(&self.u, &self.u_kanji_by_kana, index, vector));
                    (self.m[index][level as usize] / u).log2()
                };
                Contribution {
                    comparison: *comparison,
                    level,
                    level_name: comparison.level_name(level),
                    weight,
                    term_frequency: term_frequency && u.is_some(),
                }
            })
            .collect()
    }

    /// The total match weight of a pair, in bits.
    pub fn weight(&self, left: &Identity, right: &Identity, vector: &Vector) -> f64 {
        self.contributions(left, right, vector)
            .iter()
            .map(|contribution| contribution.weight)
            .sum()
    }

    /// The frequency of the most common value the two share (a common value is weaker evidence;
    /// taking the most common of several shared values errs on the side of caution).
    fn shared_frequency(&self, kind: u8, left: &Identity, right: &Identity, field: Field) -> Option<f64> {
        left.field(field)
            .tokens()
            .filter(|token| right.field(field).tokens().any(|other| other == *token))
            .filter_map(|token| self.frequencies.get(&(kind, token)).copied())
            .max_by(f64::total_cmp)
    }
}

/// Frequencies of exact names and birth dates: share of identities whose usual value it is.
fn frequencies(identities: &[Identity]) -> HashMap<(u8, Short), f64> {
    let mut counts: HashMap<(u8, Short), u64> = HashMap::new();
    let mut totals = [0u64; 2];
    for identity in identities {
        for (kind, field) in [(FREQUENCY_NAME, Field::KanaName), (FREQUENCY_BIRTH, Field::BirthDate)] {
            if let Some(mode) = identity.field(field).mode() {
                *counts.entry((kind, mode)).or_default() += 1;
                totals[kind as usize] += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|((kind, token), count)| ((kind, token), count as f64 / totals[kind as usize].max(1) as f64))
        .collect()
}

const NAME: usize = Comparison::Name as usize;
const KANJI: usize = Comparison::Kanji as usize;

/// u of comparison `index` at its level in `vector`: the kanji name's given the kana level.
fn non_match(u: &[Vec<f64>], u_kanji_by_kana: &[Vec<f64>], index: usize, vector: &Vector) -> f64 {
    if index == KANJI {
        u_kanji_by_kana[vector[NAME] as usize][vector[KANJI] as usize]
    } else {
        u[index][vector[index] as usize]
    }
}

/// Probabilities of levels from their counts: missing (level 0 of a comparison whose 0 means no
/// value) is no evidence and gets 1; every other level at least half a pair's worth.
fn shares(comparison: Comparison, counts: &[f64]) -> Vec<f64> {
    let start = usize::from(comparison.zero_is_missing());
    let total: f64 = counts[start..].iter().sum();
    counts
        .iter()
        .enumerate()
        .map(|(level, count)| {
            if level < start {
                1.0
            } else {
                (count + 0.5) / (total + 0.5 * (counts.len() - start) as f64)
            }
        })
        .collect()
}

/// u from a deterministic sample of random pairs, and the kanji name's u per kana level.
fn estimate_u(identities: &[Identity], pairs: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut counts: Vec<Vec<f64>> = Comparison::ALL.iter().map(|c| vec![0.0; c.levels()]).collect();
    let mut kanji_by_kana = vec![vec![0.0; Comparison::Kanji.levels()]; Comparison::Name.levels()];
    let n = identities.len();
    if n < 2 {
        let even = |levels: usize| vec![1.0 / levels as f64; levels];
        return (
            counts.iter().map(|levels| even(levels.len())).collect(),
            kanji_by_kana.iter().map(|levels| even(levels.len())).collect(),
        );
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x6b61_6967_6f75);
    let mut sampled = 0usize;
    while sampled < pairs {
        let (left, right) = (rng.random_range(0..n), rng.random_range(0..n));
        if left == right {
            continue;
        }
        let vector = compare(&identities[left], &identities[right]);
        for (index, level) in vector.iter().enumerate() {
            counts[index][*level as usize] += 1.0;
        }
        kanji_by_kana[vector[NAME] as usize][vector[KANJI] as usize] += 1.0;
        sampled += 1;
    }
    (
        Comparison::ALL
            .iter()
            .zip(&counts)
            .map(|(comparison, levels)| shares(*comparison, levels))
            .collect(),
        kanji_by_kana
            .iter()
            .map(|levels| shares(Comparison::Kanji, levels))
            .collect(),
    )
}

/// One EM session on pairs (vector → count), u fixed: m is re-estimated for the `estimated`
/// comparisons; the `known` ones (estimated in an earlier session) only help tell the pairs
/// apart. Returns the iterations run.
fn em_session(
    vectors: &BTreeMap<Vector, u64>,
    estimated: &[Comparison],
    known: &[Comparison],
    (u, u_kanji_by_kana): (&[Vec<f64>], &[Vec<f64>]),
    m: &mut [Vec<f64>],
    max_iterations: usize,
) -> usize {
    let position = |comparison: &Comparison| Comparison::ALL.iter().position(|c| c == comparison).expect("listed");
    let indices: Vec<usize> = estimated.iter().map(position).collect();
    let used: Vec<usize> = estimated.iter().chain(known).map(position).collect();
    let mut lambda = 0.5;
    for iteration in 1..=max_iterations {
        let mut expected: Vec<Vec<f64>> = indices.iter().map(|i| vec![0.0; m[*i].len()]).collect();
        let mut matched = 0.0;
        let mut total = 0.0;
        for (vector, count) in vectors {
            let (mut likelihood_match, mut likelihood_other) = (lambda, 1.0 - lambda);
            for &index in &used {
                let level = vector[index] as usize;
                if level == 0 && Comparison::ALL[index].zero_is_missing() {
                    continue;
                }
                likelihood_match *= m[index][level];
                likelihood_other *= non_match(u, u_kanji_by_kana, index, vector);
            }
            let posterior = likelihood_match / (likelihood_match + likelihood_other);
            let weight = posterior * *count as f64;
            matched += weight;
            total += *count as f64;
            for (slot, &index) in indices.iter().enumerate() {
                expected[slot][vector[index] as usize] += weight;
            }
        }
        let mut change: f64 = 0.0;
        for (slot, &index) in indices.iter().enumerate() {
            let comparison = Comparison::ALL[index];
            let start = usize::from(comparison.zero_is_missing());
            let sum: f64 = expected[slot][start..].iter().sum();
            let levels = m[index].len();
            for level in start..levels {
                let updated = (expected[slot][level] + 1e-3) / (sum + 1e-3 * (levels - start) as f64);
                change = change.max((updated - m[index][level]).abs());
                m[index][level] = updated;
            }
        }
        lambda = (matched / total.max(1.0)).clamp(1e-6, 1.0 - 1e-6);
        if change < 1e-6 {
            return iteration;
        }
    }
    max_iterations
}

/// Starting m: agreement is likely for the same person.
fn initial_m() -> Vec<Vec<f64>> {
    Comparison::ALL
        .iter()
        .map(|comparison| {
            let levels = comparison.levels();
            let start = usize::from(comparison.zero_is_missing());
            let mut values = vec![1.0; levels];
            let spread = (levels - start) as f64;
            for (rank, level) in (start..levels).enumerate() {
                // Higher levels (more agreement) start more likely.
                values[level] = (rank as f64 + 1.0) / (spread * (spread + 1.0) / 2.0);
            }
            values
        })
        .collect()
}

/// Random pairs sampled for u (or every pair of a small set).
pub const U_SAMPLE_PAIRS: usize = 1_000_000;
/// EM iteration limit per session.
pub const EM_MAX_ITERATIONS: usize = 200;

/// Estimate the parameters on `identities`, given the candidate pairs of the two training
/// sessions (pairs one digit apart within an insurer; pairs sharing birth date, sex and a name
/// part), without the pairs that cannot be one person.
pub fn estimate(identities: &Identities, by_number: &[(u32, u32)], by_demographics: &[(u32, u32)]) -> Parameters {
    let list = &identities.identities;
    let (u, u_kanji_by_kana) = estimate_u(list, U_SAMPLE_PAIRS);
    let mut m = initial_m();
    let vectors = |pairs: &[(u32, u32)]| {
        // Ordered: EM sums over the vectors, and a sum's last bits depend on its order, so a
        // hash map's per-process order would make the weights, and a tie between two pairs, vary
        // from run to run.
        let mut counts: BTreeMap<Vector, u64> = BTreeMap::new();
        for (left, right) in pairs {
            *counts
                .entry(compare(&list[*left as usize], &list[*right as usize]))
                .or_default() += 1;
        }
        counts
    };
    let first = em_session(
        &vectors(by_number),
        &[Comparison::Name, Comparison::Kanji, Comparison::Birth, Comparison::Sex],
        &[],
        (&u, &u_kanji_by_kana),
        &mut m,
        EM_MAX_ITERATIONS,
    );
    let second = em_session(
        &vectors(by_demographics),
        &[Comparison::Insurer, Comparison::Number, Comparison::Move],
        &[Comparison::Name, Comparison::Kanji],
        (&u, &u_kanji_by_kana),
        &mut m,
        EM_MAX_ITERATIONS,
    );
    Parameters {
        m,
        u,
        u_kanji_by_kana,
        identities: list.len(),
        sampled_pairs: U_SAMPLE_PAIRS,
        em_iterations: vec![first, second],
        frequencies: frequencies(list),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::identities::Values;

    /// An identity at `insurer` with kana name `name` (full, loose, surname and given tokens all
    /// derived from it), written with kanji `kanji`, born on `birth`.
    pub(crate) fn person(index: u64, insurer: u64, name: u64, kanji: u64, birth: u64) -> Identity {
        let one = |token: u64| Values::from_counts(vec![(token, 1)]);
        Identity {
            token: [index as u8; 32],
            insurer,
            masked: Vec::new(),
            values: [
                one(name),
                one(name + 1_000),
                one(name + 2_000),
                one(name + 3_000),
                one(kanji),
                one(birth),
                one(birth / 30),
                one(1_000_000 + birth % 30),
                one(1),
            ],
            first_month: 0,
            last_month: 0,
            claim_months: Vec::new(),
            death_month: None,
            moved_out: Vec::new(),
            moved_in: Vec::new(),
            other_changes: Vec::new(),
            acquired: None,
            other_losses: Vec::new(),
            mistyped_copy: false,
            records: 1,
            identity_key: [index as u8; 32],
        }
    }

    #[test]
    fn kanji_beside_the_same_kana_is_little_further_evidence() {
        // 3,000 identities over 30 names, each written with its own kanji: two persons with one
        // kana name share its kanji, two with different names never do.
        let identities: Vec<Identity> = (0..3_000)
            .map(|index| person(index, index % 7, index % 30, 100 + index % 30, index % 365))
            .collect();
        let (u, kanji_by_kana) = estimate_u(&identities, 200_000);
        // Unconditioned, kanji agreement looks rare (1 pair in 30) and would add ~5 bits to the
        // name's; at the kana level it is measured at, it adds nothing.
        assert!((u[KANJI][2] - 1.0 / 30.0).abs() < 0.005, "{:?}", u[KANJI]);
        assert!(kanji_by_kana[5][2] > 0.999, "{kanji_by_kana:?}");
        assert!(kanji_by_kana[1][2] < 1e-4, "{kanji_by_kana:?}");
    }

    #[test]
    fn a_register_move_joins_two_insurers_within_two_months() {
        let mut old = person(1, 10, 5, 105, 40);
        let mut new = person(2, 20, 5, 105, 40);
        old.moved_out = vec![24_300];
        new.moved_in = vec![24_302];
        let level = |left: &Identity, right: &Identity| compare(left, right)[Comparison::Move as usize];
        assert_eq!(level(&old, &new), 2);
        assert_eq!(level(&new, &old), 2, "either order");
        new.moved_in = vec![24_300];
        assert_eq!(level(&old, &new), 5, "the same month");
        new.moved_in = vec![24_303];
        assert_eq!(level(&old, &new), 1, "three months apart: no move between them");
        new.moved_in.clear();
        assert_eq!(level(&old, &new), 1);
        let same_insurer = person(3, 10, 5, 105, 40);
        assert_eq!(level(&old, &same_insurer), 3, "one insurer: no re-issue between them");
    }

    #[test]
    fn a_number_registered_where_another_of_the_insurer_ends_is_a_reissue() {
        let mut old = person(1, 10, 5, 105, 40);
        let mut new = person(2, 10, 5, 105, 40);
        (old.first_month, old.last_month) = (24_280, 24_300);
        (new.first_month, new.last_month) = (24_301, 24_320);
        let level = |left: &Identity, right: &Identity| compare(left, right)[Comparison::Move as usize];
        assert_eq!(level(&old, &new), 3, "no change registered");
        new.other_changes = vec![24_301];
        assert_eq!(
            level(&old, &new),
            6,
            "no claims under the old number up to the change: a namesake's records end so too"
        );
        old.claim_months = vec![24_299, 24_300];
        assert_eq!(level(&old, &new), 4);
        assert_eq!(level(&new, &old), 4, "either order");
        old.other_changes = vec![24_280];
        new.other_changes = vec![24_310];
        assert_eq!(
            level(&old, &new),
            6,
            "the old number's last record long before the change"
        );
        old.last_month = 24_320;
        assert_eq!(
            level(&old, &new),
            3,
            "a change while the other number is still in use, or at the start of the earlier, is something else"
        );
        old.last_month = 24_300;
        new.other_changes = vec![24_301];
        new.claim_months = vec![24_250, 24_301];
        assert_eq!(
            level(&old, &new),
            3,
            "claims under the new number long before the change"
        );
        new.claim_months = vec![24_301];
        assert_eq!(level(&old, &new), 4);
        new.mistyped_copy = true;
        assert_eq!(level(&old, &new), 0, "a mistyped copy: no question of a re-issue");
        new.mistyped_copy = false;
        new.insurer = 20;
        assert_eq!(level(&old, &new), 1, "another insurer: a move's question");
        new.insurer = 10;
        new.masked = vec![7, 8];
        old.masked = vec![7, 9];
        assert_eq!(level(&old, &new), 0, "one digit apart: the number comparison speaks");
    }

    #[test]
    fn the_estimate_is_the_same_to_the_last_bit_every_time() {
        // Many distinct comparison vectors, so that a sum taken in another order would differ.
        let identities: Vec<Identity> = (0..2_000)
            .map(|index| person(index, index % 5, index % 40, 100 + index % 37, index % 300))
            .collect();
        let mut all = Identities::default();
        all.identities = identities;
        let pairs: Vec<(u32, u32)> = (0..1_999).map(|index| (index, (index * 7 + 1) % 2_000)).collect();
        let first = estimate(&all, &pairs, &pairs);
        for _ in 0..5 {
            let again = estimate(&all, &pairs, &pairs);
            let bits = |m: &[Vec<f64>]| m.iter().flatten().map(|value| value.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&again.m), bits(&first.m));
        }
    }

    #[test]
    fn a_birth_month_written_wrong_keeps_year_and_day() {
        // Birth dates as days 0..: 40 and 70 are the same day of month (day % 30), months apart.
        let base = person(1, 10, 5, 105, 40);
        let level = |birth: u64| compare(&base, &person(2, 10, 5, 105, birth))[Comparison::Birth as usize];
        assert_eq!(level(40), 4);
        assert_eq!(level(41), 3, "same month, another day");
        assert_eq!(level(70), 2, "same day, another month");
        assert_eq!(level(71), 1);
    }
}
