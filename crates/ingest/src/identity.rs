//! Identity fields of a record → vault tokens and the warehouse `person_key`.

use chrono::{Datelike, NaiveDate};
use kaigo_codes::care_level::Sex;
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
}

/// Tokens of one record, in the column order of `record_tokens`.
pub struct Tokens {
    /// Normalized insurer number (not secret; kept for the person key).
    pub insurer_number: String,
    /// The person key.
    pub person_key: String,
    values: [Option<Token>; 16],
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
        let person_key = keys.person_key(&insurer, &insured);
        Self {
            insurer_number: insurer,
            person_key,
            values,
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
        for (name, value) in NAMES.iter().zip(&self.values) {
            rows.token(name, value.as_ref().map(|token| &token.0));
        }
    }
}

/// Birth year and month, the only part of a birth date the warehouse keeps.
pub fn birth_year_month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}
