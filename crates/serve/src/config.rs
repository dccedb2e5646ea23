//! The server's config file: where it listens, TLS, limits, the roles, and the users with their
//! SCRAM verifiers. It holds no password; it must still be private (mode 0600, checked like the
//! key file), since it says who may log in and from which role.
//!
//! ```toml
//! listen = "127.0.0.1:5433"            # optional; loopback by default
//! tls_cert = "/etc/kaigo/server.crt"   # PEM chain; required beyond loopback, then every
//! tls_key = "/etc/kaigo/server.key"    # connection must use TLS (PKCS#8, PKCS#1 or SEC1 key)
//!
//! [limits]                             # optional; these are the defaults
//! max_connections = 64
//! max_connections_per_user = 8
//! statement_timeout_seconds = 300
//! memory_per_connection_mib = 1024
//! max_statement_bytes = 1048576
//! failed_logins_before_lockout = 5     # per client address
//! lockout_seconds = 300
//! idle_session_seconds = 1800         # a Flight SQL login unused this long ends
//!
//! [roles.analyst]
//! zone = "warehouse"                   # pseudonymous person-level tables and the models
//! tables = ["*"]                       # optional: `*`, `prefix*` or names within the zone
//!
//! [roles.policy]
//! zone = "publish"                     # only the released files of publish/
//!
//! [[users]]
//! name = "mhlw_analyst"
//! role = "analyst"
//! password_hash = "SCRAM-SHA-256$4096:…$…:…"   # from `kaigo serve --hash-password`
//! ```

use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{ServeError, password::Verifier};

/// The default address: loopback, one above Postgres's own port so both can run.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5433);

/// What a role reads: one zone of the warehouse root, never two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// `<root>/warehouse/`: loaded tables, `person_map` and the models (pseudonymous keys only).
    Warehouse,
    /// `<root>/publish/`: the released, disclosure-controlled files, as read-only tables.
    Publish,
}

/// The parsed, checked config file.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Certificate and key for TLS; required beyond loopback.
    pub tls: Option<Tls>,
    /// Resource and login limits.
    pub limits: Limits,
    roles: BTreeMap<String, Role>,
    users: BTreeMap<String, User>,
}

/// TLS files (PEM).
#[derive(Debug, Clone)]
pub struct Tls {
    /// Certificate chain, the server's own first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Limits per server, user, connection and statement.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Connections at once, all users together.
    pub max_connections: usize,
    /// Connections at once per user.
    pub max_connections_per_user: usize,
    /// Longest a statement may run, from parsing to its last row sent.
    pub statement_timeout_seconds: u64,
    /// Memory a connection's statement may hold (sorts, joins, aggregates); beyond it the
    /// statement fails rather than the server.
    pub memory_per_connection_mib: usize,
    /// Longest statement text accepted.
    pub max_statement_bytes: usize,
    /// Failed logins from one client address before it is locked out.
    pub failed_logins_before_lockout: u32,
    /// How long a lockout lasts.
    pub lockout_seconds: u64,
    /// How long a Flight SQL session lasts unused (it has no connection whose end would end it).
    pub idle_session_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            max_connections_per_user: 8,
            statement_timeout_seconds: 300,
            memory_per_connection_mib: 1024,
            max_statement_bytes: 1 << 20,
            failed_logins_before_lockout: 5,
            lockout_seconds: 300,
            idle_session_seconds: 1800,
        }
    }
}

impl Limits {
    /// The statement timeout as a duration.
    pub fn statement_timeout(&self) -> Duration {
        Duration::from_secs(self.statement_timeout_seconds)
    }
}

/// A role: its zone and the tables of that zone it reads.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// What the startup line says of it.
    #[serde(default)]
    pub description: String,
    /// The one zone it reads.
    pub zone: Zone,
    /// `*`, `prefix*` or names of tables within the zone.
    #[serde(default = "every_table")]
    pub tables: Vec<String>,
}

fn every_table() -> Vec<String> {
    vec!["*".to_string()]
}

impl Role {
    /// Does the role grant `table` of its zone?
    pub fn grants(&self, table: &str) -> bool {
        self.tables.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => table.starts_with(prefix),
            None => table == pattern,
        })
    }
}

/// A user: the verifier and the role's name.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) verifier: Verifier,
    pub(crate) role: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    roles: BTreeMap<String, Role>,
    #[serde(default)]
    users: Vec<UserFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    name: String,
    role: String,
    password_hash: String,
}

impl ServeConfig {
    /// Read and check `path`: private to its owner, every user's role exists, names are unique,
    /// verifiers parse, table patterns are `*`, `prefix*` or a name, limits are positive.
    pub fn read(path: &Path) -> Result<Self, ServeError> {
        let error = |message: String| ServeError::Config {
            path: path.display().to_string(),
            message,
        };
        check_private(path).map_err(error)?;
        let text = std::fs::read_to_string(path).map_err(|source| error(source.to_string()))?;
        let file: File = toml::from_str(&text).map_err(|source| error(source.message().to_string()))?;
        let tls = match (file.tls_cert, file.tls_key) {
            (Some(cert), Some(key)) => Some(Tls { cert, key }),
            (None, None) => None,
            _ => return Err(error("tls_cert and tls_key go together".into())),
        };
        let limits = file.limits;
        if limits.max_connections == 0
            || limits.max_connections_per_user == 0
            || limits.statement_timeout_seconds == 0
            || limits.memory_per_connection_mib == 0
            || limits.max_statement_bytes == 0
            || limits.failed_logins_before_lockout == 0
            || limits.idle_session_seconds == 0
        {
            return Err(error("[limits]: every limit must be above 0".into()));
        }
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
        let mut users = BTreeMap::new();
        for (index, user) in file.users.into_iter().enumerate() {
            let at = format!("users[{index}] ({})", user.name);
            if !file.roles.contains_key(&user.role) {
                return Err(error(format!("{at}: no role {:?} under [roles]", user.role)));
            }
            let verifier = Verifier::parse(&user.password_hash)
                .map_err(|message| error(format!("{at}: password_hash: {message}")))?;
            let role = user.role;
            if users.insert(user.name, User { verifier, role }).is_some() {
                return Err(error(format!("{at}: the name appears twice")));
            }
        }
        Ok(Self {
            listen: file.listen.unwrap_or(DEFAULT_LISTEN),
            tls,
            limits,
            roles: file.roles,
            users,
        })
    }

    /// The roles by name.
    pub fn roles(&self) -> &BTreeMap<String, Role> {
        &self.roles
    }

    /// The configured user names, sorted.
    pub(crate) fn user_names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// A user's entry, if the name is configured.
    pub(crate) fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// The role of a configured user.
    pub(crate) fn role_of(&self, user: &User) -> &Role {
        &self.roles[&user.role]
    }
}

/// Refuse a config file that group or others may read or write.
fn check_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|error| error.to_string())?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "readable or writable by group or others (mode {mode:o}); run `chmod 600 {}`",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn valid_pattern(pattern: &str) -> bool {
    let name = pattern.strip_suffix('*').unwrap_or(pattern);
    (pattern == "*" || !name.is_empty())
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<ServeConfig, String> {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("serve.toml");
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        ServeConfig::read(&path).map_err(|error| error.to_string())
    }

    fn users(hash: &str) -> String {
        format!(
            "[roles.analyst]\nzone = \"warehouse\"\n[roles.policy]\nzone = \"publish\"\ntables = [\"cells\", \"reg*\"]\n\
             [[users]]\nname = \"ana\"\nrole = \"analyst\"\npassword_hash = \"{hash}\"\n\
             [[users]]\nname = \"pol\"\nrole = \"policy\"\npassword_hash = \"{hash}\"\n"
        )
    }

    #[test]
    fn roles_grant_tables_of_their_zone_by_name_and_prefix() {
        let hash = crate::hash_password("correct horse", 4096);
        let config = config(&users(&hash)).unwrap();
        let analyst = &config.roles()["analyst"];
        let policy = &config.roles()["policy"];
        assert_eq!((analyst.zone, policy.zone), (Zone::Warehouse, Zone::Publish));
        assert!(analyst.grants("fct_person_months"));
        assert!(policy.grants("cells") && policy.grants("registry"));
        assert!(!policy.grants("cells_extra") && !policy.grants("fct_person_months"));
        assert!(config.user("nobody").is_none());
        assert_eq!(config.role_of(config.user("pol").unwrap()).zone, Zone::Publish);
    }

    #[test]
    fn inconsistent_files_are_refused_without_showing_a_hash() {
        let hash = crate::hash_password("correct horse", 4096);
        let config_of = config;
        let parsed = config_of(&users(&hash)).unwrap();
        assert!(parsed.listen.ip().is_loopback());
        assert_eq!(parsed.limits.max_connections_per_user, 8);
        let unknown_role = users(&hash).replace("role = \"policy\"", "role = \"admin\"");
        assert!(config_of(&unknown_role).unwrap_err().contains("no role \"admin\""));
        let bad_hash = users("plaintext-password");
        let error = config_of(&bad_hash).unwrap_err();
        assert!(
            error.contains("password_hash") && !error.contains("plaintext-password"),
            "{error}"
        );
        let bad_pattern = users(&hash).replace("reg*", "*_months");
        assert!(config_of(&bad_pattern).unwrap_err().contains("table pattern"));
        let no_zone = users(&hash).replace("zone = \"publish\"\n", "");
        assert!(config_of(&no_zone).unwrap_err().contains("zone"));
        let vault = users(&hash).replace("zone = \"publish\"", "zone = \"vault\"");
        assert!(config_of(&vault).unwrap_err().contains("vault"));
        let half_tls = format!("tls_cert = \"c.pem\"\n{}", users(&hash));
        assert!(config_of(&half_tls).unwrap_err().contains("go together"));
        let zero = format!("[limits]\nmax_connections = 0\n{}", users(&hash));
        assert!(config_of(&zero).unwrap_err().contains("above 0"));
        assert!(
            config_of("[roles.analyst]\nzone = \"warehouse\"\n")
                .unwrap_err()
                .contains("nobody could log in")
        );
        assert!(!format!("{:?}", config_of(&users(&hash)).unwrap()).contains(&hash));
    }

    #[cfg(unix)]
    #[test]
    fn a_config_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("serve.toml");
        std::fs::write(&path, users(&crate::hash_password("x", 4096))).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = ServeConfig::read(&path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }
}
