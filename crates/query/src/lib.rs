//! SQL over the warehouse: the read-only session analysts get, the functions they need, and the
//! model runner that turns `sql/` into checked, documented warehouse tables.
//!
//! - [`session::Session`]: every table of the analysts' zone plus the kaigo functions
//!   ([`udf`]); statements that write or define anything are refused. `kaigo sql` and
//!   `kaigo serve` are built on it.
//! - [`model`]: a model is one SELECT in `sql/<layer>/<name>.sql` with a TOML sidecar declaring
//!   its grain, typed and described columns (JA + EN) and checks; layers run staging → marts →
//!   rollout / outcomes and a model reads only to its left.
//! - [`runner::build`] (`kaigo build`): reference tables, then each model in dependency order,
//!   its column contract and checks run on the real rows before it replaces the previous
//!   version; a failed check fails the build with the failing row count. A model declaring
//!   `incremental` rewrites only the rows new deliveries change ([`increment`]).
//! - [`dictionary::render`]: `docs/tables.md`, from the Rust table layouts and the sidecars.
//!
//! ```no_run
//! # async fn example() -> Result<(), kaigo_query::QueryError> {
//! let warehouse = kaigo_warehouse::Warehouse::new("wh");
//! for built in kaigo_query::runner::build(&warehouse, None, kaigo_query::runner::Refresh::Incremental).await? {
//!     println!("{}: {} rows, {} checks", built.name, built.rows, built.checks);
//! }
//! let session = kaigo_query::session::Session::open(&warehouse).await?;
//! session.query("select fiscal_year(started_on), count(*) from insurers group by 1").await?.show().await.ok();
//! # Ok(()) }
//! ```
//!
//! What this crate does not do: load or link (ingest, linkage), or decide what may be published
//! (disclosure control).

pub mod dictionary;
pub mod increment;
pub mod model;
pub mod resources;
pub mod runner;
pub mod session;
mod slice;
pub mod udf;

use deltalake::datafusion::error::DataFusionError;

/// Errors of queries and builds.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Reading or writing the warehouse failed.
    #[error(transparent)]
    Warehouse(#[from] kaigo_warehouse::WarehouseError),
    /// DataFusion could not plan or run a statement.
    #[error("{context}: {source}")]
    DataFusion {
        /// What was running (`query`, `model fct_x`, `model fct_x, check unique(a)`).
        context: String,
        /// Cause.
        source: Box<DataFusionError>,
    },
    /// A model or its sidecar is not well formed, or breaks the layering.
    #[error("model {model}: {reason}")]
    Model {
        /// Model.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// Checks failed on a model's rows; the model was not written.
    #[error("model {model}: {} check(s) failed: {}", failures.len(), failures.iter().map(|(check, rows)| format!("{check} on {rows} rows")).collect::<Vec<_>>().join("; "))]
    Checks {
        /// Model.
        model: String,
        /// Each failing check with its failing row count.
        failures: Vec<(String, u64)>,
    },
    /// A statement would write or define something.
    #[error(
        "refused: {statement} — kaigo SQL is read-only (tables change only through kaigo ingest, kaigo linkage run and kaigo build)"
    )]
    ReadOnly {
        /// The kind of statement.
        statement: String,
    },
    /// A statement needed more memory than the command's budget, even spilling.
    #[error(
        "{context}: more memory than the budget allows, even spilling to disk (raise --memory-limit or KAIGO_MEMORY_LIMIT): {source}"
    )]
    OutOfMemory {
        /// What was running.
        context: String,
        /// DataFusion's account (which operators held how much).
        source: Box<DataFusionError>,
    },
    /// The memory budget is not usable.
    #[error("memory budget: {reason}")]
    Budget {
        /// What is wrong.
        reason: String,
    },
    /// The scratch folder a build writes a model's rows to before checking them.
    #[error("scratch folder for a model's rows: {source}")]
    Scratch {
        /// Cause.
        source: std::io::Error,
    },
    /// One statement was expected.
    #[error("expected one statement, found {count}")]
    Statements {
        /// Statements found.
        count: usize,
    },
}

impl QueryError {
    /// Whether the user can fix it: failed checks (the data), a refused or malformed
    /// statement, the memory budget; or a warehouse problem the user can fix. A statement that
    /// does not plan is the user's in `kaigo sql` but a bug in a shipped model, so the caller
    /// that knows who wrote it decides for [`QueryError::DataFusion`].
    pub fn is_user(&self) -> bool {
        use QueryError as E;
        match self {
            E::Warehouse(error) => error.is_user(),
            E::Checks { .. } | E::ReadOnly { .. } | E::Statements { .. } | E::OutOfMemory { .. } | E::Budget { .. } => {
                true
            }
            E::DataFusion { .. } | E::Model { .. } | E::Scratch { .. } => false,
        }
    }
}

/// Result alias.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;

pub(crate) fn datafusion_error(context: &str, source: DataFusionError) -> QueryError {
    let (context, source) = (context.to_string(), Box::new(source));
    if matches!(source.find_root(), DataFusionError::ResourcesExhausted(_)) {
        QueryError::OutOfMemory { context, source }
    } else {
        QueryError::DataFusion { context, source }
    }
}
