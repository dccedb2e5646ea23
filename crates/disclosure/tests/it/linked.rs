//! Counts that nest (level 3+ within certified) published side by side: the attack through the
//! inequality between them, computed by hand, and properties over random nested tables.

use kaigo_disclosure::{
    AreaUnit, CellStatus, CountUnit, Hierarchy, Rules, Table, Within, audit, audit_linked_exact, protect,
    protect_linked,
};
use proptest::prelude::*;

const LEVEL_3_PLUS_WITHIN_CERTIFIED: Within = Within { subset: 1, superset: 0 };

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

/// Certified A, B, C = 5, 30, 40 and at level 3+ 0, 28, 20. Alone, certified hides A (5) and B
/// (30): A + B = 35 leaves A anywhere in [0, 35]. Level 3+ has no sensitive cell and publishes
/// B = 28 — so certified B ≥ 28, and certified A = 35 − B ∈ [0, 7]: narrower than 10.
#[test]
fn a_published_subset_count_floors_a_hidden_superset_cell() {
    let certified = prefecture([5, 30, 40]);
    let level_3_plus = prefecture([0, 28, 20]);
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

    let tables = [&certified, &level_3_plus];
    let patterns = [alone[0].status.as_slice(), alone[1].status.as_slice()];
    let attack = audit_linked_exact(&tables, &patterns, &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).unwrap();
    let exposed: Vec<_> = attack.failures().collect();
    assert_eq!(exposed.len(), 1);
    assert_eq!((exposed[0].table, exposed[0].cell), (0, 1));
    assert_eq!((exposed[0].lower, exposed[0].upper), (0.0, 7.0));

    let linked = protect_linked(&tables, &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).unwrap();
    let patterns = [linked[0].status.as_slice(), linked[1].status.as_slice()];
    let rerun = audit_linked_exact(&tables, &patterns, &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).unwrap();
    assert!(rerun.passed(), "{:?}", rerun.failures().collect::<Vec<_>>());
    assert_eq!(linked[0].status[1], CellStatus::Primary);
}

/// Certified A, B, C = 10, 30, 40 (nothing sensitive) and at level 3+ 9, 25, 30. Alone, level 3+
/// hides A (9) and B (25): A + B = 34, A ∈ [0, 34]. With certified published, A ≤ 10 and
/// B ≤ 30, so A = 34 − B ≥ 4: A ∈ [4, 10], narrower than 10.
#[test]
fn a_published_superset_count_ceils_a_hidden_subset_cell() {
    let certified = prefecture([10, 30, 40]);
    let level_3_plus = prefecture([9, 25, 30]);
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

    let tables = [&certified, &level_3_plus];
    let patterns = [alone[0].status.as_slice(), alone[1].status.as_slice()];
    let attack = audit_linked_exact(&tables, &patterns, &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).unwrap();
    let exposed: Vec<_> = attack
        .failures()
        .map(|interval| (interval.table, interval.cell, interval.lower, interval.upper))
        .collect();
    assert_eq!(exposed, [(1, 1, 4.0, 10.0)]);

    let linked = protect_linked(&tables, &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).unwrap();
    let patterns = [linked[0].status.as_slice(), linked[1].status.as_slice()];
    assert!(
        audit_linked_exact(&tables, &patterns, &[LEVEL_3_PLUS_WITHIN_CERTIFIED])
            .unwrap()
            .passed()
    );
    // The ceiling was the published certified count of A: it is hidden now.
    assert_eq!(linked[0].status[1], CellStatus::Secondary);
}

#[test]
fn links_must_join_two_tables_of_one_shape() {
    let certified = prefecture([10, 30, 40]);
    let status = vec![CellStatus::Published; certified.len()];
    let tables = [&certified];
    let to_itself = Within { subset: 0, superset: 0 };
    assert!(audit_linked_exact(&tables, &[&status], &[to_itself]).is_err());
    assert!(audit_linked_exact(&tables, &[&status], &[LEVEL_3_PLUS_WITHIN_CERTIFIED]).is_err());
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
        let tables = [&superset, &subset];
        let links = [LEVEL_3_PLUS_WITHIN_CERTIFIED];
        let protections = protect_linked(&tables, &links).unwrap();
        for (table, protection) in tables.iter().zip(&protections) {
            for cell in 0..table.len() {
                if table.protection(cell).is_some() {
                    prop_assert_eq!(protection.status[cell], CellStatus::Primary);
                }
            }
        }
        let patterns = [protections[0].status.as_slice(), protections[1].status.as_slice()];
        let attack = audit_linked_exact(&tables, &patterns, &links).unwrap();
        prop_assert!(attack.passed(), "recoverable: {:?}", attack.failures().collect::<Vec<_>>());
        let again = protect_linked(&tables, &links).unwrap();
        prop_assert_eq!(&again[0].status, &protections[0].status);
        prop_assert_eq!(&again[1].status, &protections[1].status);
    }
}
