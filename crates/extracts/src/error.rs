//! The crate's error type.

/// What can go wrong with an extract.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The request file does not parse.
    #[error("request {origin}: {reason}")]
    Request {
        /// Which file.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The request breaks the policy or the anonymity thresholds: nothing was written.
    #[error("extract refused, nothing written: {reason}")]
    Refused {
        /// Why (counts and names, never a value from a person's record).
        reason: String,
    },
    /// Reading the warehouse failed.
    #[error("reading the warehouse: {reason}")]
    Query {
        /// What failed.
        reason: String,
    },
    /// The audit log is broken.
    #[error("audit log: {reason}")]
    AuditLog {
        /// Where and how.
        reason: String,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

impl From<kaigo_warehouse::WarehouseError> for ExtractError {
    fn from(error: kaigo_warehouse::WarehouseError) -> Self {
        ExtractError::Query {
            reason: error.to_string(),
        }
    }
}

impl From<kaigo_query::QueryError> for ExtractError {
    fn from(error: kaigo_query::QueryError) -> Self {
        ExtractError::Query {
            reason: error.to_string(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = ExtractError> = std::result::Result<T, E>;
