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
//! - two unrelated numbers of one insurer that the register shows each acquiring insurance there
//!   (取得), with no loss of the earlier between: one person is insured at an insurer once at a
//!   time, and a re-issued number is registered as a change, not an acquisition;
//! - a number of an insurer with claims or register changes there after another number's loss
//!   (転出, その他喪失), without an acquisition since: a person who left is acquired again on
//!   coming back;
//! - claims for months after a reported death, or a register change or acquisition after it.
//!
//! Sex and birth month are weighed by the model, not enforced here: records written with the
//! wrong one exist, and a small identity may hold only such a record.
//!
//! The order is total (weight, then identity indices), so the result is deterministic.

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

/// The pairs within each block of equal key (`entries`: key and identity), added to `pairs`;
/// a block larger than `max_block` is skipped and counted.
fn pairs_of_blocks(mut entries: Vec<(Key, u32)>, max_block: usize, skipped: &mut u64, pairs: &mut Vec<(u32, u32)>) {
    entries.sort_unstable();
    entries.dedup();
    for block in entries.chunk_by(|left, right| left.0 == right.0) {
        if block.len() > max_block {
            *skipped += 1;
            continue;
        }
        for (position, (_, left)) in block.iter().enumerate() {
            for (_, right) in &block[position + 1..] {
                pairs.push((*left, *right));
            }
        }
    }
}

/// A block's key: up to three token values.
type Key = (Short, Short, Short);

/// Where a blocking rule sends an identity's keys.
type Emit<'a> = &'a mut dyn FnMut(Key);

/// Propose the pairs to compare. Each blocking rule is a sort of (key, identity) entries, one
/// rule at a time: the memory is a few words per identity whatever the number of blocks.
pub fn candidates(identities: &[Identity], config: &LinkageConfig) -> Candidates {
    let mut skipped = 0;
    let rule = |keys: &dyn Fn(&Identity, Emit), pairs: &mut Vec<(u32, u32)>, skipped: &mut u64| {
        let mut entries = Vec::with_capacity(identities.len());
        for (index, identity) in identities.iter().enumerate() {
            keys(identity, &mut |key| entries.push((key, index as u32)));
        }
        pairs_of_blocks(entries, config.max_block, skipped, pairs);
    };
    // Numbers one digit apart: the same insurer and number with the same digit masked.
    let mut by_number = Vec::new();
    let positions = identities
        .iter()
        .map(|identity| identity.masked.len())
        .max()
        .unwrap_or(0);
    for position in 0..positions {
        rule(
            &|identity, emit| {
                if let Some(token) = identity.masked.get(position) {
                    emit((identity.insurer, *token, 0));
                }
            },
            &mut by_number,
            &mut skipped,
        );
    }
    // Birth date, sex and a name part; the full kana name with birth year, day and sex; the full
    // kana name with the birth date.
    let mut by_demographics = Vec::new();
    for field in [Field::KanaGiven, Field::KanaSurname, Field::KanjiName] {
        rule(
            &|identity, emit| {
                for birth in identity.field(Field::BirthDate).tokens() {
                    for sex in identity.field(Field::Sex).tokens() {
                        for value in identity.field(field).tokens() {
                            emit((birth, sex, value));
                        }
                    }
                }
            },
            &mut by_demographics,
            &mut skipped,
        );
    }
    rule(
        &|identity, emit| {
            for name in identity.field(Field::KanaNameLoose).tokens() {
                for year_and_day in identity.field(Field::BirthYearDay).tokens() {
                    for sex in identity.field(Field::Sex).tokens() {
                        emit((year_and_day, sex, name));
                    }
                }
            }
        },
        &mut by_demographics,
        &mut skipped,
    );
    rule(
        &|identity, emit| {
            for name in identity.field(Field::KanaNameLoose).tokens() {
                for birth in identity.field(Field::BirthDate).tokens() {
                    emit((birth, 0, name));
                }
            }
        },
        &mut by_demographics,
        &mut skipped,
    );
    for pairs in [&mut by_number, &mut by_demographics] {
        pairs.sort_unstable();
        pairs.dedup();
    }
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
        if acquired_twice(left, right, tolerance) {
            return Some("two acquisitions at one insurer");
        }
        if insured_after_loss(left, right, tolerance) || insured_after_loss(right, left, tolerance) {
            return Some("records at an insurer after a loss there");
        }
    }
    if left.insurer != right.insurer && left.months_in_common(right) > tolerance as usize {
        return Some("two insurers paying for the same months");
    }
    // Claims may be for the month of death and billed a month late; a register change or
    // acquisition is dated, so one in a later month than the death is another person's.
    let after_death = |dead: &Identity, other: &Identity| {
        dead.death_month.is_some_and(|death| {
            any_after(other.claim_months.iter().copied(), death + tolerance)
                || any_after(other.other_changes.iter().copied(), death)
                || any_after(other.acquired.map(|(_, last)| last), death)
        })
    };
    if after_death(left, right) || after_death(right, left) {
        return Some("records after a death");
    }
    None
}

/// Whether two numbers of one insurer were each acquired there (by their first acquisitions)
/// with no loss of the earlier registered between the two: a person acquired again is one
/// who left (転出, その他喪失) first.
fn acquired_twice(left: &Identity, right: &Identity, tolerance: u32) -> bool {
    let (Some((left_acquired, _)), Some((right_acquired, _))) = (left.acquired, right.acquired) else {
        return false;
    };
    let (earlier, from, to) = if left_acquired <= right_acquired {
        (left, left_acquired, right_acquired)
    } else {
        (right, right_acquired, left_acquired)
    };
    !earlier.losses().any(|loss| loss >= from && loss <= to + tolerance)
}

/// Whether `later` (of `lost`'s insurer) was insured there after a loss of `lost` without being
/// acquired since: claims or register changes after the loss, and no acquisition from its month
/// on. (Certifications are no such evidence: a certification file repeats a person's earlier
/// certifications under a new number.)
fn insured_after_loss(lost: &Identity, later: &Identity, tolerance: u32) -> bool {
    lost.losses().any(|loss| {
        let in_use = (later.claim_months.iter().chain(&later.other_changes).copied()).chain(later.losses());
        any_after(in_use, loss + tolerance) && later.acquired.is_none_or(|(_, last)| last + tolerance < loss)
    })
}

/// Whether any of `months` is after `month`.
fn any_after(months: impl IntoIterator<Item = u32>, month: u32) -> bool {
    months.into_iter().any(|other| other > month)
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
    // Each group's members as a circular list through `next` (splicing two circles joins two
    // groups), and its size at its root: two words per identity, not a list each.
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    let mut stats = ClusterStats::default();
    fn root(parent: &mut [u32], mut node: u32) -> u32 {
        while parent[node as usize] != node {
            parent[node as usize] = parent[parent[node as usize] as usize];
            node = parent[node as usize];
        }
        node
    }
    fn members(next: &[u32], start: u32) -> impl Iterator<Item = u32> + '_ {
        let mut current = Some(start);
        std::iter::from_fn(move || {
            let member = current?;
            let following = next[member as usize];
            current = (following != start).then_some(following);
            Some(member)
        })
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
        let reason = members(&next, a).find_map(|left| {
            members(&next, b)
                .find_map(|right| conflict(&identities[left as usize], &identities[right as usize], config))
        });
        if let Some(reason) = reason {
            *stats.refused.entry(reason).or_default() += 1;
            continue;
        }
        let (keep, absorb) = if size[a as usize] >= size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        next.swap(keep as usize, absorb as usize);
        size[keep as usize] += size[absorb as usize];
        parent[absorb as usize] = keep;
        stats.merges += 1;
    }
    // Each identity's group, named by its smallest member.
    let mut cluster = vec![u32::MAX; n];
    for identity in 0..n as u32 {
        if cluster[identity as usize] == u32::MAX {
            let group: Vec<u32> = members(&next, identity).collect();
            let smallest = *group.iter().min().expect("non-empty");
            for member in group {
                cluster[member as usize] = smallest;
            }
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

    #[test]
    fn two_numbers_each_acquired_at_one_insurer_are_two_persons_unless_a_loss_lies_between() {
        let config = LinkageConfig::default();
        let mut earlier = person(0, 10, 5, 105, 40);
        let mut later = person(1, 10, 5, 105, 40);
        // Records far apart in time: the overlap rule has nothing to say.
        (earlier.first_month, earlier.last_month) = (24_300, 24_305);
        (later.first_month, later.last_month) = (24_320, 24_330);
        assert_eq!(conflict(&earlier, &later, &config), None, "no register: no evidence");
        earlier.acquired = Some((24_300, 24_300));
        later.other_changes = vec![24_320];
        assert_eq!(
            conflict(&earlier, &later, &config),
            None,
            "a re-issued number is registered as a change"
        );
        later.acquired = Some((24_320, 24_320));
        let two = Some("two acquisitions at one insurer");
        assert_eq!(conflict(&earlier, &later, &config), two);
        assert_eq!(conflict(&later, &earlier, &config), two, "either order");
        earlier.moved_out = vec![24_299];
        assert_eq!(
            conflict(&earlier, &later, &config),
            two,
            "a loss before the acquisition"
        );
        earlier.other_losses = vec![24_306];
        assert_eq!(conflict(&earlier, &later, &config), None, "left, then acquired again");
        later.moved_out = vec![24_306];
        earlier.other_losses.clear();
        assert_eq!(
            conflict(&earlier, &later, &config),
            two,
            "the later number's loss does not end the earlier's insurance"
        );
        later.insurer = 20;
        assert_eq!(
            conflict(&earlier, &later, &config),
            None,
            "another insurer: a move's question"
        );
        later.insurer = 10;
        earlier.masked = vec![7, 8];
        later.masked = vec![7, 9];
        assert_eq!(
            conflict(&earlier, &later, &config),
            None,
            "one digit apart: a mistyped number lives beside the right one"
        );
    }

    #[test]
    fn nothing_is_registered_or_claimed_for_a_person_after_death() {
        let config = LinkageConfig::default();
        let mut dead = person(0, 10, 5, 105, 40);
        let mut other = person(1, 20, 5, 105, 40);
        dead.death_month = Some(24_300);
        let after_death = Some("records after a death");
        other.claim_months = vec![24_301];
        assert_eq!(conflict(&dead, &other, &config), None, "claims billed a month late");
        other.claim_months = vec![24_302];
        assert_eq!(conflict(&dead, &other, &config), after_death);
        assert_eq!(conflict(&other, &dead, &config), after_death, "either order");
        other.claim_months.clear();
        other.other_changes = vec![24_300];
        assert_eq!(conflict(&dead, &other, &config), None, "a change in the month of death");
        other.other_changes = vec![24_301];
        assert_eq!(
            conflict(&dead, &other, &config),
            after_death,
            "a change the month after"
        );
        other.other_changes.clear();
        other.acquired = Some((24_301, 24_301));
        assert_eq!(
            conflict(&dead, &other, &config),
            after_death,
            "an acquisition the month after"
        );
    }

    #[test]
    fn a_number_in_use_after_another_left_the_insurer_needs_an_acquisition() {
        let config = LinkageConfig::default();
        let mut left = person(0, 10, 5, 105, 40);
        let mut later = person(1, 10, 5, 105, 40);
        (left.first_month, left.last_month) = (24_300, 24_305);
        (later.first_month, later.last_month) = (24_320, 24_330);
        left.moved_out = vec![24_305];
        later.other_changes = vec![24_320];
        let after_loss = Some("records at an insurer after a loss there");
        assert_eq!(
            conflict(&left, &later, &config),
            after_loss,
            "a change registered after the other number moved out"
        );
        assert_eq!(conflict(&later, &left, &config), after_loss, "either order");
        later.other_changes.clear();
        assert_eq!(
            conflict(&left, &later, &config),
            None,
            "no evidence of insurance after the loss"
        );
        later.claim_months = vec![24_306];
        assert_eq!(
            conflict(&left, &later, &config),
            None,
            "claims within the tolerance of the loss"
        );
        later.claim_months = vec![24_321];
        assert_eq!(conflict(&left, &later, &config), after_loss, "claims after it");
        later.acquired = Some((24_290, 24_320));
        assert_eq!(conflict(&left, &later, &config), None, "moved back: acquired again");
        later.acquired = Some((24_290, 24_290));
        assert_eq!(
            conflict(&left, &later, &config),
            after_loss,
            "acquired only before the loss"
        );
        later.acquired = None;
        later.insurer = 20;
        assert_eq!(
            conflict(&left, &later, &config),
            None,
            "another insurer: a move's question"
        );
    }

    #[test]
    fn each_rule_blocks_on_its_own_key_and_skips_its_large_blocks() {
        // Four namesakes: one block of four under each of the five demographic rules.
        let mut identities: Vec<Identity> = (0..4).map(|index| person(index, 10 + index, 5, 105, 40)).collect();
        let skipping = LinkageConfig {
            max_block: 3,
            ..LinkageConfig::default()
        };
        let skipped = candidates(&identities, &skipping);
        assert!(skipped.by_demographics.is_empty(), "{skipped:?}");
        assert_eq!(skipped.blocks_skipped, 5);
        let keeping = LinkageConfig {
            max_block: 4,
            ..LinkageConfig::default()
        };
        let kept = candidates(&identities, &keeping);
        assert_eq!(kept.blocks_skipped, 0);
        // Six pairs, each once though five rules propose it.
        assert_eq!(
            kept.by_demographics,
            vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        );
        // Numbers: the same insurer and one masked digit in common; another insurer's equal
        // masked number is no candidate.
        identities[0].masked = vec![7, 8];
        identities[1].masked = vec![9, 8];
        identities[2].masked = vec![7, 8];
        identities[1].insurer = identities[0].insurer;
        assert_eq!(candidates(&identities, &keeping).by_number, vec![(0, 1)]);
    }
}
