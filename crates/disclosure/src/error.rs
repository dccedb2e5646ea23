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
    /// Querying the warehouse for the release's source or the registry failed.
    #[error("release source: {0}")]
    Query(#[from] kaigo_query::QueryError),
    /// The source model's rows are not what the spec says (a null key or population).
    #[error("release source {model}: {reason}")]
    SourceRows {
        /// The model.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// A column of the source does not convert to what the release needs.
    #[error("release source: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Writing a released file failed.
    #[error(transparent)]
    Warehouse(#[from] kaigo_warehouse::WarehouseError),
    /// Encoding `cells.csv` failed.
    #[error("cells.csv: {0}")]
    Csv(#[from] csv::Error),
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

impl DisclosureError {
    /// Whether the user can fix it: the spec, a table that cannot be protected (publish a
    /// coarser one), a source model whose rows break the spec, or the query side's own cases.
    pub fn is_user(&self) -> bool {
        use DisclosureError as E;
        match self {
            E::Query(error) => error.is_user(),
            E::Warehouse(error) => error.is_user(),
            E::Spec { .. } | E::Unprotectable { .. } | E::SourceRows { .. } => true,
            E::Table { .. } | E::Audit { .. } | E::Arrow(_) | E::Csv(_) | E::Io { .. } => false,
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = DisclosureError> = std::result::Result<T, E>;
