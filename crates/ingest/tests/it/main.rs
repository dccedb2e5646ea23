//! Ingest on a generated hub: every delivery loads in order, the quarantine is exactly the
//! generator's injected invalid records, rows add up, the warehouse holds no identifier, and a
//! reload changes nothing.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::OnceLock,
};

use arrow::{array::AsArray, record_batch::RecordBatch};
use kaigo_codes::calendar::YearMonth;
use kaigo_ingest::{Ingest, IngestReport, quality::Finding};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_testkit::{files_under, runtime};
use kaigo_warehouse::{Warehouse, Zone, tables};

mod columns;
mod fixtures;
mod readback;

struct Loaded {
    _dir: tempfile::TempDir,
    hub: PathBuf,
    warehouse: Warehouse,
    reports: Vec<IngestReport>,
    records_written: u64,
}

fn key() -> SecretKey {
    SecretKey::from_bytes([42; 32])
}

fn deliveries(hub: &Path) -> Vec<PathBuf> {
    kaigo_formats::delivery_folders(hub).unwrap()
}

/// A hub of 2,000 persons over a year around the first go-lives, loaded delivery by delivery.
fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let dir = kaigo_testkit::shared_fixture_dir("ingest");
        let hub = dir.path().join("hub");
        let mut config = kaigo_synth::SynthConfig::new(
            2_000,
            YearMonth::new(2026, 4).unwrap(),
            YearMonth::new(2027, 5).unwrap(),
            21,
        );
        config.noise.invalid = 0.006;
        let summary = kaigo_synth::generate(&config, &hub).unwrap();
        let warehouse = Warehouse::new(dir.path().join("warehouse"));
        let key = key();
        let runtime = runtime();
        let reports = deliveries(&hub)
            .iter()
            .map(|drop| runtime.block_on(Ingest::new(drop, &key).run(&warehouse)).unwrap())
            .collect();
        Loaded {
            _dir: dir,
            hub,
            warehouse,
            reports,
            records_written: summary.records,
        }
    })
}

fn read_table(warehouse: &Warehouse, name: &str) -> Vec<RecordBatch> {
    let spec = kaigo_warehouse::table(name).unwrap();
    runtime().block_on(warehouse.read_rows(spec)).unwrap()
}

#[test]
fn every_delivery_loads_and_rows_add_up() {
    let loaded = loaded();
    assert!(loaded.reports.len() >= 5, "{} deliveries", loaded.reports.len());
    let mut rows_in = 0;
    for report in &loaded.reports {
        assert_eq!(
            report.files_rejected,
            0,
            "{}: {:?}",
            report.delivery,
            report.files.iter().filter(|f| f.rejected.is_some()).collect::<Vec<_>>()
        );
        for file in &report.files {
            assert_eq!(file.rows_in, file.rows_loaded + file.rows_quarantined, "{}", file.path);
        }
        rows_in += report.rows_in;
        assert!(report.key_fingerprint.starts_with("kf1:"));
    }
    assert_eq!(
        rows_in, loaded.records_written,
        "every record the generator wrote was read"
    );
}

#[test]
fn the_quarantine_is_exactly_the_injected_invalid_records() {
    let loaded = loaded();
    let truth: BTreeSet<(String, u64, String)> = kaigo_testkit::truth_rows(&loaded.hub, "invalid")
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].to_string(), fields[1].parse().unwrap(), fields[3].to_string())
        })
        .collect();
    assert!(truth.len() > 50, "{} injected invalid lines", truth.len());
    let mut quarantined = BTreeSet::new();
    for batch in read_table(&loaded.warehouse, "quarantine") {
        let paths = batch.column_by_name("path").unwrap().as_string::<i32>();
        let lines = batch
            .column_by_name("source_line")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int64Type>();
        let rules = batch.column_by_name("rule").unwrap().as_string::<i32>();
        let reasons = batch.column_by_name("reason").unwrap().as_string::<i32>();
        for row in 0..batch.num_rows() {
            assert!(!reasons.value(row).is_empty());
            quarantined.insert((
                paths.value(row).to_string(),
                lines.value(row) as u64,
                rules.value(row).to_string(),
            ));
        }
    }
    let missed: Vec<_> = truth.difference(&quarantined).take(10).collect();
    let extra: Vec<_> = quarantined.difference(&truth).take(10).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed (injected, not quarantined): {missed:?}\nextra (quarantined, not injected): {extra:?}"
    );
}

#[test]
fn the_warehouse_holds_no_name_insured_number_or_birth_date() {
    let loaded = loaded();
    // Every identifier value of the input, from the truth of persons and the insured numbers.
    let mut secrets: BTreeSet<String> = BTreeSet::new();
    for line in std::fs::read_to_string(loaded.hub.join("truth/persons.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let fields: Vec<&str> = line.split(',').collect();
        secrets.insert(fields[3].replace('-', ""));
        secrets.insert(fields[3].to_string());
        for name in [fields[4], fields[5]] {
            for part in name.split('\u{3000}').filter(|part| part.chars().count() >= 2) {
                secrets.insert(part.to_string());
            }
            secrets.insert(name.to_string());
        }
    }
    for line in kaigo_testkit::truth_rows(&loaded.hub, "events")
        .iter()
        .filter(|line| line.contains(",move,"))
    {
        for word in line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|word| word.len() == 10)
        {
            secrets.insert(word.to_string());
        }
    }
    // Names shorter than three characters also occur as parts of ordinary words; keep the test
    // about identifiers, not about every two-kanji string.
    secrets.retain(|secret| secret.chars().count() >= 3);
    let mut scanned_values = 0;
    for spec in tables().iter().filter(|spec| spec.zone == Zone::Warehouse) {
        for batch in read_table(&loaded.warehouse, spec.name) {
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                if let Some(strings) = column.as_string_opt::<i32>() {
                    for value in strings.iter().flatten() {
                        scanned_values += 1;
                        assert!(
                            !secrets.contains(value),
                            "{}.{} holds an identifier",
                            spec.name,
                            field.name()
                        );
                    }
                }
            }
        }
    }
    assert!(scanned_values > 10_000);
    // Metadata too: the Delta logs and the manifests, as raw text.
    let mut texts = 0;
    for path in files_under(&loaded.warehouse.root().join("warehouse"))
        .into_iter()
        .chain(files_under(&loaded.warehouse.root().join("manifests")))
    {
        if path.extension().is_some_and(|extension| extension == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            texts += 1;
            for secret in secrets.iter().filter(|secret| secret.len() >= 8) {
                assert!(
                    !text.contains(secret.as_str()),
                    "{} contains an identifier",
                    path.display()
                );
            }
        }
    }
    assert!(texts > 10);
    // And the key appears nowhere.
    let key_hex = "2a".repeat(32);
    for path in files_under(loaded.warehouse.root()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(key_hex.len()).any(|window| window == key_hex.as_bytes()),
            "{}",
            path.display()
        );
    }
}

/// Order-independent digest of every table's rows.
fn content(warehouse: &Warehouse) -> BTreeMap<&'static str, String> {
    let runtime = runtime();
    tables()
        .iter()
        .map(|spec| (spec.name, runtime.block_on(warehouse.content_digest(spec)).unwrap()))
        .collect()
}

#[test]
fn loading_a_delivery_again_changes_no_content() {
    let loaded = loaded();
    let before = content(&loaded.warehouse);
    let last = deliveries(&loaded.hub).pop().unwrap();
    let key = key();
    let report = runtime()
        .block_on(Ingest::new(&last, &key).run(&loaded.warehouse))
        .unwrap();
    assert!(report.rows_in > 0);
    let after = content(&loaded.warehouse);
    assert_eq!(before, after, "reloading a delivery must not duplicate or change rows");
}

#[test]
fn the_same_inputs_and_key_give_the_same_content_in_another_warehouse() {
    let loaded = loaded();
    let key = key();
    let other_root = tempfile::tempdir().unwrap();
    let other = Warehouse::new(other_root.path());
    let runtime = runtime();
    for drop in deliveries(&loaded.hub) {
        runtime.block_on(Ingest::new(drop, &key).run(&other)).unwrap();
    }
    assert_eq!(content(&loaded.warehouse), content(&other));
}

/// Within each data file, rows come insurer by insurer, then by service month and person key:
/// the order that lets Parquet statistics prune the queries that matter.
#[test]
fn data_files_are_sorted_by_insurer_service_month_and_person() {
    let loaded = loaded();
    let spec = kaigo_warehouse::table("claim_statements").unwrap();
    let files = runtime().block_on(loaded.warehouse.data_files(spec)).unwrap();
    assert!(!files.is_empty());
    let mut checked = 0;
    for path in files {
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
                .unwrap()
                .build()
                .unwrap();
        let mut previous: Option<(String, String, String)> = None;
        for batch in reader.map(Result::unwrap) {
            let text = |name: &str| {
                batch
                    .column_by_name(name)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<arrow::array::StringArray>()
                    .unwrap()
                    .clone()
            };
            let (insurers, months, persons) = (text("insurer_number"), text("service_month"), text("identity_key"));
            for row in 0..batch.num_rows() {
                let current = (
                    insurers.value(row).to_string(),
                    months.value(row).to_string(),
                    persons.value(row).to_string(),
                );
                if let Some(previous) = &previous {
                    assert!(previous <= &current, "{path:?}: {previous:?} before {current:?}");
                }
                previous = Some(current);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

#[test]
fn the_quality_report_names_a_live_insurer_that_delivered_nothing() {
    let loaded = loaded();
    // On the clean hub nobody is silent, short or rejected.
    for report in &loaded.reports {
        for insurer in &report.quality.insurers {
            for finding in &insurer.findings {
                assert!(
                    !matches!(
                        finding,
                        Finding::NoDataWhileLive { .. }
                            | Finding::BackfillShort { .. }
                            | Finding::FilesRejected { .. }
                            | Finding::DataBeforeGoLive
                    ),
                    "{} {}: {finding:?}",
                    report.delivery,
                    insurer.insurer_number
                );
            }
        }
    }

    // The first delivery, then the last one without one of the first delivery's insurers.
    let all = deliveries(&loaded.hub);
    let (first, last) = (all.first().unwrap(), all.last().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    let last_copy = hub.join(last.file_name().unwrap());
    kaigo_testkit::copy_folder(last, &last_copy);
    let silent = loaded.reports[0].insurers.keys().next().unwrap().clone();
    std::fs::remove_dir_all(last_copy.join(&silent)).unwrap();

    let warehouse = Warehouse::new(dir.path().join("warehouse"));
    let key = key();
    let runtime = runtime();
    runtime.block_on(Ingest::new(first, &key).run(&warehouse)).unwrap();
    let report = runtime.block_on(Ingest::new(&last_copy, &key).run(&warehouse)).unwrap();
    let silent_ones: Vec<&str> = report
        .quality
        .insurers
        .iter()
        .filter(|insurer| {
            insurer
                .findings
                .iter()
                .any(|finding| matches!(finding, Finding::NoDataWhileLive { .. }))
        })
        .map(|insurer| insurer.insurer_number.as_str())
        .collect();
    assert_eq!(silent_ones, [silent.as_str()]);
    let text = std::fs::read_to_string(
        dir.path()
            .join("warehouse/quality")
            .join(format!("{}.txt", report.delivery)),
    )
    .unwrap();
    assert!(text.contains(&format!("{silent}  live since")), "{text}");
}
