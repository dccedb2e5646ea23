//! Counts that nest (level 3+ within certified) published side by side: the attacks through the
//! inequality and through the difference between them, computed by hand, and properties over
//! random nested tables.

use kaigo_disclosure::{
    AreaUnit, AuditReport, CellStatus, CountUnit, Hierarchy, Rules, Table, Within, audit, audit_linked_exact,
    primary_pattern, protect, protect_linked,
};
use proptest::prelude::*;

/// Tables: 0 certified, 1 level 3+, 2 certified below level 3 (the difference).
const LEVEL_3_PLUS_WITHIN_CERTIFIED: Within = Within {
    subset: 1,
    superset: 0,
    complement: 2,
};

/// The difference of two prefecture tables under the same rule.
fn difference(superset: &Table, subset: &Table) -> Table {
    let mut table = Table::difference(superset, subset).unwrap();
    let rules = Rules::default();
    table.apply_rule(|_, value| rules.primary_protection(CountUnit::Persons, AreaUnit::Wider, value));
    table
}

/// The attacker's exact programs on the three tables, certified and level 3+ published with
/// these patterns (the difference's are its sensitive cells).
fn attack(tables: &[&Table; 3], certified: &[CellStatus], level_3_plus: &[CellStatus]) -> AuditReport {
    let difference = primary_pattern(tables[2]);
    audit_linked_exact(
        tables,
        &[certified, level_3_plus, &difference],
        &[LEVEL_3_PLUS_WITHIN_CERTIFIED],
        &[],
    )
    .unwrap()
}

/// The cells an attack narrows too far: (table, cell, lower, upper).
fn narrowed(report: &AuditReport) -> Vec<(usize, usize, f64, f64)> {
    report
        .failures()
        .map(|interval| (interval.table, interval.cell, interval.lower, interval.upper))
        .collect()
}

/// Protects the three tables together; each one's pattern (the difference's is its primary one).
fn protect_nested(tables: &[&Table; 3]) -> Vec<Vec<CellStatus>> {
    let protections = protect_linked(tables, &[LEVEL_3_PLUS_WITHIN_CERTIFIED], &[]).unwrap();
    protections.into_iter().map(|protection| protection.status).collect()
}

/// A prefecture P of municipalities A, B, C, under the rule for wider areas (1–9 sensitive).
fn prefecture(values: [u64; 3]) -> Table {
    let mut area = Hierarchy::new("area");
    let prefecture = area.add("P", None).unwrap();
    for code in ["A", "B", "C"] {
        area.add(code, Some(prefecture)).unwrap();
    }
    let mut table = Table::new(vec![area]).unwrap();
    for (index, value) in values.iter().enumerate() {
        table.set(&[index + 1], *value);
    }
    table.aggregate();
    let rules = Rules::default();
    table.apply_rule(|_, value| rules.primary_protection(CountUnit::Persons, AreaUnit::Wider, value));
    table
}

/// Certified A, B, C = 25, 30, 40 and at level 3+ 20, 18, 20: nothing below 10 in either, so
/// alone each publishes everything — and certified minus level 3+ gives A's 5 persons certified
/// below level 3. Protected together, level 3+ hides A (the subset's count), then B (its relation
/// would give A back): A + B = 38 at level 3+ with A ≤ 25 and B ≤ 30 leaves A ∈ [8, 25], so the
/// difference 25 − A ∈ [0, 17], at least 10 wide.
#[test]
fn the_difference_of_two_published_counts_is_protected() {
    let certified = prefecture([25, 30, 40]);
    let level_3_plus = prefecture([20, 18, 20]);
    let below_level_3 = difference(&certified, &level_3_plus);
    assert_eq!(below_level_3.values(), [37, 5, 12, 20]);
    let tables = [&certified, &level_3_plus, &below_level_3];
    let alone = [protect(&certified).unwrap(), protect(&level_3_plus).unwrap()];
    assert!(
        alone
            .iter()
            .all(|protection| protection.count(CellStatus::Published) == 4)
    );

    let attacked = attack(&tables, &alone[0].status, &alone[1].status);
    assert_eq!(narrowed(&attacked), [(2, 1, 5.0, 5.0)]);

    let linked = protect_nested(&tables);
    use CellStatus::{Primary, Published, Secondary};
    assert_eq!(linked[0], [Published; 4]);
    assert_eq!(linked[1], [Published, Secondary, Secondary, Published]);
    assert_eq!(linked[2], [Published, Primary, Published, Published]);
    let rerun = attack(&tables, &linked[0], &linked[1]);
    assert!(rerun.passed());
    let difference_a = rerun
        .intervals
        .iter()
        .find(|interval| (interval.table, interval.cell) == (2, 1));
    assert_eq!(
        difference_a.map(|interval| (interval.lower, interval.upper)),
        Some((0.0, 17.0))
    );
}

/// Certified A, B, C = 5, 30, 40 and at level 3+ 0, 28, 20 (differences 5, 2, 20). Alone,
/// certified hides A (5) and B (30): A + B = 35 leaves A anywhere in [0, 35]. Level 3+ has no
/// sensitive cell and publishes B = 28 — so certified B ≥ 28, and certified A = 35 − B ∈ [0, 7]:
/// narrower than 10, and so are the differences A − 0 and B − 28.
#[test]
fn a_published_subset_count_floors_a_hidden_superset_cell() {
    let certified = prefecture([5, 30, 40]);
    let level_3_plus = prefecture([0, 28, 20]);
    let below_level_3 = difference(&certified, &level_3_plus);
    let alone = [protect(&certified).unwrap(), protect(&level_3_plus).unwrap()];
    assert_eq!(
        alone[0].status,
        [
            CellStatus::Published,
            CellStatus::Primary,
            CellStatus::Secondary,
            CellStatus::Published
        ]
    );
    assert_eq!(alone[1].count(CellStatus::Published), 4);
    assert!(audit(&certified, &alone[0].status).unwrap().passed());

    let tables = [&certified, &level_3_plus, &below_level_3];
    let attacked = attack(&tables, &alone[0].status, &alone[1].status);
    assert_eq!(
        narrowed(&attacked),
        [(0, 1, 0.0, 7.0), (2, 1, 0.0, 7.0), (2, 2, 0.0, 7.0)]
    );

    let linked = protect_nested(&tables);
    let rerun = attack(&tables, &linked[0], &linked[1]);
    assert!(rerun.passed(), "{:?}", rerun.failures().collect::<Vec<_>>());
    assert_eq!(linked[0][1], CellStatus::Primary);
}

/// Certified A, B, C = 10, 30, 40 (nothing sensitive) and at level 3+ 9, 25, 30 (differences 1,
/// 5, 10). Alone, level 3+ hides A (9) and B (25): A + B = 34, A ∈ [0, 34]. With certified
/// published, A ≤ 10 and B ≤ 30, so A = 34 − B ≥ 4: A ∈ [4, 10], narrower than 10; the
/// differences 10 − A and 30 − B are in [0, 6].
#[test]
fn a_published_superset_count_ceils_a_hidden_subset_cell() {
    let certified = prefecture([10, 30, 40]);
    let level_3_plus = prefecture([9, 25, 30]);
    let below_level_3 = difference(&certified, &level_3_plus);
    let alone = [protect(&certified).unwrap(), protect(&level_3_plus).unwrap()];
    assert_eq!(alone[0].count(CellStatus::Published), 4);
    assert_eq!(
        alone[1].status,
        [
            CellStatus::Published,
            CellStatus::Primary,
            CellStatus::Secondary,
            CellStatus::Published
        ]
    );

    let tables = [&certified, &level_3_plus, &below_level_3];
    let attacked = attack(&tables, &alone[0].status, &alone[1].status);
    assert_eq!(
        narrowed(&attacked),
        [(1, 1, 4.0, 10.0), (2, 1, 0.0, 6.0), (2, 2, 0.0, 6.0)]
    );

    let linked = protect_nested(&tables);
    assert!(attack(&tables, &linked[0], &linked[1]).passed());
    // The differences A (1) and B (5) hidden together leave only 6 of the 16 at P to share:
    // level 3+ C is hidden too, which lifts the floor under level 3+ A (64 − 30 − 40 < 0) and so
    // the ceiling over the difference A (10 − 0). Certified stays whole.
    use CellStatus::{Primary, Published, Secondary};
    assert_eq!(linked[0], [Published; 4]);
    assert_eq!(linked[1], [Published, Primary, Secondary, Secondary]);
}

#[test]
fn links_must_join_three_tables_of_one_shape_whose_values_add_up() {
    let certified = prefecture([10, 30, 40]);
    let level_3_plus = prefecture([9, 25, 30]);
    let status = vec![CellStatus::Published; certified.len()];
    let to_itself = Within {
        subset: 0,
        superset: 0,
        complement: 1,
    };
    assert!(audit_linked_exact(&[&certified, &level_3_plus], &[&status, &status], &[to_itself], &[]).is_err());
    let missing = [&certified, &level_3_plus];
    assert!(audit_linked_exact(&missing, &[&status, &status], &[LEVEL_3_PLUS_WITHIN_CERTIFIED], &[]).is_err());
    // A complement that is not the difference.
    let wrong = [&certified, &level_3_plus, &level_3_plus];
    assert!(
        audit_linked_exact(
            &wrong,
            &[&status, &status, &status],
            &[LEVEL_3_PLUS_WITHIN_CERTIFIED],
            &[]
        )
        .is_err()
    );
    // A subset above its superset has no difference.
    assert!(Table::difference(&level_3_plus, &certified).is_err());
}

/// Municipalities × months in one prefecture, a superset count and a subset of it taking a
/// share of each leaf.
fn random_nested_tables() -> impl Strategy<Value = (Table, Table)> {
    (prop::collection::vec(((0u64..80), (0u64..=100)), 2..=5), 1usize..=3).prop_map(|(municipalities, n_months)| {
        let build = |subset: bool| {
            let mut area = Hierarchy::new("area");
            let prefecture = area.add("P", None).unwrap();
            let mut period = Hierarchy::new("period");
            let year = period.add("FY", None).unwrap();
            let months: Vec<usize> = (0..n_months)
                .map(|m| period.add(format!("M{m}"), Some(year)).unwrap())
                .collect();
            let nodes: Vec<usize> = (0..municipalities.len())
                .map(|m| area.add(format!("M{m}"), Some(prefecture)).unwrap())
                .collect();
            let mut table = Table::new(vec![area, period]).unwrap();
            for (node, (base, share)) in nodes.iter().zip(&municipalities) {
                for (offset, month) in months.iter().enumerate() {
                    // Small values included: some months a third of the base.
                    let value = if (base + offset as u64).is_multiple_of(3) {
                        base / 3
                    } else {
                        *base
                    };
                    table.set(&[*node, *month], if subset { value * share / 100 } else { value });
                }
            }
            table.aggregate();
            let rules = Rules::default();
            table.apply_rule(|_, value| rules.primary_protection(CountUnit::Persons, AreaUnit::Wider, value));
            table
        };
        (build(false), build(true))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Protected together, nested tables hide every sensitive cell, keep every suppressed cell's
    /// protection against the joint attack (exact programs), and give the same patterns twice.
    #[test]
    fn linked_suppression_leaves_no_recoverable_cell((superset, subset) in random_nested_tables()) {
        let complement = difference(&superset, &subset);
        let tables = [&superset, &subset, &complement];
        let links = [LEVEL_3_PLUS_WITHIN_CERTIFIED];
        let protections = protect_linked(&tables, &links, &[]).unwrap();
        for (table, protection) in tables.iter().zip(&protections) {
            for cell in 0..table.len() {
                if table.protection(cell).is_some() {
                    prop_assert_eq!(protection.status[cell], CellStatus::Primary);
                }
            }
        }
        // A sensitive difference is hidden: one of its two counts is.
        for cell in 0..complement.len() {
            if complement.protection(cell).is_some() {
                prop_assert!(
                    protections[0].status[cell] != CellStatus::Published
                        || protections[1].status[cell] != CellStatus::Published
                );
            }
        }
        let patterns: Vec<&[CellStatus]> = protections.iter().map(|protection| protection.status.as_slice()).collect();
        let attack = audit_linked_exact(&tables, &patterns, &links, &[]).unwrap();
        prop_assert!(attack.passed(), "recoverable: {:?}", attack.failures().collect::<Vec<_>>());
        let again = protect_linked(&tables, &links, &[]).unwrap();
        for (again, first) in again.iter().zip(&protections) {
            prop_assert_eq!(&again.status, &first.status);
        }
    }
}
