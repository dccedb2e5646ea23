//! Researcher extracts (`kaigo extract REQUEST.toml`), like MHLW's third-party provision of the
//! 介護DB: an approved request names the project, the tables and columns, a cohort, a period,
//! the quasi-identifiers and k. The extract leaves the warehouse only if it is safe, and leaves
//! a trace:
//!
//! - **Cohort from a tree** ([`cohort`]): the condition is parsed into an allow-listed
//!   expression over named columns and literals and rendered by kaigo; the request's text never
//!   reaches a query.
//! - **Policy first** ([`request`]): only person-level marts; names, insured numbers, birth
//!   dates, tokens, facility identifiers and vault tables are refused by name; a column that is
//!   a quasi-identifier must be declared one.
//! - **Generalized**: age band at the period's first month instead of the birth month, month
//!   instead of day.
//! - **Project keys**: `person_key` is replaced by HMAC(HKDF(master, project), person_key), so
//!   two projects' extracts of the same persons share no key and cannot be joined.
//! - **k-anonymity and ℓ-diversity** over everything released about a person: the declared
//!   quasi-identifiers plus, for every released month or date column of every file, the
//!   person's first and last value (generalized to quarter or year on request). Any class below
//!   k (or below ℓ distinct sensitive values) refuses the whole extract; nothing is written.
//! - **Reproducible**: the manifest pins the Delta version of every table read; rerun with those
//!   pins, the files come out byte for byte the same after later loads.
//! - **Audited** ([`audit_log`]): every attempt is logged before any file is written and again
//!   when it ends, in an HMAC-chained log that verifies before every append.
//! - **Private**: `extracts/` is 0700 and its files 0600.
//!
//! ```no_run
//! # async fn example(warehouse: &kaigo_warehouse::Warehouse, key: &kaigo_pseudonymize::key::SecretKey)
//! # -> Result<(), kaigo_extracts::ExtractError> {
//! use kaigo_extracts::{Extract, ExtractRequest};
//! let request = ExtractRequest::parse(&std::fs::read_to_string("REQUEST.toml").unwrap(), "REQUEST.toml")?;
//! let report = Extract::new(warehouse, key, request).run().await?;
//! println!("{}", report.folder.display());
//! # Ok(()) }
//! ```
//!
//! Not here: aggregate tables for the public (that is kaigo-disclosure) and approving requests
//! (a human decision recorded outside kaigo).

pub mod audit_log;
pub mod cohort;
mod error;
mod extract;
pub mod request;

pub use error::{ExtractError, Result};
pub use extract::{AnonymityReport, Extract, ExtractReport, Manifest, os_user};
pub use request::ExtractRequest;
