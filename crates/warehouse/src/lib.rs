//! Warehouse and vault tables: their layouts, atomic idempotent loads, and load manifests.
//!
//! Every table kaigo loads is declared once in [`tables`] — name, zone, grain, columns with
//! Japanese and English descriptions, as a row struct ingest fills ([`columns`]) — and stored as a Delta Lake table (zstd Parquet, statistics
//! on), partitioned by `delivery_month`, the unit of loading:
//!
//! - `<root>/warehouse/<table>`: what analysts may read: pseudonymous keys only (`identity_key` per
//!   insurer and insured number on the loaded tables, `person_key` per linked person in
//!   `person_map`), no names, insured numbers or exact birth dates.
//! - `<root>/vault/<table>`: restricted: per-field linkage tokens and the quarantine.
//! - `<root>/manifests/<delivery>.json`: what each load read, checked and wrote.
//!
//! `vault/`, `manifests/` and `extracts/` are private to the account that loads ([`private`]).
//!
//! A load of one delivery ([`DeliveryLoad`]) streams rows into every table and replaces that
//! delivery's partition of each in one Delta commit (the partition's files out, the new ones in): a crash
//! leaves each table at its previous or its new version, and loading the same delivery again
//! gives the same content, without duplicates. Tables derived after loading
//! ([`derived_tables`], e.g. linkage's `person_map`) are rewritten whole in one commit
//! ([`Warehouse::replace_table`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), kaigo_warehouse::WarehouseError> {
//! use kaigo_warehouse::{DeliveryLoad, Warehouse, columns::Table, rows::TableRows, tables::InsurerRow};
//! let warehouse = Warehouse::new("warehouse-root");
//! let mut rows = TableRows::new(InsurerRow::spec());
//! // … rows.push_loaded(lineage, InsurerRow { … }) …
//! let load = DeliveryLoad::begin(&warehouse, "202611");
//! // From a non-async thread (the parsing threads do this):
//! load.send_blocking(InsurerRow::spec(), rows.finish()?)?;
//! let commits = load.commit().await?;
//! # let _ = commits; Ok(()) }
//! ```
//!
//! What this crate does not do: parse hub files, validate, or pseudonymize (that is ingest), or
//! run SQL over the tables (that is query).

pub mod columns;
mod committed;
pub mod files;
pub mod manifest;
pub mod private;
pub mod rows;
pub mod schema;
mod store;
mod stream;
pub mod tables;

/// The runtime the crate's tests drive the async API with.
#[cfg(test)]
fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

pub use schema::{Column, ColumnType, TableSpec, Zone};
pub use store::{ModelRows, ModelWrite, Warehouse};
pub use stream::{DeliveryLoad, TableCommit};
pub use tables::{derived_tables, table, tables};

/// Errors of the warehouse.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// A Delta Lake operation failed.
    #[error("Delta table {table}: {source}")]
    Delta {
        /// Table name.
        table: String,
        /// Cause.
        source: Box<deltalake::DeltaTableError>,
    },
    /// Arrow could not assemble a batch (a bug: rows and schema disagree).
    #[error("table {table}: {source}")]
    Arrow {
        /// Table name.
        table: String,
        /// Cause.
        source: arrow::error::ArrowError,
    },
    /// A Parquet file could not be encoded.
    #[error("{path}: {source}")]
    Parquet {
        /// The file.
        path: std::path::PathBuf,
        /// Cause.
        source: parquet::errors::ParquetError,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No table of that name: asked for by a reader, or rows sent to an undeclared table (a bug).
    #[error("no table named {table}")]
    Unknown {
        /// Table name.
        table: String,
    },
    /// Rows were sent with a schema other than the table's (a bug).
    #[error("table {table}: rows do not have the table's schema")]
    Schema {
        /// Table name.
        table: String,
    },
    /// A table's writer stopped before the load ended (its own error is reported at commit).
    #[error("table {table}: the writer stopped before the load ended")]
    WriterGone {
        /// Table name.
        table: String,
    },
    /// The load was given up, or a producer failed, before its commit: nothing was committed.
    #[error("table {table}: the load ended before its commit; nothing is committed")]
    Abandoned {
        /// Table name.
        table: String,
    },
    /// A path is not usable as a table location.
    #[error("{path}: not a usable table location")]
    Location {
        /// Path.
        path: std::path::PathBuf,
    },
    /// A table uses a Delta feature the query side does not read (deletion vectors, column
    /// mapping), or lists a file or partition value it cannot resolve: written by another tool.
    #[error(
        "Delta table {table}: not readable as written (deletion vectors, column mapping, or a file path or partition value kaigo cannot resolve)"
    )]
    Unreadable {
        /// Table name.
        table: String,
    },
    /// A restricted folder or file (vault, manifests, extracts) is open to group or others.
    #[error("{path} is open to group or others (mode {mode:o}); run `chmod go-rwx {path}`", path = path.display())]
    NotPrivate {
        /// The folder or file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

impl WarehouseError {
    /// Whether the user can fix it: a folder open to others, a table name that does not exist,
    /// a path or a table kaigo cannot use. The rest (Delta, Arrow, Parquet, I/O) is not.
    pub fn is_user(&self) -> bool {
        matches!(
            self,
            WarehouseError::NotPrivate { .. }
                | WarehouseError::Unknown { .. }
                | WarehouseError::Location { .. }
                | WarehouseError::Unreadable { .. }
        )
    }
}

/// Fault injection for the crash tests: when the environment variable `KAIGO_CRASH_AT` names
/// `point`, the process aborts there (no destructors, no flushing — like a kill). Loads call it
/// at the places a crash matters: between units, before the commits, after each table's
/// commit, before the manifest. Unset, it costs one environment lookup per call.
pub fn crash_point(point: &str) {
    if std::env::var_os("KAIGO_CRASH_AT").is_some_and(|value| value == point) {
        eprintln!("KAIGO_CRASH_AT={point}: aborting");
        std::process::abort();
    }
}

/// Result alias.
pub type Result<T, E = WarehouseError> = std::result::Result<T, E>;
