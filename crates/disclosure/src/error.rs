//! The crate's error type.

/// What can go wrong while protecting a release.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// A table was built wrongly (a parent added after its child, a code twice, no cells).
    #[error("invalid table: {reason}")]
    Table {
        /// What is wrong.
        reason: String,
    },
    /// The linear-programming audit could not answer.
    #[error("disclosure audit failed: {reason}")]
    Audit {
        /// What failed.
        reason: String,
    },
    /// A release spec is invalid.
    #[error("release spec {origin}: {reason}")]
    Spec {
        /// Which spec.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading the release's source from the warehouse failed.
    #[error("release source: {reason}")]
    Source {
        /// What failed.
        reason: String,
    },
    /// Writing the release failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No further suppression can protect some cells: the release must not be published.
    #[error(
        "{n_cells} suppressed cells stay recoverable even with every candidate suppressed; \
         publish a coarser table (wider areas or periods)"
    )]
    Unprotectable {
        /// Cells still recoverable.
        n_cells: usize,
    },
}

impl From<kaigo_query::QueryError> for DisclosureError {
    fn from(error: kaigo_query::QueryError) -> Self {
        DisclosureError::Source {
            reason: error.to_string(),
        }
    }
}

impl From<kaigo_warehouse::WarehouseError> for DisclosureError {
    fn from(error: kaigo_warehouse::WarehouseError) -> Self {
        DisclosureError::Source {
            reason: error.to_string(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = DisclosureError> = std::result::Result<T, E>;
