//! The secret key, its sub-keys and its fingerprint.

use std::{io::Write, path::Path};

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::KeyError;

/// Environment variable holding the path of the key file.
pub const KEY_FILE_VARIABLE: &str = "KAIGO_KEY_FILE";
/// Environment variable holding the key itself (64 hex characters), for CI secrets.
pub const KEY_VARIABLE: &str = "KAIGO_KEY";

/// Salt of every HKDF derivation: fixed and public, so that derivations are reproducible; the
/// secret is the input key material.
const HKDF_SALT: &[u8] = b"kaigo/hkdf/v1";

/// What a sub-key is for. Each purpose gets an independent key: tokens in the vault cannot be
/// turned into warehouse `person_key`s or into a project's keys without the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Per-field linkage tokens in the vault.
    LinkageToken,
    /// The warehouse's pseudonymous `person_key`.
    PersonKey,
    /// Person keys of one researcher project's extracts.
    Project(String),
    /// The key fingerprint.
    Fingerprint,
    /// The chain of the extracts' audit log.
    AuditLog,
}

impl Purpose {
    fn info(&self) -> Vec<u8> {
        match self {
            Self::LinkageToken => b"kaigo/linkage-token/v1".to_vec(),
            Self::PersonKey => b"kaigo/person-key/v1".to_vec(),
            Self::Project(project) => format!("kaigo/project/{project}/v1").into_bytes(),
            Self::Fingerprint => b"kaigo/fingerprint/v1".to_vec(),
            Self::AuditLog => b"kaigo/audit-log/v1".to_vec(),
        }
    }
}

/// The 256-bit master secret. Never printed: `Debug` shows the fingerprint only, and the bytes are
/// wiped from memory when dropped.
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "SecretKey({})", self.fingerprint())
    }
}

impl SecretKey {
    /// A key from raw bytes (tests and derived keys).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A new random key from the operating system.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).expect("the operating system provides randomness");
        Self(bytes)
    }

    /// Write a new random key to `path` (64 hex characters and a newline, mode 0600). Refuses to
    /// overwrite an existing file. Returns the key's fingerprint.
    pub fn write_new(path: &Path) -> Result<Fingerprint, KeyError> {
        let key = Self::generate();
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => KeyError::Exists {
                path: path.to_path_buf(),
            },
            _ => io(source),
        })?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(key.0.as_ref())));
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(key.fingerprint())
    }

    /// Read a key file: it must not be readable by group or others, and must hold 64 hex characters.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mode = std::fs::metadata(path).map_err(io)?.mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        Self::parse_hex(text.trim(), &path.display().to_string())
    }

    /// The key given by the environment: `KAIGO_KEY_FILE` (a path) or `KAIGO_KEY` (hex).
    pub fn from_environment() -> Result<Self, KeyError> {
        if let Some(path) = std::env::var_os(KEY_FILE_VARIABLE) {
            return Self::load(Path::new(&path));
        }
        match std::env::var(KEY_VARIABLE) {
            Ok(text) => Self::parse_hex(Zeroizing::new(text).trim(), KEY_VARIABLE),
            Err(_) => Err(KeyError::Missing),
        }
    }

    /// The key from `--key FILE` if given, else from the environment.
    pub fn resolve(path: Option<&Path>) -> Result<Self, KeyError> {
        match path {
            Some(path) => Self::load(path),
            None => Self::from_environment(),
        }
    }

    fn parse_hex(text: &str, origin: &str) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        if text.len() != 64 || hex::decode_to_slice(text, bytes.as_mut()).is_err() {
            return Err(KeyError::Format {
                origin: origin.to_string(),
            });
        }
        Ok(Self(bytes))
    }

    /// A 32-byte sub-key for a purpose (HKDF-SHA256).
    pub fn subkey(&self, purpose: &Purpose) -> Zeroizing<[u8; 32]> {
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf.expand(&purpose.info(), out.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 length");
        out
    }

    /// The key's fingerprint: a derived value that names the key in manifests and logs.
    pub fn fingerprint(&self) -> Fingerprint {
        let derived = self.subkey(&Purpose::Fingerprint);
        Fingerprint(format!("kf1:{}", hex::encode(&derived[..8])))
    }
}

/// Public name of a key, e.g. `kf1:3a7bd3e2360a3d29`. Derived with HKDF, so it reveals nothing
/// about the key or the tokens made with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_key_file_is_private_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kaigo.key");
        let fingerprint = SecretKey::write_new(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        }
        let key = SecretKey::load(&path).unwrap();
        assert_eq!(key.fingerprint(), fingerprint);
        assert!(matches!(SecretKey::write_new(&path), Err(KeyError::Exists { .. })));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        assert!(
            !format!("{key:?}").contains(text.trim()),
            "Debug shows the fingerprint, not the key"
        );
        assert!(!fingerprint.as_str().contains(&text.trim()[..16]));
    }

    #[test]
    fn bad_key_files_are_clear_errors_without_key_material() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.key");
        std::fs::write(&path, "abcd\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let error = SecretKey::load(&path).unwrap_err();
        assert!(matches!(error, KeyError::Format { .. }));
        assert!(!error.to_string().contains("abcd"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let open = dir.path().join("open.key");
            std::fs::write(&open, format!("{}\n", "ab".repeat(32))).unwrap();
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = SecretKey::load(&open).unwrap_err();
            assert!(matches!(error, KeyError::Permissions { mode: 0o644, .. }), "{error}");
            assert!(error.to_string().contains("chmod 600"));
        }
        assert!(matches!(
            SecretKey::load(&dir.path().join("missing.key")),
            Err(KeyError::Io { .. })
        ));
        let not_hex = "zz".repeat(32);
        assert!(matches!(
            SecretKey::parse_hex(&not_hex, "test"),
            Err(KeyError::Format { .. })
        ));
    }

    #[test]
    fn subkeys_are_independent_and_stable() {
        let key = SecretKey::from_bytes([1; 32]);
        let linkage = key.subkey(&Purpose::LinkageToken);
        let person = key.subkey(&Purpose::PersonKey);
        let project_a = key.subkey(&Purpose::Project("a".into()));
        let project_b = key.subkey(&Purpose::Project("b".into()));
        assert_ne!(*linkage, *person);
        assert_ne!(*project_a, *project_b);
        assert_eq!(*key.subkey(&Purpose::PersonKey), *person);
        assert_ne!(*SecretKey::from_bytes([2; 32]).subkey(&Purpose::PersonKey), *person);
        // Pinned (cross-checked with Python's hmac and a hand-written RFC 5869 HKDF): a change to
        // the derivation would silently re-key every warehouse.
        assert_eq!(key.fingerprint().as_str(), "kf1:7dc61943530533d5");
    }
}
