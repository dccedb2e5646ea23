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
//! 3. Tables whose counts nest (level 3+ within certified) are audited together, and a cell that
//!    a linked table's published count bounds gets that count suppressed before step 2's choice.
//!
//! The candidate is always chosen by the same key — a non-zero cell before a zero (a zero adds
//! no uncertainty), a part before a total, the smallest value that closes the gap, then the lowest cell index — so the
//! same tables give the same pattern.

use serde::Serialize;
use tracing::debug;

use crate::{
    DisclosureError, Result,
    audit::{AuditReport, Within, audit_linked_from},
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
    let mut protections = protect_linked(&[table], &[])?;
    Ok(protections.remove(0))
}

/// Suppresses tables whose counts nest ([`Within`]) together: each is protected as [`protect`]
/// does, and the audit attacks them jointly. When a cell fails only because a linked table
/// bounds it — a published subset count under a hidden superset cell, a published superset
/// count over a hidden subset cell — that counterpart is suppressed (it is the bound); otherwise
/// the cell is widened within its own table. Returns one protection per table, each with the
/// joint audit's intervals of its own cells and the joint counts of programs and rounds.
pub fn protect_linked(tables: &[&Table], links: &[Within]) -> Result<Vec<Protection>> {
    let relations: Vec<Vec<Relation>> = tables.iter().map(|table| table.relations()).collect();
    let relations_of_cell: Vec<Vec<Vec<usize>>> = tables
        .iter()
        .zip(&relations)
        .map(|(table, relations)| {
            let mut of_cell = vec![Vec::new(); table.len()];
            for (index, relation) in relations.iter().enumerate() {
                for cell in relation.cells() {
                    of_cell[cell].push(index);
                }
            }
            of_cell
        })
        .collect();
    let mut statuses: Vec<Vec<CellStatus>> = tables.iter().map(|table| primary_pattern(table)).collect();
    let mut n_rounds = 0;
    let mut attempts: std::collections::BTreeMap<(usize, usize), usize> = Default::default();
    let mut earlier = AuditReport::default();
    loop {
        n_rounds += 1;
        for ((table, relations), status) in tables.iter().zip(&relations).zip(&mut statuses) {
            secure_relations(table, relations, status);
        }
        let patterns: Vec<&[CellStatus]> = statuses.iter().map(Vec::as_slice).collect();
        let report = audit_linked_from(tables, &patterns, links, &earlier)?;
        let failures: Vec<(usize, usize)> = report
            .failures()
            .map(|interval| (interval.table, interval.cell))
            .collect();
        debug!(
            round = n_rounds,
            suppressed = statuses
                .iter()
                .flatten()
                .filter(|s| **s != CellStatus::Published)
                .count(),
            failures = failures.len(),
            "disclosure audit round"
        );
        if failures.is_empty() {
            return Ok(split(report, statuses, n_rounds));
        }
        let mut added = false;
        for (table, cell) in failures {
            // A cell that fails again gets the candidate of its next relation: the one tried
            // first did not hold the bound that pins it.
            let attempt = attempts.entry((table, cell)).or_insert(0);
            let candidate = choose_candidate(
                tables,
                &relations,
                &relations_of_cell,
                &statuses,
                links,
                (table, cell),
                *attempt,
            );
            *attempt += 1;
            if let Some((table, candidate)) = candidate {
                statuses[table][candidate] = CellStatus::Secondary;
                added = true;
            }
        }
        if !added {
            return Err(DisclosureError::Unprotectable {
                n_cells: report.failures().count(),
            });
        }
        earlier = report;
    }
}

/// One protection per table from a joint audit.
fn split(report: AuditReport, statuses: Vec<Vec<CellStatus>>, n_rounds: usize) -> Vec<Protection> {
    statuses
        .into_iter()
        .enumerate()
        .map(|(table, status)| Protection {
            status,
            audit: AuditReport {
                intervals: report
                    .intervals
                    .iter()
                    .filter(|interval| interval.table == table)
                    .cloned()
                    .collect(),
                ..report.clone()
            },
            n_rounds,
        })
        .collect()
}

/// The published cell of a linked table that bounds a failing cell: its superset's count (a
/// ceiling), else a non-zero count of one of its subsets (a floor; a zero floors nothing).
fn bounding_counterpart(
    tables: &[&Table],
    statuses: &[Vec<CellStatus>],
    links: &[Within],
    table: usize,
    cell: usize,
) -> Option<(usize, usize)> {
    let published = |other: usize| statuses[other][cell] == CellStatus::Published;
    let ceilings = links
        .iter()
        .filter(|link| link.subset == table && published(link.superset))
        .map(|link| link.superset);
    let floors = links
        .iter()
        .filter(|link| link.superset == table && published(link.subset) && tables[link.subset].value(cell) > 0)
        .map(|link| link.subset);
    ceilings.chain(floors).next().map(|other| (other, cell))
}

/// Step 2's choice for a cell the audit can narrow, in this order: the published count of a
/// linked table that bounds it; the candidate of its own relation with the fewest suppressed
/// cells (where the attacker's bound is tightest; on the cell's `attempt`-th failure, of the
/// `attempt`-th such relation, cycling); when every relation of the cell is fully
/// suppressed, the same for its hidden counterparts in linked tables (a counterpart pinned in
/// its own table pins the cell through the inequality); else the relations reached through its
/// suppressed neighbours, nearest first (the published cells that pin it down sit there).
fn choose_candidate(
    tables: &[&Table],
    relations: &[Vec<Relation>],
    relations_of_cell: &[Vec<Vec<usize>>],
    statuses: &[Vec<CellStatus>],
    links: &[Within],
    (table, cell): (usize, usize),
    attempt: usize,
) -> Option<(usize, usize)> {
    let own = |table: usize, cell: usize| {
        own_relation_candidate(
            tables[table],
            &relations[table],
            &relations_of_cell[table],
            &statuses[table],
            cell,
            attempt,
        )
        .map(|candidate| (table, candidate))
    };
    let counterparts = links.iter().filter_map(|link| {
        if link.subset == table {
            Some(link.superset)
        } else if link.superset == table {
            Some(link.subset)
        } else {
            None
        }
    });
    bounding_counterpart(tables, statuses, links, table, cell)
        .or_else(|| own(table, cell))
        .or_else(|| counterparts.into_iter().find_map(|other| own(other, cell)))
        .or_else(|| {
            neighbourhood_candidate(
                tables[table],
                &relations[table],
                &relations_of_cell[table],
                &statuses[table],
                cell,
            )
            .map(|candidate| (table, candidate))
        })
}

/// The candidate of the cell's relation with the fewest suppressed cells, or on a later attempt
/// of the next relation with a candidate (cycling).
fn own_relation_candidate(
    table: &Table,
    relations: &[Relation],
    relations_of_cell: &[Vec<usize>],
    status: &[CellStatus],
    cell: usize,
    attempt: usize,
) -> Option<usize> {
    let n_suppressed = |relation: &Relation| relation.cells().filter(|c| status[*c] != CellStatus::Published).count();
    let mut own: Vec<usize> = relations_of_cell[cell].clone();
    own.sort_by_key(|index| (n_suppressed(&relations[*index]), *index));
    let candidates: Vec<usize> = own
        .iter()
        .filter_map(|index| best_candidate(table, &relations[*index], status, 1))
        .collect();
    (!candidates.is_empty()).then(|| candidates[attempt % candidates.len()])
}

/// The first candidate of the relations reached through the cell's suppressed neighbours,
/// breadth first.
fn neighbourhood_candidate(
    table: &Table,
    relations: &[Relation],
    relations_of_cell: &[Vec<usize>],
    status: &[CellStatus],
    cell: usize,
) -> Option<usize> {
    let own = &relations_of_cell[cell];
    let mut seen_cells = std::collections::BTreeSet::from([cell]);
    let mut seen_relations: std::collections::BTreeSet<usize> = own.iter().copied().collect();
    let mut queue: std::collections::VecDeque<usize> = own.iter().copied().collect();
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
