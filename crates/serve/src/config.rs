//! The server's config file: where it listens, the roles, and the users with their password
//! hashes. It holds no plaintext password; keep it outside the repository all the same (a hash
//! lets its holder log in through SCRAM, as a Postgres `pg_authid` row would).
//!
//! ```toml
//! listen = "127.0.0.1:5433"            # optional; loopback by default
//!
//! [roles.analyst]
//! tables = ["*"]                       # every table of the analysts' zone
//!
//! [roles.policy]
//! tables = ["rollout_*", "outcomes_*"] # aggregates only
//!
//! [[users]]
//! name = "mhlw_analyst"
//! role = "analyst"
//! password_hash = "scram-sha-256:4096:…:…"   # from `kaigo serve --hash-password`
//! ```

use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
};

use datafusion_postgres::pgwire::{
    api::auth::{AuthSource, LoginInfo, Password},
    error::PgWireResult,
};

use crate::{ServeError, password::PasswordHash};

/// The default address: loopback, one above Postgres's own port so both can run.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5433);

/// The parsed, checked config file.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Certificate and key for TLS; required beyond loopback.
    pub tls: Option<Tls>,
    roles: BTreeMap<String, RoleFile>,
    users: Vec<UserFile>,
}

/// TLS files (PEM).
#[derive(Debug, Clone)]
pub struct Tls {
    /// Certificate chain.
    pub cert: PathBuf,
    /// PKCS#8 private key.
    pub key: PathBuf,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    roles: BTreeMap<String, RoleFile>,
    #[serde(default)]
    users: Vec<UserFile>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    #[serde(default)]
    description: String,
    tables: Vec<String>,
}

#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    name: String,
    role: String,
    password_hash: String,
}

impl std::fmt::Debug for UserFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UserFile")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// Read and check `path`: every user's role exists, names are unique, hashes parse, tables
    /// patterns are `*`, `prefix*` or a name.
    pub fn read(path: &Path) -> Result<Self, ServeError> {
        let error = |message: String| ServeError::Config {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| error(source.to_string()))?;
        let file: File = toml::from_str(&text).map_err(|source| error(source.message().to_string()))?;
        let tls = match (file.tls_cert, file.tls_key) {
            (Some(cert), Some(key)) => Some(Tls { cert, key }),
            (None, None) => None,
            _ => return Err(error("tls_cert and tls_key go together".into())),
        };
        if file.users.is_empty() {
            return Err(error("no [[users]]: nobody could log in".into()));
        }
        for (name, role) in &file.roles {
            if let Some(pattern) = role.tables.iter().find(|pattern| !valid_pattern(pattern)) {
                return Err(error(format!(
                    "role {name}: table pattern {pattern:?} is not `*`, `prefix*` or a table name"
                )));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, user) in file.users.iter().enumerate() {
            let at = format!("users[{index}] ({})", user.name);
            if !seen.insert(user.name.as_str()) {
                return Err(error(format!("{at}: the name appears twice")));
            }
            if !file.roles.contains_key(&user.role) {
                return Err(error(format!("{at}: no role {:?} under [roles]", user.role)));
            }
            PasswordHash::parse(&user.password_hash)
                .map_err(|message| error(format!("{at}: password_hash: {message}")))?;
        }
        Ok(Self {
            listen: file.listen.unwrap_or(DEFAULT_LISTEN),
            tls,
            roles: file.roles,
            users: file.users,
        })
    }

    /// The users with their roles resolved, for authentication and access checks.
    pub(crate) fn users(&self) -> Users {
        Users {
            users: self
                .users
                .iter()
                .map(|user| {
                    let role = &self.roles[&user.role];
                    (
                        user.name.clone(),
                        User {
                            hash: PasswordHash::parse(&user.password_hash).expect("checked when read"),
                            tables: role.tables.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// Role names with their descriptions, for the startup message.
    pub fn roles(&self) -> impl Iterator<Item = (&str, &str)> {
        self.roles
            .iter()
            .map(|(name, role)| (name.as_str(), role.description.as_str()))
    }
}

fn valid_pattern(pattern: &str) -> bool {
    let name = pattern.strip_suffix('*').unwrap_or(pattern);
    (pattern == "*" || !name.is_empty())
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// Users by name.
pub(crate) struct Users {
    users: BTreeMap<String, User>,
}

struct User {
    hash: PasswordHash,
    tables: Vec<String>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.users.keys()).finish()
    }
}

impl Users {
    /// May `user` read `table` of the warehouse? Unknown users may read nothing.
    pub(crate) fn may_read(&self, user: &str, table: &str) -> bool {
        self.users.get(user).is_some_and(|user| {
            user.tables.iter().any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => table.starts_with(prefix),
                None => table == pattern,
            })
        })
    }
}

#[async_trait::async_trait]
impl AuthSource for Users {
    /// The user's salted password; for an unknown user a random one, so the exchange fails the
    /// same way as with a wrong password and does not reveal which names exist.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let hash = login
            .user()
            .and_then(|name| self.users.get(name))
            .map_or_else(PasswordHash::unguessable, |user| user.hash.clone());
        Ok(Password::new(Some(hash.salt), hash.salted_password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<ServeConfig, String> {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("serve.toml");
        std::fs::write(&path, text).unwrap();
        ServeConfig::read(&path).map_err(|error| error.to_string())
    }

    fn users(hash: &str) -> String {
        format!(
            "[roles.analyst]\ntables = [\"*\"]\n[roles.policy]\ntables = [\"rollout_*\", \"outcomes_by_area\"]\n\
             [[users]]\nname = \"ana\"\nrole = \"analyst\"\npassword_hash = \"{hash}\"\n\
             [[users]]\nname = \"pol\"\nrole = \"policy\"\npassword_hash = \"{hash}\"\n"
        )
    }

    #[test]
    fn roles_grant_tables_by_name_and_prefix() {
        let hash = crate::hash_password("correct horse");
        let users = config(&users(&hash)).unwrap().users();
        assert!(users.may_read("ana", "fct_person_months"));
        assert!(users.may_read("pol", "rollout_status_by_insurer_month"));
        assert!(users.may_read("pol", "outcomes_by_area"));
        assert!(!users.may_read("pol", "outcomes_by_area_extra"));
        assert!(!users.may_read("pol", "fct_person_months"));
        assert!(!users.may_read("nobody", "rollout_status_by_insurer_month"));
    }

    #[test]
    fn inconsistent_files_are_refused_without_showing_a_hash() {
        let hash = crate::hash_password("correct horse");
        assert!(config(&users(&hash)).unwrap().listen.ip().is_loopback());
        let unknown_role = users(&hash).replace("role = \"policy\"", "role = \"admin\"");
        assert!(config(&unknown_role).unwrap_err().contains("no role \"admin\""));
        let bad_hash = users("plaintext-password");
        let error = config(&bad_hash).unwrap_err();
        assert!(
            error.contains("password_hash") && !error.contains("plaintext-password"),
            "{error}"
        );
        let bad_pattern = users(&hash).replace("rollout_*", "*_months");
        assert!(config(&bad_pattern).unwrap_err().contains("table pattern"));
        let half_tls = format!("tls_cert = \"c.pem\"\n{}", users(&hash));
        assert!(config(&half_tls).unwrap_err().contains("go together"));
        assert!(
            config("[roles.analyst]\ntables = [\"*\"]\n")
                .unwrap_err()
                .contains("nobody could log in")
        );
        assert!(!format!("{:?}", config(&users(&hash)).unwrap()).contains(&hash));
    }
}
