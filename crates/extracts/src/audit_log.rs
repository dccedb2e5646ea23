//! The append-only, hash-chained log of every extract attempt: who, what, when, and what came of
//! it. Each entry carries the hash of the one before, so removing, reordering or editing an
//! entry breaks the chain from there on ([`AuditLog::verify`]).

use std::{
    io::{BufRead, Write},
    path::PathBuf,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{ExtractError, Result};

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log (JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub sequence: u64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who ran it (the operator's account).
    pub operator: String,
    /// Who asked (from the request).
    pub requested_by: String,
    /// Project id.
    pub project: String,
    /// SHA-256 of the request.
    pub request_sha256: String,
    /// Master key fingerprint.
    pub key_fingerprint: String,
    /// written, refused or failed.
    pub outcome: String,
    /// Why it was refused or failed (no value from a person's record).
    pub reason: Option<String>,
    /// SHA-256 of the manifest written.
    pub manifest_sha256: Option<String>,
    /// Hash of the previous entry.
    pub previous_hash: String,
    /// SHA-256 of the previous hash and this entry's other fields.
    pub hash: String,
}

impl AuditEntry {
    fn compute_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let mut hasher = Sha256::new();
        hasher.update(self.previous_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(serde_json::to_vec(&unhashed).expect("an entry serializes"));
        hex::encode(hasher.finalize())
    }
}

/// The log file.
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The log at `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Append an entry: sequence, time and hashes are filled in here, under an exclusive lock
    /// on the file so concurrent extracts chain one after the other.
    pub fn append(&self, mut entry: AuditEntry) -> Result<AuditEntry> {
        let io = |source| ExtractError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        let last = std::io::BufReader::new(&file)
            .lines()
            .map_while(std::result::Result::ok)
            .filter(|line| !line.trim().is_empty())
            .last();
        let (sequence, previous_hash) = match last {
            Some(line) => {
                let previous: AuditEntry = serde_json::from_str(&line).map_err(|error| ExtractError::AuditLog {
                    reason: format!("the last line does not parse: {error}"),
                })?;
                (previous.sequence + 1, previous.hash)
            }
            None => (1, GENESIS.to_string()),
        };
        entry.sequence = sequence;
        entry.at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        entry.previous_hash = previous_hash;
        entry.hash = entry.compute_hash();
        let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
        line.push(b'\n');
        file.write_all(&line).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(entry)
    }

    /// Check the chain; returns the entries. Fails at the first entry whose hash or link does
    /// not hold.
    pub fn verify(&self) -> Result<Vec<AuditEntry>> {
        let text = std::fs::read_to_string(&self.path).map_err(|source| ExtractError::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut previous_hash = GENESIS.to_string();
        let mut entries = Vec::new();
        for (index, line) in text.lines().filter(|line| !line.trim().is_empty()).enumerate() {
            let broken = |what: &str| ExtractError::AuditLog {
                reason: format!("line {}: {what}", index + 1),
            };
            let entry: AuditEntry = serde_json::from_str(line).map_err(|_| broken("does not parse"))?;
            if entry.sequence != index as u64 + 1 {
                return Err(broken("out of sequence"));
            }
            if entry.previous_hash != previous_hash {
                return Err(broken("does not follow the entry before it"));
            }
            if entry.hash != entry.compute_hash() {
                return Err(broken("was changed after it was written"));
            }
            previous_hash = entry.hash.clone();
            entries.push(entry);
        }
        Ok(entries)
    }
}
