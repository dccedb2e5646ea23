//! The append-only log of every extract attempt: who, what, when, and what came of it.
//!
//! Each entry carries an HMAC, under a sub-key of the master key, of the previous entry's HMAC
//! and its own fields: without the key nobody can write an entry that verifies, and editing,
//! reordering or removing one breaks the chain from there on. Removing entries from the end
//! leaves a shorter chain that still verifies: [`AuditLog::verify`] returns the head (sequence and
//! HMAC) so it can be kept elsewhere and compared (`kaigo audit verify`). Every append verifies
//! the whole chain first, so a damaged log stops further extracts instead of being extended.
//!
//! An extract appends a `started` entry (fsynced) before it writes any file, and a `written`,
//! `refused` or `failed` entry when it is done.

use std::{
    io::{Read, Seek, Write},
    path::PathBuf,
};

use hmac::{Hmac, KeyInit, Mac};
use kaigo_pseudonymize::key::{Purpose, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{ExtractError, Result};

/// One line of the log (JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub sequence: u64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who ran it: `--operator` as given, or the account the process runs as.
    pub operator: String,
    /// The account the process ran as (from the operating system, not the environment).
    pub os_user: String,
    /// Who asked (from the request).
    pub requested_by: String,
    /// Project id.
    pub project: String,
    /// SHA-256 of the request.
    pub request_sha256: String,
    /// Master key fingerprint.
    pub key_fingerprint: String,
    /// started, written, refused or failed.
    pub outcome: String,
    /// For a completing entry, the sequence of its `started` entry.
    pub started: Option<u64>,
    /// Why it was refused or failed (rules and names, no value from a person's record).
    pub reason: Option<String>,
    /// SHA-256 of the manifest written.
    pub manifest_sha256: Option<String>,
    /// The previous entry's HMAC (empty for the first).
    pub previous: String,
    /// HMAC-SHA-256 of the previous HMAC and this entry's other fields.
    pub hmac: String,
}

/// The last entry of a chain that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Entries in the log.
    pub sequence: u64,
    /// The last entry's HMAC.
    pub hmac: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.sequence, self.hmac)
    }
}

/// The log file and the key of its chain.
pub struct AuditLog {
    path: PathBuf,
    key: Zeroizing<[u8; 32]>,
}

impl AuditLog {
    /// The log at `path` (created on first append, mode 0600), chained under a sub-key of `key`.
    pub fn new(path: impl Into<PathBuf>, key: &SecretKey) -> Self {
        Self {
            path: path.into(),
            key: key.subkey(&Purpose::AuditLog),
        }
    }

    fn mac(&self, entry: &AuditEntry) -> String {
        let mut unsigned = entry.clone();
        unsigned.hmac = String::new();
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_ref()).expect("HMAC takes keys of any length");
        mac.update(entry.previous.as_bytes());
        mac.update(b"\n");
        mac.update(&serde_json::to_vec(&unsigned).expect("an entry serializes"));
        hex::encode(mac.finalize().into_bytes())
    }

    fn io(&self) -> impl Fn(std::io::Error) -> ExtractError + '_ {
        |source| ExtractError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Verify the chain, then append `entry` (sequence, time and chain filled in here) and
    /// fsync, under an exclusive lock so concurrent extracts chain one after the other.
    pub fn append(&self, mut entry: AuditEntry) -> Result<AuditEntry> {
        let io = self.io();
        if let Some(parent) = self.path.parent() {
            kaigo_warehouse::private::create_folder(parent)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).read(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(&io)?;
        file.lock().map_err(&io)?;
        let mut text = String::new();
        file.rewind().map_err(&io)?;
        file.read_to_string(&mut text).map_err(&io)?;
        let head = self.verify_text(&text)?;
        entry.sequence = head.as_ref().map_or(1, |head| head.sequence + 1);
        entry.at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        entry.previous = head.map(|head| head.hmac).unwrap_or_default();
        entry.hmac = self.mac(&entry);
        let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
        line.push(b'\n');
        file.write_all(&line).map_err(&io)?;
        file.sync_all().map_err(&io)?;
        Ok(entry)
    }

    /// Check the chain; returns its head (`None` for an empty or missing log). Fails at the
    /// first entry whose HMAC or link does not hold.
    pub fn verify(&self) -> Result<Option<Head>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => self.verify_text(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(self.io()(source)),
        }
    }

    /// The entries of a log whose chain holds.
    pub fn entries(&self) -> Result<Vec<AuditEntry>> {
        self.verify()?;
        let text = std::fs::read_to_string(&self.path).map_err(self.io())?;
        Ok(text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("verified"))
            .collect())
    }

    fn verify_text(&self, text: &str) -> Result<Option<Head>> {
        let mut head: Option<Head> = None;
        for (index, line) in text.lines().filter(|line| !line.trim().is_empty()).enumerate() {
            let broken = |what: &str| ExtractError::AuditLog {
                reason: format!("{} line {}: {what}", self.path.display(), index + 1),
            };
            let entry: AuditEntry = serde_json::from_str(line).map_err(|_| broken("does not parse"))?;
            if entry.sequence != index as u64 + 1 {
                return Err(broken("out of sequence"));
            }
            if entry.previous != head.as_ref().map(|head| head.hmac.clone()).unwrap_or_default() {
                return Err(broken("does not follow the entry before it"));
            }
            if entry.hmac != self.mac(&entry) {
                return Err(broken("changed after it was written, or written without the key"));
            }
            head = Some(Head {
                sequence: entry.sequence,
                hmac: entry.hmac,
            });
        }
        if !text.is_empty() && !text.ends_with('\n') {
            return Err(ExtractError::AuditLog {
                reason: format!("{}: the last line is cut off", self.path.display()),
            });
        }
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(outcome: &str) -> AuditEntry {
        AuditEntry {
            operator: "tester".into(),
            project: "p".into(),
            outcome: outcome.into(),
            ..AuditEntry::default()
        }
    }

    #[test]
    fn the_chain_detects_edits_removals_and_a_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("extracts/audit.log");
        let key = SecretKey::from_bytes([7; 32]);
        let log = AuditLog::new(&path, &key);
        assert_eq!(log.verify().unwrap(), None);
        for outcome in ["started", "written", "started", "refused"] {
            log.append(entry(outcome)).unwrap();
        }
        let head = log.verify().unwrap().unwrap();
        assert_eq!(head.sequence, 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        // Another key cannot extend or verify it.
        let forger = AuditLog::new(&path, &SecretKey::from_bytes([8; 32]));
        assert!(forger.verify().unwrap_err().to_string().contains("without the key"));
        assert!(forger.append(entry("written")).is_err());

        // An edited entry, a removed middle entry, a cut last line: refused, and nothing appended.
        let cases = [
            text.replacen("\"refused\"", "\"written\"", 1),
            format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]),
            text[..text.len() - 10].to_string(),
        ];
        for broken in cases {
            std::fs::write(&path, &broken).unwrap();
            assert!(log.verify().is_err());
            assert!(log.append(entry("started")).is_err());
            assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
        }
        // Removing the last entries leaves a valid but shorter chain: its head shows it.
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
        let shorter = log.verify().unwrap().unwrap();
        assert_eq!(shorter.sequence, 2);
        assert_ne!(shorter, head);
    }
}
