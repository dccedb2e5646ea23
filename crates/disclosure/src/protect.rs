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
//!    and the two steps are repeated until the audit passes. A cell that keeps failing gets the
//!    next places' candidates, one more at once every second round it fails.
//! 3. Tables whose counts nest (level 3+ within certified) are audited together with their
//!    difference (certified below level 3): a cell that a linked table's published count bounds
//!    gets that count suppressed before step 2's choice, and a sensitive difference gets its
//!    subset's count suppressed (else its superset's).
//! 4. Cells ordered by a regularity ([`Order`]: a count that only rises, users within certified)
//!    are in the audit's programs too: a failing cell that a published cell bounds through an
//!    order gets that cell suppressed, as a linked count's would be. What orders pin locally is
//!    settled with step 1, before any audit: a hidden cell's orders and links alone hold it
//!    between the nearest shown cells above and below it (a hidden run of a rising count lies
//!    between the shown months around it), and a relation solved alone with its cells' orders
//!    pins a run under a shown fiscal year (its smallest month is at most the run's sum over its
//!    length). Where either leaves a cell too narrow, the run is extended or the relation's best
//!    candidate hidden, to a fixpoint: one audit round instead of one per month of a run.
//!
//! 5. Cells tied by regularities are hidden together: two cells ordered both ways are equal (a
//!    count constant month to month), a total whose parts are all equal gives them back (a
//!    fiscal year of a constant count is its month times the months), and two totals whose parts
//!    pair off class by class are equal (a prefecture's months, when each of its municipalities'
//!    are). Showing one cell of such a class shows all, so hiding one hides its class — a
//!    constant count is in effect protected once per area, not month by month (and the audit
//!    holds cells ordered both ways as one unknown).
//!
//! The candidate is always chosen by the same key — a non-zero cell before a zero (a zero adds
//! no uncertainty), a part before a total, the smallest value that closes the gap, then the
//! lowest cell index — so the same tables give the same pattern.

use serde::Serialize;
use tracing::debug;

use crate::{
    DisclosureError, Result,
    audit::{
        AuditReport, Order, UnionFind, Within, audit_linked_from, ceiling, equal_pairs, integer_ceiling, integer_floor,
        required_width,
    },
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
    let mut protections = protect_linked(&[table], &[], &[])?;
    Ok(protections.remove(0))
}

/// Suppresses tables whose counts nest ([`Within`]) together: each is protected as [`protect`]
/// does, and the audit attacks them jointly. When a cell fails only because a linked table
/// bounds it — a published subset count under a hidden superset cell, a published superset
/// count over a hidden subset cell — that counterpart is suppressed (it is the bound); a
/// sensitive difference gets its subset or superset count suppressed; otherwise the cell is
/// widened within its own table. Returns one protection per table, each with the joint audit's
/// intervals of its own cells and the joint counts of programs and rounds; a complement's says
/// which of its sensitive cells the pattern hides (`Primary`, proven by the audit).
pub fn protect_linked(tables: &[&Table], links: &[Within], orders: &[Order]) -> Result<Vec<Protection>> {
    let relations: Vec<Vec<Relation>> = tables.iter().map(|table| table.relations()).collect();
    let mut orders_of_cell: std::collections::HashMap<[usize; 2], Vec<Order>> = Default::default();
    for order in orders {
        orders_of_cell.entry(order.smaller).or_default().push(*order);
        orders_of_cell.entry(order.larger).or_default().push(*order);
    }
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
    let ties = Ties::new(tables, &relations, orders);
    let context = Context {
        tables,
        relations: &relations,
        relations_of_cell: &relations_of_cell,
        links,
        orders_of_cell: &orders_of_cell,
    };
    let mut statuses: Vec<Vec<CellStatus>> = tables.iter().map(|table| primary_pattern(table)).collect();
    let mut n_rounds = 0;
    // Per failing cell, the candidates tried and the rounds it failed.
    let mut attempts: std::collections::BTreeMap<(usize, usize), (usize, usize)> = Default::default();
    let mut earlier = AuditReport::default();
    loop {
        n_rounds += 1;
        // Step 1 over the counts and their differences together, to a fixpoint: hiding a count
        // to protect a difference opens a relation of the count's own table.
        loop {
            let mut changed = false;
            for (index, table) in tables.iter().enumerate() {
                // A complement's pattern is not chosen: it follows from its subset and superset.
                if !context.is_complement(index) {
                    let hide = |status: &mut [CellStatus], cell| {
                        ties.hide(table, index, status, cell);
                    };
                    changed |= secure_relations(table, &relations[index], &mut statuses[index], &hide);
                }
            }
            for link in links {
                changed |= secure_difference(tables, &relations[link.complement], link, &mut statuses, &ties);
            }
            changed |= secure_orders(&context, &mut statuses, &ties);
            changed |= secure_ordered_relations(&context, &mut statuses, &ties);
            changed |= ties.hide_together(tables, &mut statuses);
            if !changed {
                break;
            }
        }
        let patterns: Vec<&[CellStatus]> = statuses.iter().map(Vec::as_slice).collect();
        let report = audit_linked_from(tables, &patterns, links, orders, &earlier)?;
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
        for interval in report.failures().take(8) {
            tracing::trace!(
                table = interval.table,
                cell = interval.cell,
                lower = interval.lower,
                upper = interval.upper,
                required = interval.required_width,
                "narrowed"
            );
        }
        if failures.is_empty() {
            return Ok(split(report, statuses, n_rounds));
        }
        let mut added = false;
        for (table, cell) in failures {
            // A cell that fails again gets the next places' candidates: the ones tried did not
            // hold the bound that pins it. One more at once every second round it fails, as what
            // pins it may be several bounds together (a round of the audit costs more than a few
            // cells hidden).
            let (attempt, n_failed) = attempts.entry((table, cell)).or_insert((0, 0));
            for _ in 0..=*n_failed / 2 {
                let candidate = choose_candidate(&context, &statuses, (table, cell), *attempt);
                *attempt += 1;
                tracing::trace!(table, cell, ?candidate, "widened by suppressing");
                if let Some((table, candidate)) = candidate {
                    // Its class follows in the next round's step 1: hidden at once, before this
                    // round's other choices, it left the regularities test's fixture
                    // unprotectable.
                    statuses[table][candidate] = CellStatus::Secondary;
                    added = true;
                }
            }
            *n_failed += 1;
        }
        if !added {
            return Err(DisclosureError::Unprotectable {
                n_cells: report.failures().count(),
            });
        }
        earlier = report;
    }
}

/// Classes of cells of one table an attacker knows to be equal, or to determine each other (see
/// step 5).
struct Ties {
    /// Per table, per cell, its class (cells alone in theirs have none).
    class_of_cell: Vec<Vec<Option<usize>>>,
    /// Per class, its cells.
    classes: Vec<Vec<usize>>,
}

impl Ties {
    fn new(tables: &[&Table], relations: &[Vec<Relation>], orders: &[Order]) -> Self {
        let equal = equal_pairs(orders);
        let mut class_of_cell = Vec::with_capacity(tables.len());
        let mut classes = Vec::new();
        for (index, table) in tables.iter().enumerate() {
            let mut sets = UnionFind::new(table.len());
            for ([one_table, one], [other_table, other]) in &equal {
                if *one_table == index && *other_table == index {
                    sets.union(*one, *other);
                }
            }
            // A total whose parts are all in one class joins it, and two totals whose parts pair
            // off class by class are equal (a prefecture's months, when each municipality's are);
            // until none does.
            loop {
                let mut joined = false;
                let mut total_of_parts: std::collections::HashMap<Vec<usize>, usize> = Default::default();
                for relation in &relations[index] {
                    let mut classes: Vec<usize> = relation.parts.iter().map(|part| sets.find(*part)).collect();
                    classes.sort_unstable();
                    let total = sets.find(relation.total);
                    match total_of_parts.entry(classes) {
                        std::collections::hash_map::Entry::Occupied(other) if sets.find(*other.get()) != total => {
                            sets.union(*other.get(), total);
                            joined = true;
                        }
                        std::collections::hash_map::Entry::Occupied(_) => {}
                        std::collections::hash_map::Entry::Vacant(entry) => {
                            entry.insert(total);
                        }
                    }
                }
                for relation in &relations[index] {
                    let first = sets.find(relation.parts[0]);
                    let tied = relation.parts.len() > 1 && relation.parts.iter().all(|part| sets.find(*part) == first);
                    if tied && sets.find(relation.total) != first {
                        sets.union(first, relation.total);
                        joined = true;
                    }
                }
                if !joined {
                    break;
                }
            }
            let mut by_root: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
            for cell in 0..table.len() {
                by_root.entry(sets.find(cell)).or_default().push(cell);
            }
            let mut of_cell = vec![None; table.len()];
            for class in by_root.into_values().filter(|class| class.len() > 1) {
                for cell in &class {
                    of_cell[*cell] = Some(classes.len());
                }
                classes.push(class);
            }
            class_of_cell.push(of_cell);
        }
        Self { class_of_cell, classes }
    }

    /// Hides a cell and every cell of its class (not a public one: its value is known anyway).
    /// True when it hid anything.
    fn hide(&self, table: &Table, index: usize, status: &mut [CellStatus], cell: usize) -> bool {
        let class = self.class_of_cell[index][cell].map_or(&[][..], |class| self.classes[class].as_slice());
        let mut changed = false;
        for other in std::iter::once(&cell).chain(class) {
            if status[*other] == CellStatus::Published && (*other == cell || !table.is_public(*other)) {
                status[*other] = CellStatus::Secondary;
                changed = true;
            }
        }
        changed
    }

    /// Hides the classes of hidden cells. True when it hid anything.
    fn hide_together(&self, tables: &[&Table], statuses: &mut [Vec<CellStatus>]) -> bool {
        let mut changed = false;
        for (index, status) in statuses.iter_mut().enumerate() {
            for cell in 0..status.len() {
                if status[cell] != CellStatus::Published && self.class_of_cell[index][cell].is_some() {
                    changed |= self.hide(tables[index], index, status, cell);
                }
            }
        }
        changed
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

/// What the choice of a candidate reads: the tables, their relations (and each cell's), the
/// links and each cell's orders.
struct Context<'a> {
    tables: &'a [&'a Table],
    relations: &'a [Vec<Relation>],
    relations_of_cell: &'a [Vec<Vec<usize>>],
    links: &'a [Within],
    orders_of_cell: &'a std::collections::HashMap<[usize; 2], Vec<Order>>,
}

impl Context<'_> {
    /// Whether a table holds a link's differences (its pattern follows from its counts').
    fn is_complement(&self, table: usize) -> bool {
        self.links.iter().any(|link| link.complement == table)
    }

    /// Whether a table's counts nest in another's or another's in them.
    fn is_linked(&self, table: usize) -> bool {
        self.links
            .iter()
            .any(|link| link.subset == table || link.superset == table)
    }
}

/// The published cell that bounds a failing cell through a link or an order: a ceiling (its
/// superset's count, a cell it is at most), else a non-zero floor (one of its subsets' counts, a
/// cell it is at least; a zero floors nothing).
fn bounding_counterpart(
    context: &Context<'_>,
    statuses: &[Vec<CellStatus>],
    table: usize,
    cell: usize,
) -> Option<(usize, usize)> {
    let tables = context.tables;
    let published = |[other, other_cell]: [usize; 2]| {
        statuses[other][other_cell] == CellStatus::Published
            && tables[other].is_available(other_cell)
            && !tables[other].is_public(other_cell)
    };
    let floor = |[other, other_cell]: [usize; 2]| published([other, other_cell]) && tables[other].value(other_cell) > 0;
    let orders = context
        .orders_of_cell
        .get(&[table, cell])
        .map_or(&[][..], Vec::as_slice);
    let ceilings = (context.links.iter())
        .filter(|link| link.subset == table)
        .map(|link| [link.superset, cell])
        .chain(
            orders
                .iter()
                .filter(|order| order.smaller == [table, cell])
                .map(|order| order.larger),
        )
        .filter(|other| published(*other));
    let floors = (context.links.iter())
        .filter(|link| link.superset == table)
        .map(|link| [link.subset, cell])
        .chain(
            orders
                .iter()
                .filter(|order| order.larger == [table, cell])
                .map(|order| order.smaller),
        )
        .filter(|other| floor(*other));
    ceilings
        .chain(floors)
        .next()
        .map(|[other, other_cell]| (other, other_cell))
}

/// Step 2's choice for a cell the audit can narrow: the published cell of a linked table or an
/// order that bounds it; else, by turns as it keeps failing, the candidate of a relation with
/// the fewest suppressed cells (where the attacker's bound is tightest) of its own table, of
/// each hidden counterpart in a linked table and each hidden cell it is ordered with (pinned
/// there, it pins the cell through the inequality), and of the relations reached through its suppressed neighbours, nearest first
/// (the published cells that pin it down may sit there) — the next such relation on each round
/// of turns. A difference takes turns between its difference table and its two hidden counts,
/// each count choosing as a cell of its own would (its published bounds first).
fn choose_candidate(
    context: &Context<'_>,
    statuses: &[Vec<CellStatus>],
    (table, cell): (usize, usize),
    attempt: usize,
) -> Option<(usize, usize)> {
    let Context {
        tables,
        relations,
        relations_of_cell,
        links,
        orders_of_cell,
    } = context;
    let own_at = |[table, cell]: [usize; 2], attempt: usize| {
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
    // A difference the audit narrows: widen it in the difference table (its relations are the
    // counts' relations subtracted), hiding a difference cell by hiding one of its counts, or
    // widen its counts in their own tables — by turns, as it keeps failing.
    if let Some(link) = links.iter().find(|link| link.complement == table) {
        let derived: Vec<CellStatus> = (0..tables[table].len())
            .map(|other| difference_status(link, statuses, other))
            .collect();
        let difference = |attempt: usize| {
            own_relation_candidate(
                tables[table],
                &relations[table],
                &relations_of_cell[table],
                &derived,
                cell,
                attempt,
            )
            .map(|other| (count_hiding_difference(tables, link, statuses, other), other))
        };
        let hidden = |count: usize| statuses[count][cell] != CellStatus::Published;
        // A count's turn is the count's own choice: its published bounds first (a shown earlier
        // month under a rising subset caps the difference), then its relations and orders.
        let count = |count: usize| choose_candidate(context, statuses, (count, cell), attempt / 3);
        return (0..3).find_map(|offset| match (attempt + offset) % 3 {
            0 => difference(attempt / 3),
            1 if hidden(link.subset) => count(link.subset),
            2 if hidden(link.superset) => count(link.superset),
            _ => None,
        });
    }
    if let Some(bound) = bounding_counterpart(context, statuses, table, cell) {
        return Some(bound);
    }
    // Its own table, then its hidden counterparts and the hidden cells it is ordered with (a
    // published one is a bound, taken above).
    let orders = orders_of_cell.get(&[table, cell]).map_or(&[][..], Vec::as_slice);
    let places: Vec<[usize; 2]> = std::iter::once([table, cell])
        .chain(links.iter().filter_map(|link| {
            if link.subset == table {
                Some([link.superset, cell])
            } else if link.superset == table {
                Some([link.subset, cell])
            } else {
                None
            }
        }))
        .chain(orders.iter().map(|order| {
            if order.smaller == [table, cell] {
                order.larger
            } else {
                order.smaller
            }
        }))
        .filter(|place| *place == [table, cell] || statuses[place[0]][place[1]] != CellStatus::Published)
        .collect();
    let neighbourhood = || {
        neighbourhood_candidate(
            tables[table],
            &relations[table],
            &relations_of_cell[table],
            &statuses[table],
            cell,
        )
        .map(|candidate| (table, candidate))
    };
    // The neighbourhood takes a turn too: what pins a cell whose relations are all hidden is
    // further out (a prefecture of one municipality is pinned by the nation's relation).
    let n_turns = places.len() + 1;
    (0..n_turns).find_map(|offset| match (attempt + offset) % n_turns {
        turn if turn < places.len() => own_at(places[turn], attempt / n_turns),
        _ => neighbourhood(),
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
    // A zero can only rise, so it widens no upper bound: only non-zero candidates here; the
    // neighbourhood falls back on zeros.
    let candidates: Vec<usize> = own
        .iter()
        .filter_map(|index| best_candidate(table, &relations[*index], status, 1))
        .filter(|candidate| table.value(*candidate) > 0)
        .collect();
    (!candidates.is_empty()).then(|| candidates[attempt % candidates.len()])
}

/// The first non-zero candidate of the relations reached through the cell's suppressed
/// neighbours, breadth first; else the first zero.
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
    let mut first_zero = None;
    while let Some(index) = queue.pop_front() {
        for neighbour in relations[index].cells() {
            if status[neighbour] == CellStatus::Published || !seen_cells.insert(neighbour) {
                continue;
            }
            for next in &relations_of_cell[neighbour] {
                if seen_relations.insert(*next) {
                    match best_candidate(table, &relations[*next], status, 1) {
                        Some(candidate) if table.value(candidate) > 0 => return Some(candidate),
                        Some(candidate) => {
                            first_zero.get_or_insert(candidate);
                        }
                        None => {}
                    }
                    queue.push_back(*next);
                }
            }
        }
    }
    first_zero
}

/// Step 1: until no relation narrows one of its suppressed cells on its own. True when it
/// suppressed anything.
fn secure_relations(
    table: &Table,
    relations: &[Relation],
    status: &mut [CellStatus],
    hide: &dyn Fn(&mut [CellStatus], usize),
) -> bool {
    let required = |cell: usize, status: CellStatus| Some(required_width(table, status, cell));
    let mut any = false;
    loop {
        let mut changed = false;
        for relation in relations {
            while let Some(gap) = relation_gap(table, relation, status, &required) {
                match best_candidate(table, relation, status, gap) {
                    Some(candidate) => {
                        hide(status, candidate);
                        changed = true;
                    }
                    None => break,
                }
            }
        }
        if !changed {
            return any;
        }
        any = true;
    }
}

/// Step 1 for a link's difference: a sensitive difference of two published counts gets one of
/// them hidden, and in every relation of the difference table (implied by the counts'), a
/// hidden sensitive difference gets company as a hidden cell does. A difference cell is hidden
/// when its subset's or superset's count is; hiding one hides the subset's count (the less read
/// of the two) unless it is hidden already. True when it suppressed anything.
fn secure_difference(
    tables: &[&Table],
    relations: &[Relation],
    link: &Within,
    statuses: &mut [Vec<CellStatus>],
    ties: &Ties,
) -> bool {
    let complement = tables[link.complement];
    let mut changed = false;
    for cell in 0..complement.len() {
        if complement.protection(cell).is_some() && difference_status(link, statuses, cell) == CellStatus::Published {
            hide_difference(tables, link, statuses, cell, ties);
            changed = true;
        }
    }
    let mut derived: Vec<CellStatus> = (0..complement.len())
        .map(|cell| difference_status(link, statuses, cell))
        .collect();
    // Only a sensitive difference needs width; the others are company.
    let required = |cell: usize, _| complement.protection(cell);
    for relation in relations {
        while let Some(gap) = relation_gap(complement, relation, &derived, &required) {
            match best_candidate(complement, relation, &derived, gap) {
                Some(candidate) => {
                    hide_difference(tables, link, statuses, candidate, ties);
                    derived[candidate] = CellStatus::Secondary;
                    changed = true;
                }
                None => break,
            }
        }
    }
    changed
}

/// Step 4's local half: a hidden cell's orders and links alone hold it between the largest shown
/// cell it is at least and the smallest it is at most, reached through hidden cells (a count that
/// only rises lies between the last shown month before its hidden run and the first after it; a
/// nested count is at most its whole). Where that leaves less than the cell's width, the run is
/// extended on the side that reaches the width with fewer cells hidden — here, to a fixpoint,
/// rather than a month per audit round. True when it suppressed anything.
fn secure_orders(context: &Context<'_>, statuses: &mut [Vec<CellStatus>], ties: &Ties) -> bool {
    let tables = context.tables;
    let mut changed = false;
    for table in (0..tables.len()).filter(|table| !context.is_complement(*table)) {
        let is_linked = context.is_linked(table);
        for cell in 0..tables[table].len() {
            let status = statuses[table][cell];
            if status == CellStatus::Published
                || !tables[table].is_available(cell)
                || !(is_linked || context.orders_of_cell.contains_key(&[table, cell]))
            {
                continue;
            }
            let required = required_width(tables[table], status, cell);
            while let Some(candidate) = order_candidate(context, statuses, [table, cell], required) {
                let [candidate_table, candidate_cell] = candidate;
                ties.hide(
                    tables[candidate_table],
                    candidate_table,
                    &mut statuses[candidate_table],
                    candidate_cell,
                );
                changed = true;
            }
        }
    }
    changed
}

/// Step 4's local half, with sums: a relation whose hidden cells have orders or links is solved
/// alone — its hidden cells within the bounds their orders give (see [`secure_orders`]), ordered
/// among themselves, adding up to what its shown cells leave. A month run of a count that only
/// rises, under a shown fiscal year, is pinned this way (the smallest month is at most the run's
/// sum over its length). Where a cell comes out narrower than its width, the relation's best
/// candidate is hidden, as in step 1. The audit's programs hold these constraints and more, so
/// whatever fails here fails there. True when it suppressed anything.
fn secure_ordered_relations(context: &Context<'_>, statuses: &mut [Vec<CellStatus>], ties: &Ties) -> bool {
    let tables = context.tables;
    let mut changed = false;
    for table in (0..tables.len()).filter(|table| !context.is_complement(*table)) {
        let is_linked = context.is_linked(table);
        for relation in &context.relations[table] {
            loop {
                let hidden: Vec<usize> = relation
                    .cells()
                    .filter(|cell| statuses[table][*cell] != CellStatus::Published)
                    .collect();
                let is_ordered = |cell: &usize| is_linked || context.orders_of_cell.contains_key(&[table, *cell]);
                if hidden.len() < 2 || !hidden.iter().any(is_ordered) {
                    break;
                }
                let Some(gap) = ordered_relation_gap(context, statuses, table, relation, &hidden) else {
                    break;
                };
                let Some(candidate) = best_candidate(tables[table], relation, &statuses[table], gap) else {
                    break;
                };
                ties.hide(tables[table], table, &mut statuses[table], candidate);
                changed = true;
            }
        }
    }
    changed
}

/// How much width the neediest hidden cell of a relation lacks when the relation is solved alone
/// with its cells' orders (see [`secure_ordered_relations`]), rounded up; None when none lacks any.
fn ordered_relation_gap(
    context: &Context<'_>,
    statuses: &[Vec<CellStatus>],
    table: usize,
    relation: &Relation,
    hidden: &[usize],
) -> Option<u64> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let values = context.tables[table].values();
    let ceiling = ceiling(values);
    let no_extra = std::collections::HashSet::new();
    let bounds: Vec<(f64, f64)> = hidden
        .iter()
        .map(|cell| {
            let bound =
                |upward| order_bound(context, statuses, &no_extra, [table, *cell], upward).map(|(v, _)| v as f64);
            (bound(false).unwrap_or(0.0), bound(true).unwrap_or(ceiling))
        })
        .collect();
    let position = |cell: usize| hidden.iter().position(|other| *other == cell);
    // The total minus its parts is zero: the shown cells go to the right-hand side.
    let coefficient = |cell: usize| if cell == relation.total { 1.0 } else { -1.0 };
    let right_hand_side: f64 = relation
        .cells()
        .filter(|cell| position(*cell).is_none())
        .map(|cell| -coefficient(cell) * values[cell] as f64)
        .sum();
    let solve = |objective: usize, direction| -> Option<f64> {
        let mut problem = Problem::new(direction);
        let variables: Vec<_> = (0..hidden.len())
            .map(|index| problem.add_var(if index == objective { 1.0 } else { 0.0 }, bounds[index]))
            .collect();
        let terms: Vec<_> = hidden
            .iter()
            .zip(&variables)
            .map(|(cell, variable)| (*variable, coefficient(*cell)))
            .collect();
        problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, right_hand_side);
        for (index, cell) in hidden.iter().enumerate() {
            for order in context
                .orders_of_cell
                .get(&[table, *cell])
                .map_or(&[][..], Vec::as_slice)
            {
                let [larger_table, larger] = order.larger;
                if order.smaller == [table, *cell]
                    && larger_table == table
                    && let Some(other) = position(larger)
                {
                    problem.add_constraint(
                        [(variables[index], 1.0), (variables[other], -1.0)],
                        ComparisonOp::Le,
                        0.0,
                    );
                }
            }
        }
        // Numerical trouble: the audit decides.
        Some(
            problem
                .solve()
                .ok()?
                .into_solution()
                .ok()?
                .var_value(variables[objective]),
        )
    };
    let status = &statuses[table];
    hidden
        .iter()
        .enumerate()
        .filter_map(|(index, cell)| {
            let required = required_width(context.tables[table], status[*cell], *cell) as f64;
            // Counts are integers: [2.5, 3.7] holds only 3 (the relaxation's width is not the
            // attacker's).
            let upper = integer_floor(solve(index, OptimizationDirection::Maximize)?);
            let lower = integer_ceiling(solve(index, OptimizationDirection::Minimize)?);
            let width = upper - lower;
            (width < required).then(|| (required - width).max(1.0) as u64)
        })
        .max()
}

/// The cell to hide so that a hidden cell's orders leave it its width, if they do not: its
/// nearest shown ceiling or floor, whichever side gets there with fewer cells hidden (the
/// ceiling on a tie, or when neither does: past the last ceiling nothing bounds it).
fn order_candidate(
    context: &Context<'_>,
    statuses: &[Vec<CellStatus>],
    cell: [usize; 2],
    required: u64,
) -> Option<[usize; 2]> {
    let no_extra = std::collections::HashSet::new();
    let floor = order_bound(context, statuses, &no_extra, cell, false);
    let lower = floor.map_or(0, |(value, _)| value);
    let (upper, ceiling_cell) = order_bound(context, statuses, &no_extra, cell, true)?;
    if upper.saturating_sub(lower) >= required {
        return None;
    }
    let hideable = |[table, other]: [usize; 2]| !context.tables[table].is_public(other);
    // How many cells of one side must be hidden to give the width: None when a public cell stops it.
    let cells_to_hide = |upward: bool| {
        let mut extra = std::collections::HashSet::new();
        loop {
            let bound = order_bound(context, statuses, &extra, cell, upward);
            let width = match (upward, bound) {
                (true, None) => return Some(extra.len()),
                (true, Some((value, _))) => value.saturating_sub(lower),
                (false, bound) => upper.saturating_sub(bound.map_or(0, |(value, _)| value)),
            };
            match bound {
                _ if width >= required => return Some(extra.len()),
                Some((value, other)) if hideable(other) && (upward || value > 0) => {
                    extra.insert(other);
                }
                _ => return None,
            }
        }
    };
    let floor_cell = floor.map(|(_, other)| other);
    match (cells_to_hide(true), cells_to_hide(false)) {
        (Some(up), Some(down)) if down < up => floor_cell,
        (Some(_), _) => Some(ceiling_cell),
        (None, Some(_)) => floor_cell,
        (None, None) => Some(ceiling_cell).filter(|other| hideable(*other)).or(floor
            .filter(|(value, other)| hideable(*other) && *value > 0)
            .map(|(_, other)| other)),
    }
}

/// The smallest shown cell a hidden cell is at most (`upward`), or the largest it is at least,
/// through orders between hidden cells (`extra` counts as hidden too); a public cell wins a tie
/// (it cannot be hidden). None when no shown cell bounds it that way.
fn order_bound(
    context: &Context<'_>,
    statuses: &[Vec<CellStatus>],
    extra: &std::collections::HashSet<[usize; 2]>,
    cell: [usize; 2],
    upward: bool,
) -> Option<(u64, [usize; 2])> {
    let tables = context.tables;
    let hidden =
        |[table, other]: [usize; 2]| statuses[table][other] != CellStatus::Published || extra.contains(&[table, other]);
    let mut seen = std::collections::HashSet::from([cell]);
    let mut stack = vec![cell];
    let mut best: Option<(u64, bool, [usize; 2])> = None;
    while let Some(current) = stack.pop() {
        let [current_table, current_cell] = current;
        let by_orders = (context
            .orders_of_cell
            .get(&current)
            .map_or(&[][..], Vec::as_slice)
            .iter())
        .filter_map(|order| match upward {
            true if order.smaller == current => Some(order.larger),
            false if order.larger == current => Some(order.smaller),
            _ => None,
        });
        // A nested count is at most its whole, cell by cell.
        let by_links = context.links.iter().filter_map(|link| match upward {
            true if link.subset == current_table => Some([link.superset, current_cell]),
            false if link.superset == current_table => Some([link.subset, current_cell]),
            _ => None,
        });
        for next in by_orders.chain(by_links) {
            let [table, other] = next;
            if !tables[table].is_available(other) || context.is_complement(table) || !seen.insert(next) {
                continue;
            }
            if hidden(next) {
                stack.push(next);
                continue;
            }
            let value = tables[table].value(other);
            // Upward the smallest value, downward the largest; then a public cell; then the lowest.
            let key = (
                if upward { value } else { u64::MAX - value },
                !tables[table].is_public(other),
                next,
            );
            if best.is_none_or(|best| key < best) {
                best = Some(key);
            }
        }
    }
    best.map(|(_, _, [table, other])| (tables[table].value(other), [table, other]))
}

/// A difference cell as the attacker sees it: `Primary` when sensitive and hidden, `Secondary`
/// when hidden, `Published` when both its counts are.
fn difference_status(link: &Within, statuses: &[Vec<CellStatus>], cell: usize) -> CellStatus {
    let hidden = |table: usize| statuses[table][cell] != CellStatus::Published;
    match (
        hidden(link.subset) || hidden(link.superset),
        statuses[link.complement][cell],
    ) {
        (false, _) => CellStatus::Published,
        (true, CellStatus::Primary) => CellStatus::Primary,
        (true, _) => CellStatus::Secondary,
    }
}

/// Hides a difference cell: its subset's count, else its superset's.
fn hide_difference(tables: &[&Table], link: &Within, statuses: &mut [Vec<CellStatus>], cell: usize, ties: &Ties) {
    let table = count_hiding_difference(tables, link, statuses, cell);
    ties.hide(tables[table], table, &mut statuses[table], cell);
}

/// The count to hide to hide a difference cell: its subset's, unless that is hidden already or
/// public.
fn count_hiding_difference(tables: &[&Table], link: &Within, statuses: &[Vec<CellStatus>], cell: usize) -> usize {
    if statuses[link.subset][cell] == CellStatus::Published && !tables[link.subset].is_public(cell) {
        link.subset
    } else {
        link.superset
    }
}

/// How much more suppressed value the relation needs for its neediest suppressed cell, if any;
/// `required` gives a suppressed cell's width by its status (None: it needs none).
fn relation_gap(
    table: &Table,
    relation: &Relation,
    status: &[CellStatus],
    required: &dyn Fn(usize, CellStatus) -> Option<u64>,
) -> Option<u64> {
    let suppressed: Vec<usize> = relation
        .cells()
        .filter(|cell| status[*cell] != CellStatus::Published)
        .collect();
    let total: u64 = suppressed.iter().map(|cell| table.value(*cell)).sum();
    suppressed
        .iter()
        .filter_map(|&cell| {
            let required = required(cell, status[cell])?;
            let own = table.value(cell);
            let others = total - own;
            let needed = required.saturating_sub(own).max(1);
            Some(needed.saturating_sub(others))
        })
        .max()
        .filter(|gap| *gap > 0)
}

/// The published cell of a relation whose suppression best closes a gap (a public cell cannot be
/// hidden).
fn best_candidate(table: &Table, relation: &Relation, status: &[CellStatus], gap: u64) -> Option<usize> {
    relation
        .cells()
        .filter(|cell| status[*cell] == CellStatus::Published && !table.is_public(*cell))
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
