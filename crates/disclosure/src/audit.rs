//! The attacker's audit: for every suppressed cell, how far apart the smallest and largest value
//! it can take given everything published are — by linear programs over the suppressed cells of
//! its component (cells joined by a shared relation), the published cells being constants.
//! [`audit`] proves each cell's protection with as few programs as it can (exact where a cell
//! fails); [`audit_exact`] optimizes both bounds of every cell.
//!
//! The attacker knows that every cell is a non-negative count and that every relation of the
//! table holds. The program is the linear relaxation (as in τ-ARGUS's audit): the interval it
//! gives contains every integer solution, so a width that passes here passes for an attacker
//! restricted to integers too.

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use rayon::prelude::*;
use serde::Serialize;

use crate::{CellStatus, DisclosureError, Result, table::Table};

/// A relation as a constraint over suppressed cells: (cell, coefficient) terms = right-hand side.
type Constraint = (Vec<(usize, f64)>, f64);

/// Slack for the simplex's floating point: a width within this of the requirement passes.
const TOLERANCE: f64 = 1e-6;

/// The interval an attacker can narrow one suppressed cell to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellInterval {
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
    /// True when both bounds were optimized for this cell; otherwise the interval was proven
    /// wide enough by feasible tables found on the way, and the true one can only be wider.
    pub is_exact: bool,
}

impl CellInterval {
    /// True when the attacker is left with at least the required width.
    pub fn is_protected(&self) -> bool {
        self.upper - self.lower + TOLERANCE >= self.required_width as f64
    }
}

/// What the audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// One interval per suppressed cell, by cell.
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
    audit_with(table, status, Mode::Prove)
}

/// Like [`audit`], with the exact minimum and maximum of every suppressed cell (two linear
/// programs per cell: slow on large components; for reports and hand-checked fixtures).
pub fn audit_exact(table: &Table, status: &[CellStatus]) -> Result<AuditReport> {
    audit_with(table, status, Mode::Exact)
}

fn audit_with(table: &Table, status: &[CellStatus], mode: Mode) -> Result<AuditReport> {
    let relations = table.relations();
    let is_suppressed = |cell: usize| status[cell] != CellStatus::Published;

    // Components: suppressed cells sharing a relation can trade value between them.
    let mut components = UnionFind::new(table.len());
    for relation in &relations {
        let mut suppressed = relation.cells().filter(|cell| is_suppressed(*cell));
        if let Some(first) = suppressed.next() {
            for other in suppressed {
                components.union(first, other);
            }
        }
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for cell in (0..table.len()).filter(|cell| is_suppressed(*cell)) {
        members.entry(components.find(cell)).or_default().push(cell);
    }
    // Each relation that touches a component, as a constraint over its suppressed cells:
    // Σ coefficient × cell = what the published cells leave (total +1, parts −1).
    let mut constraints: std::collections::BTreeMap<usize, Vec<Constraint>> = Default::default();
    for relation in &relations {
        let mut terms = Vec::new();
        let mut right_hand_side = 0.0;
        for (cell, coefficient) in relation
            .cells()
            .zip(std::iter::once(1.0).chain(std::iter::repeat(-1.0)))
        {
            if is_suppressed(cell) {
                terms.push((cell, coefficient));
            } else {
                right_hand_side -= coefficient * table.value(cell) as f64;
            }
        }
        if let Some((first, _)) = terms.first() {
            constraints
                .entry(components.find(*first))
                .or_default()
                .push((terms, right_hand_side));
        }
    }

    let components: Vec<(Vec<usize>, Vec<Constraint>)> = members
        .into_iter()
        .map(|(root, cells)| (cells, constraints.remove(&root).unwrap_or_default()))
        .collect();
    let n_components = components.len();
    let per_component: Vec<Result<(Vec<CellInterval>, usize)>> = components
        .par_iter()
        .map(|(cells, constraints)| audit_component(table, status, cells, constraints, mode))
        .collect();
    let mut intervals = Vec::new();
    let mut n_linear_programs = 0;
    for component in per_component {
        let (component, n_programs) = component?;
        intervals.extend(component);
        n_linear_programs += n_programs;
    }
    intervals.sort_by_key(|interval| interval.cell);
    Ok(AuditReport {
        intervals,
        n_components,
        n_linear_programs,
    })
}

/// The two ways to audit a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Exact minimum and maximum of every cell (two linear programs each).
    Exact,
    /// Prove protection with as few programs as possible: every optimal point found is a
    /// feasible table, so each variable's values across those points bound its interval from
    /// inside. One program finds a low point; then programs over all cells at once lift every
    /// unproven cell towards its low value plus its protection, while that proves more cells.
    /// Only the cells still unproven get their own programs, which are exact — so a failing
    /// cell's interval is exact.
    Prove,
}

fn audit_component(
    table: &Table,
    status: &[CellStatus],
    cells: &[usize],
    constraints: &[Constraint],
    mode: Mode,
) -> Result<(Vec<CellInterval>, usize)> {
    let position = |cell: usize| cells.binary_search(&cell).expect("cell of the component");
    let required: Vec<u64> = cells
        .iter()
        .map(|&cell| match status[cell] {
            CellStatus::Primary => table.protection(cell).unwrap_or(1),
            _ => 1,
        })
        .collect();
    // A finite ceiling keeps every program bounded; a cell that reaches it is as unbounded as
    // any protection needs (the ceiling exceeds every published value and protection).
    let ceiling = 2.0 * table.values().iter().copied().max().unwrap_or(0) as f64 + 1_000.0;
    let mut n_programs = 0;
    // Solve with objective coefficients `weights` (by position) in `direction`, and with
    // `reach`: for each (position, floor, width) a variable y ≤ width, y ≤ x − floor, whose sum
    // is maximized too — so one program lifts as many cells as it can to their floor plus their
    // width. Every variable's value at the optimum is a feasible value.
    let mut solve = |weights: &[(usize, f64)], reach: &[(usize, f64, f64)], direction| -> Result<Vec<f64>> {
        n_programs += 1;
        let mut problem = Problem::new(direction);
        let mut objective = vec![0.0; cells.len()];
        for (index, weight) in weights {
            objective[*index] = *weight;
        }
        let variables: Vec<_> = objective
            .iter()
            .map(|weight| problem.add_var(*weight, (0.0, ceiling)))
            .collect();
        for (terms, right_hand_side) in constraints {
            let expression: Vec<_> = terms
                .iter()
                .map(|(cell, coefficient)| (variables[position(*cell)], *coefficient))
                .collect();
            problem.add_constraint(expression.as_slice(), ComparisonOp::Eq, *right_hand_side);
        }
        for (index, floor, width) in reach {
            let lift = problem.add_var(1.0, (-ceiling, *width));
            problem.add_constraint([(lift, 1.0), (variables[*index], -1.0)], ComparisonOp::Le, -floor);
        }
        let failed = |reason: String| DisclosureError::Audit {
            reason: format!("a linear program over {} suppressed cells: {reason}", cells.len()),
        };
        let solution = problem
            .solve()
            .map_err(|error| failed(error.to_string()))?
            .into_solution()
            .map_err(|_| failed("interrupted".into()))?;
        Ok(variables.iter().map(|variable| solution.var_value(*variable)).collect())
    };

    let mut lower = vec![f64::INFINITY; cells.len()];
    let mut upper = vec![f64::NEG_INFINITY; cells.len()];
    let record = |point: &[f64], lower: &mut [f64], upper: &mut [f64]| {
        for (index, value) in point.iter().enumerate() {
            lower[index] = lower[index].min(*value);
            upper[index] = upper[index].max(*value);
        }
    };
    let proven =
        |index: usize, lower: &[f64], upper: &[f64]| upper[index] - lower[index] + TOLERANCE >= required[index] as f64;
    let mut exact = vec![false; cells.len()];
    if mode == Mode::Prove {
        // One low point, then programs lifting every unproven cell at once, while they help.
        let everything: Vec<(usize, f64)> = (0..cells.len()).map(|index| (index, 1.0)).collect();
        let point = solve(&everything, &[], OptimizationDirection::Minimize)?;
        record(&point, &mut lower, &mut upper);
        let mut n_unproven = cells.len() + 1;
        loop {
            let unproven: Vec<usize> = (0..cells.len())
                .filter(|index| !proven(*index, &lower, &upper))
                .collect();
            if unproven.is_empty() || unproven.len() >= n_unproven {
                break;
            }
            n_unproven = unproven.len();
            let reach: Vec<(usize, f64, f64)> = unproven
                .iter()
                .map(|index| (*index, lower[*index], required[*index] as f64))
                .collect();
            let point = solve(&[], &reach, OptimizationDirection::Maximize)?;
            record(&point, &mut lower, &mut upper);
        }
    }
    for index in 0..cells.len() {
        if mode == Mode::Prove && proven(index, &lower, &upper) {
            continue;
        }
        for direction in [OptimizationDirection::Maximize, OptimizationDirection::Minimize] {
            let point = solve(&[(index, 1.0)], &[], direction)?;
            record(&point, &mut lower, &mut upper);
            if mode == Mode::Prove && proven(index, &lower, &upper) {
                break;
            }
        }
        exact[index] = mode == Mode::Exact || !proven(index, &lower, &upper);
    }
    let intervals = cells
        .iter()
        .enumerate()
        .map(|(index, &cell)| CellInterval {
            cell,
            lower: lower[index],
            upper: if upper[index] >= ceiling - TOLERANCE {
                f64::INFINITY
            } else {
                upper[index]
            },
            required_width: required[index],
            is_exact: exact[index],
        })
        .collect();
    Ok((intervals, n_programs))
}

/// Disjoint sets over cell indices (path halving, union by index so roots are deterministic).
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = (a.min(b), a.max(b));
            self.parent[high] = low;
        }
    }
}
