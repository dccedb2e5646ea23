//! Stored SCRAM-SHA-256 credentials: `scram-sha-256:<iterations>:<salt hex>:<salted password hex>`,
//! the salted password being Hi(SASLprep(password), salt, iterations) of RFC 5802.

use datafusion_postgres::pgwire::api::auth::sasl::scram::gen_salted_password;

/// The iteration count of every stored hash (RFC 7677's minimum, and Postgres's default).
pub(crate) const ITERATIONS: usize = 4096;

const SCHEME: &str = "scram-sha-256";

/// A parsed hash. Debug shows neither part.
#[derive(Clone)]
pub(crate) struct PasswordHash {
    pub(crate) salt: Vec<u8>,
    pub(crate) salted_password: Vec<u8>,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("PasswordHash(…)")
    }
}

impl PasswordHash {
    /// Parse a stored hash; the message never repeats the text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let [scheme, iterations, salt, salted_password] = parts[..] else {
            return Err(format!(
                "expected {SCHEME}:{ITERATIONS}:<salt>:<hash> (from `kaigo serve --hash-password`)"
            ));
        };
        if scheme != SCHEME {
            return Err(format!("the scheme is not {SCHEME}"));
        }
        if iterations != ITERATIONS.to_string() {
            return Err(format!("the iteration count is not {ITERATIONS}"));
        }
        let salt = hex::decode(salt).map_err(|_| "the salt is not hex".to_string())?;
        let salted_password = hex::decode(salted_password).map_err(|_| "the hash is not hex".to_string())?;
        if salt.len() < 16 || salted_password.len() != 32 {
            return Err("the salt must be at least 16 bytes and the hash 32".into());
        }
        Ok(Self { salt, salted_password })
    }

    /// A hash no password matches: random salt and random bytes.
    pub(crate) fn unguessable() -> Self {
        Self {
            salt: random_bytes(),
            salted_password: random_bytes().to_vec(),
        }
    }
}

fn random_bytes() -> Vec<u8> {
    let mut bytes = vec![0; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes
}

/// Hash `password` with a fresh random salt, for the config file.
pub fn hash_password(password: &str) -> String {
    let salt = random_bytes()[..16].to_vec();
    let salted_password = gen_salted_password(password, &salt, ITERATIONS);
    format!(
        "{SCHEME}:{ITERATIONS}:{}:{}",
        hex::encode(&salt),
        hex::encode(salted_password)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_round_trips_and_salts_differ() {
        let first = hash_password("correct horse");
        let second = hash_password("correct horse");
        assert_ne!(first, second);
        let parsed = PasswordHash::parse(&first).unwrap();
        assert_eq!(
            parsed.salted_password,
            gen_salted_password("correct horse", &parsed.salt, ITERATIONS)
        );
        assert_eq!(format!("{parsed:?}"), "PasswordHash(…)");
        assert!(PasswordHash::parse(&first.replace(":4096:", ":1000:")).is_err());
        assert!(PasswordHash::parse("correct horse").is_err());
    }
}
