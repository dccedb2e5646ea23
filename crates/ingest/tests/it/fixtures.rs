//! The malformed-input corpus (`tests/fixtures/malformed/`, made by its `make.py`): every case
//! gets its documented outcome, no case panics, and no message quotes the person in the base.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use arrow::array::AsArray;
use kaigo_ingest::{Ingest, IngestError};
use kaigo_warehouse::Warehouse;

use crate::{copy_folder, key, read_table, runtime};

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

/// Run one case; `Err` describes how it missed its documented outcome.
fn check(name: &str, case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("hub/202611");
    copy_folder(&corpus().join("base/202611"), &drop);
    if let Some(replaced) = &case.replaces {
        std::fs::remove_file(drop.join(replaced)).unwrap();
    }
    std::fs::copy(corpus().join(name).join(&case.file), drop.join(&case.file)).unwrap();
    let warehouse = Warehouse::new(dir.path().join("warehouse"));
    let key = key();
    let result = runtime().block_on(Ingest::new(&drop, &key).run(&warehouse));
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
