//! A release whose counts follow regularities anyone can read off the published cells, attacked
//! by linear programs written here (not the audit's) that assume every one of them.

use kaigo_disclosure::{
    AreaUnit, CellStatus, Rules, Table,
    release::{Release, ReleaseSpec, SourceArea, SourceRows, protect_release},
};
use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};

const SPEC: &str = r#"
source = "fixture"
area_column = "insurer_number"
prefecture_column = "prefecture_code"
month_column = "month_key"
population_column = "insured_population"

[[counts]]
column = "n_providers"
unit = "providers"
ja = "事業所数"
en = "providers"
over_time = "constant"

[[counts]]
column = "n_providers_client_certificate"
unit = "providers"
ja = "クライアント証明書設定事業所数"
en = "providers with a client certificate"
within = "n_providers"
over_time = "non_decreasing"

[[counts]]
column = "n_certified"
unit = "persons"
ja = "認定者数"
en = "persons certified"

[[counts]]
column = "n_users"
unit = "persons"
ja = "利用者数"
en = "service users"
at_most = ["n_certified"]

[[counts]]
column = "n_provider_reported_users"
unit = "persons"
ja = "事業所報告利用者数"
en = "users as providers report them"
zero_unless_live = true
"#;

const MONTHS: [u32; 6] = [202611, 202612, 202701, 202702, 202703, 202704];

/// Five municipalities in two prefectures over six months, two fiscal years; four of 30,000
/// people (persons below 10 and providers below 3 are sensitive), 020001 of 1,500 (no person
/// counts at all):
/// - 010001 has a single provider, every month (constant: one hidden month would give the rest);
/// - 010002's certificates rise 1 → 2 (never falling: its neighbours bound a hidden month);
/// - 020001 is not live: no certificates, no users, and no users reported by providers — zeros
///   the public registry gives away, so published as 0 by rule though it shows no counts;
/// - users never exceed certified, and come close: 010003's 4 or 5 users (hidden) under its 12 or
///   13 certified, 010002's users one below its certified.
fn fixture() -> SourceRows {
    let providers = [[1; 6], [6; 6], [8; 6], [5; 6], [7; 6]];
    let certificates = [
        [0, 0, 1, 1, 1, 1],
        [1, 1, 2, 2, 2, 2],
        [3, 3, 4, 5, 5, 5],
        [0, 0, 0, 0, 0, 0],
        [4, 4, 4, 4, 5, 5],
    ];
    let certified = [
        [40, 42, 41, 45, 47, 50],
        [46, 48, 49, 47, 51, 53],
        [12, 12, 13, 12, 13, 12],
        [25, 26, 26, 27, 28, 29],
        [80, 82, 85, 84, 86, 90],
    ];
    let users = [
        [30, 31, 30, 33, 35, 36],
        [45, 47, 48, 46, 50, 52],
        [4, 5, 5, 4, 5, 4],
        [0, 0, 0, 0, 0, 0],
        [60, 61, 64, 62, 66, 70],
    ];
    let reported = [
        [20, 22, 25, 24, 26, 28],
        [30, 33, 31, 35, 36, 38],
        [10, 12, 11, 13, 12, 14],
        [0, 0, 0, 0, 0, 0],
        [40, 41, 43, 44, 47, 49],
    ];
    let codes = [
        ("010001", "01"),
        ("010002", "01"),
        ("010003", "01"),
        ("020001", "02"),
        ("020002", "02"),
    ];
    let grid = |values: [[u64; 6]; 5]| values.iter().map(|row| row.to_vec()).collect::<Vec<_>>();
    SourceRows {
        areas: codes
            .iter()
            .map(|(code, prefecture)| SourceArea {
                code: code.to_string(),
                prefecture: prefecture.to_string(),
                population: if *code == "020001" { 1_500 } else { 30_000 },
            })
            .collect(),
        months: MONTHS.to_vec(),
        counts: vec![
            grid(providers),
            grid(certificates),
            grid(certified),
            grid(users),
            grid(reported),
        ],
        unavailable_months: vec![Vec::new(); 5],
        live: codes.iter().map(|(code, _)| vec![*code != "020001"; 6]).collect(),
    }
}

/// What the attacker found for one hidden cell or difference.
struct Found {
    what: String,
    lower: f64,
    upper: f64,
    required: u64,
}

impl Found {
    /// Narrower than required between the integers it holds: the attacker knows counts are
    /// integers.
    fn is_narrowed(&self) -> bool {
        (self.upper + 1e-6).floor() - (self.lower - 1e-6).ceil() < self.required as f64
    }
}

/// Every hidden cell's and every sensitive difference's interval, given the published cells,
/// every total, `within` and `at_most` at every cell, each count's month-to-month regularity in
/// every municipality — assumed everywhere, not only where the data keeps it — and the zeros the
/// registry implies.
fn attack(release: &Release, spec: &ReleaseSpec, source: &SourceRows, rules: &Rules) -> Vec<Found> {
    let indicators: Vec<(&Table, Vec<CellStatus>)> = release
        .indicators()
        .map(|(_, table, protection)| (table, protection.status.clone()))
        .collect();
    let index_of = |column: &str| spec.counts.iter().position(|count| count.column == column).unwrap();
    let (area, period) = (&indicators[0].0.dimensions()[0], &indicators[0].0.dimensions()[1]);
    let municipalities: Vec<usize> = (0..area.len()).filter(|node| area.is_leaf(*node)).collect();
    let months: Vec<usize> = MONTHS
        .iter()
        .map(|month| period.index_of(&month.to_string()).unwrap())
        .collect();
    let unit_of_area = |node: usize| match source
        .areas
        .iter()
        .find(|source_area| source_area.code == area.code(node))
    {
        Some(source_area) => AreaUnit::Municipality {
            population: source_area.population,
        },
        None => AreaUnit::Wider,
    };
    let is_structural_zero = |count: usize, cell: usize| {
        let [area_node, period_node] = indicators[count].0.coordinates(cell)[..] else {
            unreachable!()
        };
        let not_live = |source_area: usize, month_node: usize| {
            let month: u32 = period.code(month_node).parse().unwrap();
            let month = source.months.iter().position(|m| *m == month).unwrap();
            !source.live[source_area][month]
        };
        let Some(source_area) = source.areas.iter().position(|a| a.code == area.code(area_node)) else {
            return false;
        };
        let months: Vec<usize> = match period.children(period_node) {
            [] => vec![period_node],
            months => months.to_vec(),
        };
        spec.counts[count].zero_unless_live && months.iter().all(|month| not_live(source_area, *month))
    };

    let solve = |objective: &[(usize, usize, f64)], direction: OptimizationDirection| -> f64 {
        let mut problem = Problem::new(direction);
        let variables: Vec<Vec<Variable>> = indicators
            .iter()
            .enumerate()
            .map(|(count, (table, status))| {
                (0..table.len())
                    .map(|cell| {
                        let weight: f64 = objective
                            .iter()
                            .filter(|(c, k, _)| *c == count && *k == cell)
                            .map(|(_, _, weight)| weight)
                            .sum();
                        let value = i32::try_from(table.value(cell)).unwrap();
                        let bounds = match status[cell] {
                            CellStatus::Published if table.is_available(cell) => (value, value),
                            _ if is_structural_zero(count, cell) => (0, 0),
                            _ => (0, 1_000_000),
                        };
                        // Integer programs: the issue's attacker solved them, and they can be
                        // narrower than the audit's linear ones rounded in.
                        problem.add_integer_var(weight, bounds)
                    })
                    .collect()
            })
            .collect();
        for (count, (table, _)) in indicators.iter().enumerate() {
            let v = &variables[count];
            // Totals over areas and over fiscal years, written from the hierarchies.
            for (axis, hierarchy) in [area, period].into_iter().enumerate() {
                for node in 0..hierarchy.len() {
                    let children = hierarchy.children(node);
                    if children.is_empty() {
                        continue;
                    }
                    let other = if axis == 0 { period } else { area };
                    for fixed in 0..other.len() {
                        let at = |n: usize| {
                            if axis == 0 {
                                table.cell(&[n, fixed])
                            } else {
                                table.cell(&[fixed, n])
                            }
                        };
                        let mut terms = vec![(v[at(node)], 1.0)];
                        terms.extend(children.iter().map(|child| (v[at(*child)], -1.0)));
                        problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, 0.0);
                    }
                }
            }
            let count_spec = &spec.counts[count];
            let mut at_most: Vec<usize> = count_spec.at_most.iter().map(|name| index_of(name)).collect();
            at_most.extend(count_spec.within.iter().map(|name| index_of(name)));
            for larger in at_most {
                for cell in 0..table.len() {
                    problem.add_constraint([(v[cell], 1.0), (variables[larger][cell], -1.0)], ComparisonOp::Le, 0.0);
                }
            }
            if let Some(over_time) = count_spec.over_time {
                for municipality in &municipalities {
                    for pair in months.windows(2) {
                        let (earlier, later) = (
                            table.cell(&[*municipality, pair[0]]),
                            table.cell(&[*municipality, pair[1]]),
                        );
                        let comparison = match over_time {
                            kaigo_disclosure::release::OverTime::NonDecreasing => ComparisonOp::Le,
                            kaigo_disclosure::release::OverTime::Constant => ComparisonOp::Eq,
                        };
                        problem.add_constraint([(v[earlier], 1.0), (v[later], -1.0)], comparison, 0.0);
                    }
                }
            }
        }
        let solution = problem.solve().expect("the true table is feasible");
        solution.into_solution().expect("not interrupted").objective()
    };

    let mut found = Vec::new();
    let name = |count: usize, cell: usize| {
        let coordinates = indicators[count].0.coordinates(cell);
        format!(
            "{} {} {}",
            spec.counts[count].column,
            area.code(coordinates[0]),
            period.code(coordinates[1])
        )
    };
    for (count, (table, status)) in indicators.iter().enumerate() {
        for cell in 0..table.len() {
            if status[cell] == CellStatus::Published || !table.is_available(cell) {
                continue;
            }
            let objective = [(count, cell, 1.0)];
            found.push(Found {
                what: name(count, cell),
                lower: solve(&objective, OptimizationDirection::Minimize),
                upper: solve(&objective, OptimizationDirection::Maximize),
                required: table.protection(cell).unwrap_or(1),
            });
        }
    }
    // A difference of nested counts is a count the rules protect too.
    for (subset, count_spec) in spec.counts.iter().enumerate() {
        let Some(within) = &count_spec.within else { continue };
        let superset = index_of(within);
        let table = indicators[subset].0;
        for cell in 0..table.len() {
            let difference = indicators[superset].0.value(cell) - table.value(cell);
            let unit = unit_of_area(table.coordinates(cell)[0]);
            let Some(required) = rules.primary_protection(spec.counts[superset].unit, unit, difference) else {
                continue;
            };
            let objective = [(superset, cell, 1.0), (subset, cell, -1.0)];
            found.push(Found {
                what: format!("{} − {}", name(superset, cell), spec.counts[subset].column),
                lower: solve(&objective, OptimizationDirection::Minimize),
                upper: solve(&objective, OptimizationDirection::Maximize),
                required,
            });
        }
    }
    found
}

#[test]
fn an_attacker_who_assumes_every_regularity_recovers_no_cell() {
    let spec = ReleaseSpec::parse(SPEC, "fixture").unwrap();
    let rules = Rules::default();
    let source = fixture();
    let release = protect_release(&spec, &source, &rules).unwrap();
    let found = attack(&release, &spec, &source, &rules);
    assert!(found.len() > 20, "the fixture has cells to hide: {}", found.len());
    let narrowed: Vec<&Found> = found.iter().filter(|found| found.is_narrowed()).collect();
    let narrowed: Vec<String> = narrowed
        .iter()
        .map(|found| {
            format!(
                "{} in [{}, {}], needs {}",
                found.what, found.lower, found.upper, found.required
            )
        })
        .collect();
    assert!(narrowed.is_empty(), "{narrowed:#?}");
    // Not sensitive, but hidden for a regularity: 010001's providers in FY2026 (5, over five
    // months that never change, would give each back).
    let (_, table, protection) = release
        .indicators()
        .find(|(count, _, _)| count.column == "n_providers")
        .unwrap();
    let [area, period] = table.dimensions() else {
        unreachable!()
    };
    let fiscal_year = table.cell(&[area.index_of("010001").unwrap(), period.index_of("FY2026").unwrap()]);
    assert_eq!(protection.status[fiscal_year], CellStatus::Secondary);

    // Protected as if no regularity held, the same release gives the attacker 010001's single
    // provider in every month, and narrows 010002's certificates around their rise.
    let naive = [
        "over_time = \"constant\"",
        "over_time = \"non_decreasing\"",
        "at_most = [\"n_certified\"]",
    ]
    .iter()
    .fold(SPEC.to_string(), |spec, declared| spec.replace(declared, ""));
    let naive = protect_release(&ReleaseSpec::parse(&naive, "naive").unwrap(), &source, &rules).unwrap();
    let narrowed: Vec<String> = attack(&naive, &spec, &source, &rules)
        .into_iter()
        .filter(|found| found.is_narrowed())
        .map(|found| found.what)
        .collect();
    for month in MONTHS {
        assert!(
            narrowed.contains(&format!("n_providers 010001 {month}")),
            "{narrowed:?}"
        );
    }
    assert!(narrowed.contains(&"n_providers_client_certificate 010002 202611".to_string()));
    // 020001 shows no counts, except the zeros the registry gives away, published as such.
    let cells = release.cells();
    let shown = |indicator: &str, period_key: u32| {
        let cell = cells
            .iter()
            .find(|cell| cell.indicator == indicator && cell.area_code == "020001" && cell.period_key == period_key)
            .unwrap();
        cell.display.clone()
    };
    for month in MONTHS {
        assert_eq!(shown("n_provider_reported_users", month), "0");
        assert_eq!(shown("n_users", month), "―");
        assert_eq!(shown("n_certified", month), "―");
    }
    assert_eq!(shown("n_provider_reported_users", 2026), "0");
}

#[test]
fn the_release_says_which_relations_its_audit_held() {
    let spec = ReleaseSpec::parse(SPEC, "fixture").unwrap();
    let release = protect_release(&spec, &fixture(), &Rules::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = kaigo_disclosure::release::write(&release, dir.path(), "fixture", 0, None).unwrap();
    let relations = |column: &str| {
        report
            .indicators
            .iter()
            .find(|indicator| indicator.indicator == column)
            .unwrap()
            .relations
            .clone()
    };
    // 5 municipalities × 5 month-to-month pairs; 5 × 6 municipality-months.
    assert_eq!(
        relations("n_providers_client_certificate"),
        [
            "totals over areas and fiscal years",
            "within n_providers, and the difference protected as a count",
            "never falls month to month, in 25 of 25 municipality-month pairs",
        ]
    );
    assert_eq!(
        relations("n_providers"),
        [
            "totals over areas and fiscal years",
            "never changes month to month, in 25 of 25 municipality-month pairs",
        ]
    );
    assert_eq!(
        relations("n_users"),
        [
            "totals over areas and fiscal years",
            "at most n_certified, in 30 of 30 municipality-months",
        ]
    );
    assert_eq!(
        relations("n_provider_reported_users"),
        [
            "totals over areas and fiscal years",
            "0 where the public registry says the insurer is not live, published as such: 6 municipality-months",
        ]
    );
}
