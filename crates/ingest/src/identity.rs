//! Identity fields of a record → vault tokens and the warehouse `identity_key`.

use chrono::{Datelike, NaiveDate};
use std::{borrow::Borrow, collections::HashMap, hash::Hash};

use kaigo_codes::{calendar::YearMonth, care_level::Sex};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    normalize,
    token::{Field, Token, Tokenizer},
};
use kaigo_warehouse::tables::{Person, RecordTokenRow};

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
    /// A register record's reason for the change (異動事由: death, moved out, moved in …).
    pub register_reason: Option<&'a str>,
}

/// Tokens of one record (`values` in the order [`Tokens::row`] names them).
#[derive(Clone)]
pub struct Tokens {
    /// Normalized insurer number (not secret; kept for the identity key).
    pub insurer_number: String,
    /// The identity key.
    pub identity_key: String,
    values: [Option<Token>; 17],
    masked: Option<[u8; 80]>,
    event_month: Option<String>,
    register_reason: Option<String>,
}

/// Entries of each [`TokenCache`] map before it starts over.
const TOKEN_CACHE_VALUES: usize = 1 << 16;

/// A bounded map from a value as written to what it turns into. When full it starts over:
/// memory stays bounded in a large insurer's folder, and a result never depends on the cache.
struct Memo<K, V> {
    map: HashMap<K, V, foldhash::fast::RandomState>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Self {
            map: HashMap::default(),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    fn get<Q>(&mut self, key: &Q, make: impl FnOnce() -> V) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(value) = self.map.get(key) {
            return value.clone();
        }
        if self.map.len() >= TOKEN_CACHE_VALUES {
            self.map.clear();
        }
        let value = make();
        self.map.insert(key.to_owned(), value.clone());
        value
    }
}

/// What a normalized insurer number and insured number turn into.
#[derive(Clone)]
struct NumberTokens {
    /// The normalized insurer number.
    insurer_number: String,
    /// Insurer, insured, and insurer + insured tokens.
    tokens: [Option<Token>; 3],
    masked: Option<[u8; 80]>,
    identity_key: String,
}

impl NumberTokens {
    /// Normalize the numbers of `identity` and look them up in `numbers`, keyed by
    /// `insurer/insured` as normalized (so claims' 8-digit insurer numbers share the entries of
    /// the other extracts' 6-digit ones); `pair` is the reused key buffer.
    fn of(
        identity: &Identity<'_>,
        tokens: &Tokenizer,
        keys: &IdentityKeys,
        numbers: &mut Memo<String, NumberTokens>,
        pair: &mut String,
    ) -> Self {
        let token = |field: Field, value: &str| (!value.is_empty()).then(|| tokens.token(field, value));
        let insurer = normalize::insurer_number(identity.insurer_number).unwrap_or_default();
        let insured = normalize::insured_number(identity.insured_number).unwrap_or_default();
        pair.clear();
        pair.push_str(&insurer);
        pair.push('/');
        pair.push_str(&insured);
        let both = pair.as_str();
        numbers.get(both, || {
            // One mistyped digit changes one position: the two numbers share the token with
            // that position masked. 64 bits per token keep the column small; a collision only
            // proposes a comparison, it never decides one.
            let masked = (insured.len() == 10 && !insurer.is_empty()).then(|| {
                let mut out = [0u8; 80];
                let mut value = both.as_bytes().to_vec();
                for position in 0..10 {
                    let index = insurer.len() + 1 + position;
                    let original = std::mem::replace(&mut value[index], b'_');
                    let token = tokens.token_bytes(Field::InsuredNumberMasked, &value);
                    value[index] = original;
                    out[position * 8..position * 8 + 8].copy_from_slice(&token.0[..8]);
                }
                out
            });
            NumberTokens {
                tokens: [
                    token(Field::InsurerNumber, &insurer),
                    token(Field::InsuredNumber, &insured),
                    (!insurer.is_empty() && !insured.is_empty()).then(|| tokens.token(Field::InsurerAndInsured, both)),
                ],
                masked,
                identity_key: keys.identity_key(&insurer, &insured),
                insurer_number: insurer.clone(),
            }
        })
    }
}

/// Tokens already made in one insurer folder, keyed by the values as written (numbers: as
/// written, then as normalized, so the claims' 8-digit insurer numbers share the masked
/// tokens). A person's statements, certificates and assessments repeat the same values (and
/// sex, municipality and birth dates repeat across persons), while normalizing a value and the
/// 27 HMACs of a record are the largest single cost of a load. Hashing is foldhash: SipHash lookups cost more than
/// the HMAC they save.
#[derive(Default)]
pub struct TokenCache {
    /// Keyed by the numbers as written (`insurer U+001F insured`).
    raw_numbers: Memo<String, NumberTokens>,
    /// Keyed by the numbers as normalized (`insurer/insured`).
    numbers: Memo<String, NumberTokens>,
    kana_names: Memo<String, [Option<Token>; 6]>,
    kanji_names: Memo<String, [Option<Token>; 2]>,
    birth_dates: Memo<NaiveDate, [Token; 4]>,
    municipalities: Memo<String, Option<Token>>,
    sexes: Memo<Sex, Token>,
    /// Keys of `raw_numbers` and `numbers`, reused so a lookup allocates nothing.
    raw_pair: String,
    pair: String,
}

impl TokenCache {
    /// The tokens of `identity`.
    pub fn tokens(&mut self, identity: &Identity<'_>, tokens: &Tokenizer, keys: &IdentityKeys) -> Tokens {
        Tokens::of(identity, tokens, keys, self)
    }
}

impl Tokens {
    /// Compute the tokens and identity key of an identity, reusing what `cache` already made.
    pub fn of(identity: &Identity<'_>, tokens: &Tokenizer, keys: &IdentityKeys, cache: &mut TokenCache) -> Self {
        let token = |field: Field, value: &str| (!value.is_empty()).then(|| tokens.token(field, value));
        // Looked up by the numbers as written first: normalizing them costs more than the
        // lookup, and nearly every record repeats numbers the folder has had. The first unit
        // separator of the key ends the insurer number, so ("12", "3") and ("1", "23") stay
        // apart; an insurer number holding one (a control character, which the layouts
        // quarantine anyway) skips this memo.
        let numbers = if identity.insurer_number.contains('\u{1f}') {
            NumberTokens::of(identity, tokens, keys, &mut cache.numbers, &mut cache.pair)
        } else {
            cache.raw_pair.clear();
            cache.raw_pair.push_str(identity.insurer_number);
            cache.raw_pair.push('\u{1f}');
            cache.raw_pair.push_str(identity.insured_number);
            cache.raw_numbers.get(cache.raw_pair.as_str(), || {
                NumberTokens::of(identity, tokens, keys, &mut cache.numbers, &mut cache.pair)
            })
        };
        let kana = identity.kana_name.map_or([None; 6], |raw| {
            cache.kana_names.get(raw, || {
                normalize::kana_name(raw).map_or([None; 6], |name| {
                    [
                        token(Field::KanaName, &name.full),
                        token(Field::KanaNameLoose, &name.loose),
                        token(Field::KanaSurname, &name.surname),
                        token(Field::KanaSurnameLoose, &name.loose_surname),
                        token(Field::KanaGiven, &name.given),
                        token(Field::KanaGivenLoose, &name.loose_given),
                    ]
                })
            })
        });
        let kanji = identity.kanji_name.map_or([None; 2], |raw| {
            cache.kanji_names.get(raw, || {
                normalize::kanji_name(raw).map_or([None; 2], |name| {
                    [
                        token(Field::KanjiName, &name.full),
                        token(Field::KanjiNameLoose, &name.loose),
                    ]
                })
            })
        });
        let birth = identity.birth_date.map(|date| {
            cache.birth_dates.get(&date, || {
                [
                    tokens.token(
                        Field::BirthDate,
                        &format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
                    ),
                    tokens.token(Field::BirthYearMonth, &birth_year_month(date)),
                    tokens.token(Field::BirthYear, &format!("{:04}", date.year())),
                    tokens.token(Field::BirthYearDay, &format!("{:04}--{:02}", date.year(), date.day())),
                ]
            })
        });
        let sex = identity
            .sex
            .map(|sex| cache.sexes.get(&sex, || tokens.token(Field::Sex, sex.code())));
        let municipality = identity.municipality.and_then(|raw| {
            cache.municipalities.get(raw, || {
                normalize::digits(raw).and_then(|digits| token(Field::Municipality, &digits))
            })
        });
        let [insurer_token, insured_token, both_token] = numbers.tokens;
        let [kana_full, kana_loose, surname, surname_loose, given, given_loose] = kana;
        let [kanji_full, kanji_loose] = kanji;
        let values = [
            insurer_token,
            insured_token,
            both_token,
            kana_full,
            kana_loose,
            surname,
            surname_loose,
            given,
            given_loose,
            kanji_full,
            kanji_loose,
            birth.map(|birth| birth[0]),
            birth.map(|birth| birth[1]),
            birth.map(|birth| birth[2]),
            birth.map(|birth| birth[3]),
            sex,
            municipality,
        ];
        Self {
            insurer_number: numbers.insurer_number,
            identity_key: numbers.identity_key,
            values,
            masked: numbers.masked,
            event_month: identity.event_month.map(YearMonth::compact),
            register_reason: identity.register_reason.map(String::from),
        }
    }

    /// The record's person, as the warehouse tables carry it.
    pub fn person(&self) -> Person<'_> {
        Person {
            identity_key: &self.identity_key,
            insurer_number: &self.insurer_number,
        }
    }

    /// The record's row of `record_tokens`.
    pub fn row<'t>(&'t self, extract: &'t str) -> RecordTokenRow<'t> {
        let [
            insurer_number,
            insured_number,
            insurer_insured,
            kana_name,
            kana_name_loose,
            kana_surname,
            kana_surname_loose,
            kana_given,
            kana_given_loose,
            kanji_name,
            kanji_name_loose,
            birth_date,
            birth_year_month,
            birth_year,
            birth_year_day,
            sex,
            municipality,
        ] = self.values.each_ref().map(|token| token.as_ref().map(|token| &token.0));
        RecordTokenRow {
            extract,
            identity_key: &self.identity_key,
            event_month: self.event_month.as_deref(),
            register_reason: self.register_reason.as_deref(),
            insurer_number_token: insurer_number,
            insured_number_token: insured_number,
            insurer_insured_token: insurer_insured,
            kana_name_token: kana_name,
            kana_name_loose_token: kana_name_loose,
            kana_surname_token: kana_surname,
            kana_surname_loose_token: kana_surname_loose,
            kana_given_token: kana_given,
            kana_given_loose_token: kana_given_loose,
            kanji_name_token: kanji_name,
            kanji_name_loose_token: kanji_name_loose,
            birth_date_token: birth_date,
            birth_year_month_token: birth_year_month,
            birth_year_token: birth_year,
            birth_year_day_token: birth_year_day,
            sex_token: sex,
            municipality_token: municipality,
            insured_number_masked_tokens: self.masked.as_ref(),
        }
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

    #[test]
    fn a_masked_token_is_the_number_with_one_digit_masked() {
        let tokenizer = Tokenizer::new(&SecretKey::from_bytes([7; 32]), Purpose::LinkageToken);
        let tokens = masked("0012345678");
        let expected = tokenizer.token(Field::InsuredNumberMasked, "131011/00123_5678");
        assert_eq!(tokens[5 * 8..6 * 8], expected.0[..8]);
    }

    #[test]
    fn tokens_do_not_depend_on_what_the_cache_holds() {
        let key = SecretKey::from_bytes([7; 32]);
        let (tokenizer, keys) = (Tokenizer::new(&key, Purpose::LinkageToken), IdentityKeys::new(&key));
        fn person<'a>(
            insurer_number: &'a str,
            insured_number: &'a str,
            kana_name: &'a str,
            municipality: &'a str,
            day: u32,
        ) -> Identity<'a> {
            Identity {
                insurer_number,
                insured_number,
                kana_name: Some(kana_name),
                kanji_name: Some("山田　太郎"),
                birth_date: NaiveDate::from_ymd_opt(1940, 4, day),
                sex: Some(Sex::Male),
                municipality: Some(municipality),
                ..Identity::default()
            }
        }
        let view = |tokens: Tokens| (tokens.insurer_number, tokens.identity_key, tokens.values, tokens.masked);
        let alone = |identity: &Identity<'_>| view(Tokens::of(identity, &tokenizer, &keys, &mut TokenCache::default()));
        // The same person written three ways, and a neighbour, through one cache.
        let written = [
            person("131011", "0012345678", "ヤマダ　タロウ", "131016", 1),
            person("00131011", "００１２３４５６７８", "ﾔﾏﾀﾞ ﾀﾛｳ", "１３１０１６", 1),
            person("131011", "0012345679", "ヤマダ　ジロウ", "131024", 2),
            person("131011", "12345678", "やまだ　たろう", "131016", 1),
            // Numbers that run together differently, and one holding the key separator.
            person("13101", "10012345678", "ヤマダ　タロウ", "131016", 1),
            person("1310\u{1f}1", "0012345678", "ヤマダ　タロウ", "131016", 1),
            person("1310", "\u{1f}10012345678", "ヤマダ　タロウ", "131016", 1),
        ];
        let mut cache = TokenCache::default();
        for identity in &written {
            assert!(view(Tokens::of(identity, &tokenizer, &keys, &mut cache)) == alone(identity));
        }
        // A full map starts over without changing a token.
        for number in 0..TOKEN_CACHE_VALUES + 10 {
            let municipality = format!("{number:06}");
            let identity = person("131011", "0012345678", "ヤマダ　タロウ", &municipality, 1);
            Tokens::of(&identity, &tokenizer, &keys, &mut cache);
        }
        assert!(cache.municipalities.map.len() < TOKEN_CACHE_VALUES);
        for identity in &written {
            assert!(view(Tokens::of(identity, &tokenizer, &keys, &mut cache)) == alone(identity));
        }
        // Width, script, spacing and zero padding aside, the three spellings are one person.
        assert!(alone(&written[0]) == alone(&written[1]) && alone(&written[0]) == alone(&written[3]));
        assert!(alone(&written[0]) != alone(&written[2]));
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
