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
    /// Querying the warehouse failed.
    #[error("reading the warehouse: {0}")]
    Query(#[from] kaigo_query::QueryError),
    /// Reading the warehouse's tables or writing the extract's files failed.
    #[error(transparent)]
    Warehouse(#[from] kaigo_warehouse::WarehouseError),
    /// Re-keying or sorting a table's rows failed (a bug: the rows are not what was selected).
    #[error("re-keying the rows: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
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

impl ExtractError {
    /// Whether the user can fix it (the request, or what the policy refuses), rather than the
    /// warehouse or kaigo being at fault. A broken audit log is not: it stops every extract
    /// until an operator has looked at it.
    pub fn is_user(&self) -> bool {
        use ExtractError as E;
        match self {
            E::Query(error) => error.is_user(),
            E::Warehouse(error) => error.is_user(),
            E::Request { .. } | E::Refused { .. } => true,
            E::AuditLog { .. } | E::Arrow(_) | E::Io { .. } => false,
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = ExtractError> = std::result::Result<T, E>;
