//! Suppression patterns and audit intervals on hand-computed tables, and properties over random
//! hierarchical tables.

use kaigo_disclosure::{
    AreaUnit, AuditReport, CellInterval, CellStatus, CountUnit, Hierarchy, Order, Rules, Table, audit,
    audit::audit_linked_from, audit_exact, audit_linked, audit_linked_exact, primary_pattern, protect, protect_linked,
};
use proptest::prelude::*;

/// A prefecture P of municipalities A, B, C × fiscal year FY of months m1, m2.
fn prefecture_by_months(values: [[u64; 2]; 3]) -> Table {
    let mut area = Hierarchy::new("area");
    let prefecture = area.add("P", None).unwrap();
    for code in ["A", "B", "C"] {
        area.add(code, Some(prefecture)).unwrap();
    }
    let mut period = Hierarchy::new("period");
    let year = period.add("FY", None).unwrap();
    period.add("m1", Some(year)).unwrap();
    period.add("m2", Some(year)).unwrap();
    let mut table = Table::new(vec![area, period]).unwrap();
    for (row, months) in values.iter().enumerate() {
        for (column, value) in months.iter().enumerate() {
            table.set(&[row + 1, column + 1], *value);
        }
    }
    table.aggregate();
    let rules = Rules::default();
    table.apply_rule(|_, value| rules.primary_protection(CountUnit::Persons, AreaUnit::Wider, value));
    table
}

/// The hidden cells of a pattern, with their status.
fn hidden(status: &[CellStatus]) -> Vec<(usize, CellStatus)> {
    (status.iter().enumerate())
        .filter(|(_, status)| **status != CellStatus::Published)
        .map(|(cell, status)| (cell, *status))
        .collect()
}

fn cell(table: &Table, area: &str, period: &str) -> usize {
    let dimensions = table.dimensions();
    table.cell(&[
        dimensions[0].index_of(area).unwrap(),
        dimensions[1].index_of(period).unwrap(),
    ])
}

/// The regularity "these areas' counts never change": each area's two months ordered both ways.
fn constant_rows(table: &Table, areas: &[&str]) -> Vec<Order> {
    areas
        .iter()
        .flat_map(|area| {
            let (m1, m2) = (cell(table, area, "m1"), cell(table, area, "m2"));
            [(m1, m2), (m2, m1)].map(|(smaller, larger)| Order {
                smaller: [0, smaller],
                larger: [0, larger],
            })
        })
        .collect()
}

/// The audit's interval of a hidden cell.
fn interval_of(report: &AuditReport, cell: usize) -> &CellInterval {
    report.intervals.iter().find(|interval| interval.cell == cell).unwrap()
}

#[test]
fn totals_are_sums_at_every_level() {
    let table = prefecture_by_months([[3, 25], [30, 40], [50, 60]]);
    assert_eq!(table.value(cell(&table, "A", "FY")), 28);
    assert_eq!(table.value(cell(&table, "P", "m1")), 83);
    assert_eq!(table.value(cell(&table, "P", "FY")), 208);
    // P over A–C for FY, m1 and m2; FY over m1 and m2 for P, A, B and C.
    assert_eq!(table.relations().len(), 3 + 4);
}

/// Hand-computed: A-m1 = 3 is the only sensitive cell. Primary suppression alone gives it away
/// (83 − 30 − 50). The pattern closes a 2 × 2 rectangle A/B × m1/m2, and the attacker can only
/// say A-m1 = t with t ∈ [0, 28] (B-m1 = 33 − t ≥ 0, A-m2 = 28 − t ≥ 0, B-m2 = 37 + t).
#[test]
fn a_single_sensitive_cell_is_recovered_unless_a_rectangle_protects_it() {
    let table = prefecture_by_months([[3, 25], [30, 40], [50, 60]]);
    let sensitive = cell(&table, "A", "m1");

    let primary = primary_pattern(&table);
    let find = |report: &kaigo_disclosure::AuditReport| {
        let found = report.intervals.iter().find(|interval| interval.cell == sensitive);
        found.unwrap().clone()
    };
    let exposed = find(&audit_exact(&table, &primary).unwrap());
    assert_eq!((exposed.lower, exposed.upper), (3.0, 3.0), "the total minus the others");
    // The proof stops once it has bounds too narrow for the protection, around the exact ones.
    let attack = audit(&table, &primary).unwrap();
    let narrowed = find(&attack);
    assert!(!attack.passed() && !narrowed.is_protected());
    assert!(narrowed.lower <= 3.0 && narrowed.upper >= 3.0 && !narrowed.is_exact);

    let protection = protect(&table).unwrap();
    let suppressed = hidden(&protection.status);
    assert_eq!(
        suppressed,
        vec![
            (cell(&table, "A", "m1"), CellStatus::Primary),
            (cell(&table, "A", "m2"), CellStatus::Secondary),
            (cell(&table, "B", "m1"), CellStatus::Secondary),
            (cell(&table, "B", "m2"), CellStatus::Secondary),
        ]
    );
    let exact = audit_exact(&table, &protection.status).unwrap();
    let interval = |area, period| {
        let target = cell(&table, area, period);
        let found = exact.intervals.iter().find(|interval| interval.cell == target).unwrap();
        (found.lower.round(), found.upper.round())
    };
    assert_eq!(interval("A", "m1"), (0.0, 28.0));
    assert_eq!(interval("B", "m1"), (5.0, 33.0));
    assert_eq!(interval("A", "m2"), (0.0, 28.0));
    assert_eq!(interval("B", "m2"), (37.0, 65.0));
    assert!(protection.audit.passed());
}

/// The same table with m2 not available (a month the data does not reach: its cells and FY's
/// show "…"). Only P-m1 = A + B + C is left to the attacker, so one companion protects A-m1
/// (A-m1 + B-m1 = 83 − 50: each in [0, 33]), and no cell not available is hidden or bounds
/// anything, though all of them are stored as 0 or as the known months' sum.
#[test]
fn a_month_not_available_is_in_no_relation_and_never_hidden() {
    let mut table = prefecture_by_months([[3, 0], [30, 0], [50, 0]]);
    for area in ["P", "A", "B", "C"] {
        for period in ["m2", "FY"] {
            let target = cell(&table, area, period);
            table.set_unavailable(target);
        }
    }
    assert!(!table.is_available(cell(&table, "A", "FY")) && table.is_available(cell(&table, "A", "m1")));
    assert_eq!(
        table.protection(cell(&table, "A", "FY")),
        None,
        "A-FY = 3 is not published"
    );
    assert_eq!(table.relations().len(), 1);

    let protection = protect(&table).unwrap();
    let suppressed = hidden(&protection.status);
    assert_eq!(
        suppressed,
        vec![
            (cell(&table, "A", "m1"), CellStatus::Primary),
            (cell(&table, "B", "m1"), CellStatus::Secondary),
        ]
    );
    let exact = audit_exact(&table, &protection.status).unwrap();
    let bounds: Vec<(usize, f64, f64)> = exact
        .intervals
        .iter()
        .map(|interval| (interval.cell, interval.lower.round(), interval.upper.round()))
        .collect();
    assert_eq!(
        bounds,
        vec![
            (cell(&table, "A", "m1"), 0.0, 33.0),
            (cell(&table, "B", "m1"), 0.0, 33.0),
        ]
    );
}

/// Two small cells in one row: "at least two suppressed per total" holds, yet their sum is
/// published (53 − 50 = 3), so each lies in [0, 3] — narrower than the 10 the rule protects.
/// The audit catches it; secondary suppression adds the 50.
#[test]
fn two_small_cells_protecting_each_other_are_not_enough() {
    let mut area = Hierarchy::new("area");
    let prefecture = area.add("P", None).unwrap();
    for code in ["A", "B", "C"] {
        area.add(code, Some(prefecture)).unwrap();
    }
    let mut table = Table::new(vec![area]).unwrap();
    for (node, value) in [(1, 1), (2, 2), (3, 50)] {
        table.set(&[node], value);
    }
    table.aggregate();
    table.apply_rule(|_, value| (value > 0 && value < 10).then_some(10));

    let attack = audit_exact(&table, &primary_pattern(&table)).unwrap();
    let widths: Vec<f64> = attack
        .intervals
        .iter()
        .map(|interval| interval.upper - interval.lower)
        .collect();
    assert_eq!(widths, vec![3.0, 3.0]);
    assert_eq!(attack.failures().count(), 2);

    let protection = protect(&table).unwrap();
    assert_eq!(protection.status[3], CellStatus::Secondary);
    assert_eq!(protection.status[0], CellStatus::Published, "the total stays");
    assert!(protection.audit.passed());
}

/// A municipality under 2,000 people shows nothing, even a zero or a large count.
#[test]
fn a_small_municipality_is_hidden_whole_and_its_total_cannot_give_it_away() {
    let rules = Rules::default();
    let table = {
        let mut table = prefecture_by_months([[0, 120], [300, 310], [400, 420]]);
        let small = table.dimensions()[0].index_of("A").unwrap();
        table.apply_rule(|coordinates, value| {
            let area = if coordinates[0] == small {
                AreaUnit::Municipality { population: 1_500 }
            } else {
                AreaUnit::Wider
            };
            rules.primary_protection(CountUnit::Persons, area, value)
        });
        table
    };
    let protection = protect(&table).unwrap();
    for period in ["FY", "m1", "m2"] {
        assert_eq!(
            protection.status[cell(&table, "A", period)],
            CellStatus::Primary,
            "A {period}"
        );
    }
    assert!(protection.audit.passed());
}

/// Hand-computed: A (3 a month) and B (30) never change month to month, and the attacker knows
/// it; C (25, then 40) does change. Company month by month would hide C-m1 for A-m1 (25 is the
/// smallest that closes the gap), B-m2 for A-m2 and B-FY for A-FY, and then B-m1 = 30 shown
/// gives B-m2 and A-m2 back (without classes the protection ended hiding all 12 cells, P's too).
/// Hidden as classes, A's and B's rows go whole: A + B = 33 each month leaves A-m1 anywhere in
/// [0, 33], and P's row stays shown.
#[test]
fn a_count_that_never_changes_is_hidden_a_whole_row_at_a_time() {
    let table = prefecture_by_months([[3, 3], [30, 30], [25, 40]]);
    let constant = |area: &str| {
        let (m1, m2) = (cell(&table, area, "m1"), cell(&table, area, "m2"));
        [
            Order {
                smaller: [0, m1],
                larger: [0, m2],
            },
            Order {
                smaller: [0, m2],
                larger: [0, m1],
            },
        ]
    };
    let orders: Vec<Order> = ["A", "B"].into_iter().flat_map(constant).collect();
    let protection = protect_linked(&[&table], &[], &orders).unwrap().remove(0);
    let is_hidden = |area: &str, period: &str| protection.status[cell(&table, area, period)] != CellStatus::Published;
    for period in ["FY", "m1", "m2"] {
        assert!(is_hidden("A", period) && is_hidden("B", period), "A and B {period}");
        assert!(!is_hidden("P", period), "P {period}");
    }
    let exact = audit_linked_exact(&[&table], &[&protection.status], &[], &orders).unwrap();
    assert!(exact.passed());
    let a_m1 = interval_of(&exact, cell(&table, "A", "m1"));
    assert_eq!((a_m1.lower, a_m1.upper), (0.0, 33.0));
}

/// Hand-computed: A (3 a month) and B (30) never change, and the attacker knows it. Hiding both
/// rows' months but not their fiscal years is no protection: A-FY = 6 is twice A's month, so
/// A-m1 = A-m2 = 3, and B's are 30 (the audit holds each row as one unknown, its fiscal year as
/// twice it). Without the regularity, A-m1 is anywhere in [0, 6].
#[test]
fn a_constant_row_under_a_shown_fiscal_year_is_pinned() {
    let table = prefecture_by_months([[3, 3], [30, 30], [25, 40]]);
    let mut status = vec![CellStatus::Published; table.len()];
    for (area, month, hidden) in [
        ("A", "m1", CellStatus::Primary),
        ("A", "m2", CellStatus::Primary),
        ("B", "m1", CellStatus::Secondary),
        ("B", "m2", CellStatus::Secondary),
    ] {
        status[cell(&table, area, month)] = hidden;
    }
    let orders = constant_rows(&table, &["A", "B"]);
    let proven = audit_linked(&[&table], &[&status], &[], &orders).unwrap();
    let exact = audit_linked_exact(&[&table], &[&status], &[], &orders).unwrap();
    assert_eq!((proven.intervals.len(), exact.intervals.len()), (4, 4));
    for (area, value) in [("A", 3.0), ("B", 30.0)] {
        for month in ["m1", "m2"] {
            let at = cell(&table, area, month);
            let interval = interval_of(&exact, at);
            assert_eq!((interval.lower, interval.upper), (value, value), "{area} {month}");
            // The proof stops at a relaxation that narrows the cell enough: it fails there too.
            assert!(!interval_of(&proven, at).is_protected(), "{area} {month}");
        }
    }
    let unordered = audit_linked_exact(&[&table], &[&status], &[], &[]).unwrap();
    let a_m1 = interval_of(&unordered, cell(&table, "A", "m1"));
    assert_eq!((a_m1.lower, a_m1.upper), (0.0, 6.0));
}

/// Hand-computed: providers A (1 a month) and B (0) never change; C is 0 then 1; only the
/// prefecture's fiscal year, P-FY = 3, is shown. So C-FY = 3 − 2 × (A's month + B's month): odd.
/// A linear program reaches C-FY = 0 at A's and B's months summing to 1.5, but counts are
/// integers: C-FY is 1 or 3, narrower than the 3 it needs (a provider count below 3).
#[test]
fn a_cell_kept_wide_only_by_fractional_tables_fails() {
    let mut table = prefecture_by_months([[1, 1], [0, 0], [0, 1]]);
    let rules = Rules::default();
    table.apply_rule(|_, value| rules.primary_protection(CountUnit::Providers, AreaUnit::Wider, value));
    let c_fiscal_year = cell(&table, "C", "FY");
    assert_eq!(table.value(cell(&table, "P", "FY")), 3);
    let mut status = vec![CellStatus::Published; table.len()];
    for area in ["A", "B", "C"] {
        for period in ["FY", "m1", "m2"] {
            status[cell(&table, area, period)] = CellStatus::Secondary;
        }
    }
    for period in ["m1", "m2"] {
        status[cell(&table, "P", period)] = CellStatus::Secondary;
    }
    status[c_fiscal_year] = CellStatus::Primary;
    let orders = constant_rows(&table, &["A", "B"]);
    let exact = audit_linked_exact(&[&table], &[&status], &[], &orders).unwrap();
    let interval = interval_of(&exact, c_fiscal_year);
    assert_eq!((interval.lower, interval.upper, interval.required_width), (1.0, 3.0, 3));
    assert!(interval.is_exact);
    let proven = audit_linked(&[&table], &[&status], &[], &orders).unwrap();
    assert!(!interval_of(&proven, c_fiscal_year).is_protected());
    // A's month: 0 or 1, never the 1.5 of the linear program.
    let a_m1 = interval_of(&exact, cell(&table, "A", "m1"));
    assert_eq!((a_m1.lower, a_m1.upper), (0.0, 1.0));
}

/// Providers with a client certificate (they only rise, month to month) in a prefecture P of A
/// and B, five months, no fiscal year: A = 0, 0, 2, 3, 3 and B = 6, 6, 6, 6, 9.
///
/// A-m3 = 2 is below 3, so P-m3 = A-m3 + B-m3 needs company, and B-m3 is hidden (a part before
/// the total). B-m3 then lies between B-m2 = 6 and B-m4 = 6: pinned. Hiding B-m4 gives it
/// [6, 9]; hiding B-m2 and B-m1 would be two cells for the same. B-m4 needs company in P-m4:
/// A-m4 = 3. Now P-m3 = 8 with B-m3 at least 6 holds A-m3 to [0, 2], narrower than 3, so P-m3 is
/// hidden too. Hidden: A-m3, A-m4, B-m3, B-m4 and P-m3 — all before the first audit, which finds
/// A-m3 anywhere in [0, 3].
#[test]
fn a_rising_count_is_protected_along_its_months_before_the_audit() {
    let mut area = Hierarchy::new("area");
    let prefecture = area.add("P", None).unwrap();
    for code in ["A", "B"] {
        area.add(code, Some(prefecture)).unwrap();
    }
    let mut period = Hierarchy::new("period");
    let months = ["m1", "m2", "m3", "m4", "m5"];
    for month in months {
        period.add(month, None).unwrap();
    }
    let mut table = Table::new(vec![area, period]).unwrap();
    for (row, values) in [[0, 0, 2, 3, 3], [6, 6, 6, 6, 9]].iter().enumerate() {
        for (column, value) in values.iter().enumerate() {
            table.set(&[row + 1, column], *value);
        }
    }
    table.aggregate();
    let rules = Rules::default();
    table.apply_rule(|_, value| rules.primary_protection(CountUnit::Providers, AreaUnit::Wider, value));
    let orders: Vec<Order> = ["A", "B"]
        .into_iter()
        .flat_map(|area| {
            months.windows(2).map(|pair| Order {
                smaller: [0, cell(&table, area, pair[0])],
                larger: [0, cell(&table, area, pair[1])],
            })
        })
        .collect();
    let protection = protect_linked(&[&table], &[], &orders).unwrap().remove(0);
    let expected: Vec<(usize, CellStatus)> = [
        ("A", "m3", CellStatus::Primary),
        ("A", "m4", CellStatus::Secondary),
        ("B", "m3", CellStatus::Secondary),
        ("B", "m4", CellStatus::Secondary),
        ("P", "m3", CellStatus::Secondary),
    ]
    .into_iter()
    .map(|(area, month, status)| (cell(&table, area, month), status))
    .collect();
    let mut expected = expected;
    expected.sort_by_key(|(cell, _)| *cell);
    assert_eq!(hidden(&protection.status), expected);
    assert_eq!(protection.n_rounds, 1, "settled before the audit");
    let exact = audit_linked_exact(&[&table], &[&protection.status], &[], &orders).unwrap();
    assert!(exact.passed());
    let a_m3 = interval_of(&exact, cell(&table, "A", "m3"));
    assert_eq!((a_m3.lower, a_m3.upper), (0.0, 3.0));
}

/// Random tables: 1–3 prefectures of 1–4 municipalities (some under 2,000 people or in the
/// 2,000–24,999 band) × 1–2 fiscal years of 1–4 months, persons or providers.
fn random_table() -> impl Strategy<Value = Table> {
    (
        prop::collection::vec(prop::collection::vec((0u64..4, 0u64..60), 1..=4), 1..=3),
        prop::collection::vec(1usize..=4, 1..=2),
        any::<bool>(),
    )
        .prop_map(|(prefectures, years, providers)| {
            let mut area = Hierarchy::new("area");
            let nation = area.add("00", None).unwrap();
            let mut populations = vec![None];
            let mut leaves = Vec::new();
            for (p, municipalities) in prefectures.iter().enumerate() {
                let prefecture = area.add(format!("P{p}"), Some(nation)).unwrap();
                populations.push(None);
                for (m, (band, value)) in municipalities.iter().enumerate() {
                    let node = area.add(format!("P{p}M{m}"), Some(prefecture)).unwrap();
                    populations.push(Some([1_000, 10_000, 50_000, 50_000][*band as usize]));
                    leaves.push((node, *value));
                }
            }
            let mut period = Hierarchy::new("period");
            let mut months = Vec::new();
            for (y, n_months) in years.iter().enumerate() {
                let year = period.add(format!("FY{y}"), None).unwrap();
                for m in 0..*n_months {
                    months.push(period.add(format!("FY{y}M{m}"), Some(year)).unwrap());
                }
            }
            let mut table = Table::new(vec![area, period]).unwrap();
            for (index, (node, base)) in leaves.iter().enumerate() {
                for (offset, month) in months.iter().enumerate() {
                    // Vary by month around the municipality's base, small values included.
                    let value = (base * (offset as u64 + 1) + index as u64 * 7) % 60;
                    table.set(&[*node, *month], if value < 25 { value / 3 } else { value });
                }
            }
            table.aggregate();
            let rules = Rules::default();
            let unit = if providers {
                CountUnit::Providers
            } else {
                CountUnit::Persons
            };
            table.apply_rule(|coordinates, value| {
                let area = match populations[coordinates[0]] {
                    Some(population) => AreaUnit::Municipality { population },
                    None => AreaUnit::Wider,
                };
                rules.primary_protection(unit, area, value)
            });
            table
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// After suppression no shown cell breaks a rule, every sensitive cell is hidden, the audit
    /// (rerun independently) leaves each suppressed cell its protection, and a second run gives
    /// the same pattern.
    #[test]
    fn suppression_leaves_no_violation_and_no_recoverable_cell(table in random_table()) {
        let protection = protect(&table).unwrap();
        for cell in 0..table.len() {
            if table.protection(cell).is_some() {
                prop_assert_eq!(protection.status[cell], CellStatus::Primary);
            }
        }
        let rerun = audit(&table, &protection.status).unwrap();
        prop_assert!(rerun.passed(), "recoverable: {:?}", rerun.failures().collect::<Vec<_>>());
        prop_assert_eq!(rerun.intervals.len(), protection.status.iter().filter(|s| **s != CellStatus::Published).count());
        prop_assert_eq!(&protect(&table).unwrap().status, &protection.status);
        // The fast proof agrees with the exact programs on every pattern it passes.
        prop_assert!(audit_exact(&table, &protection.status).unwrap().passed());
    }
}

/// A random table with its sensitive cells and a random share of the others suppressed.
fn random_pattern() -> impl Strategy<Value = (Table, Vec<CellStatus>)> {
    random_table().prop_flat_map(|table| {
        let n_cells = table.len();
        (Just(table), prop::collection::vec(any::<bool>(), n_cells)).prop_map(|(table, hidden)| {
            let status = (0..table.len())
                .map(|cell| match (table.protection(cell), hidden[cell]) {
                    (Some(_), _) => CellStatus::Primary,
                    (None, true) => CellStatus::Secondary,
                    (None, false) => CellStatus::Published,
                })
                .collect();
            (table, status)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// On any pattern, protected or not, the proof (by blocks, then the whole component) and the
    /// exact programs agree on which cells are narrowed too far; the proof's interval lies within
    /// the exact one for a protected cell and around it for a narrowed one.
    #[test]
    fn the_proof_and_the_exact_programs_agree_on_every_cell((table, status) in random_pattern()) {
        let proof = audit(&table, &status).unwrap();
        let exact = audit_exact(&table, &status).unwrap();
        prop_assert_eq!(proof.intervals.len(), exact.intervals.len());
        for (found, exact) in proof.intervals.iter().zip(&exact.intervals) {
            prop_assert_eq!((found.table, found.cell), (exact.table, exact.cell));
            prop_assert_eq!(found.is_protected(), exact.is_protected(), "{:?} against {:?}", found, exact);
            let (inner, outer) = if found.is_protected() { (found, exact) } else { (exact, found) };
            prop_assert!(inner.lower >= outer.lower - 1e-6 && inner.upper <= outer.upper + 1e-6, "{:?} against {:?}", found, exact);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// A protection round's audit starts from the previous round's intervals (fewer cells were
    /// hidden then). Whatever that audit found — cells proven, cells narrowed by a relaxation —
    /// the next one decides every cell as the exact programs do.
    #[test]
    fn an_audit_from_an_earlier_round_agrees_with_the_exact_programs(
        ((table, status), published) in random_pattern().prop_flat_map(|(table, status)| {
            let n_cells = table.len();
            (Just((table, status)), prop::collection::vec(any::<bool>(), n_cells))
        })
    ) {
        // The earlier round: some of the cells hidden to protect others were still published.
        let earlier_status: Vec<CellStatus> = status
            .iter()
            .zip(&published)
            .map(|(status, published)| match (status, published) {
                (CellStatus::Secondary, true) => CellStatus::Published,
                (status, _) => *status,
            })
            .collect();
        let earlier = audit(&table, &earlier_status).unwrap();
        let proof = audit_linked_from(&[&table], &[&status], &[], &[], &earlier).unwrap();
        let exact = audit_exact(&table, &status).unwrap();
        prop_assert_eq!(proof.intervals.len(), exact.intervals.len());
        for (found, exact) in proof.intervals.iter().zip(&exact.intervals) {
            prop_assert_eq!(found.is_protected(), exact.is_protected(), "{:?} against {:?}", found, exact);
        }
    }
}
