//! Stored SCRAM-SHA-256 verifiers in PostgreSQL's own format (`pg_authid.rolpassword`):
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64. The verifier lets the
//! server check a client's proof and prove itself, but not log in: the salted password it is
//! derived from is not stored (RFC 5802 §3).

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The iteration count `kaigo serve --hash-password` uses unless told otherwise (PostgreSQL's
/// default; RFC 7677's minimum).
pub const DEFAULT_ITERATIONS: u32 = 4096;

const SCHEME: &str = "SCRAM-SHA-256";

/// A parsed verifier. Debug shows none of it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Verifier {
    pub(crate) iterations: u32,
    pub(crate) salt: Vec<u8>,
    pub(crate) stored_key: [u8; 32],
    pub(crate) server_key: [u8; 32],
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Verifier(…)")
    }
}

impl Verifier {
    /// Parse a stored verifier; the message never repeats the text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let shape = || {
            format!(
                "expected {SCHEME}$<iterations>:<salt>$<StoredKey>:<ServerKey> (from `kaigo serve --hash-password`)"
            )
        };
        let rest = text
            .strip_prefix(SCHEME)
            .and_then(|rest| rest.strip_prefix('$'))
            .ok_or_else(shape)?;
        let (parameters, keys) = rest.split_once('$').ok_or_else(shape)?;
        let (iterations, salt) = parameters.split_once(':').ok_or_else(shape)?;
        let (stored_key, server_key) = keys.split_once(':').ok_or_else(shape)?;
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| "the iteration count is not a number".to_string())?;
        if iterations < DEFAULT_ITERATIONS {
            return Err(format!("the iteration count is below {DEFAULT_ITERATIONS}"));
        }
        let decode = |part: &str, what: &str| STANDARD.decode(part).map_err(|_| format!("the {what} is not base64"));
        let salt = decode(salt, "salt")?;
        let key = |part: &str, what: &str| -> Result<[u8; 32], String> {
            decode(part, what)?
                .try_into()
                .map_err(|_| format!("the {what} is not 32 bytes"))
        };
        if salt.len() < 16 {
            return Err("the salt is shorter than 16 bytes".into());
        }
        Ok(Self {
            iterations,
            salt,
            stored_key: key(stored_key, "StoredKey")?,
            server_key: key(server_key, "ServerKey")?,
        })
    }

    /// The verifier of `password` with `salt` and `iterations`.
    pub(crate) fn derive(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = salted_password(password, salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        Self {
            iterations,
            salt: salt.to_vec(),
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// The text stored in the config file.
    pub(crate) fn to_text(&self) -> String {
        format!(
            "{SCHEME}${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(self.stored_key),
            STANDARD.encode(self.server_key)
        )
    }
}

/// Hi(SASLprep(password), salt, iterations) of RFC 5802: PBKDF2-HMAC-SHA-256, one block.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let prepared = stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password));
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(prepared.as_bytes(), &block);
    let mut result = u;
    for _ in 1..iterations {
        u = hmac(prepared.as_bytes(), &u);
        result.iter_mut().zip(u).for_each(|(byte, next)| *byte ^= next);
    }
    result
}

/// HMAC-SHA-256.
pub(crate) fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Hash `password` with a fresh random 16-byte salt and `iterations`, for the config file.
pub fn hash_password(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    Verifier::derive(password, &salt, iterations.max(DEFAULT_ITERATIONS)).to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_round_trips_and_salts_differ() {
        let first = hash_password("correct horse", DEFAULT_ITERATIONS);
        let second = hash_password("correct horse", DEFAULT_ITERATIONS);
        assert_ne!(first, second);
        let parsed = Verifier::parse(&first).unwrap();
        assert_eq!(parsed.to_text(), first);
        assert_eq!(
            parsed,
            Verifier::derive("correct horse", &parsed.salt, DEFAULT_ITERATIONS)
        );
        assert_eq!(format!("{parsed:?}"), "Verifier(…)");
        assert!(Verifier::parse(&first.replacen("$4096:", "$1000:", 1)).is_err());
        assert!(Verifier::parse("correct horse").is_err());
        assert!(hash_password("x", 10_000).starts_with("SCRAM-SHA-256$10000:"));
    }

    /// RFC 7677 §3's example: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==,
    /// 4096 iterations; its ServerSignature follows from the ServerKey computed here.
    #[test]
    fn the_verifier_matches_rfc_7677() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = Verifier::derive("pencil", &salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
                            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
                            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
        assert_eq!(
            STANDARD.encode(server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }
}
