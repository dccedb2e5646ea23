//! The release of a generated hub, attacked from its published files.

use std::{collections::BTreeMap, sync::OnceLock};

use arrow::array::{Array, AsArray};
use kaigo_codes::calendar::YearMonth;
use kaigo_disclosure::{
    AreaUnit, CellStatus, Order, Rules, Table, audit_linked,
    release::{OverTime, ReleaseReport, ReleaseSpec, SourceRows, protect_release, read_source, release, write},
};
use kaigo_fixtures::{BuiltWarehouse, Hub, built_warehouse};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_testkit::runtime;
use kaigo_warehouse::Warehouse;

struct Fixture {
    built: BuiltWarehouse,
    source: SourceRows,
    report: ReleaseReport,
}

/// 2,000 persons over 18 months (two fiscal years): loaded, linked, built and released once.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let hub = Hub {
            persons: 2_000,
            from: (2026, 4),
            to: (2027, 9),
            seed: 11,
        };
        let built = built_warehouse("disclosure", hub, &SecretKey::from_bytes([5; 32]));
        let runtime = runtime();
        let spec = ReleaseSpec::shipped();
        let report = runtime
            .block_on(release(&built.warehouse, &spec, &Rules::default()))
            .unwrap();
        let (source, _) = runtime.block_on(read_source(&built.warehouse, &spec)).unwrap();
        Fixture { built, source, report }
    })
}

/// One published row: (indicator, area code, period key) → (value, is suppressed, is unstable).
type Published = BTreeMap<(String, String, u32), (Option<f64>, bool, bool)>;

/// The batches of a published Parquet file.
fn read_published(warehouse: &Warehouse, file: &str) -> Vec<arrow::array::RecordBatch> {
    let file = std::fs::File::open(warehouse.root().join("publish").join(file)).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn published(warehouse: &Warehouse) -> Published {
    let mut rows = BTreeMap::new();
    for batch in read_published(warehouse, "cells.parquet") {
        let text = |name: &str| batch.column_by_name(name).unwrap().as_string::<i32>().clone();
        let (indicator, area) = (text("indicator"), text("area_code"));
        let period = batch
            .column_by_name("period_key")
            .unwrap()
            .as_primitive::<arrow::datatypes::UInt32Type>()
            .clone();
        let value = batch
            .column_by_name("value")
            .unwrap()
            .as_primitive::<arrow::datatypes::Float64Type>()
            .clone();
        let suppressed = batch.column_by_name("is_suppressed").unwrap().as_boolean().clone();
        let unstable = batch.column_by_name("is_unstable").unwrap().as_boolean().clone();
        for row in 0..batch.num_rows() {
            let key = (
                indicator.value(row).to_string(),
                area.value(row).to_string(),
                period.value(row),
            );
            let cell = (
                (!value.is_null(row)).then(|| value.value(row)),
                suppressed.value(row),
                unstable.value(row),
            );
            assert!(
                rows.insert(key, cell).is_none(),
                "one row per indicator, area and period"
            );
        }
    }
    rows
}

/// The attacker's view: the published files, the additive structure, the counts that nest, the
/// regularities the spec declares (where the data keeps them), and nothing else. For every count the cube is rebuilt from the warehouse model (the truth), the
/// suppression pattern is read from the files, and the audit's linear programs over all counts at
/// once must leave every hidden cell its protection.
#[test]
fn the_published_files_leave_no_cell_recoverable_and_break_no_rule() {
    let fixture = fixture();
    let published = published(&fixture.built.warehouse);
    let spec = ReleaseSpec::shipped();
    let rules = Rules::default();
    let truth = protect_release(&spec, &fixture.source, &rules).unwrap();
    let population: BTreeMap<&str, u64> = fixture
        .source
        .areas
        .iter()
        .map(|area| (area.code.as_str(), area.population))
        .collect();
    let mut n_suppressed = 0;
    let mut tables: Vec<&Table> = Vec::new();
    let mut patterns: Vec<Vec<CellStatus>> = Vec::new();
    for (count, table, _) in truth.indicators() {
        let [area, period] = table.dimensions() else {
            panic!("two dimensions")
        };
        let status: Vec<CellStatus> = (0..table.len())
            .map(|cell| {
                let coordinates = table.coordinates(cell);
                let (area_code, period_code) = (area.code(coordinates[0]), period.code(coordinates[1]));
                let period_key: u32 = period_code.trim_start_matches("FY").parse().unwrap();
                let (value, is_suppressed, _) = published[&(count.column.clone(), area_code.to_string(), period_key)];
                let area_unit = match population.get(area_code) {
                    Some(population) => AreaUnit::Municipality {
                        population: *population,
                    },
                    None => AreaUnit::Wider,
                };
                if is_suppressed {
                    assert_eq!(value, None);
                    // A hidden cell whose own rule is broken needs its full protection.
                    match table.protection(cell) {
                        Some(_) => CellStatus::Primary,
                        None => CellStatus::Secondary,
                    }
                } else if value.is_none() {
                    // Not available (an outcome whose year of follow-up the data does not cover, a
                    // month the claims do not reach): no one has its value, so it is in no
                    // relation the attacker can use.
                    assert!(!table.is_available(cell), "{} {area_code} {period_code}", count.column);
                    CellStatus::Published
                } else {
                    assert!(table.is_available(cell), "{} {area_code} {period_code}", count.column);
                    assert_eq!(
                        value,
                        Some(table.value(cell) as f64),
                        "{} {area_code} {period_code}",
                        count.column
                    );
                    // A zero the public registry gives away is published whatever the rule says.
                    assert!(
                        table.is_public(cell) || !rules.violates(count.unit, area_unit, table.value(cell)),
                        "{} {area_code} {period_code} breaks the rule",
                        count.column
                    );
                    CellStatus::Published
                }
            })
            .collect();
        n_suppressed += status.iter().filter(|status| **status != CellStatus::Published).count();
        tables.push(table);
        patterns.push(status);
    }
    // The differences of nested counts (certified below level 3 …), which the attacker gets by
    // subtracting: counts of persons under the same rule, in the order the spec's links say.
    let links = spec.links();
    assert!(links.len() >= 4, "the shipped spec declares its nested counts");
    let differences: Vec<Table> = links
        .iter()
        .map(|link| {
            let mut difference = Table::difference(tables[link.superset], tables[link.subset]).unwrap();
            let [area, _] = difference.dimensions() else {
                unreachable!()
            };
            let area = area.clone();
            let unit = spec.counts[link.superset].unit;
            difference.apply_rule(|coordinates, value| {
                let area_unit = match population.get(area.code(coordinates[0])) {
                    Some(population) => AreaUnit::Municipality {
                        population: *population,
                    },
                    None => AreaUnit::Wider,
                };
                rules.primary_protection(unit, area_unit, value)
            });
            difference
        })
        .collect();
    assert!(
        links
            .iter()
            .enumerate()
            .all(|(index, link)| link.complement == spec.counts.len() + index)
    );
    tables.extend(differences.iter());
    patterns.extend(differences.iter().map(kaigo_disclosure::primary_pattern));
    // The regularities the spec declares, at every municipal cell (or pair of months) where the
    // data keeps them: an attacker who checks them on the published cells may assume them there.
    let mut orders = Vec::new();
    let index_of = |column: &str| spec.counts.iter().position(|count| count.column == column).unwrap();
    for (count, count_spec) in spec.counts.iter().enumerate() {
        let [area, period] = tables[count].dimensions() else {
            unreachable!()
        };
        let municipal: Vec<usize> = (0..area.len())
            .filter(|node| population.contains_key(area.code(*node)))
            .collect();
        let months: Vec<usize> = (fixture.source.months.iter())
            .map(|month| period.index_of(&month.to_string()).unwrap())
            .collect();
        let kept = |pairs: &[([usize; 2], [usize; 2])]| {
            pairs.iter().all(|([t, c], [u, d])| {
                tables[*t].is_available(*c)
                    && tables[*u].is_available(*d)
                    && tables[*t].value(*c) <= tables[*u].value(*d)
            })
        };
        let mut pairs: Vec<Vec<([usize; 2], [usize; 2])>> = Vec::new();
        for municipality in &municipal {
            for (index, month) in months.iter().enumerate() {
                let cell = tables[count].cell(&[*municipality, *month]);
                for bound in &count_spec.at_most {
                    pairs.push(vec![([count, cell], [index_of(bound), cell])]);
                }
                let Some(next) = months.get(index + 1) else { continue };
                let later = [count, tables[count].cell(&[*municipality, *next])];
                match count_spec.over_time {
                    Some(OverTime::NonDecreasing) => pairs.push(vec![([count, cell], later)]),
                    Some(OverTime::Constant) => pairs.push(vec![([count, cell], later), (later, [count, cell])]),
                    None => {}
                }
            }
        }
        for pair in pairs.iter().filter(|pair| kept(pair)) {
            orders.extend(pair.iter().map(|(smaller, larger)| Order {
                smaller: *smaller,
                larger: *larger,
            }));
        }
    }
    assert!(
        orders.len() > 1_000,
        "the shipped spec declares regularities: {}",
        orders.len()
    );
    let patterns: Vec<&[CellStatus]> = patterns.iter().map(Vec::as_slice).collect();
    let attack = audit_linked(&tables, &patterns, &links, &orders).unwrap();
    assert!(
        attack.passed(),
        "recoverable cells (table, cell): {:?}",
        attack.failures().collect::<Vec<_>>()
    );
    assert!(n_suppressed > 0, "a 2,000-person hub has small cells to hide");
    let recoverable: usize = fixture
        .report
        .indicators
        .iter()
        .map(|indicator| indicator.n_recoverable)
        .sum();
    assert_eq!(recoverable, 0);
    let sensitive_differences: usize = fixture
        .report
        .indicators
        .iter()
        .map(|indicator| indicator.n_sensitive_differences)
        .sum();
    assert!(
        sensitive_differences > 0,
        "a 2,000-person hub has small differences to hide"
    );
}

#[test]
fn rates_show_only_where_both_counts_show_and_flag_few_events() {
    let fixture = fixture();
    let published = published(&fixture.built.warehouse);
    for rate in &ReleaseSpec::shipped().rates {
        for ((indicator, area, period), (value, is_suppressed, is_unstable)) in &published {
            if *indicator != rate.name {
                continue;
            }
            let count = |name: &str| published[&(name.to_string(), area.clone(), *period)];
            let (numerator, denominator) = (count(&rate.numerator), count(&rate.denominator));
            // A count without a value that is not suppressed is not available (an outcome's
            // follow-up): so is the rate, suppressed or not.
            let unavailable = |count: (Option<f64>, bool, bool)| count.0.is_none() && !count.1;
            if unavailable(numerator) || unavailable(denominator) {
                assert_eq!((*value, *is_suppressed), (None, false), "{indicator} {area} {period}");
                continue;
            }
            assert_eq!(
                *is_suppressed,
                numerator.1 || denominator.1,
                "{indicator} {area} {period}"
            );
            if let (Some(events), Some(base)) = (numerator.0, denominator.0)
                && base > 0.0
            {
                assert!((value.unwrap() - events / base * rate.per).abs() < 1e-9);
                assert_eq!(*is_unstable, events < 20.0);
            }
        }
    }
}

/// An outcome followed for a year is known only for months a year before the data ends
/// (2027-09): the release's months start at the first go-live (2026-11), so in this hub every
/// cell of it — months and fiscal years, every area, its rate too — shows "…": neither a value
/// nor hidden.
#[test]
fn outcomes_show_not_available_until_their_year_of_follow_up_is_in_the_data() {
    let fixture = fixture();
    let published = published(&fixture.built.warehouse);
    for indicator in ["n_certified_died_within_year", "died_within_year_pct"] {
        let cells: Vec<_> = published.iter().filter(|((name, _, _), _)| name == indicator).collect();
        assert!(cells.len() > 100, "{indicator}: {} cells", cells.len());
        for ((_, area, period), cell) in cells {
            assert_eq!(*cell, (None, false, false), "{indicator} {area} {period}");
        }
    }
    // The counts known every month still show.
    assert!(
        published[&("n_certified".to_string(), "00".to_string(), 202611)]
            .0
            .is_some()
    );
}

/// Two more protections of the same source (its linked groups in parallel) give one digest of the
/// published cells, the release's own.
#[test]
fn repeated_runs_give_one_hash() {
    let fixture = fixture();
    let spec = ReleaseSpec::shipped();
    let dir = tempfile::tempdir().unwrap();
    let digests: std::collections::BTreeSet<String> = (0..2)
        .map(|run| {
            let release = protect_release(&spec, &fixture.source, &Rules::default()).unwrap();
            write(&release, &dir.path().join(format!("run{run}")), &spec.source, 0, None)
                .unwrap()
                .digest
        })
        .collect();
    assert_eq!(digests.len(), 1);
    assert!(digests.contains(&fixture.report.digest));
}

#[test]
fn the_manifest_lists_every_file_with_its_digest() {
    let fixture = fixture();
    let folder = fixture.built.warehouse.root().join("publish");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["release"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|file| file["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cells.csv", "cells.parquet", "registry.parquet"]);
    for file in files {
        let bytes = std::fs::read(folder.join(file["name"].as_str().unwrap())).unwrap();
        assert_eq!(file["sha256"].as_str().unwrap(), sha256_hex(&bytes));
    }
    assert!(manifest["footnotes"]["―"].as_str().unwrap().contains("Suppressed"));
    // The registry carries roll-out facts only: no count of persons or providers.
    let registry = std::fs::File::open(folder.join("registry.parquet")).unwrap();
    let schema = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(registry)
        .unwrap()
        .schema()
        .clone();
    let columns: Vec<&str> = schema.fields().iter().map(|field| field.name().as_str()).collect();
    assert!(
        columns.contains(&"is_live") && columns.contains(&"insurer_name"),
        "{columns:?}"
    );
    assert!(!columns.iter().any(|name| name.starts_with("n_")), "{columns:?}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `is_data_flowing` in the published registry says nothing the cells do not: for a live insurer
/// it is the previous month's published users against the registry's threshold, and null where
/// that cell is hidden.
#[test]
fn the_registrys_data_flow_flag_is_read_from_the_published_cells() {
    let fixture = fixture();
    let cells = published(&fixture.built.warehouse);
    let (mut flowing, mut not_flowing, mut hidden) = (0, 0, 0);
    for batch in read_published(&fixture.built.warehouse, "registry.parquet") {
        let insurers = batch
            .column_by_name("insurer_number")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let months = batch
            .column_by_name("month_key")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int32Type>()
            .clone();
        let live = batch.column_by_name("is_live").unwrap().as_boolean().clone();
        let flags = batch.column_by_name("is_data_flowing").unwrap().as_boolean().clone();
        let thresholds = batch
            .column_by_name("users_flowing_threshold")
            .unwrap()
            .as_primitive::<arrow::datatypes::Float64Type>()
            .clone();
        for row in 0..batch.num_rows() {
            let flag = (!flags.is_null(row)).then(|| flags.value(row));
            if !live.value(row) {
                assert_eq!(flag, Some(false));
                continue;
            }
            let month = YearMonth::new(months.value(row) as u32 / 100, months.value(row) as u32 % 100).unwrap();
            let previous = month.plus_months(-1);
            let key = (
                "n_users".to_string(),
                insurers.value(row).to_string(),
                previous.year() * 100 + previous.month(),
            );
            let expected = cells
                .get(&key)
                .and_then(|(value, _, _)| *value)
                .map(|users| users >= thresholds.value(row));
            assert_eq!(flag, expected, "{key:?}");
            match flag {
                Some(true) => flowing += 1,
                Some(false) => not_flowing += 1,
                None => hidden += 1,
            }
        }
    }
    // The fixture has live insurers whose previous month is published and ones where it is hidden.
    assert!(flowing > 0 && hidden > 0, "{flowing} {not_flowing} {hidden}");
}

/// The benchmark's national-shaped counts at 300 insurers × 24 months, the provider group alone.
/// A difference of providers and certificates capped by a shown earlier month of certificates
/// (they only rise) once left the protection without a candidate: it failed as unprotectable
/// until a difference's counts chose as cells of their own would.
#[test]
fn national_shaped_provider_counts_are_protected() {
    let shipped = ReleaseSpec::shipped();
    let group = (shipped.linked_groups().into_iter())
        .find(|group| group.iter().any(|count| shipped.counts[*count].column == "n_providers"))
        .unwrap();
    let (spec, source) = crate::national_source::national_source(300, 24).group(&shipped, &group);
    let release = protect_release(&spec, &source, &Rules::default()).unwrap();
    for (_, _, protection) in release.indicators() {
        assert!(protection.audit.passed());
    }
}
