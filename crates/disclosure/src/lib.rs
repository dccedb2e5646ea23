//! Disclosure control for everything kaigo publishes: the rules of the 介護DB publication
//! guideline (domain.md §4.3), secondary suppression over linked hierarchical tables, and an
//! audit that attacks the result the way an adversary would.
//!
//! A release is a set of cubes ([`Table`]), one per indicator, whose dimensions are hierarchies
//! (nation ⊃ prefecture ⊃ municipality; fiscal year ⊃ month). Every published table is a slice
//! of a cube, so suppressing a cube cell suppresses it everywhere it appears, and the cube's
//! additive relations are what an attacker can combine across tables.
//!
//! ```
//! use kaigo_disclosure::{CellStatus, Hierarchy, Table, protect};
//!
//! // A prefecture of three municipalities; one has 3 persons.
//! let mut area = Hierarchy::new("area");
//! let prefecture = area.add("13", None).unwrap();
//! let municipalities: Vec<usize> =
//!     ["131016", "131024", "131032"].iter().map(|code| area.add(*code, Some(prefecture)).unwrap()).collect();
//! let mut table = Table::new(vec![area]).unwrap();
//! for (municipality, persons) in municipalities.iter().zip([3, 40, 55]) {
//!     table.set(&[*municipality], persons);
//! }
//! table.aggregate();
//! table.apply_rule(|_, value| (value > 0 && value < 10).then_some(10));
//! let protection = protect(&table).unwrap();
//! // The 3 is hidden, and so is a second municipality: the total would give it away otherwise.
//! assert_eq!(protection.count(CellStatus::Primary), 1);
//! assert_eq!(protection.count(CellStatus::Secondary), 1);
//! assert!(protection.audit.passed());
//! ```
//!
//! [`release`] assembles the public release from a warehouse model, protects it and writes
//! `<root>/publish/`. The core ([`table`], [`rules`], [`protect`], [`audit`]) does no I/O.
//!
//! Not here: rounding or noise (only suppression), and researcher extracts.

pub mod audit;
mod error;
pub mod protect;
pub mod release;
pub mod rules;
pub mod table;

pub use audit::{AuditReport, CellInterval, Order, Within, audit, audit_exact, audit_linked, audit_linked_exact};
pub use error::{DisclosureError, Result};
pub use protect::{CellStatus, Protection, primary_pattern, protect, protect_linked};
pub use rules::{AreaUnit, CountUnit, Minimum, Rules};
pub use table::{Hierarchy, Relation, Table};

/// How a suppressed cell is shown: a dash, never blank or 0 (with a footnote saying why).
pub const SUPPRESSED_MARK: &str = "―";
