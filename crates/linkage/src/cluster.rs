//! Candidate pairs (blocking), and identities → persons under the constraints of real life.
//!
//! Blocking proposes the pairs worth comparing: identities of one insurer whose numbers are one
//! digit apart, and identities sharing birth date, sex and one of given name, surname or kanji
//! name; or the full kana name with birth year, day and sex (a birth month written wrong), or
//! with the birth date alone (a sex written wrong). A block larger than
//! [`LinkageConfig::max_block`] is skipped and counted (a value that common says nothing). Pairs
//! scoring at least the threshold are merged strongest first; a merge is refused when the two
//! groups cannot be one person:
//! - identities of two insurers with claims for the same service months, or two unrelated
//!   numbers of one insurer whose records span the same months (beyond
//!   `overlap_tolerance_months`): one person is insured by one insurer, under one number, at a
//!   time. Numbers one digit apart at one insurer are exempt: a mistyped number lives alongside
//!   the right one;
//! - claims for months after a reported death.
//!
//! Sex and birth month are weighed by the model, not enforced here: records written with the
//! wrong one exist, and a small identity may hold only such a record.
//!
//! The order is total (weight, then identity indices), so the result is deterministic.

use std::collections::HashMap;

use crate::{
    LinkageConfig,
    identities::{Field, Identity, Short},
};

/// Pairs (smaller index first), sorted and without repeats, and the blocks skipped as too large.
#[derive(Debug, Default)]
pub struct Candidates {
    /// Pairs one digit apart within an insurer.
    pub by_number: Vec<(u32, u32)>,
    /// Pairs sharing birth date, sex and a name part, or the full name and all but one of
    /// birth month and sex.
    pub by_demographics: Vec<(u32, u32)>,
    /// Blocks skipped for their size.
    pub blocks_skipped: u64,
}

impl Candidates {
    /// Every pair of both rules, sorted, without repeats.
    pub fn all(&self) -> Vec<(u32, u32)> {
        let mut pairs: Vec<(u32, u32)> = self.by_number.iter().chain(&self.by_demographics).copied().collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

fn pairs_of_blocks(
    blocks: HashMap<(u8, Short, Short, Short), Vec<u32>>,
    max_block: usize,
    skipped: &mut u64,
) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    for (_, mut members) in blocks {
        members.sort_unstable();
        members.dedup();
        if members.len() > max_block {
            *skipped += 1;
            continue;
        }
        for (position, left) in members.iter().enumerate() {
            for right in &members[position + 1..] {
                pairs.push((*left, *right));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Propose the pairs to compare.
pub fn candidates(identities: &[Identity], config: &LinkageConfig) -> Candidates {
    let mut by_number: HashMap<(u8, Short, Short, Short), Vec<u32>> = HashMap::new();
    // Keys: (position, insurer, masked token, 0) and (rule, birth date, sex, name part).
    let mut by_demographics: HashMap<(u8, Short, Short, Short), Vec<u32>> = HashMap::new();
    for (index, identity) in identities.iter().enumerate() {
        let index = index as u32;
        for (position, token) in identity.masked.iter().enumerate() {
            by_number
                .entry((position as u8, identity.insurer, *token, 0))
                .or_default()
                .push(index);
        }
        for birth in identity.field(Field::BirthDate).tokens() {
            for sex in identity.field(Field::Sex).tokens() {
                for (rule, field) in [(0u8, Field::KanaGiven), (1, Field::KanaSurname), (2, Field::KanjiName)] {
                    for value in identity.field(field).tokens() {
                        by_demographics
                            .entry((rule, birth, sex, value))
                            .or_default()
                            .push(index);
                    }
                }
            }
        }
        for name in identity.field(Field::KanaNameLoose).tokens() {
            for year_and_day in identity.field(Field::BirthYearDay).tokens() {
                for sex in identity.field(Field::Sex).tokens() {
                    by_demographics
                        .entry((3, year_and_day, sex, name))
                        .or_default()
                        .push(index);
                }
            }
            for birth in identity.field(Field::BirthDate).tokens() {
                by_demographics.entry((4, birth, 0, name)).or_default().push(index);
            }
        }
    }
    let mut skipped = 0;
    let by_number = pairs_of_blocks(by_number, config.max_block, &mut skipped);
    let by_demographics = pairs_of_blocks(by_demographics, config.max_block, &mut skipped);
    Candidates {
        by_number,
        by_demographics,
        blocks_skipped: skipped,
    }
}

/// Why two groups cannot be one person, if they cannot.
pub(crate) fn conflict(left: &Identity, right: &Identity, config: &LinkageConfig) -> Option<&'static str> {
    let tolerance = config.overlap_tolerance_months;
    if left.insurer == right.insurer && !left.one_digit_apart(right) {
        // One insurer gives a person one number: two unrelated numbers of one insurer whose
        // records span overlapping months are two persons (homonyms at one insurer are).
        let overlap = left.last_month.min(right.last_month) as i64 - left.first_month.max(right.first_month) as i64 + 1;
        if overlap > tolerance as i64 {
            return Some("two numbers of one insurer in the same months");
        }
    }
    if left.insurer != right.insurer && left.months_in_common(right) > tolerance as usize {
        return Some("two insurers paying for the same months");
    }
    let after_death = |dead: &Identity, other: &Identity| match (dead.death_month, other.claim_months.last()) {
        (Some(death), Some(last)) => *last > death + config.overlap_tolerance_months,
        _ => false,
    };
    if after_death(left, right) || after_death(right, left) {
        return Some("records after a death");
    }
    None
}

/// A scored pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Smaller identity index.
    pub left: u32,
    /// Larger identity index.
    pub right: u32,
    /// Match weight in bits.
    pub weight: f64,
}

/// What clustering did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ClusterStats {
    /// Pairs at or above the threshold.
    pub edges_above_threshold: u64,
    /// Merges done.
    pub merges: u64,
    /// Merges refused, by reason.
    pub refused: std::collections::BTreeMap<&'static str, u64>,
}

/// Group identities into persons: `cluster[i]` is the smallest identity index of i's person.
pub fn cluster(
    identities: &[Identity],
    edges: &mut [Edge],
    threshold: f64,
    config: &LinkageConfig,
) -> (Vec<u32>, ClusterStats) {
    let n = identities.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    let mut stats = ClusterStats::default();
    fn root(parent: &mut [u32], mut node: u32) -> u32 {
        while parent[node as usize] != node {
            parent[node as usize] = parent[parent[node as usize] as usize];
            node = parent[node as usize];
        }
        node
    }
    edges.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then(a.left.cmp(&b.left))
            .then(a.right.cmp(&b.right))
    });
    for edge in edges.iter().filter(|edge| edge.weight >= threshold) {
        stats.edges_above_threshold += 1;
        let (a, b) = (root(&mut parent, edge.left), root(&mut parent, edge.right));
        if a == b {
            continue;
        }
        let reason = members[a as usize].iter().find_map(|&left| {
            members[b as usize]
                .iter()
                .find_map(|&right| conflict(&identities[left as usize], &identities[right as usize], config))
        });
        if let Some(reason) = reason {
            *stats.refused.entry(reason).or_default() += 1;
            continue;
        }
        let (keep, absorb) = if members[a as usize].len() >= members[b as usize].len() {
            (a, b)
        } else {
            (b, a)
        };
        let moved = std::mem::take(&mut members[absorb as usize]);
        members[keep as usize].extend(moved);
        parent[absorb as usize] = keep;
        stats.merges += 1;
    }
    let mut cluster = vec![0u32; n];
    for group in members.iter().filter(|group| !group.is_empty()) {
        let smallest = *group.iter().min().expect("non-empty");
        for &member in group {
            cluster[member as usize] = smallest;
        }
    }
    (cluster, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{identities::Values, model::tests::person};

    #[test]
    fn a_birth_month_or_sex_written_wrong_still_proposes_the_pair() {
        // Birth dates as days: 40 and 70 share year and day of month, not the month.
        let identities = [
            person(0, 10, 5, 105, 40),
            person(1, 20, 5, 105, 70),
            person(2, 30, 5, 105, 40),
            person(3, 40, 6, 106, 71),
        ];
        let mut identities = identities.to_vec();
        identities[2].values[Field::Sex as usize] = Values::from_counts(vec![(2, 1)]);
        let candidates = candidates(&identities, &LinkageConfig::default());
        assert_eq!(candidates.by_demographics, vec![(0, 1), (0, 2)], "{candidates:?}");
        assert!(candidates.by_number.is_empty());
    }
}
