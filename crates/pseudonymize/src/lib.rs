//! Secret key handling, identifier normalization and keyed tokens.
//!
//! Everything that turns a raw identifier into something storable happens here, and nothing else
//! in kaigo sees a raw identifier after this point:
//!
//! - [`key`]: the 256-bit secret from a key file (mode 0600) or an environment variable, sub-keys
//!   derived with HKDF-SHA256 per purpose (linkage tokens, warehouse `person_key`, one per
//!   researcher project), and a fingerprint that identifies the key in manifests without
//!   revealing it.
//! - [`normalize`]: the canonical form of each identifier before hashing — NFKC, katakana, width,
//!   spaces, zero padding — with a *strict* form (what was written, canonically) and a *loose*
//!   kana form that also forgets small kana, voiced marks and long vowels, so spelling variants of
//!   one name meet (domain.md §4.4: inconsistent normalization is the documented cause of NDB
//!   linkage loss).
//! - [`token`]: HMAC-SHA256 of a normalized value under a sub-key, with the field name mixed in so
//!   the same text in two fields gives unrelated tokens. Never a bare hash: without the key a token
//!   cannot be recomputed from a guessed name and birth date.
//!
//! ```
//! use kaigo_pseudonymize::{key::{SecretKey, Purpose}, normalize, token::{Field, Tokenizer}};
//! let key = SecretKey::from_bytes([7; 32]);
//! let tokens = Tokenizer::new(&key, Purpose::LinkageToken);
//! let a = normalize::kana_name("サトウ　ハナコ").unwrap();
//! let b = normalize::kana_name("ｻﾄｰ ﾊﾅｺ").unwrap();
//! assert_eq!(tokens.token(Field::KanaNameLoose, &a.loose), tokens.token(Field::KanaNameLoose, &b.loose));
//! assert_ne!(tokens.token(Field::KanaName, &a.full), tokens.token(Field::KanaName, &b.full));
//! ```
//!
//! What this crate does not do: decide which records belong to one person (linkage), store
//! tokens (ingest and the vault), or log anything about the values it sees.

pub mod key;
pub mod normalize;
pub mod token;

/// Errors of key handling. Messages name the file and the problem, never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file cannot be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// Path of the key file.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The key file exists already (new keys never overwrite).
    #[error("key file {path} exists already; refusing to overwrite a key (data keyed with it would become unlinkable)")]
    Exists {
        /// Path.
        path: std::path::PathBuf,
    },
    /// The key file can be read by group or others.
    #[error("key file {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions {
        /// Path.
        path: std::path::PathBuf,
        /// Unix mode bits.
        mode: u32,
    },
    /// The key is not 64 hexadecimal characters (256 bits).
    #[error(
        "{origin}: a key is 64 hexadecimal characters (256 bits); this one is not (too short, too long or not hex)"
    )]
    Format {
        /// Where the key came from (file path or variable name).
        origin: String,
    },
    /// No key was given.
    #[error("no key: pass --key FILE, or set KAIGO_KEY_FILE (a path) or KAIGO_KEY (64 hex characters)")]
    Missing,
}

impl KeyError {
    /// Whether the user can fix it: always — the key file, its mode and the key's value are
    /// all the user's to give.
    pub fn is_user(&self) -> bool {
        true
    }
}
