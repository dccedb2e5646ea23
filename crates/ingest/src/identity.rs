//! Identity fields of a record → vault tokens and the warehouse `identity_key`.

use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

use kaigo_codes::{calendar::YearMonth, care_level::Sex};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    normalize,
    token::{Field, Token, Tokenizer},
};
use kaigo_warehouse::rows::TableRows;

/// The warehouse `identity_key` of a record: a keyed hash of (insurer number, insured number),
/// the 介護DB 提供先番号 analogue — one per insurer and insured number, so a person who moves
/// has two. Linkage resolves identities into persons and publishes `identity_key → person_key`
/// in the warehouse's `person_map`; the load cannot, as it sees one month at a time.
pub struct IdentityKeys {
    tokens: Tokenizer,
}

impl IdentityKeys {
    /// Keys derived from the `PersonKey` sub-key (the person keys linkage derives from it hash
    /// a different input, `person/…`, so the two never collide).
    pub fn new(key: &SecretKey) -> Self {
        Self {
            tokens: Tokenizer::new(key, Purpose::PersonKey),
        }
    }

    /// The key of this normalized insurer and insured number.
    pub fn identity_key(&self, insurer_number: &str, insured_number: &str) -> String {
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
#[derive(Clone)]
pub struct Tokens {
    /// Normalized insurer number (not secret; kept for the identity key).
    pub insurer_number: String,
    /// The identity key.
    pub identity_key: String,
    values: [Option<Token>; 16],
    masked: Option<[u8; 80]>,
    event_month: Option<String>,
    ends_person: bool,
}

/// Values cached per identifier field, and insurer + insured numbers (see [`TokenCache`]).
const TOKEN_CACHE_VALUES: usize = 1 << 16;

/// Masked-number tokens and identity key of one insurer + insured number.
type NumberTokens = (Option<[u8; 80]>, String);

/// Tokens already made in one insurer folder. A person's statements, certificates and
/// assessments repeat the same values (and sex, insurer and birth years repeat across persons),
/// while the 26 HMACs of a record are the largest single cost of a load: each value is keyed
/// once per folder, each insurer + insured number's masked tokens and identity key once.
#[derive(Default)]
pub struct TokenCache {
    fields: HashMap<Field, HashMap<String, Token>>,
    numbers: HashMap<(String, String), NumberTokens>,
}

impl TokenCache {
    fn token(&mut self, tokens: &Tokenizer, field: Field, value: &str) -> Option<Token> {
        if value.is_empty() {
            return None;
        }
        // A hit costs one hash of the value; the key is copied only on a miss.
        let values = self.fields.entry(field).or_default();
        if let Some(token) = values.get(value) {
            return Some(*token);
        }
        // Start over when full: memory stays bounded in a large insurer's folder, and a token
        // does not depend on the cache.
        if values.len() >= TOKEN_CACHE_VALUES {
            values.clear();
        }
        let token = tokens.token(field, value);
        values.insert(value.to_string(), token);
        Some(token)
    }

    /// The tokens of `identity`.
    pub fn tokens(&mut self, identity: &Identity<'_>, tokens: &Tokenizer, keys: &IdentityKeys) -> Tokens {
        Tokens::of(identity, tokens, keys, self)
    }
}

impl Tokens {
    /// Compute the tokens and identity key of an identity, reusing what `cache` already made.
    pub fn of(identity: &Identity<'_>, tokens: &Tokenizer, keys: &IdentityKeys, cache: &mut TokenCache) -> Self {
        let insurer = normalize::insurer_number(identity.insurer_number).unwrap_or_default();
        let insured = normalize::insured_number(identity.insured_number).unwrap_or_default();
        let kana = identity.kana_name.and_then(normalize::kana_name);
        let kanji = identity.kanji_name.and_then(normalize::kanji_name);
        let birth = identity.birth_date;
        let mut token = |field: Field, value: Option<&str>| value.and_then(|value| cache.token(tokens, field, value));
        let both = (!insurer.is_empty() && !insured.is_empty()).then(|| format!("{insurer}/{insured}"));
        let values = [
            token(Field::InsurerNumber, Some(&insurer)),
            token(Field::InsuredNumber, Some(&insured)),
            token(Field::InsurerAndInsured, both.as_deref()),
            token(Field::KanaName, kana.as_ref().map(|name| name.full.as_str())),
            token(Field::KanaNameLoose, kana.as_ref().map(|name| name.loose.as_str())),
            token(Field::KanaSurname, kana.as_ref().map(|name| name.surname.as_str())),
            token(
                Field::KanaSurnameLoose,
                kana.as_ref().map(|name| name.loose_surname.as_str()),
            ),
            token(Field::KanaGiven, kana.as_ref().map(|name| name.given.as_str())),
            token(
                Field::KanaGivenLoose,
                kana.as_ref().map(|name| name.loose_given.as_str()),
            ),
            token(Field::KanjiName, kanji.as_ref().map(|name| name.full.as_str())),
            token(Field::KanjiNameLoose, kanji.as_ref().map(|name| name.loose.as_str())),
            token(
                Field::BirthDate,
                birth
                    .map(|date| format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()))
                    .as_deref(),
            ),
            token(
                Field::BirthYearMonth,
                birth
                    .map(|date| format!("{:04}-{:02}", date.year(), date.month()))
                    .as_deref(),
            ),
            token(
                Field::BirthYear,
                birth.map(|date| format!("{:04}", date.year())).as_deref(),
            ),
            token(Field::Sex, identity.sex.map(|sex| sex.code())),
            token(
                Field::Municipality,
                identity.municipality.and_then(normalize::digits).as_deref(),
            ),
        ];
        if cache.numbers.len() >= TOKEN_CACHE_VALUES {
            cache.numbers.clear();
        }
        let (masked, identity_key) = cache
            .numbers
            .entry((insurer.clone(), insured.clone()))
            .or_insert_with(|| {
                // One mistyped digit changes one position: the two numbers share the token with
                // that position masked. 64 bits per token keep the column small; a collision
                // only proposes a comparison, it never decides one.
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
                (masked, keys.identity_key(&insurer, &insured))
            })
            .clone();
        Self {
            insurer_number: insurer,
            identity_key,
            values,
            masked,
            event_month: identity.event_month.map(YearMonth::compact),
            ends_person: identity.ends_person,
        }
    }

    /// Append the token columns (after the lineage, extract and identity key columns).
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
        Tokens::of(
            &identity,
            &tokenizer,
            &IdentityKeys::new(&key),
            &mut TokenCache::default(),
        )
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
