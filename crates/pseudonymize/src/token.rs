//! Keyed tokens: HMAC-SHA256 of a normalized value, with the field mixed in.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::key::{Purpose, SecretKey};

/// Which identifier a token is of. The tag is part of the MAC input, so equal text in two fields
/// gives unrelated tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Insurer number (6 digits).
    InsurerNumber,
    /// Insured number (10 digits).
    InsuredNumber,
    /// Insurer number and insured number together (the NDB "ID1" analogue without birth date).
    InsurerAndInsured,
    /// Strict kana name.
    KanaName,
    /// Loose kana name.
    KanaNameLoose,
    /// Strict kana surname.
    KanaSurname,
    /// Loose kana surname.
    KanaSurnameLoose,
    /// Strict kana given name.
    KanaGiven,
    /// Loose kana given name.
    KanaGivenLoose,
    /// Strict kanji name.
    KanjiName,
    /// Loose kanji name.
    KanjiNameLoose,
    /// Birth date `YYYY-MM-DD`.
    BirthDate,
    /// Birth year and month `YYYY-MM`.
    BirthYearMonth,
    /// Birth year `YYYY`.
    BirthYear,
    /// Birth year and day `YYYY--DD`, the month left out (a month written wrong still agrees).
    BirthYearDay,
    /// Sex code.
    Sex,
    /// Municipality code.
    Municipality,
    /// A pseudonymous person key (warehouse or project).
    PersonKey,
    /// Insurer number and insured number with one digit masked (typo-tolerant linkage).
    InsuredNumberMasked,
}

impl Field {
    /// Stable tag mixed into the MAC; also the column stem in the vault.
    pub fn tag(self) -> &'static str {
        match self {
            Self::InsurerNumber => "insurer_number",
            Self::InsuredNumber => "insured_number",
            Self::InsurerAndInsured => "insurer_insured",
            Self::KanaName => "kana_name",
            Self::KanaNameLoose => "kana_name_loose",
            Self::KanaSurname => "kana_surname",
            Self::KanaSurnameLoose => "kana_surname_loose",
            Self::KanaGiven => "kana_given",
            Self::KanaGivenLoose => "kana_given_loose",
            Self::KanjiName => "kanji_name",
            Self::KanjiNameLoose => "kanji_name_loose",
            Self::BirthDate => "birth_date",
            Self::BirthYearMonth => "birth_year_month",
            Self::BirthYear => "birth_year",
            Self::BirthYearDay => "birth_year_day",
            Self::Sex => "sex",
            Self::Municipality => "municipality",
            Self::PersonKey => "person_key",
            Self::InsuredNumberMasked => "insured_number_masked",
        }
    }
}

/// A 256-bit token.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub [u8; 32]);

impl Token {
    /// 64 lower-case hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Token({}…)", &hex::encode(&self.0[..4]))
    }
}

/// Makes tokens under one purpose's sub-key. Cheap to clone; share one per thread.
#[derive(Clone)]
pub struct Tokenizer {
    keyed: Hmac<Sha256>,
}

impl Tokenizer {
    /// A tokenizer for a purpose of a key.
    pub fn new(key: &SecretKey, purpose: Purpose) -> Self {
        let subkey = key.subkey(&purpose);
        Self {
            keyed: Hmac::<Sha256>::new_from_slice(subkey.as_ref()).expect("HMAC accepts any key length"),
        }
    }

    /// The token of a normalized value in a field.
    pub fn token(&self, field: Field, value: &str) -> Token {
        self.token_bytes(field, value.as_bytes())
    }

    /// The token of raw bytes in a field.
    pub fn token_bytes(&self, field: Field, value: &[u8]) -> Token {
        // The keyed state already holds the padded key: cloning it skips two compressions per token.
        let mut mac = self.keyed.clone();
        mac.update(field.tag().as_bytes());
        mac.update(&[0]);
        mac.update(value);
        Token(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_key_purpose_field_and_value() {
        let key = SecretKey::from_bytes([3; 32]);
        let linkage = Tokenizer::new(&key, Purpose::LinkageToken);
        let person = Tokenizer::new(&key, Purpose::PersonKey);
        let a = linkage.token(Field::InsuredNumber, "0000012345");
        assert_eq!(a, linkage.token(Field::InsuredNumber, "0000012345"));
        assert_ne!(a, linkage.token(Field::InsuredNumber, "0000012346"));
        assert_ne!(a, linkage.token(Field::InsurerNumber, "0000012345"));
        assert_ne!(a, person.token(Field::InsuredNumber, "0000012345"));
        let other_key = Tokenizer::new(&SecretKey::from_bytes([4; 32]), Purpose::LinkageToken);
        assert_ne!(a, other_key.token(Field::InsuredNumber, "0000012345"));
        // Not a bare hash: SHA-256 of the value is not the token.
        use sha2::Digest;
        assert_ne!(a.0, <[u8; 32]>::from(Sha256::digest(b"0000012345")));
        assert_eq!(a.to_hex().len(), 64);
        assert!(!format!("{a:?}").contains(&a.to_hex()[8..]));
    }

    #[test]
    fn token_value_is_pinned() {
        // Cross-checked with Python: HKDF-SHA256(salt "kaigo/hkdf/v1", info "kaigo/linkage-token/v1")
        // then HMAC-SHA256(sub-key, "insured_number" ‖ 0x00 ‖ value).
        let tokens = Tokenizer::new(&SecretKey::from_bytes([1; 32]), Purpose::LinkageToken);
        assert_eq!(
            tokens.token(Field::InsuredNumber, "0000012345").to_hex(),
            "94f6ee4231d715479ac95897ed6f2256f058c89236761d76177a64561d931a44"
        );
    }

    #[test]
    fn tokens_match_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2 (key "Jefe"), with our field framing removed: check the primitive.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
