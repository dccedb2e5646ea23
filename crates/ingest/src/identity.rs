//! Identity fields of a record → vault tokens and the warehouse `person_key`.

use chrono::{Datelike, NaiveDate};
use kaigo_codes::{calendar::YearMonth, care_level::Sex};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    normalize,
    token::{Field, Token, Tokenizer},
};
use kaigo_warehouse::rows::TableRows;

/// Assigns the warehouse `person_key` of a record. Until linkage resolves persons across
/// insurers, the key is insurer-scoped: a keyed hash of (insurer number, insured number), the
/// 介護DB 提供先番号 analogue. Linkage replaces this implementation.
pub trait PersonKeys: Sync {
    /// The key of the person with this normalized insurer and insured number.
    fn person_key(&self, insurer_number: &str, insured_number: &str) -> String;
}

/// The interim, insurer-scoped person key.
pub struct InsurerScopedKeys {
    tokens: Tokenizer,
}

impl InsurerScopedKeys {
    /// Keys derived from the `PersonKey` sub-key.
    pub fn new(key: &SecretKey) -> Self {
        Self {
            tokens: Tokenizer::new(key, Purpose::PersonKey),
        }
    }
}

impl PersonKeys for InsurerScopedKeys {
    fn person_key(&self, insurer_number: &str, insured_number: &str) -> String {
        self.tokens
            .token(Field::PersonKey, &format!("{insurer_number}/{insured_number}"))
            .to_hex()
    }
}

/// The identifying fields a record carries (raw, as parsed).
#[derive(Default)]
pub struct Identity<'a> {
    /// Insurer number as written (6 or 8 digits).
    pub insurer_number: &'a str,
    /// Insured number as written.
    pub insured_number: &'a str,
    /// Kana name.
    pub kana_name: Option<&'a str>,
    /// Kanji name.
    pub kanji_name: Option<&'a str>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Municipality code.
    pub municipality: Option<&'a str>,
    /// Month the record speaks for (service, application, assessment, change or plan month).
    pub event_month: Option<YearMonth>,
    /// The record reports the person's death.
    pub ends_person: bool,
}

/// Tokens of one record, in the column order of `record_tokens`.
pub struct Tokens {
    /// Normalized insurer number (not secret; kept for the person key).
    pub insurer_number: String,
    /// The person key.
    pub person_key: String,
    values: [Option<Token>; 16],
    masked: Option<[u8; 80]>,
    event_month: Option<String>,
    ends_person: bool,
}

impl Tokens {
    /// Compute the tokens and person key of an identity.
    pub fn of(identity: &Identity<'_>, tokens: &Tokenizer, keys: &dyn PersonKeys) -> Self {
        let insurer = normalize::insurer_number(identity.insurer_number).unwrap_or_default();
        let insured = normalize::insured_number(identity.insured_number).unwrap_or_default();
        let token = |field: Field, value: &str| (!value.is_empty()).then(|| tokens.token(field, value));
        let kana = identity.kana_name.and_then(normalize::kana_name);
        let kanji = identity.kanji_name.and_then(normalize::kanji_name);
        let birth = identity.birth_date;
        let values = [
            token(Field::InsurerNumber, &insurer),
            token(Field::InsuredNumber, &insured),
            (!insurer.is_empty() && !insured.is_empty())
                .then(|| tokens.token(Field::InsurerAndInsured, &format!("{insurer}/{insured}"))),
            kana.as_ref().and_then(|name| token(Field::KanaName, &name.full)),
            kana.as_ref().and_then(|name| token(Field::KanaNameLoose, &name.loose)),
            kana.as_ref().and_then(|name| token(Field::KanaSurname, &name.surname)),
            kana.as_ref()
                .and_then(|name| token(Field::KanaSurnameLoose, &name.loose_surname)),
            kana.as_ref().and_then(|name| token(Field::KanaGiven, &name.given)),
            kana.as_ref()
                .and_then(|name| token(Field::KanaGivenLoose, &name.loose_given)),
            kanji.as_ref().and_then(|name| token(Field::KanjiName, &name.full)),
            kanji
                .as_ref()
                .and_then(|name| token(Field::KanjiNameLoose, &name.loose)),
            birth.map(|date| tokens.token(Field::BirthDate, &date.format("%Y-%m-%d").to_string())),
            birth.map(|date| {
                tokens.token(
                    Field::BirthYearMonth,
                    &format!("{:04}-{:02}", date.year(), date.month()),
                )
            }),
            birth.map(|date| tokens.token(Field::BirthYear, &format!("{:04}", date.year()))),
            identity.sex.map(|sex| tokens.token(Field::Sex, sex.code())),
            identity
                .municipality
                .and_then(normalize::digits)
                .map(|code| tokens.token(Field::Municipality, &code)),
        ];
        // One mistyped digit changes one position: the two numbers share the token with that
        // position masked. 64 bits per token keep the column small; a collision only proposes a
        // comparison, it never decides one.
        let masked = (insured.len() == 10 && !insurer.is_empty()).then(|| {
            let mut out = [0u8; 80];
            for position in 0..10 {
                let mut digits = insured.clone().into_bytes();
                digits[position] = b'_';
                let value = format!("{insurer}/{}", String::from_utf8(digits).expect("ASCII"));
                let token = tokens.token(Field::InsuredNumberMasked, &value);
                out[position * 8..position * 8 + 8].copy_from_slice(&token.0[..8]);
            }
            out
        });
        let person_key = keys.person_key(&insurer, &insured);
        Self {
            insurer_number: insurer,
            person_key,
            values,
            masked,
            event_month: identity.event_month.map(YearMonth::compact),
            ends_person: identity.ends_person,
        }
    }

    /// Append the token columns (after the lineage, extract and person key columns).
    pub fn push(&self, rows: &mut TableRows) {
        const NAMES: [&str; 16] = [
            "insurer_number_token",
            "insured_number_token",
            "insurer_insured_token",
            "kana_name_token",
            "kana_name_loose_token",
            "kana_surname_token",
            "kana_surname_loose_token",
            "kana_given_token",
            "kana_given_loose_token",
            "kanji_name_token",
            "kanji_name_loose_token",
            "birth_date_token",
            "birth_year_month_token",
            "birth_year_token",
            "sex_token",
            "municipality_token",
        ];
        rows.text("event_month", self.event_month.as_deref())
            .flag("ends_person", Some(self.ends_person));
        for (name, value) in NAMES.iter().zip(&self.values) {
            rows.token(name, value.as_ref().map(|token| &token.0[..]));
        }
        rows.token(
            "insured_number_masked_tokens",
            self.masked.as_ref().map(|bytes| &bytes[..]),
        );
    }
}

/// Birth year and month, the only part of a birth date the warehouse keeps.
pub fn birth_year_month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(insured_number: &str) -> [u8; 80] {
        let key = SecretKey::from_bytes([7; 32]);
        let tokenizer = Tokenizer::new(&key, Purpose::LinkageToken);
        let identity = Identity {
            insurer_number: "131011",
            insured_number,
            ..Identity::default()
        };
        Tokens::of(&identity, &tokenizer, &InsurerScopedKeys::new(&key))
            .masked
            .unwrap()
    }

    fn shared(left: &[u8; 80], right: &[u8; 80]) -> Vec<usize> {
        (0..10)
            .filter(|i| left[i * 8..i * 8 + 8] == right[i * 8..i * 8 + 8])
            .collect()
    }

    #[test]
    fn one_mistyped_digit_shares_exactly_the_token_masking_it() {
        let original = masked("0012345678");
        assert_eq!(shared(&original, &masked("0012345678")), (0..10).collect::<Vec<_>>());
        assert_eq!(shared(&original, &masked("0012395678")), [5]);
        // Full-width digits are normalized first.
        assert_eq!(shared(&original, &masked("００１２３４５６７８")).len(), 10);
        assert_eq!(shared(&original, &masked("0012349978")), Vec::<usize>::new());
    }
}
