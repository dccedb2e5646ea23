//! The malformed-input corpus (`tests/fixtures/malformed/`, made by its `make.py`): every case
//! gets its documented outcome, no case panics, and no message quotes the person in the base.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use arrow::array::AsArray;
use kaigo_ingest::{Ingest, IngestError};
use kaigo_warehouse::Warehouse;

use kaigo_testkit::copy_folder;

use crate::{key, read_table, runtime};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    file: String,
    expect: String,
    message: Option<String>,
    replaces: Option<String>,
    #[serde(default)]
    quarantine: Vec<(i64, String)>,
}

fn corpus() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/malformed")
}

/// Values of the one person in the base delivery; no message may contain them.
const PERSON_VALUES: [&str; 5] = ["5352250927", "19320210", "イシナガ", "石永", "チヨコ"];

/// Run one case, with files read once and read twice; `Err` describes how it missed its
/// documented outcome.
fn check(name: &str, case: &Case) -> Result<(), String> {
    for single_pass_bytes in [u64::MAX, 0] {
        check_reading(name, case, single_pass_bytes).map_err(|miss| {
            format!(
                "{miss} (files read {})",
                if single_pass_bytes == 0 { "twice" } else { "once" }
            )
        })?;
    }
    Ok(())
}

fn check_reading(name: &str, case: &Case, single_pass_bytes: u64) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("hub/202611");
    copy_folder(&corpus().join("base/202611"), &drop);
    if let Some(replaced) = &case.replaces {
        std::fs::remove_file(drop.join(replaced)).unwrap();
    }
    std::fs::copy(corpus().join(name).join(&case.file), drop.join(&case.file)).unwrap();
    let warehouse = Warehouse::new(dir.path().join("warehouse"));
    let key = key();
    let result = runtime().block_on(
        Ingest::new(&drop, &key)
            .with_single_pass_bytes(single_pass_bytes)
            .run(&warehouse),
    );
    let leaks = |text: &str| PERSON_VALUES.iter().any(|value| text.contains(value));
    let expected_message = case.message.as_deref().unwrap_or_default();
    let report = match (result, case.expect.as_str()) {
        (Err(IngestError::Drop { problem, .. }), "delivery_refused") => {
            return if problem.contains(expected_message) && !leaks(&problem) {
                Ok(())
            } else {
                Err(format!("refused with {problem:?}"))
            };
        }
        (Err(error), _) => return Err(format!("load failed: {error}")),
        (Ok(report), _) => report,
    };
    let relative = format!("202611/{}", case.file);
    let entry = report
        .files
        .iter()
        .find(|entry| entry.path == relative)
        .ok_or("the case file is not in the report")?;
    if report
        .files
        .iter()
        .any(|other| other.path != relative && other.rejected.is_some())
    {
        return Err("a base file was rejected".into());
    }
    let mut quarantined: BTreeSet<(i64, String)> = BTreeSet::new();
    for batch in read_table(&warehouse, "quarantine") {
        let (paths, lines, rules, reasons) = (
            batch.column_by_name("path").unwrap().as_string::<i32>(),
            batch
                .column_by_name("source_line")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>(),
            batch.column_by_name("rule").unwrap().as_string::<i32>(),
            batch.column_by_name("reason").unwrap().as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            if leaks(reasons.value(row)) {
                return Err(format!("reason quotes the record: {}", reasons.value(row)));
            }
            if paths.value(row) != relative {
                return Err(format!("a base file row was quarantined: {}", paths.value(row)));
            }
            quarantined.insert((lines.value(row), rules.value(row).to_string()));
        }
    }
    match case.expect.as_str() {
        "rejected" => match &entry.rejected {
            Some(reason) if reason.contains(expected_message) && !leaks(reason) => Ok(()),
            other => Err(format!("rejection {other:?}")),
        },
        "loaded" | "quarantined" => {
            if let Some(reason) = &entry.rejected {
                return Err(format!("rejected: {reason}"));
            }
            let expected: BTreeSet<(i64, String)> = case.quarantine.iter().cloned().collect();
            if quarantined != expected {
                return Err(format!("quarantined {quarantined:?}"));
            }
            if entry.rows_loaded + entry.rows_quarantined != entry.rows_in {
                return Err("rows do not add up".into());
            }
            Ok(())
        }
        other => Err(format!("unknown expectation {other}")),
    }
}

#[test]
fn every_malformed_input_gets_its_documented_outcome() {
    // The base alone loads clean.
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("hub/202611");
    copy_folder(&corpus().join("base/202611"), &drop);
    let report = runtime()
        .block_on(Ingest::new(&drop, &key()).run(&Warehouse::new(dir.path().join("warehouse"))))
        .unwrap();
    assert_eq!((report.rows_quarantined, report.files_rejected), (0, 0));

    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "base" && corpus().join(name).is_dir())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the corpus has {} cases", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let case: Case = toml::from_str(&std::fs::read_to_string(corpus().join(name).join("case.toml")).unwrap())
            .unwrap_or_else(|error| panic!("{name}/case.toml: {error}"));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(name, &case)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(miss)) => failures.push(format!("{name} ({}): {miss}", case.description)),
            Err(_) => failures.push(format!("{name} ({}): PANIC", case.description)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases missed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// A claims file of many more records than the load reads at a time (the base file's statements
/// over and over): loaded complete, every repeat is quarantined as a duplicate, across chunks;
/// without its end record it is rejected whole, and none of the rows read before the end reaches
/// any table.
#[test]
fn a_large_claims_file_loads_in_chunks_or_not_at_all() {
    use kaigo_formats::claims::{ClaimsReader, ClaimsWriter, DataKind};

    let statements_file = "263152/d0811a.csv";
    let base = std::fs::File::open(corpus().join("base/202611").join(statements_file)).unwrap();
    let (control, records) = ClaimsReader::open(base).unwrap().read_all().unwrap();
    let records: Vec<_> = records.into_iter().map(|(_, record)| record.unwrap()).collect();
    let mut writer = ClaimsWriter::new(
        DataKind::parse(&control.data_kind).unwrap(),
        &control.insurer_number,
        control.prefecture.parse().unwrap(),
        control.processing_month,
    );
    while writer.data_records() < 50_000 {
        for record in &records {
            writer.write(record).unwrap();
        }
    }
    let written = writer.data_records();
    let mut complete = Vec::new();
    writer.finish(&mut complete).unwrap();
    // The end record is the last line.
    let end = complete[..complete.len() - 2]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .unwrap()
        + 1;
    let truncated = complete[..end].to_vec();

    // Read once with its chunks held back (the default for a file this size), and read twice
    // with its chunks handed on as they are parsed.
    let cases = [(&complete, true), (&truncated, false)]
        .into_iter()
        .flat_map(|(bytes, is_complete)| [(bytes, is_complete, u64::MAX), (bytes, is_complete, 0)]);
    for (bytes, is_complete, single_pass_bytes) in cases {
        let dir = tempfile::tempdir().unwrap();
        let drop = dir.path().join("hub/202611");
        copy_folder(&corpus().join("base/202611"), &drop);
        std::fs::write(drop.join(statements_file), bytes).unwrap();
        let warehouse = Warehouse::new(dir.path().join("warehouse"));
        let report = runtime()
            .block_on(
                Ingest::new(&drop, &key())
                    .with_single_pass_bytes(single_pass_bytes)
                    .run(&warehouse),
            )
            .unwrap();
        let entry = report
            .files
            .iter()
            .find(|entry| entry.path == format!("202611/{statements_file}"))
            .unwrap();
        let rows_from_file = |table: &str| -> u64 {
            read_table(&warehouse, table)
                .iter()
                .map(|batch| {
                    let ids = batch.column_by_name("source_file_id").unwrap().as_string::<i32>();
                    ids.iter()
                        .filter(|id| *id == Some(entry.source_file_id.as_str()))
                        .count() as u64
                })
                .sum()
        };
        let lines = rows_from_file("claim_lines") + rows_from_file("claim_service_totals");
        if is_complete {
            assert_eq!(entry.rejected, None);
            assert_eq!(entry.rows_in, written);
            assert_eq!(entry.rows_loaded, records.len() as u64);
            assert_eq!(
                report.quarantine_by_rule["duplicate_statement"],
                written - records.len() as u64
            );
            assert_eq!(rows_from_file("quarantine"), entry.rows_quarantined);
            assert_eq!(rows_from_file("claim_statements") + lines, entry.rows_loaded);
        } else {
            assert!(entry.rejected.as_deref().unwrap().contains("end record"), "{entry:?}");
            assert_eq!((entry.rows_in, entry.rows_loaded, entry.rows_quarantined), (0, 0, 0));
            for table in ["quarantine", "record_tokens", "claim_statements"] {
                assert_eq!(rows_from_file(table), 0, "{table}");
            }
            assert_eq!(lines, 0);
        }
    }
}
