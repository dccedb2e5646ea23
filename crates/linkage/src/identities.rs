//! Records → identities: every record with the same insurer and insured number (the same
//! `insurer_insured` token) belongs to one identity, the unit linkage resolves.
//!
//! Within one insurer an insured number names one person, so grouping by it is exact; what it
//! cannot see — a move to another insurer, a mistyped number — is what the model decides. An
//! identity keeps, per identifying field, every token value its records carried and how often
//! (a kana variant on one certificate is a minority value beside the usual spelling), the months
//! it was active in, the month of a reported death, and the months the register shows it moving
//! out of or into its insurer, or otherwise acquiring or losing insurance there.
//!
//! Tokens are held as their first 64 bits: enough to tell a nation's values apart (a collision
//! among 10⁷ values has probability ≈ 3·10⁻⁶) at a quarter of the memory. A field's values are
//! held inline while there is one (most identities wrote their name one way), and every list is
//! trimmed to its length once the identities are complete: a nation's identities are millions.

use std::collections::HashMap;

use arrow::{
    array::{Array, ArrayRef, AsArray, BinaryArray},
    datatypes::DataType,
    record_batch::RecordBatch,
};

use kaigo_formats::register::{self, event_kind, reason};

use crate::LinkageError;

/// The first 64 bits of a token.
pub type Short = u64;

fn short(bytes: &[u8]) -> Short {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(prefix)
}

/// Token values of one field over an identity's records, with counts, sorted by value. One value
/// (most identities wrote a field one way) is held inline: 16 bytes, where a list of one took a
/// 24-byte header and an allocation of four slots (64 bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Values {
    /// No value seen.
    #[default]
    Empty,
    /// One value and its count.
    One(Short, u32),
    /// Two or more, sorted by value.
    Several(Box<Vec<(Short, u32)>>),
}

impl Values {
    fn add(&mut self, value: Short) {
        self.add_count(value, 1);
    }

    fn add_count(&mut self, value: Short, count: u32) {
        match self {
            Values::Empty => *self = Values::One(value, count),
            Values::One(token, total) if *token == value => *total += count,
            Values::One(token, total) => {
                let mut list = vec![(*token, *total), (value, count)];
                list.sort_unstable();
                *self = Values::Several(Box::new(list));
            }
            Values::Several(list) => match list.binary_search_by_key(&value, |(token, _)| *token) {
                Ok(index) => list[index].1 += count,
                Err(index) => list.insert(index, (value, count)),
            },
        }
    }

    /// Add `other`'s counts.
    fn absorb(&mut self, other: &Self) {
        for (value, count) in other.counts() {
            self.add_count(value, count);
        }
    }

    fn trim(&mut self) {
        if let Values::Several(list) = self {
            list.shrink_to_fit();
        }
    }

    /// Values with their counts, sorted by value.
    pub fn counts(&self) -> impl Iterator<Item = (Short, u32)> + '_ {
        let (one, several) = match self {
            Values::Empty => (None, &[][..]),
            Values::One(token, count) => (Some((*token, *count)), &[][..]),
            Values::Several(list) => (None, list.as_slice()),
        };
        one.into_iter().chain(several.iter().copied())
    }

    /// Values from (value, count) pairs.
    pub fn from_counts(counts: Vec<(Short, u32)>) -> Self {
        let mut values = Values::Empty;
        for (value, count) in counts {
            values.add_count(value, count);
        }
        values
    }

    /// No value seen.
    pub fn is_empty(&self) -> bool {
        matches!(self, Values::Empty)
    }

    /// The most frequent value (ties: the smallest token, for determinism).
    pub fn mode(&self) -> Option<Short> {
        self.counts()
            .max_by(|left, right| left.1.cmp(&right.1).then(right.0.cmp(&left.0)))
            .map(|(token, _)| token)
    }

    /// Every value seen.
    pub fn tokens(&self) -> impl Iterator<Item = Short> + '_ {
        self.counts().map(|(token, _)| token)
    }

    /// Whether the two share a value.
    pub fn intersects(&self, other: &Self) -> bool {
        let (mut left, mut right) = (self.tokens().peekable(), other.tokens().peekable());
        while let (Some(a), Some(b)) = (left.peek(), right.peek()) {
            match a.cmp(b) {
                std::cmp::Ordering::Less => {
                    left.next();
                }
                std::cmp::Ordering::Greater => {
                    right.next();
                }
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// Identifying fields an identity collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Strict kana name.
    KanaName,
    /// Loose kana name.
    KanaNameLoose,
    /// Loose kana surname.
    KanaSurname,
    /// Loose kana given name.
    KanaGiven,
    /// Loose kanji name.
    KanjiName,
    /// Birth date.
    BirthDate,
    /// Birth year and month.
    BirthYearMonth,
    /// Birth year and day (the month left out).
    BirthYearDay,
    /// Sex.
    Sex,
}

impl Field {
    /// Every field, in storage order.
    pub const ALL: [Field; 9] = [
        Self::KanaName,
        Self::KanaNameLoose,
        Self::KanaSurname,
        Self::KanaGiven,
        Self::KanjiName,
        Self::BirthDate,
        Self::BirthYearMonth,
        Self::BirthYearDay,
        Self::Sex,
    ];

    /// Its token column in `record_tokens`.
    pub fn column(self) -> &'static str {
        match self {
            Self::KanaName => "kana_name_token",
            Self::KanaNameLoose => "kana_name_loose_token",
            Self::KanaSurname => "kana_surname_loose_token",
            Self::KanaGiven => "kana_given_loose_token",
            Self::KanjiName => "kanji_name_loose_token",
            Self::BirthDate => "birth_date_token",
            Self::BirthYearMonth => "birth_year_month_token",
            Self::BirthYearDay => "birth_year_day_token",
            Self::Sex => "sex_token",
        }
    }
}

/// One insurer + insured number and what its records said.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The full `insurer_insured` token (the person key is derived from a cluster's anchor).
    pub token: [u8; 32],
    /// Insurer token.
    pub insurer: Short,
    /// The insured number with each digit masked in turn (empty: the number was not 10 digits).
    pub masked: Vec<Short>,
    /// Values per field, indexed like [`Field::ALL`].
    pub values: [Values; Field::ALL.len()],
    /// First and last month with a record, as months since year 0.
    pub first_month: u32,
    /// Last month with a record.
    pub last_month: u32,
    /// Service months of its claims, sorted: the months the insurer paid for this person, so
    /// the months it was certainly insured there. (Other records' months are no such evidence:
    /// a certification file after a move repeats the person's earlier certifications under the
    /// new number.)
    pub claim_months: Vec<u32>,
    /// Month of a reported death.
    pub death_month: Option<u32>,
    /// Months the register shows a move out of this insurer (転出), sorted. With the other
    /// insurer's 転入, the evidence that tells a move from two persons who happen to share name
    /// and birth date.
    pub moved_out: Vec<u32>,
    /// Months the register shows a move into this insurer (転入), sorted.
    pub moved_in: Vec<u32>,
    /// Months the register shows an other change (23 その他変更), sorted: a new insured number at
    /// the same insurer is registered so, under the new number, where the old one ends.
    pub other_changes: Vec<u32>,
    /// First and last month the register shows this number acquiring insurance at its insurer
    /// (取得: reaching 65, the 2nd tier, 転入). One person is insured at an insurer once at a
    /// time, so two numbers of one insurer each acquired, with no loss between, are two persons.
    /// (Two months, not a list: nearly every identity has one, and a nation's are millions.)
    pub acquired: Option<(u32, u32)>,
    /// Months the register shows a loss other than death or a move out (その他喪失), sorted. With
    /// `moved_out`, the losses after which the person may be acquired again ([`Identity::losses`]).
    pub other_losses: Vec<u32>,
    /// Whether its number is one digit from the number of a larger identity of its insurer: a
    /// mistyped copy, not a number the insurer gave. Set by [`crate::resolve`] from the
    /// candidate pairs; not kept in summaries.
    pub mistyped_copy: bool,
    /// Records.
    pub records: u32,
    /// The `identity_key` the load wrote for these records (64 hex digits), as its bytes.
    pub identity_key: [u8; 32],
}

impl Identity {
    /// Give back what the lists reserved beyond their length.
    fn trim(&mut self) {
        for values in &mut self.values {
            values.trim();
        }
        for list in [
            &mut self.claim_months,
            &mut self.moved_out,
            &mut self.moved_in,
            &mut self.other_changes,
            &mut self.other_losses,
        ] {
            list.shrink_to_fit();
        }
        self.masked.shrink_to_fit();
    }

    /// Values of a field.
    pub fn field(&self, field: Field) -> &Values {
        &self.values[field as usize]
    }

    /// Months of the losses other than death (転出, その他喪失): after one, the person may be
    /// acquired again.
    pub fn losses(&self) -> impl Iterator<Item = u32> + '_ {
        self.moved_out.iter().chain(&self.other_losses).copied()
    }

    /// Months both were paid for by claims.
    pub fn months_in_common(&self, other: &Self) -> usize {
        let (mut left, mut right, mut common) = (0, 0, 0);
        while left < self.claim_months.len() && right < other.claim_months.len() {
            match self.claim_months[left].cmp(&other.claim_months[right]) {
                std::cmp::Ordering::Less => left += 1,
                std::cmp::Ordering::Greater => right += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    left += 1;
                    right += 1;
                }
            }
        }
        common
    }

    /// Whether the register shows one of the two moving out and the other moving in within
    /// `months` of each other.
    pub fn moved_between(&self, other: &Self, months: u32) -> bool {
        let near = |outs: &[u32], ins: &[u32]| {
            outs.iter()
                .any(|out| ins.iter().any(|moved_in| out.abs_diff(*moved_in) <= months))
        };
        near(&self.moved_out, &other.moved_in) || near(&other.moved_out, &self.moved_in)
    }

    /// If one of the two (of one insurer) has an other change (その他変更) registered no earlier
    /// than `months` before the other's last record and before its own claims, the other (the
    /// earlier number) and the change's month: how a re-issued number appears. Two persons who
    /// share a name and birth date at one insurer lack it.
    pub fn reissued_between<'a>(&'a self, other: &'a Self, months: u32) -> Option<(&'a Self, u32)> {
        // The old number's last record may be long before the change (a person without services
        // has a certification every year or so), and the new number's first record before it
        // too (a certification file after the change repeats earlier certifications under the
        // new number): only claims say when a number was in use.
        let follows = |earlier: &'a Self, later: &'a Self| {
            later
                .other_changes
                .iter()
                .find(|&&change| {
                    earlier.last_month <= change + months
                        && later.claim_months.first().is_none_or(|&first| first + months >= change)
                })
                .map(|&change| (earlier, change))
        };
        if self.insurer != other.insurer {
            return None;
        }
        follows(self, other).or_else(|| follows(other, self))
    }

    /// Whether the two numbers are one digit apart (share a masked token at the same position).
    pub fn one_digit_apart(&self, other: &Self) -> bool {
        self.insurer == other.insurer
            && !self.masked.is_empty()
            && self.masked.iter().zip(&other.masked).any(|(left, right)| left == right)
    }
}

/// A record and the identity it belongs to (for evaluation and for the person map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef {
    /// Index into [`Identities::files`] (the source file id; unique across the hub, being
    /// derived from the path, delivery included). Interned: a hub has few files, many records.
    pub file: u32,
    /// Line.
    pub source_line: i64,
    /// Index into the identities.
    pub identity: u32,
    /// The NDB-style "ID1" of the record alone: insurer + insured number + birth date + sex.
    pub id1: Option<Short>,
    /// The NDB-style "ID2": kana name + birth date + sex (claims carry no name: `None`).
    pub id2: Option<Short>,
}

/// Combine tokens into one key (for the baselines; any fixed mixing will do).
fn combine(parts: &[Option<Short>]) -> Option<Short> {
    parts.iter().try_fold(0x9e37_79b9_7f4a_7c15u64, |hash, part| {
        part.map(|value| (hash ^ value).wrapping_mul(0x100_0000_01b3).rotate_left(29))
    })
}

/// Identities built from `record_tokens`, and each record's identity.
#[derive(Debug, Default)]
pub struct Identities {
    /// Identities, in token order once [`Identities::finish`] ran.
    pub identities: Vec<Identity>,
    /// Records, in input order.
    pub records: Vec<RecordRef>,
    /// Source file ids, indexed by [`RecordRef::file`].
    pub files: Vec<String>,
    file_index: HashMap<String, u32>,
    index: HashMap<[u8; 32], u32>,
    /// Keep no [`RecordRef`]s (linking needs only the identities; evaluation and explanations
    /// need the records).
    summaries_only: bool,
}

/// An `identity_key`'s bytes.
fn identity_key(hex_digits: &str) -> Result<[u8; 32], LinkageError> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut bytes)
        .map_err(|error| LinkageError::Input(format!("identity_key is not 64 hex digits: {error}")))?;
    Ok(bytes)
}

/// Insert `month` into sorted `months` unless it is there.
fn insert_month(months: &mut Vec<u32>, month: u32) {
    if let Err(position) = months.binary_search(&month) {
        months.insert(position, month);
    }
}

/// The first and last of two spans of months.
fn span(left: Option<(u32, u32)>, right: Option<(u32, u32)>) -> Option<(u32, u32)> {
    match (left, right) {
        (Some((first, last)), Some((other_first, other_last))) => Some((first.min(other_first), last.max(other_last))),
        (left, right) => left.or(right),
    }
}

fn month_index(text: &str) -> Option<u32> {
    let year: u32 = text.get(..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    Some(year * 12 + month - 1)
}

impl Identities {
    /// Identities that keep no per-record references (for incremental linking: memory grows with
    /// identities, not records).
    pub fn summaries_only() -> Self {
        Self {
            summaries_only: true,
            ..Self::default()
        }
    }

    /// Fold in `other`'s identities (built from other records): counts add up, months and
    /// deaths combine, so folding per-delivery summaries gives what reading every delivery at
    /// once gives. Records are not carried over.
    pub fn absorb(&mut self, other: Identities) {
        if self.identities.is_empty() {
            // Nothing to fold into: taken whole, not copied into a growing list.
            self.identities = other.identities;
            return;
        }
        for identity in other.identities {
            let next = self.identities.len() as u32;
            let index = *self.indexed().entry(identity.token).or_insert(next);
            if index == next {
                self.identities.push(identity);
                continue;
            }
            let target = &mut self.identities[index as usize];
            for (slot, values) in target.values.iter_mut().zip(identity.values) {
                slot.absorb(&values);
            }
            target.first_month = target.first_month.min(identity.first_month);
            target.last_month = target.last_month.max(identity.last_month);
            for (target, months) in [
                (&mut target.claim_months, identity.claim_months),
                (&mut target.moved_out, identity.moved_out),
                (&mut target.moved_in, identity.moved_in),
                (&mut target.other_changes, identity.other_changes),
                (&mut target.other_losses, identity.other_losses),
            ] {
                for month in months {
                    insert_month(target, month);
                }
            }
            target.acquired = span(target.acquired, identity.acquired);
            target.death_month = match (target.death_month, identity.death_month) {
                (Some(left), Some(right)) => Some(left.min(right)),
                (left, right) => left.or(right),
            };
            target.records += identity.records;
        }
    }

    /// Add the rows of one `record_tokens` batch. Rows without an insurer + insured number token
    /// are skipped.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), LinkageError> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| LinkageError::Input(format!("record_tokens has no column {name}")))
        };
        // Delta Lake has no fixed-size binary type: the tokens come back as plain binary.
        let tokens = |name: &str| -> Result<ArrayRef, LinkageError> {
            arrow::compute::cast(column(name)?, &DataType::Binary)
                .map_err(|error| LinkageError::Input(format!("{name} is not binary: {error}")))
        };
        let identity_tokens = tokens("insurer_insured_token")?;
        let identity_tokens = identity_tokens.as_binary::<i32>();
        let insurers = tokens("insurer_number_token")?;
        let insurers = insurers.as_binary::<i32>();
        let masked = tokens("insured_number_masked_tokens")?;
        let masked = masked.as_binary::<i32>();
        let field_arrays: Vec<ArrayRef> = Field::ALL
            .iter()
            .map(|field| tokens(field.column()))
            .collect::<Result<_, _>>()?;
        let fields: Vec<&BinaryArray> = field_arrays.iter().map(|array| array.as_binary::<i32>()).collect();
        let months = column("event_month")?.as_string::<i32>();
        let extracts = column("extract")?.as_string::<i32>();
        let reasons = column("register_reason")?.as_string::<i32>();
        let files = column("source_file_id")?.as_string::<i32>();
        let lines = column("source_line")?.as_primitive::<arrow::datatypes::Int64Type>();
        let identity_keys = column("identity_key")?.as_string::<i32>();
        for row in 0..batch.num_rows() {
            if identity_tokens.is_null(row) || insurers.is_null(row) {
                continue;
            }
            let token: [u8; 32] = identity_tokens.value(row).try_into().expect("32-byte token");
            let next = self.identities.len() as u32;
            let index = *self.indexed().entry(token).or_insert(next);
            if index == next {
                self.identities.push(Identity {
                    token,
                    insurer: short(insurers.value(row)),
                    masked: if masked.is_null(row) {
                        Vec::new()
                    } else {
                        masked.value(row).chunks(8).map(short).collect()
                    },
                    values: Default::default(),
                    first_month: u32::MAX,
                    last_month: 0,
                    claim_months: Vec::new(),
                    death_month: None,
                    moved_out: Vec::new(),
                    moved_in: Vec::new(),
                    other_changes: Vec::new(),
                    acquired: None,
                    other_losses: Vec::new(),
                    mistyped_copy: false,
                    records: 0,
                    identity_key: identity_key(identity_keys.value(row))?,
                });
            }
            let identity = &mut self.identities[index as usize];
            identity.records += 1;
            for (slot, array) in identity.values.iter_mut().zip(&fields) {
                if !array.is_null(row) {
                    slot.add(short(array.value(row)));
                }
            }
            if let Some(month) = (!months.is_null(row)).then(|| month_index(months.value(row))).flatten() {
                identity.first_month = identity.first_month.min(month);
                identity.last_month = identity.last_month.max(month);
                if extracts.value(row) == "claims" {
                    insert_month(&mut identity.claim_months, month);
                }
                if let Some(reason) = (!reasons.is_null(row)).then(|| reasons.value(row)) {
                    match reason {
                        reason::DEATH => {
                            identity.death_month = Some(identity.death_month.map_or(month, |death| death.min(month)));
                        }
                        reason::MOVED_OUT => insert_month(&mut identity.moved_out, month),
                        reason::MOVED_IN => insert_month(&mut identity.moved_in, month),
                        reason::OTHER_CHANGE => insert_month(&mut identity.other_changes, month),
                        _ => {}
                    }
                    match register::event_kind_of(reason) {
                        Some(event_kind::ACQUISITION) => {
                            identity.acquired = span(identity.acquired, Some((month, month)))
                        }
                        Some(event_kind::LOSS) if reason != reason::DEATH && reason != reason::MOVED_OUT => {
                            insert_month(&mut identity.other_losses, month)
                        }
                        _ => {}
                    }
                }
            }
            let value = |array: &BinaryArray| (!array.is_null(row)).then(|| short(array.value(row)));
            let (birth, sex) = (
                value(fields[Field::BirthDate as usize]),
                value(fields[Field::Sex as usize]),
            );
            if self.summaries_only {
                continue;
            }
            let file = self.intern_file(files.value(row));
            self.records.push(RecordRef {
                file,
                source_line: lines.value(row),
                identity: index,
                id1: combine(&[Some(short(&token)), birth, sex]),
                id2: combine(&[value(fields[Field::KanaName as usize]), birth, sex]),
            });
        }
        Ok(())
    }

    fn intern_file(&mut self, id: &str) -> u32 {
        if let Some(index) = self.file_index.get(id) {
            return *index;
        }
        let index = self.files.len() as u32;
        self.files.push(id.to_string());
        self.file_index.insert(id.to_string(), index);
        index
    }

    /// The source file id of a record.
    pub fn file_id(&self, record: &RecordRef) -> &str {
        &self.files[record.file as usize]
    }

    /// Put the identities in token order (so the result does not depend on the order records
    /// were read: a month-by-month replay and a bulk read give the same indices), and give
    /// identities whose records carried no month an empty interval at month 0.
    pub fn finish(&mut self) {
        for identity in &mut self.identities {
            if identity.first_month == u32::MAX {
                identity.first_month = 0;
            }
            identity.trim();
        }
        if !self.records.is_empty() {
            let mut order: Vec<u32> = (0..self.identities.len() as u32).collect();
            order.sort_unstable_by_key(|index| self.identities[*index as usize].token);
            let mut new_index = vec![0u32; order.len()];
            for (position, old) in order.iter().enumerate() {
                new_index[*old as usize] = position as u32;
            }
            for record in &mut self.records {
                record.identity = new_index[record.identity as usize];
            }
        }
        // Tokens are unique: the same order as `order` above.
        self.identities.sort_unstable_by_key(|identity| identity.token);
        self.identities.shrink_to_fit();
        // The index serves building; what is added later rebuilds it.
        self.index = HashMap::new();
    }

    /// The index of every identity by token, rebuilt if [`Identities::finish`] dropped it.
    fn indexed(&mut self) -> &mut HashMap<[u8; 32], u32> {
        if self.index.len() != self.identities.len() {
            self.index = (self.identities.iter().enumerate())
                .map(|(position, identity)| (identity.token, position as u32))
                .collect();
        }
        &mut self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_sorted_and_counted_from_one_to_several() {
        let mut values = Values::default();
        assert!(values.is_empty() && values.mode().is_none());
        values.add(9);
        values.add(9);
        assert_eq!(values, Values::One(9, 2));
        values.add(4);
        values.add(7);
        values.add(4);
        assert_eq!(values.counts().collect::<Vec<_>>(), vec![(4, 2), (7, 1), (9, 2)]);
        // Ties go to the smallest token.
        assert_eq!(values.mode(), Some(4));
        let mut other = Values::from_counts(vec![(7, 3)]);
        assert!(values.intersects(&other) && other.intersects(&values));
        assert!(!values.intersects(&Values::One(5, 1)));
        other.absorb(&values);
        assert_eq!(other, Values::from_counts(vec![(4, 2), (7, 4), (9, 2)]));
        assert_eq!(other.mode(), Some(7));
    }
}
