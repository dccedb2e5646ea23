//! Primary and secondary suppression, iterated with the audit until the audit passes.
//!
//! Primary: every cell the rules call sensitive. Secondary, a deterministic heuristic in the
//! spirit of τ-ARGUS's hypercube method:
//! 1. In every relation holding a suppressed cell, each suppressed cell needs company: the other
//!    suppressed cells of the relation must together hold at least its protection minus its own
//!    value (1 for a cell suppressed to protect others). Otherwise the relation alone narrows it
//!    too far, so the best candidate of that relation is suppressed too. Repeated to a fixpoint.
//! 2. The audit solves the attacker's linear programs over the whole table. For each cell it can
//!    still narrow too far, the candidate of that cell's least-suppressed relation is suppressed,
//!    and the two steps are repeated until the audit passes.
//!
//! The candidate is always chosen by the same key — a non-zero cell before a zero (a zero adds
//! no uncertainty), a part before a total, the smallest value that closes the gap, then the lowest cell index — so the
//! same table gives the same pattern.

use serde::Serialize;
use tracing::debug;

use crate::{
    DisclosureError, Result,
    audit::{AuditReport, audit},
    table::{Relation, Table},
};

/// Whether a cell is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// Shown.
    Published,
    /// Suppressed because the rules call it sensitive.
    Primary,
    /// Suppressed so that sensitive cells cannot be recovered from the others.
    Secondary,
}

/// A table's suppression pattern and the audit that proved it.
#[derive(Debug, Clone, Serialize)]
pub struct Protection {
    /// One status per cell.
    pub status: Vec<CellStatus>,
    /// The final audit (it passed).
    pub audit: AuditReport,
    /// Audit rounds run.
    pub n_rounds: usize,
}

impl Protection {
    /// Number of cells with a status.
    pub fn count(&self, status: CellStatus) -> usize {
        self.status.iter().filter(|cell| **cell == status).count()
    }
}

/// The primary pattern alone: the sensitive cells and nothing else.
pub fn primary_pattern(table: &Table) -> Vec<CellStatus> {
    (0..table.len())
        .map(|cell| match table.protection(cell) {
            Some(_) => CellStatus::Primary,
            None => CellStatus::Published,
        })
        .collect()
}

/// Suppresses a table: primary, secondary, audited until no suppressed cell can be narrowed
/// below its protection. Fails when even suppressing every candidate cannot protect a cell (a
/// sensitive grand total with nothing around it).
pub fn protect(table: &Table) -> Result<Protection> {
    let relations = table.relations();
    let mut relations_of_cell: Vec<Vec<usize>> = vec![Vec::new(); table.len()];
    for (index, relation) in relations.iter().enumerate() {
        for cell in relation.cells() {
            relations_of_cell[cell].push(index);
        }
    }
    let mut status = primary_pattern(table);
    let mut n_rounds = 0;
    loop {
        n_rounds += 1;
        secure_relations(table, &relations, &mut status);
        let report = audit(table, &status)?;
        let failures: Vec<usize> = report.failures().map(|interval| interval.cell).collect();
        debug!(
            round = n_rounds,
            suppressed = status.iter().filter(|s| **s != CellStatus::Published).count(),
            failures = failures.len(),
            "disclosure audit round"
        );
        if failures.is_empty() {
            return Ok(Protection {
                status,
                audit: report,
                n_rounds,
            });
        }
        let mut added = false;
        for cell in failures {
            if let Some(candidate) = widening_candidate(table, &relations, &relations_of_cell, &status, cell) {
                status[candidate] = CellStatus::Secondary;
                added = true;
            }
        }
        if !added {
            return Err(DisclosureError::Unprotectable {
                n_cells: report.failures().count(),
            });
        }
    }
}

/// Step 2's choice for a cell the audit can narrow: the candidate of its relation with the
/// fewest suppressed cells (where the attacker's bound is tightest); when every relation of the
/// cell is fully suppressed, the relations reached through its suppressed neighbours, nearest
/// first (the published cells that pin it down sit there).
fn widening_candidate(
    table: &Table,
    relations: &[Relation],
    relations_of_cell: &[Vec<usize>],
    status: &[CellStatus],
    cell: usize,
) -> Option<usize> {
    let n_suppressed = |relation: &Relation| relation.cells().filter(|c| status[*c] != CellStatus::Published).count();
    let mut own: Vec<usize> = relations_of_cell[cell].clone();
    own.sort_by_key(|index| (n_suppressed(&relations[*index]), *index));
    if let Some(candidate) = own
        .iter()
        .find_map(|index| best_candidate(table, &relations[*index], status, 1))
    {
        return Some(candidate);
    }
    let mut seen_cells = std::collections::BTreeSet::from([cell]);
    let mut seen_relations: std::collections::BTreeSet<usize> = own.iter().copied().collect();
    let mut queue: std::collections::VecDeque<usize> = own.into_iter().collect();
    while let Some(index) = queue.pop_front() {
        for neighbour in relations[index].cells() {
            if status[neighbour] == CellStatus::Published || !seen_cells.insert(neighbour) {
                continue;
            }
            for next in &relations_of_cell[neighbour] {
                if seen_relations.insert(*next) {
                    if let Some(candidate) = best_candidate(table, &relations[*next], status, 1) {
                        return Some(candidate);
                    }
                    queue.push_back(*next);
                }
            }
        }
    }
    None
}

/// Step 1: until no relation narrows one of its suppressed cells on its own.
fn secure_relations(table: &Table, relations: &[Relation], status: &mut [CellStatus]) {
    loop {
        let mut changed = false;
        for relation in relations {
            while let Some(gap) = relation_gap(table, relation, status) {
                match best_candidate(table, relation, status, gap) {
                    Some(candidate) => {
                        status[candidate] = CellStatus::Secondary;
                        changed = true;
                    }
                    None => break,
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// How much more suppressed value the relation needs for its neediest suppressed cell, if any.
fn relation_gap(table: &Table, relation: &Relation, status: &[CellStatus]) -> Option<u64> {
    let suppressed: Vec<usize> = relation
        .cells()
        .filter(|cell| status[*cell] != CellStatus::Published)
        .collect();
    let total: u64 = suppressed.iter().map(|cell| table.value(*cell)).sum();
    suppressed
        .iter()
        .map(|&cell| {
            let required = match status[cell] {
                CellStatus::Primary => table.protection(cell).unwrap_or(1),
                _ => 1,
            };
            let own = table.value(cell);
            let others = total - own;
            let needed = required.saturating_sub(own).max(1);
            needed.saturating_sub(others)
        })
        .max()
        .filter(|gap| *gap > 0)
}

/// The published cell of a relation whose suppression best closes a gap.
fn best_candidate(table: &Table, relation: &Relation, status: &[CellStatus], gap: u64) -> Option<usize> {
    relation
        .cells()
        .filter(|cell| status[*cell] == CellStatus::Published)
        .min_by_key(|&cell| {
            let value = table.value(cell);
            let closes = value >= gap;
            (
                value == 0,
                table.n_total_dimensions(cell),
                !closes,
                // Closing: the smallest that does; not closing: the largest, to need fewer.
                if closes { value } else { u64::MAX - value },
                cell,
            )
        })
}
