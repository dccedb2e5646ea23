//! The attacker's audit: for every suppressed cell, how far apart the smallest and largest value
//! it can take given everything published are — by linear programs over the suppressed cells of
//! its component (cells joined by a shared relation), the published cells being constants.
//! [`audit`] proves each cell's protection with as few programs as it can (exact where a cell
//! fails); [`audit_exact`] optimizes both bounds of every cell.
//!
//! The attacker knows that every cell is a non-negative count and that every relation of the
//! table holds; a cell not available is in none (see [`Table`]); and that counts are integers.
//! The programs are linear relaxations (as in τ-ARGUS's audit): the interval they give contains
//! every integer solution, so a cell they narrow fails. A cell they keep wide is proven only by
//! integral tables — those among the programs' points, else integer programs that ask for one
//! with the cell a width beyond them (dives from the linear program's point nearest the true
//! table, near the cell and then over its component, then microlp's branch and bound near the
//! cell), stepping its bounds one at a time where none is that far; one the search can neither
//! prove nor rule out counts as failing. Hidden cells
//! ordered both ways (a count constant month to month) are one unknown of the programs.

use microlp::{
    ComparisonOp, OptimizationDirection, Problem, Solution, SolutionStatus, SolveOptions, SolveOutcome, Variable,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::{
    CellStatus, DisclosureError, Result,
    table::{Hierarchy, Table},
};

/// A relation as a constraint over suppressed cells (by global index): Σ coefficient × cell,
/// compared by `Sense` with the right-hand side.
type Constraint = (Vec<(usize, f64)>, Sense, f64);

/// How a constraint compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Sense {
    /// A total and its parts, or a superset, its subset and their difference: Σ = right-hand side.
    Equal,
    /// A subset and its superset where the difference needs no width: Σ ≤ right-hand side.
    AtMost,
}

/// How many reservoir blocks a block's restriction borrows from, one pass per entry, while cells
/// stay unproven ([`Blocks::audit`]). A block alone proves most of its cells in programs half
/// the size of a block and a partner's (at 355,000 persons, 13,000 cells; the release 686 s →
/// 121 s); a pass of three partners cost more than the whole component's lifting of what one
/// leaves.
const RESERVOIRS: [usize; 2] = [0, 1];

/// Branches an integer program may take before it gives up undecided (the cell then counts as
/// failing). Bounded, because microlp's branch and bound can search on and on: over a 428-cell
/// component of the release tests, 200,000 branches (59 s) found no integral table where HiGHS
/// found one in 0.02 s and the dive finds one at once. At 355,000 persons the proofs of
/// infeasibility that succeed take at most 0.17 s, while a search to 2,000 branches took 4.8 s on
/// a 1,745-cell component and then gave up.
const NODES: u64 = 200;

/// A lifting step that proves more than this share of a component's cells (1 in so many) is
/// followed by a new program over the cells still open rather than by releasing each proven
/// cell's lift: measured on restrictions of 13,000 cells, a release costs about 4 ms and a new
/// program 1–4 s.
const REBUILD_SHARE: usize = 64;

/// Rows a cell left open by lifting is probed with before it gets its own programs: enough to
/// halve the room between what was seen and the ceiling down to the solver's tolerance.
const PROBES: usize = 64;

/// Slack for the simplex's floating point: a width within this of the requirement passes.
const TOLERANCE: f64 = 1e-6;

/// Whether the integers from `lower` to `upper` span at least `required` (up to the solver's
/// tolerance).
fn wide_enough(lower: f64, upper: f64, required: u64) -> bool {
    integer_floor(upper) - integer_ceiling(lower) >= required as f64
}

/// The least integer a count at least `value` can be (up to the solver's tolerance): counts are
/// integers, so an attacker reads [2.5, 3.7] as 3 alone.
pub(crate) fn integer_ceiling(value: f64) -> f64 {
    (value - TOLERANCE).ceil()
}

/// The greatest integer a count at most `value` can be (up to the solver's tolerance).
pub(crate) fn integer_floor(value: f64) -> f64 {
    (value + TOLERANCE).floor()
}

/// Two tables of one shape whose counts nest: at every cell, `subset`'s count is at most
/// `superset`'s (persons at care level 3+ within persons certified), and `complement` holds the
/// difference (persons certified below level 3). An attacker who knows the definitions knows
/// the inequality, and subtracts two published counts to get the difference — a count of persons
/// like any other, which the rules protect too. So tables linked this way are audited together:
/// a published subset count is a floor under a hidden superset cell, a published superset count
/// a ceiling over a hidden subset cell, and a sensitive difference must stay as uncertain as a
/// sensitive published cell.
///
/// The complement is never published; its pattern only says which of its cells are sensitive
/// (`Primary`). Whether a complement cell is hidden follows from its subset and superset: it is
/// known exactly when both are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Within {
    /// Index of the table whose counts are the smaller.
    pub subset: usize,
    /// Index of the table whose counts contain them.
    pub superset: usize,
    /// Index of the table of differences, superset − subset ([`Table::difference`]).
    pub complement: usize,
}

/// A regularity an attacker can read off a release and use, though no definition makes it hold:
/// one cell never exceeds another — a count that only rises, month to month; service users
/// within certified persons. `[table, cell]` each. Unlike [`Within`], the difference is not a
/// count the rules protect; a cell not available bounds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The cell that is at most the other.
    pub smaller: [usize; 2],
    /// The cell that is at least the other.
    pub larger: [usize; 2],
}

/// The interval an attacker can narrow one suppressed cell to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellInterval {
    /// The table the cell is in (0 for a table audited alone).
    pub table: usize,
    /// The cell.
    pub cell: usize,
    /// Smallest feasible value found (the smallest there is when `is_exact`).
    pub lower: f64,
    /// Largest feasible value found (infinite when nothing bounds it; the largest there is when
    /// `is_exact`).
    pub upper: f64,
    /// The width it must keep: the cell's protection when it is sensitive, 1 for a cell
    /// suppressed to protect others (it must not be recoverable exactly either, or it would be
    /// as good as published).
    pub required_width: u64,
    /// True when both bounds were optimized for this cell (by integer programs where no integral
    /// table attained the linear ones). Otherwise, for a protected cell, the interval was proven
    /// wide enough by integral tables found on the way (the true one can only be wider); for a
    /// cell that fails, a relaxation of the attacker's program narrowed it (the true one can
    /// only be narrower), or the integer programs left it undecided.
    pub is_exact: bool,
}

impl CellInterval {
    /// True when the attacker is left with at least the required width between integers.
    pub fn is_protected(&self) -> bool {
        wide_enough(self.lower, self.upper, self.required_width)
    }
}

/// What the audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// One interval per suppressed cell, by table and cell.
    pub intervals: Vec<CellInterval>,
    /// Components (groups of suppressed cells linked through relations).
    pub n_components: usize,
    /// Linear programs solved.
    pub n_linear_programs: usize,
}

impl AuditReport {
    /// The cells an attacker can narrow below their required width.
    pub fn failures(&self) -> impl Iterator<Item = &CellInterval> {
        self.intervals.iter().filter(|interval| !interval.is_protected())
    }

    /// True when no suppressed cell can be narrowed below its required width.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// Audits a suppression pattern of a table: proves every suppressed cell keeps its protection,
/// with as few linear programs as it takes. An interval is exact for a cell that fails; for a
/// cell that passes it is the widest range seen, which the true interval contains.
pub fn audit(table: &Table, status: &[CellStatus]) -> Result<AuditReport> {
    audit_with(&[table], &[status], &[], &[], Mode::Prove, None)
}

/// Like [`audit`], with the exact minimum and maximum of every suppressed cell (two linear
/// programs per cell: slow on large components; for reports and hand-checked fixtures).
pub fn audit_exact(table: &Table, status: &[CellStatus]) -> Result<AuditReport> {
    audit_with(&[table], &[status], &[], &[], Mode::Exact, None)
}

/// Audits tables published together whose counts nest ([`Within`]) or whose cells are ordered
/// ([`Order`]): the attacker's programs hold every table's relations and every link's and
/// order's inequalities at once. `statuses[t]` is the pattern of `tables[t]`; intervals name
/// their table.
pub fn audit_linked(
    tables: &[&Table],
    statuses: &[&[CellStatus]],
    links: &[Within],
    orders: &[Order],
) -> Result<AuditReport> {
    audit_with(tables, statuses, links, orders, Mode::Prove, None)
}

/// [`audit_linked`] starting from the intervals an audit of a sub-pattern found (the same
/// tables with fewer cells suppressed). Every table feasible then is feasible now — a cell
/// suppressed since is a variable that may keep its true value — so the intervals of the cells
/// it proved (from integral tables) are still inner bounds, and a cell proven then needs no
/// program now. What protection's rounds use.
pub fn audit_linked_from(
    tables: &[&Table],
    statuses: &[&[CellStatus]],
    links: &[Within],
    orders: &[Order],
    earlier: &AuditReport,
) -> Result<AuditReport> {
    audit_with(tables, statuses, links, orders, Mode::Prove, Some(earlier))
}

/// [`audit_linked`] with the exact interval of every suppressed cell.
pub fn audit_linked_exact(
    tables: &[&Table],
    statuses: &[&[CellStatus]],
    links: &[Within],
    orders: &[Order],
) -> Result<AuditReport> {
    audit_with(tables, statuses, links, orders, Mode::Exact, None)
}

fn audit_with(
    tables: &[&Table],
    statuses: &[&[CellStatus]],
    links: &[Within],
    orders: &[Order],
    mode: Mode,
    earlier: Option<&AuditReport>,
) -> Result<AuditReport> {
    check_shapes(tables, statuses, links)?;
    check_orders(tables, orders)?;
    // Every table's cells side by side: table t's cell c is cell offsets[t] + c.
    let mut offsets = Vec::with_capacity(tables.len());
    let mut n_cells = 0;
    for table in tables {
        offsets.push(n_cells);
        n_cells += table.len();
    }
    let mut values = Vec::with_capacity(n_cells);
    let mut required = Vec::with_capacity(n_cells);
    for (table, status) in tables.iter().zip(statuses) {
        for cell in 0..table.len() {
            values.push(table.value(cell));
            // None: published, or not available (in no constraint: nothing to audit).
            required.push(match status[cell] {
                _ if !table.is_available(cell) => None,
                CellStatus::Published => None,
                hidden => Some(required_width(table, hidden, cell)),
            });
        }
    }
    // A sensitive complement cell is an unknown of the programs, audited like a hidden cell —
    // even when its subset and superset are both published: then it is pinned, and fails. The
    // others need no width, so the link's inequality stands in for them (fewer variables).
    for link in links {
        let complement = &statuses[link.complement];
        for cell in 0..tables[link.complement].len() {
            required[offsets[link.complement] + cell] = match complement[cell] {
                _ if !tables[link.complement].is_available(cell) => None,
                CellStatus::Primary => Some(tables[link.complement].protection(cell).unwrap_or(1)),
                _ => None,
            };
        }
    }
    let is_suppressed = |cell: usize| required[cell].is_some();
    // Inner bounds already known, by global cell: the intervals of cells proven, found from
    // integral tables. A failing cell's may be a fractional table's, or outer bounds.
    let known: std::collections::HashMap<usize, (f64, f64)> = earlier
        .into_iter()
        .flat_map(|report| &report.intervals)
        .filter(|interval| interval.table < tables.len() && interval.is_protected())
        .map(|interval| {
            let upper = if interval.upper.is_finite() {
                interval.upper
            } else {
                f64::MAX
            };
            (offsets[interval.table] + interval.cell, (interval.lower, upper))
        })
        .collect();

    // Each relation and link as a constraint over suppressed cells — what the published cells
    // leave on the right-hand side: a total minus its parts = 0; a subset plus its sensitive
    // complement minus its superset = 0 (the complement being non-negative, the subset is at
    // most the superset), else a subset minus its superset ≤ 0. A complement's own relations
    // follow from its subset's and superset's.
    let mut constraints: Vec<Constraint> = Vec::new();
    let mut add = |cells_and_coefficients: &mut dyn Iterator<Item = (usize, f64)>, sense: Sense| {
        let mut terms = Vec::new();
        let mut right_hand_side = 0.0;
        for (cell, coefficient) in cells_and_coefficients {
            if is_suppressed(cell) {
                terms.push((cell, coefficient));
            } else {
                right_hand_side -= coefficient * values[cell] as f64;
            }
        }
        if !terms.is_empty() {
            constraints.push((terms, sense, right_hand_side));
        }
    };
    let complements: std::collections::BTreeSet<usize> = links.iter().map(|link| link.complement).collect();
    for (index, (table, offset)) in tables.iter().zip(&offsets).enumerate() {
        if complements.contains(&index) {
            continue;
        }
        for relation in table.relations() {
            let signs = std::iter::once(1.0).chain(std::iter::repeat(-1.0));
            add(&mut relation.cells().map(|cell| cell + offset).zip(signs), Sense::Equal);
        }
    }
    for link in links {
        let [subset, superset, complement] = [link.subset, link.superset, link.complement].map(|t| offsets[t]);
        for cell in 0..tables[link.subset].len() {
            // A count not available bounds nothing, and is bounded by nothing.
            if !tables[link.subset].is_available(cell) || !tables[link.superset].is_available(cell) {
                continue;
            }
            if is_suppressed(complement + cell) {
                add(
                    &mut [(subset + cell, 1.0), (complement + cell, 1.0), (superset + cell, -1.0)].into_iter(),
                    Sense::Equal,
                );
            } else {
                add(
                    &mut [(subset + cell, 1.0), (superset + cell, -1.0)].into_iter(),
                    Sense::AtMost,
                );
            }
        }
    }
    for order in orders {
        let ([smaller_table, smaller], [larger_table, larger]) = (order.smaller, order.larger);
        if tables[smaller_table].is_available(smaller) && tables[larger_table].is_available(larger) {
            add(
                &mut [
                    (offsets[smaller_table] + smaller, 1.0),
                    (offsets[larger_table] + larger, -1.0),
                ]
                .into_iter(),
                Sense::AtMost,
            );
        }
    }

    // Cells ordered both ways are equal in every table the attacker considers (a count constant
    // month to month): one unknown, the class's lowest cell, stands for all of them, so a constant
    // count has one variable per area instead of one per month. Exact, and far fewer programs.
    let root = tied_roots(n_cells, orders, &offsets, &is_suppressed);
    let mut class_of: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for cell in (0..n_cells).filter(|cell| is_suppressed(*cell)) {
        class_of.entry(root[cell]).or_default().push(cell);
    }
    let constraints = substitute(constraints, &root);
    let unknown_required: Vec<Option<u64>> = (0..n_cells)
        .map(|cell| match class_of.get(&cell) {
            Some(class) => class.iter().filter_map(|member| required[*member]).max(),
            None => None,
        })
        .collect();
    let mut known_of_class: std::collections::HashMap<usize, (f64, f64)> = Default::default();
    for (cell, (lower, upper)) in known {
        // Every member takes the value of the others in every table feasible then, so each's
        // values seen are the class's.
        let bounds = known_of_class.entry(root[cell]).or_insert((lower, upper));
        *bounds = (bounds.0.min(lower), bounds.1.max(upper));
    }
    let known = known_of_class;

    // Components: suppressed cells sharing a constraint can trade value between them.
    let mut components = UnionFind::new(n_cells);
    for (terms, _, _) in &constraints {
        for (cell, _) in &terms[1..] {
            components.union(terms[0].0, *cell);
        }
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for cell in (0..n_cells).filter(|cell| unknown_required[*cell].is_some()) {
        members.entry(components.find(cell)).or_default().push(cell);
    }
    let mut constraints_of: std::collections::BTreeMap<usize, Vec<Constraint>> = Default::default();
    for constraint in constraints {
        constraints_of
            .entry(components.find(constraint.0[0].0))
            .or_default()
            .push(constraint);
    }
    let components: Vec<(Vec<usize>, Vec<Constraint>)> = members
        .into_iter()
        .map(|(root, cells)| (cells, constraints_of.remove(&root).unwrap_or_default()))
        .collect();
    let ceiling = ceiling(&values);
    let n_components = components.len();
    tracing::trace!(
        n_components,
        largest = components.iter().map(|(cells, _)| cells.len()).max().unwrap_or(0),
        "audit components"
    );
    let (block_of, is_spine): (Vec<usize>, Vec<bool>) = tables
        .iter()
        .flat_map(|table| {
            let block_nodes: Vec<Vec<(usize, bool)>> = table.dimensions().iter().map(block_nodes).collect();
            (0..table.len()).map(move |cell| {
                let nodes: Vec<(usize, bool)> = table
                    .coordinates(cell)
                    .iter()
                    .zip(&block_nodes)
                    .map(|(node, blocks)| blocks[*node])
                    .collect();
                let coordinates: Vec<usize> = nodes.iter().map(|(node, _)| *node).collect();
                (table.cell(&coordinates), nodes.iter().any(|(_, is_above)| *is_above))
            })
        })
        .unzip();
    let per_component: Vec<Result<ComponentAudit>> = components
        .par_iter()
        .map(|(cells, constraints)| {
            let required: Vec<u64> = cells.iter().map(|cell| unknown_required[*cell].unwrap_or(1)).collect();
            let mut known: Vec<Option<(f64, f64)>> = cells.iter().map(|cell| known.get(cell).copied()).collect();
            let mut settled = vec![None; cells.len()];
            let mut n_programs = 0;
            if mode == Mode::Prove {
                let blocks = Blocks {
                    block_of: &block_of,
                    is_spine: &is_spine,
                    values: &values,
                };
                n_programs += blocks.audit(cells, &required, &mut known, &mut settled, constraints, ceiling)?;
            }
            let truth: Vec<f64> = cells.iter().map(|cell| values[*cell] as f64).collect();
            let unknowns = Unknowns {
                cells,
                truth: &truth,
                required: &required,
                known: &known,
                settled: &settled,
            };
            let (bounds, n) = audit_component(unknowns, constraints, ceiling, mode, true)?;
            Ok((bounds, n_programs + n))
        })
        .collect();
    let mut intervals = Vec::new();
    let mut n_linear_programs = 0;
    for component in per_component {
        let (component, n_programs) = component?;
        for (unknown, bounds) in component {
            for cell in &class_of[&unknown] {
                let table = offsets.partition_point(|offset| offset <= cell) - 1;
                intervals.push(CellInterval {
                    table,
                    cell: cell - offsets[table],
                    lower: bounds.lower,
                    upper: if bounds.upper >= ceiling - TOLERANCE {
                        f64::INFINITY
                    } else {
                        bounds.upper
                    },
                    required_width: required[*cell].unwrap_or(1),
                    is_exact: bounds.is_exact,
                });
            }
        }
        n_linear_programs += n_programs;
    }
    intervals.sort_by_key(|interval| (interval.table, interval.cell));
    Ok(AuditReport {
        intervals,
        n_components,
        n_linear_programs,
    })
}

/// Per global cell, the cell standing for it in the programs: the lowest of the suppressed cells
/// it is ordered both ways with, through any chain of such pairs (itself when there are none).
fn tied_roots(
    n_cells: usize,
    orders: &[Order],
    offsets: &[usize],
    is_suppressed: &dyn Fn(usize) -> bool,
) -> Vec<usize> {
    let global = |[table, cell]: [usize; 2]| offsets[table] + cell;
    let mut tied = UnionFind::new(n_cells);
    for (one, other) in equal_pairs(orders) {
        let (one, other) = (global(one), global(other));
        if is_suppressed(one) && is_suppressed(other) {
            tied.union(one, other);
        }
    }
    (0..n_cells).map(|cell| tied.find(cell)).collect()
}

/// The pairs of cells (`[table, cell]`) ordered both ways: equal in every table an attacker who
/// knows the orders allows (a count constant month to month). Each pair once per direction.
pub(crate) fn equal_pairs(orders: &[Order]) -> Vec<([usize; 2], [usize; 2])> {
    let ordered: std::collections::HashSet<([usize; 2], [usize; 2])> =
        orders.iter().map(|order| (order.smaller, order.larger)).collect();
    (orders.iter())
        .filter(|order| ordered.contains(&(order.larger, order.smaller)))
        .map(|order| (order.smaller, order.larger))
        .collect()
}

/// The width a hidden cell must keep: its protection when sensitive, else 1 (a cell hidden to
/// protect others must not be recoverable exactly).
pub(crate) fn required_width(table: &Table, status: CellStatus, cell: usize) -> u64 {
    match status {
        CellStatus::Primary => table.protection(cell).unwrap_or(1),
        _ => 1,
    }
}

/// The constraints over the cells standing for their classes: terms of one class summed, terms
/// that cancel dropped, constraints left with no term (they hold) or repeated dropped.
fn substitute(constraints: Vec<Constraint>, root: &[usize]) -> Vec<Constraint> {
    let mut seen = std::collections::HashSet::new();
    let mut substituted = Vec::with_capacity(constraints.len());
    for (terms, sense, right_hand_side) in constraints {
        let mut summed: std::collections::BTreeMap<usize, f64> = Default::default();
        for (cell, coefficient) in terms {
            *summed.entry(root[cell]).or_default() += coefficient;
        }
        let terms: Vec<(usize, f64)> = summed
            .into_iter()
            .filter(|(_, coefficient)| *coefficient != 0.0)
            .collect();
        let key = (
            terms
                .iter()
                .map(|(cell, coefficient)| (*cell, coefficient.to_bits()))
                .collect::<Vec<_>>(),
            sense,
            right_hand_side.to_bits(),
        );
        if !terms.is_empty() && seen.insert(key) {
            substituted.push((terms, sense, right_hand_side));
        }
    }
    substituted
}

/// Patterns must match their tables, and linked tables must have one shape.
fn check_shapes(tables: &[&Table], statuses: &[&[CellStatus]], links: &[Within]) -> Result<()> {
    let mismatch = |reason: String| Err(DisclosureError::Table { reason });
    if tables.len() != statuses.len() {
        return mismatch(format!("{} tables but {} patterns", tables.len(), statuses.len()));
    }
    for (index, (table, status)) in tables.iter().zip(statuses).enumerate() {
        if table.len() != status.len() {
            return mismatch(format!(
                "table {index} has {} cells, its pattern {}",
                table.len(),
                status.len()
            ));
        }
    }
    for link in links {
        let ends = [link.subset, link.superset, link.complement];
        let Some(lengths) = ends
            .iter()
            .map(|end| tables.get(*end).map(|table| table.len()))
            .collect::<Option<Vec<_>>>()
        else {
            return mismatch(format!("link {link:?} names a table that is not given"));
        };
        let distinct = ends[0] != ends[1] && ends[1] != ends[2] && ends[0] != ends[2];
        if !distinct || lengths.iter().any(|length| *length != lengths[0]) {
            return mismatch(format!("link {link:?} does not join three tables of one shape"));
        }
        if links.iter().filter(|other| other.complement == link.complement).count() > 1
            || links
                .iter()
                .any(|other| other.subset == link.complement || other.superset == link.complement)
        {
            return mismatch(format!(
                "link {link:?}: a complement belongs to one link and is not published"
            ));
        }
        let [subset, superset, complement] = ends.map(|end| tables[end]);
        if (0..subset.len()).any(|cell| subset.value(cell) + complement.value(cell) != superset.value(cell)) {
            return mismatch(format!(
                "link {link:?}: the complement is not the superset minus the subset"
            ));
        }
    }
    Ok(())
}

/// Orders must name cells of the tables given, and the data must keep them (the true table is
/// one the attacker's programs must allow).
fn check_orders(tables: &[&Table], orders: &[Order]) -> Result<()> {
    for order in orders {
        let value = |[table, cell]: [usize; 2]| tables.get(table).filter(|t| cell < t.len()).map(|t| t.value(cell));
        match (value(order.smaller), value(order.larger)) {
            (Some(smaller), Some(larger)) if smaller <= larger => {}
            (Some(_), Some(_)) => {
                return Err(DisclosureError::Table {
                    reason: format!("order {order:?}: the data breaks it"),
                });
            }
            _ => {
                return Err(DisclosureError::Table {
                    reason: format!("order {order:?} names a cell that is not given"),
                });
            }
        }
    }
    Ok(())
}

/// A component's audit: each cell (global index) with its bounds, and the programs solved.
type ComponentAudit = (Vec<(usize, Bounds)>, usize);

/// A cell's interval as found.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lower: f64,
    upper: f64,
    is_exact: bool,
}

fn comparison_of(sense: Sense) -> ComparisonOp {
    match sense {
        Sense::Equal => ComparisonOp::Eq,
        Sense::AtMost => ComparisonOp::Le,
    }
}

/// What an integer program found.
enum Integral {
    /// The optimum (or, without an objective, an integral table).
    Optimal(Vec<f64>),
    /// An integral table, its optimality not proven.
    Found(Vec<f64>),
    /// No integral table is feasible.
    Infeasible,
    /// Neither found nor ruled out within [`NODES`].
    Undecided,
}

/// What the linear program of a component's table nearest the true one says when one cell is
/// held beyond a bound.
enum Nearest {
    /// Its optimum (fractional or not).
    Table(Solution),
    /// No table at all, integral or not, has the cell there (so no integral one either).
    Infeasible,
    /// Numerical trouble: it says nothing.
    Unknown,
}

/// The two ways to audit a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Exact minimum and maximum of every cell (two linear programs each).
    Exact,
    /// Prove protection with as little solving as possible: every optimal point found is a
    /// feasible table, so each variable's values across those points bound its interval from
    /// inside. One program finds a low point; one program over all cells lifts every unproven
    /// cell towards its low value plus its protection, and, while that proves cells, their lifts
    /// are released and the simplex goes on from its last basis; from there, each cell still
    /// unproven is probed, by bisection, for tables beyond the values seen, until they prove it
    /// or the probes that find none narrow it. Only a cell the probes leave undecided (at its
    /// width to the solver's tolerance, or on numerical trouble) gets its own programs.
    Prove,
    /// [`Mode::Prove`] with only the probes that can prove a cell, and no programs of single
    /// cells: what lifting proves (a restriction's programs miss tables, so they narrow nothing).
    Lift,
}

/// The values each unknown took in the feasible tables found (by position): in any of them (the
/// linear programs' optima, fractional ones too), and in the integral ones — the only tables an
/// attacker who knows counts are integers cannot rule out.
struct Seen {
    lower: Vec<f64>,
    upper: Vec<f64>,
    integral_lower: Vec<f64>,
    integral_upper: Vec<f64>,
}

impl Seen {
    /// Starting from the inner bounds known already (integral tables' values; none where
    /// `None`).
    fn new(known: &[Option<(f64, f64)>], ceiling: f64) -> Self {
        let lower: Vec<f64> = known
            .iter()
            .map(|bounds| bounds.map_or(f64::INFINITY, |b| b.0))
            .collect();
        let upper: Vec<f64> = known
            .iter()
            .map(|bounds| bounds.map_or(f64::NEG_INFINITY, |b| b.1.min(ceiling)))
            .collect();
        Self {
            integral_lower: lower.clone(),
            integral_upper: upper.clone(),
            lower,
            upper,
        }
    }

    fn record(&mut self, point: &[f64]) {
        let is_integral = point.iter().all(|value| (value - value.round()).abs() <= TOLERANCE);
        for (index, value) in point.iter().enumerate() {
            self.lower[index] = self.lower[index].min(*value);
            self.upper[index] = self.upper[index].max(*value);
            if is_integral {
                self.integral_lower[index] = self.integral_lower[index].min(value.round());
                self.integral_upper[index] = self.integral_upper[index].max(value.round());
            }
        }
    }

    /// Whether an integral table reaches the greatest integer below the largest value seen.
    fn attains_upper(&self, index: usize) -> bool {
        self.integral_upper[index] >= integer_floor(self.upper[index])
    }

    /// Whether an integral table reaches the least integer above the smallest value seen.
    fn attains_lower(&self, index: usize) -> bool {
        self.integral_lower[index] <= integer_ceiling(self.lower[index])
    }
}

/// The unknowns of a component's programs, by position: its suppressed cells (global indices,
/// ascending), their true values (a feasible point like any other), the widths they need, the
/// inner bounds known already, and the cells decided already (they get no programs).
#[derive(Clone, Copy)]
struct Unknowns<'a> {
    cells: &'a [usize],
    truth: &'a [f64],
    required: &'a [u64],
    known: &'a [Option<(f64, f64)>],
    settled: &'a [Option<Bounds>],
}

fn audit_component(
    unknowns: Unknowns<'_>,
    constraints: &[Constraint],
    ceiling: f64,
    mode: Mode,
    verify_integers: bool,
) -> Result<ComponentAudit> {
    let Unknowns {
        cells,
        truth,
        required,
        known,
        settled,
    } = unknowns;
    let position = |cell: usize| cells.binary_search(&cell).expect("cell of the component");
    let n_programs = std::sync::atomic::AtomicUsize::new(0);
    let failed = |reason: String| DisclosureError::Audit {
        reason: format!("a linear program over {} suppressed cells: {reason}", cells.len()),
    };
    // A program with objective coefficients `weights` (by position) in `direction`, and with
    // `reach`: for each (position, floor, width) a variable y ≤ width, y ≤ x − floor, whose sum
    // is maximized too — so one program lifts as many cells as it can to their floor plus their
    // width. Every variable's value at the optimum is a feasible value. Returns the program, the
    // cells' variables and the lifts' variables.
    // The component's relations over the cells' variables.
    let add_relations = |problem: &mut Problem, variables: &[Variable]| {
        for (terms, sense, right_hand_side) in constraints {
            let expression: Vec<_> = terms
                .iter()
                .map(|(cell, coefficient)| (variables[position(*cell)], *coefficient))
                .collect();
            problem.add_constraint(expression.as_slice(), comparison_of(*sense), *right_hand_side);
        }
    };
    let program = |weights: &[(usize, f64)], reach: &[(usize, f64, f64)], direction| {
        let mut problem = Problem::new(direction);
        let mut objective = vec![0.0; cells.len()];
        for (index, weight) in weights {
            objective[*index] = *weight;
        }
        let variables: Vec<Variable> = objective
            .iter()
            .map(|weight| problem.add_var(*weight, (0.0, ceiling)))
            .collect();
        add_relations(&mut problem, &variables);
        let lifts: Vec<Variable> = reach
            .iter()
            .map(|(index, floor, width)| {
                let lift = problem.add_var(1.0, (-ceiling, *width));
                problem.add_constraint([(lift, 1.0), (variables[*index], -1.0)], ComparisonOp::Le, -floor);
                lift
            })
            .collect();
        (problem, variables, lifts)
    };
    let optimum = |problem: &Problem| -> Result<Solution> {
        n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = std::time::Instant::now();
        let solution = problem
            .solve()
            .map_err(|error| failed(error.to_string()))?
            .into_solution()
            .map_err(|_| failed("interrupted".into()))?;
        tracing::trace!(
            cells = cells.len(),
            constraints = constraints.len(),
            seconds = started.elapsed().as_secs_f64(),
            "linear program"
        );
        Ok(solution)
    };
    let point = |solution: &Solution, variables: &[Variable]| -> Vec<f64> {
        variables.iter().map(|variable| solution.var_value(*variable)).collect()
    };
    // Makes a program without an objective look for the table nearest the true one (least
    // total change, x = truth + up − down): near it, the tables a bound asks for differ from
    // the truth in a few cells, and are mostly integral where a table with no objective was
    // fractional in hundreds.
    let nearest_to_truth = |problem: &mut Problem, variables: &[Variable], truth: &[f64]| {
        for (variable, value) in variables.iter().zip(truth) {
            let up = problem.add_var(1.0, (0.0, f64::INFINITY));
            let down = problem.add_var(1.0, (0.0, f64::INFINITY));
            problem.add_constraint([(*variable, 1.0), (up, -1.0), (down, 1.0)], ComparisonOp::Eq, *value);
        }
    };
    // A program over the cells of `region` (by position, ascending; integer or linear), the
    // others held at their true values: the least or greatest value of one cell (`objective`),
    // or the table nearest the true one with one cell beyond a bound (`bound`). Returns the
    // program and the region's variables.
    let region_program = |region: &[usize],
                          is_integer: bool,
                          objective: Option<(usize, OptimizationDirection)>,
                          bound: Option<(usize, ComparisonOp, f64)>| {
        let direction = objective.map_or(OptimizationDirection::Minimize, |(_, direction)| direction);
        let mut problem = Problem::new(direction);
        let top = ceiling.min(f64::from(i32::MAX)) as i32;
        let mut variable_of: Vec<Option<Variable>> = vec![None; cells.len()];
        for &index in region {
            let weight = if objective.is_some_and(|(cell, _)| cell == index) {
                1.0
            } else {
                0.0
            };
            variable_of[index] = Some(if is_integer {
                problem.add_integer_var(weight, (0, top))
            } else {
                problem.add_var(weight, (0.0, ceiling))
            });
        }
        for (terms, sense, right_hand_side) in constraints {
            let mut expression = Vec::new();
            let mut right_hand_side = *right_hand_side;
            for (cell, coefficient) in terms {
                let index = position(*cell);
                match variable_of[index] {
                    Some(variable) => expression.push((variable, *coefficient)),
                    None => right_hand_side -= coefficient * truth[index],
                }
            }
            if !expression.is_empty() {
                problem.add_constraint(expression.as_slice(), comparison_of(*sense), right_hand_side);
            }
        }
        let variables: Vec<Variable> = region.iter().filter_map(|index| variable_of[*index]).collect();
        if let Some((index, comparison, target)) = bound {
            let variable = variable_of[index].expect("the bounded cell is in the region");
            problem.add_constraint([(variable, 1.0)], comparison, target);
            let region_truth: Vec<f64> = region.iter().map(|index| truth[*index]).collect();
            nearest_to_truth(&mut problem, &variables, &region_truth);
        }
        (problem, variables)
    };
    // The whole table from a region's values.
    let whole = |region: &[usize], values: &[f64]| -> Vec<f64> {
        let mut point = truth.to_vec();
        for (index, value) in region.iter().zip(values) {
            point[*index] = value.round();
        }
        point
    };
    // An integer program (see `region_program`), searched for at most `NODES` branches. Every
    // table it finds is integral; over a part of the component, infeasible rules nothing out.
    let integer_program = |region: &[usize],
                           objective: Option<(usize, OptimizationDirection)>,
                           bound: Option<(usize, ComparisonOp, f64)>|
     -> Result<Integral> {
        let (problem, variables) = region_program(region, true, objective, bound);
        let mut options = SolveOptions::default();
        options.node_limit = Some(NODES);
        if bound.is_none() {
            // The true table starts the search with an incumbent.
            options.warm_start = Some(
                region
                    .iter()
                    .zip(&variables)
                    .map(|(index, variable)| (*variable, truth[*index]))
                    .collect(),
            );
        }
        n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match problem.solve_with(options) {
            Ok(SolveOutcome::Solution(solution)) => {
                let values: Vec<f64> = variables.iter().map(|variable| solution.var_value(*variable)).collect();
                let point = whole(region, &values);
                Ok(match solution.status() {
                    SolutionStatus::Optimal => Integral::Optimal(point),
                    SolutionStatus::Feasible => Integral::Found(point),
                })
            }
            Ok(SolveOutcome::Interrupted(_)) => Ok(Integral::Undecided),
            Err(microlp::Error::Infeasible) => Ok(Integral::Infeasible),
            Err(error) => Err(failed(error.to_string())),
        }
    };
    // A dive from a linear program's optimum to an integral table: while a count is fractional,
    // the one nearest an integer is fixed at it (or at the integer on its other side) and the
    // simplex goes on from there. Cheap, and it finds most; None proves nothing.
    let round_off = |mut solution: Solution, variables: &[Variable]| -> Option<Vec<f64>> {
        loop {
            let values = point(&solution, variables);
            let nearest = values
                .iter()
                .enumerate()
                .map(|(position, value)| (position, (value - value.round()).abs()))
                .filter(|(_, distance)| *distance > TOLERANCE)
                .min_by(|one, other| one.1.total_cmp(&other.1));
            let Some((position, _)) = nearest else {
                return Some(values.iter().map(|value| value.round()).collect());
            };
            let value = values[position];
            let mut next = None;
            for integer in [
                value.round(),
                if value.round() > value {
                    value.floor()
                } else {
                    value.ceil()
                },
            ] {
                n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if let Ok(Ok(found)) = solution
                    .clone()
                    .fix_var(variables[position], integer)
                    .map(SolveOutcome::into_solution)
                {
                    next = Some(found);
                    break;
                }
            }
            solution = next?;
        }
    };
    let solve = |weights: &[(usize, f64)], reach: &[(usize, f64, f64)], direction| -> Result<Vec<f64>> {
        let (problem, variables, _) = program(weights, reach, direction);
        Ok(point(&optimum(&problem)?, &variables))
    };
    // Per cell (by position), the constraints it is in; built on first use.
    let constraints_of_cell = std::cell::OnceCell::new();
    // A cell's relations' cells, and theirs (by position, ascending), where a table nearest the
    // true one with the cell moved differs from it, mostly; with `follows_chains`, chains of
    // relations of two cells (an order month to month, a part and its whole) are followed to
    // their ends.
    let neighbourhood = |index: usize, follows_chains: bool| -> Vec<usize> {
        const HOPS: usize = 2;
        let constraints_of_cell: &Vec<Vec<usize>> = constraints_of_cell.get_or_init(|| {
            let mut of_cell = vec![Vec::new(); cells.len()];
            for (number, (terms, _, _)) in constraints.iter().enumerate() {
                for (cell, _) in terms {
                    of_cell[position(*cell)].push(number);
                }
            }
            of_cell
        });
        // Hops to each cell, a relation of two cells costing none (breadth first, zero-cost
        // steps to the front).
        let mut hops = vec![usize::MAX; cells.len()];
        hops[index] = 0;
        let mut queue = std::collections::VecDeque::from([index]);
        while let Some(cell) = queue.pop_front() {
            for number in &constraints_of_cell[cell] {
                let terms = &constraints[*number].0;
                let step = usize::from(terms.len() > 2 || !follows_chains);
                let next = hops[cell] + step;
                for (other, _) in terms {
                    let other = position(*other);
                    if next <= HOPS && next < hops[other] {
                        hops[other] = next;
                        if step == 0 {
                            queue.push_front(other);
                        } else {
                            queue.push_back(other);
                        }
                    }
                }
            }
        }
        (0..cells.len()).filter(|index| hops[*index] <= HOPS).collect()
    };
    // The linear program of the table nearest the true one over the whole component: the true
    // one, solved once (lazily); a bound on a cell added to it is a few pivots away.
    let nearest = std::cell::OnceCell::new();
    // The linear program of the whole component's table nearest the true one with one cell
    // beyond a bound.
    let bounded_nearest = |(index, comparison, target): (usize, ComparisonOp, f64)| -> Nearest {
        let (base, variables): &(Option<Solution>, Vec<Variable>) = nearest.get_or_init(|| {
            let (mut problem, variables, _) = program(&[], &[], OptimizationDirection::Minimize);
            nearest_to_truth(&mut problem, &variables, truth);
            (optimum(&problem).ok(), variables)
        });
        let Some(base) = base.clone() else {
            return Nearest::Unknown;
        };
        n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match base
            .add_constraint([(variables[index], 1.0)], comparison, target)
            .map(SolveOutcome::into_solution)
        {
            Ok(Ok(solution)) => Nearest::Table(solution),
            Err(microlp::Error::Infeasible) => Nearest::Infeasible,
            _ => Nearest::Unknown,
        }
    };
    // A dive over a region (`region_program`): an integral table, or None.
    let dive_near = |region: &[usize], side: (usize, ComparisonOp, f64)| -> Option<Vec<f64>> {
        let (problem, variables) = region_program(region, false, None, Some(side));
        n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let solution = problem.solve().ok()?.into_solution().ok()?;
        round_off(solution, &variables).map(|values| whole(region, &values))
    };
    // An integral table with one cell beyond a bound, by dives from the linear program of the
    // table nearest the true one: first changed from the true one only near the cell
    // (`neighbourhood`) — small programs, and most cells need no more; then, unless no table at
    // all has the cell there, along its chains too, then over the whole component; else by an
    // integer program near the cell. Undecided when none finds one.
    let find = |side: (usize, ComparisonOp, f64)| -> Result<Integral> {
        let started = std::time::Instant::now();
        let near = neighbourhood(side.0, false);
        let outcome = if let Some(point) = dive_near(&near, side) {
            Integral::Found(point)
        } else {
            match bounded_nearest(side) {
                Nearest::Infeasible => Integral::Infeasible,
                whole_component => {
                    let chained = neighbourhood(side.0, true);
                    // A region of most of the component costs more than the whole one's
                    // program, which goes on from its basis.
                    let has_chains = chained.len() > near.len() && 2 * chained.len() <= cells.len();
                    let region = if has_chains { chained } else { near };
                    let (_, variables) = nearest.get().expect("solved above");
                    let rounded_whole = || match whole_component {
                        Nearest::Table(solution) => round_off(solution, variables),
                        Nearest::Infeasible | Nearest::Unknown => None,
                    };
                    let point = has_chains
                        .then(|| dive_near(&region, side))
                        .flatten()
                        .or_else(rounded_whole);
                    match point {
                        Some(point) => Integral::Found(point),
                        None => match integer_program(&region, None, Some(side))? {
                            Integral::Optimal(point) | Integral::Found(point) => Integral::Found(point),
                            _ => Integral::Undecided,
                        },
                    }
                }
            }
        };
        tracing::trace!(
            seconds = started.elapsed().as_secs_f64(),
            outcome = match outcome {
                Integral::Found(_) => "found",
                Integral::Infeasible => "infeasible",
                Integral::Undecided => "undecided",
                Integral::Optimal(_) => "optimal",
            },
            "integral table sought"
        );
        Ok(outcome)
    };
    let mut seen = Seen::new(known, ceiling);
    // The true table is a feasible point too.
    seen.record(truth);
    let proven = |index: usize, seen: &Seen| wide_enough(seen.lower[index], seen.upper[index], required[index]);
    let mut exact = vec![false; cells.len()];
    // Cells shown to fail, with outside bounds of their interval.
    let mut narrowed: Vec<Option<(f64, f64)>> = vec![None; cells.len()];
    if mode != Mode::Exact {
        // One low point (unless every cell has bounds already), then programs lifting every
        // unproven cell at once, while they help.
        if (0..cells.len()).any(|index| known[index].is_none() && settled[index].is_none()) {
            let everything: Vec<(usize, f64)> = (0..cells.len()).map(|index| (index, 1.0)).collect();
            let point = solve(&everything, &[], OptimizationDirection::Minimize)?;
            seen.record(&point);
        }
        let unproven = |seen: &Seen| -> Vec<usize> {
            (0..cells.len())
                .filter(|index| settled[*index].is_none() && !proven(*index, seen))
                .collect()
        };
        // While the lifting program proves cells, the proven cells' lifts are released (fixed at
        // their lowest, where they bind nothing) and the simplex goes on from where it stopped.
        let first = unproven(&seen);
        if !first.is_empty() {
            let started = std::time::Instant::now();
            // A lifting program over some cells (by position), each from its lowest value seen.
            let lift = |open: &[usize], lower: &[f64]| -> Result<_> {
                let reach: Vec<(usize, f64, f64)> = open
                    .iter()
                    .map(|index| (*index, integer_ceiling(lower[*index]), required[*index] as f64))
                    .collect();
                let (problem, variables, lifts) = program(&[], &reach, OptimizationDirection::Maximize);
                Ok((Some(optimum(&problem)?), variables, lifts, reach))
            };
            let (mut solution, mut variables, mut lifts, mut reach) = lift(&first, &seen.lower)?;
            let mut lifting: Vec<usize> = (0..reach.len()).collect();
            while let Some(current) = solution.take() {
                seen.record(&point(&current, &variables));
                let (done, open): (Vec<usize>, Vec<usize>) =
                    lifting.iter().partition(|lift| proven(reach[**lift].0, &seen));
                if done.is_empty() || open.is_empty() {
                    solution = Some(current);
                    break;
                }
                // Releasing a lift costs a few pivots, solving anew the whole program: when a
                // step proves many cells at once, a new program over the open ones costs less.
                if done.len() * REBUILD_SHARE > cells.len() {
                    let open: Vec<usize> = open.iter().map(|lift| reach[*lift].0).collect();
                    (solution, variables, lifts, reach) = lift(&open, &seen.lower)?;
                    lifting = (0..reach.len()).collect();
                    continue;
                }
                lifting = open;
                let mut next = Some(current);
                for lift in done {
                    n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // Numerical trouble going on: the programs below decide what is left.
                    next = next.and_then(|current| current.fix_var(lifts[lift], -ceiling).ok()?.into_solution().ok());
                    if let Some(current) = &next {
                        seen.record(&point(current, &variables));
                    }
                }
                solution = next;
            }
            // Each cell still unproven is decided from the same point, by rows asking for a table
            // with it at least t (or at most t): a table found is a value it can take, none found
            // bounds it from outside. First t is its protection away from the other side's value
            // seen, which proves it when found; then t halves the room left on the wider side,
            // until the values seen prove it or the outside bounds narrow it.
            if let Some(solution) = solution {
                for index in unproven(&seen) {
                    let width = required[index] as f64;
                    // Outside bounds of its smallest and largest value.
                    let (mut floor, mut roof) = (0.0_f64, ceiling);
                    for _ in 0..PROBES {
                        if proven(index, &seen) {
                            break;
                        }
                        if mode == Mode::Prove && !wide_enough(floor, roof, required[index]) {
                            narrowed[index] = Some((floor, roof));
                            break;
                        }
                        let (room_above, room_below) = (roof - seen.upper[index], seen.lower[index] - floor);
                        if room_above.max(room_below) < TOLERANCE {
                            break;
                        }
                        let above = Some(integer_ceiling(seen.lower[index]) + width).filter(|target| *target < roof);
                        let below = Some(integer_floor(seen.upper[index]) - width).filter(|target| *target > floor);
                        let (is_above, target) = match (above, below) {
                            (Some(target), _) => (true, target),
                            (None, Some(target)) => (false, target),
                            // A restriction's programs miss tables: its outside bounds are none.
                            (None, None) if mode == Mode::Lift => break,
                            (None, None) if room_above >= room_below => (true, (seen.upper[index] + roof) / 2.0),
                            (None, None) => (false, (floor + seen.lower[index]) / 2.0),
                        };
                        let comparison = if is_above { ComparisonOp::Ge } else { ComparisonOp::Le };
                        n_programs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        match solution
                            .clone()
                            .add_constraint([(variables[index], 1.0)], comparison, target)
                            .map(SolveOutcome::into_solution)
                        {
                            Ok(Ok(found)) => seen.record(&point(&found, &variables)),
                            Err(microlp::Error::Infeasible) if is_above => roof = target,
                            Err(microlp::Error::Infeasible) => floor = target,
                            // Numerical trouble: the cell's own programs decide it.
                            _ => break,
                        }
                    }
                }
            }
            tracing::trace!(
                cells = cells.len(),
                lifted = first.len(),
                unproven = unproven(&seen).len(),
                narrowed = narrowed.iter().flatten().count(),
                seconds = started.elapsed().as_secs_f64(),
                "lifting program continued"
            );
        }
    }
    // The cells left get their own programs, side by side: the largest and, unless that proves
    // the cell, the smallest value.
    if mode != Mode::Lift {
        let left: Vec<usize> = (0..cells.len())
            .filter(|index| {
                settled[*index].is_none()
                    && narrowed[*index].is_none()
                    && (mode == Mode::Exact || !proven(*index, &seen))
            })
            .collect();
        let points: Vec<Vec<Vec<f64>>> = left
            .par_iter()
            .map(|index| {
                let mut points = Vec::new();
                let (mut low, mut high) = (seen.lower[*index], seen.upper[*index]);
                for direction in [OptimizationDirection::Maximize, OptimizationDirection::Minimize] {
                    let point = solve(&[(*index, 1.0)], &[], direction)?;
                    (low, high) = (low.min(point[*index]), high.max(point[*index]));
                    points.push(point);
                    if mode == Mode::Prove && wide_enough(low, high, required[*index]) {
                        break;
                    }
                }
                Ok(points)
            })
            .collect::<Result<_>>()?;
        for point in points.iter().flatten() {
            seen.record(point);
        }
        for index in left {
            exact[index] = mode == Mode::Exact || !proven(index, &seen);
        }
    }
    // An attacker who solves integer programs rules the fractional tables out, so a cell is
    // proven by integral tables only: those seen, then integer programs asking for one with the
    // cell a width beyond them, then its bounds stepped one at a time. In `Exact` mode, a bound
    // no integral table attained is the integer program's optimum.
    // Cells whose integer bounds are exact (in `Exact` mode, all but the undecided).
    let mut integer_exact = vec![mode == Mode::Exact; cells.len()];
    // Cells neither proven nor ruled out by integer programs: counted as failing.
    let mut undecided = vec![false; cells.len()];
    if verify_integers && mode != Mode::Lift {
        let integral_proven = |index: usize, seen: &Seen| {
            wide_enough(seen.integral_lower[index], seen.integral_upper[index], required[index])
        };
        let to_verify: Vec<usize> = (0..cells.len())
            .filter(|index| {
                settled[*index].is_none()
                    && narrowed[*index].is_none()
                    && match mode {
                        Mode::Exact => !(seen.attains_upper(*index) && seen.attains_lower(*index)),
                        _ => proven(*index, &seen) && !integral_proven(*index, &seen),
                    }
            })
            .collect();
        let all_cells: Vec<usize> = (0..cells.len()).collect();
        let started = std::time::Instant::now();
        for &index in &to_verify {
            let width = required[index] as f64;
            if mode == Mode::Prove {
                // An integral table found for an earlier cell may prove this one too.
                if integral_proven(index, &seen) {
                    continue;
                }
                // A table a width beyond those seen, above or else below, proves most cells in
                // one program. Failing that, each side's bound is stepped one at a time until
                // the cell is proven or both bounds are exact.
                let far = [
                    (index, ComparisonOp::Ge, seen.integral_lower[index] + width),
                    (index, ComparisonOp::Le, seen.integral_upper[index] - width),
                ];
                for side in far.into_iter().filter(|side| side.2 >= 0.0) {
                    if let Integral::Found(point) = find(side)? {
                        seen.record(&point);
                        break;
                    }
                }
                // A side the search can neither extend nor rule out is left, as the other side
                // may still prove the cell.
                let [mut is_max_known, mut is_min_known] = [false, seen.integral_lower[index] == 0.0];
                let [mut is_max_undecided, mut is_min_undecided] = [false, false];
                while !(integral_proven(index, &seen)
                    || (is_max_known || is_max_undecided) && (is_min_known || is_min_undecided))
                {
                    let is_above = !(is_max_known || is_max_undecided);
                    let side = if is_above {
                        (index, ComparisonOp::Ge, seen.integral_upper[index] + 1.0)
                    } else {
                        (index, ComparisonOp::Le, seen.integral_lower[index] - 1.0)
                    };
                    match find(side)? {
                        Integral::Found(point) => seen.record(&point),
                        Integral::Infeasible if is_above => is_max_known = true,
                        Integral::Infeasible => is_min_known = true,
                        _ if is_above => is_max_undecided = true,
                        _ => is_min_undecided = true,
                    }
                    is_min_known |= seen.integral_lower[index] == 0.0;
                }
                undecided[index] = !integral_proven(index, &seen) && (is_max_undecided || is_min_undecided);
                integer_exact[index] = is_max_known && is_min_known;
                continue;
            }
            // The integer minimum and maximum where no integral table attained the linear ones.
            for (direction, is_attained) in [
                (OptimizationDirection::Maximize, seen.attains_upper(index)),
                (OptimizationDirection::Minimize, seen.attains_lower(index)),
            ] {
                if is_attained {
                    continue;
                }
                match integer_program(&all_cells, Some((index, direction)), None)? {
                    Integral::Optimal(point) => seen.record(&point),
                    Integral::Found(point) => {
                        seen.record(&point);
                        undecided[index] = true;
                    }
                    Integral::Infeasible => return Err(failed("no integral table, though the true one is".into())),
                    Integral::Undecided => undecided[index] = true,
                }
            }
            integer_exact[index] = !undecided[index];
        }
        if !to_verify.is_empty() {
            tracing::debug!(
                cells = cells.len(),
                verified = to_verify.len(),
                undecided = undecided.iter().filter(|is| **is).count(),
                seconds = started.elapsed().as_secs_f64(),
                "integer programs"
            );
        }
    }
    let bounds = cells
        .iter()
        .enumerate()
        .map(|(index, &cell)| {
            let integral = Bounds {
                lower: seen.integral_lower[index],
                upper: seen.integral_upper[index],
                is_exact: integer_exact[index],
            };
            let bounds = settled[index].unwrap_or(match narrowed[index] {
                Some((floor, roof)) => Bounds {
                    lower: floor,
                    upper: roof,
                    is_exact: false,
                },
                // Inner bounds for what comes next: integral tables' values only.
                None if mode == Mode::Lift => Bounds {
                    is_exact: false,
                    ..integral
                },
                None if verify_integers && (mode == Mode::Exact || proven(index, &seen)) => integral,
                // Failed by the linear programs (the integer interval is inside this one), or
                // a relaxation's cell, of which only a failure counts.
                _ => Bounds {
                    lower: seen.lower[index],
                    upper: seen.upper[index],
                    is_exact: exact[index],
                },
            });
            (cell, bounds)
        })
        .collect();
    Ok((bounds, n_programs.into_inner()))
}

/// Each node's block node in a dimension — its ancestor at the level above the deepest (a
/// municipality's prefecture, a month's fiscal year), nodes at or above that level being their
/// own — and whether the node is above that level (the nation).
fn block_nodes(hierarchy: &Hierarchy) -> Vec<(usize, bool)> {
    let mut depth = vec![0_usize; hierarchy.len()];
    for node in 0..hierarchy.len() {
        if let Some(parent) = hierarchy.parent(node) {
            depth[node] = depth[parent] + 1;
        }
    }
    let level = depth.iter().copied().max().unwrap_or(0).saturating_sub(1);
    (0..hierarchy.len())
        .map(|mut node| {
            let is_above = depth[node] < level;
            while depth[node] > level {
                node = hierarchy.parent(node).expect("a node below the top level has a parent");
            }
            (node, is_above)
        })
        .collect()
}

/// A component's cells in blocks (τ-ARGUS's subtables: a prefecture's municipalities × a
/// fiscal year's months, in every linked table), audited a few blocks at a time before the whole
/// component. Where scaled-down populations hide nearly every municipal cell, a component spans
/// the nation and each of its programs takes minutes; a block's take milliseconds.
struct Blocks<'a> {
    /// Per global cell, its block: the cell of its table at its dimensions' block nodes.
    block_of: &'a [usize],
    /// Per global cell, whether its block is above the block level in a dimension (the nation's
    /// cells): the spine through which blocks trade value.
    is_spine: &'a [bool],
    /// Per global cell, its true value.
    values: &'a [u64],
}

impl Blocks<'_> {
    /// Two kinds of program bound the cells of a component with more than one block, over a
    /// group of blocks at a time — a block with cells left open and the reservoirs it borrows
    /// from (the blocks sharing relations with most of its open cells, then the heaviest: a
    /// small prefecture's width comes from another prefecture through the nation's totals):
    /// - the restriction, where the group and the spine vary and every other hidden cell keeps
    ///   its true value: each point is a feasible table, so a cell proven there is proven (its
    ///   bounds go to `known`);
    /// - the relaxation, the group's relations alone (the cells beyond them free): every
    ///   feasible table is a point of it, so a cell it narrows too far is narrowed too far (it
    ///   goes to `settled`, its interval not exact: the true one is narrower still).
    ///
    /// Each entry of [`RESERVOIRS`] is a pass borrowing from that many reservoirs; the cells no
    /// pass decides are left to the whole component's programs. Returns the programs solved.
    fn audit(
        &self,
        cells: &[usize],
        required: &[u64],
        known: &mut [Option<(f64, f64)>],
        settled: &mut [Option<Bounds>],
        constraints: &[Constraint],
        ceiling: f64,
    ) -> Result<usize> {
        use std::collections::{BTreeMap, BTreeSet};
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (index, cell) in cells.iter().enumerate() {
            members.entry(self.block_of[*cell]).or_default().push(index);
        }
        if members.len() < 2 {
            return Ok(0);
        }
        let spine: BTreeSet<usize> = members
            .iter()
            .filter(|(_, positions)| self.is_spine[cells[positions[0]]])
            .map(|(block, _)| *block)
            .collect();
        let hidden_mass =
            |block: &usize| -> u64 { members[block].iter().map(|index| self.values[cells[*index]]).sum() };
        let mut by_mass: Vec<usize> = members.keys().copied().filter(|block| !spine.contains(block)).collect();
        by_mass.sort_by_key(|block| (std::cmp::Reverse(hidden_mass(block)), *block));
        let rank: BTreeMap<usize, usize> = by_mass.iter().enumerate().map(|(rank, block)| (*block, rank)).collect();
        // Per block the relations it is in; per cell the relations it shares with other blocks.
        let mut touching: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut crossing_of_cell: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (index, (terms, _, _)) in constraints.iter().enumerate() {
            let blocks: BTreeSet<usize> = terms.iter().map(|(cell, _)| self.block_of[*cell]).collect();
            for block in &blocks {
                touching.entry(*block).or_default().push(index);
            }
            if blocks.len() > 1 {
                for (cell, _) in terms {
                    crossing_of_cell.entry(*cell).or_default().push(index);
                }
            }
        }
        let position = |cell: usize| cells.binary_search(&cell).expect("cell of the component");
        let relations_of = |blocks: &[usize]| -> Vec<usize> {
            let indices: BTreeSet<usize> = blocks
                .iter()
                .flat_map(|block| touching.get(block).into_iter().flatten().copied())
                .collect();
            indices.into_iter().collect()
        };
        let truth_of = |cells: &[usize]| -> Vec<f64> { cells.iter().map(|cell| self.values[*cell] as f64).collect() };
        let restriction = |blocks: &[usize], known: &[Option<(f64, f64)>]| {
            let mut positions: Vec<usize> = blocks.iter().flat_map(|block| members[block].iter().copied()).collect();
            positions.sort_unstable();
            let free_cells: Vec<usize> = positions.iter().map(|index| cells[*index]).collect();
            let is_free = |cell: usize| blocks.contains(&self.block_of[cell]);
            let restricted: Vec<Constraint> = relations_of(blocks)
                .iter()
                .map(|index| {
                    let (terms, sense, right_hand_side) = &constraints[*index];
                    let mut kept = Vec::new();
                    let mut right_hand_side = *right_hand_side;
                    for (cell, coefficient) in terms {
                        if is_free(*cell) {
                            kept.push((*cell, *coefficient));
                        } else {
                            right_hand_side -= coefficient * self.values[*cell] as f64;
                        }
                    }
                    (kept, *sense, right_hand_side)
                })
                .collect();
            let free_required: Vec<u64> = positions.iter().map(|index| required[*index]).collect();
            let free_known: Vec<Option<(f64, f64)>> = positions.iter().map(|index| known[*index]).collect();
            let unknowns = Unknowns {
                cells: &free_cells,
                truth: &truth_of(&free_cells),
                required: &free_required,
                known: &free_known,
                settled: &vec![None; positions.len()],
            };
            audit_component(unknowns, &restricted, ceiling, Mode::Lift, true)
        };
        let relaxation = |blocks: &[usize], known: &[Option<(f64, f64)>]| {
            let relations: Vec<Constraint> = relations_of(blocks)
                .iter()
                .map(|index| constraints[*index].clone())
                .collect();
            let free_cells: Vec<usize> = relations
                .iter()
                .flat_map(|(terms, _, _)| terms.iter().map(|(cell, _)| *cell))
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .collect();
            // Cells beyond the group need no width: they only loosen the group's relations.
            let in_group = |cell: usize| blocks.contains(&self.block_of[cell]);
            let free_required: Vec<u64> = free_cells
                .iter()
                .map(|cell| if in_group(*cell) { required[position(*cell)] } else { 0 })
                .collect();
            let free_known: Vec<Option<(f64, f64)>> = free_cells
                .iter()
                .map(|cell| if in_group(*cell) { known[position(*cell)] } else { None })
                .collect();
            let unknowns = Unknowns {
                cells: &free_cells,
                truth: &truth_of(&free_cells),
                required: &free_required,
                known: &free_known,
                settled: &vec![None; free_cells.len()],
            };
            // Only its failures count (outside bounds): nothing to prove with integers.
            let (bounds, n_programs) = audit_component(unknowns, &relations, ceiling, Mode::Prove, false)?;
            let bounds = bounds.into_iter().filter(|(cell, _)| in_group(*cell)).collect();
            Ok::<ComponentAudit, DisclosureError>((bounds, n_programs))
        };
        let is_open = |known: &[Option<(f64, f64)>], settled: &[Option<Bounds>], index: usize| {
            settled[index].is_none()
                && !known[index].is_some_and(|(lower, upper)| wide_enough(lower, upper, required[index]))
        };
        let mut n_programs = 0;
        for n_reservoirs in RESERVOIRS {
            let groups: Vec<Vec<usize>> = members
                .iter()
                .filter(|(block, positions)| {
                    !spine.contains(block) && positions.iter().any(|index| is_open(known, settled, *index))
                })
                .map(|(block, positions)| {
                    let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
                    for index in positions.iter().filter(|index| is_open(known, settled, **index)) {
                        let others: BTreeSet<usize> = crossing_of_cell
                            .get(&cells[*index])
                            .into_iter()
                            .flatten()
                            .flat_map(|constraint| constraints[*constraint].0.iter())
                            .map(|(cell, _)| self.block_of[*cell])
                            .filter(|other| other != block && !spine.contains(other))
                            .collect();
                        for other in others {
                            *votes.entry(other).or_default() += 1;
                        }
                    }
                    let mut reservoirs: Vec<usize> = by_mass.iter().copied().filter(|other| other != block).collect();
                    reservoirs
                        .sort_by_key(|other| (std::cmp::Reverse(votes.get(other).copied().unwrap_or(0)), rank[other]));
                    std::iter::once(*block)
                        .chain(reservoirs.into_iter().take(n_reservoirs))
                        .collect()
                })
                .collect();
            let restrictions: Vec<Result<ComponentAudit>> = groups
                .par_iter()
                .map(|group| {
                    let blocks: Vec<usize> = group.iter().chain(&spine).copied().collect();
                    restriction(&blocks, known)
                })
                .collect();
            for restriction in restrictions {
                let (bounds, n) = restriction?;
                n_programs += n;
                for (cell, bounds) in bounds {
                    let index = position(cell);
                    known[index] = Some(match known[index] {
                        Some((lower, upper)) => (lower.min(bounds.lower), upper.max(bounds.upper)),
                        None => (bounds.lower, bounds.upper),
                    });
                }
            }
            let relaxations: Vec<Result<ComponentAudit>> = groups
                .par_iter()
                .filter(|group| members[&group[0]].iter().any(|index| is_open(known, settled, *index)))
                .map(|group| relaxation(group, known))
                .collect();
            for relaxation in relaxations {
                let (bounds, n) = relaxation?;
                n_programs += n;
                for (cell, bounds) in bounds {
                    let index = position(cell);
                    if settled[index].is_none() && !wide_enough(bounds.lower, bounds.upper, required[index]) {
                        settled[index] = Some(Bounds {
                            is_exact: false,
                            ..bounds
                        });
                    }
                }
            }
            tracing::trace!(
                n_reservoirs,
                open = (0..cells.len()).filter(|index| is_open(known, settled, *index)).count(),
                narrowed = settled.iter().flatten().count(),
                "audit blocks pass"
            );
        }
        tracing::trace!(
            cells = cells.len(),
            blocks = members.len(),
            open = (0..cells.len()).filter(|index| is_open(known, settled, *index)).count(),
            narrowed = settled.iter().flatten().count(),
            n_programs,
            "audit blocks"
        );
        Ok(n_programs)
    }
}

/// The upper bound of every unknown of programs over these values. A finite ceiling keeps every
/// program bounded; a cell that reaches it is as unbounded as any protection needs (it exceeds
/// every value and protection).
pub(crate) fn ceiling(values: &[u64]) -> f64 {
    2.0 * values.iter().copied().max().unwrap_or(0) as f64 + 1_000.0
}

/// Disjoint sets over cell indices (path halving, union by index so roots are deterministic).
pub(crate) struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = (a.min(b), a.max(b));
            self.parent[high] = low;
        }
    }
}
