//! Same configuration and seed → byte-identical output; another seed → different output; a
//! delivery selection → the same folders as the full run.

use std::{collections::BTreeMap, path::Path};

use kaigo_synth::{SynthConfig, generate, generate_deliveries};
use kaigo_testkit::files_under;

use crate::hub::month;

fn config(seed: u64) -> SynthConfig {
    SynthConfig::new(600, month(2026, 6), month(2027, 5), seed)
}

/// Every file under `root` (delivery folders and truth), by path relative to it.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(root)
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            (relative, std::fs::read(path).unwrap())
        })
        .collect()
}

fn snapshot(seed: u64) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("hub");
    generate(&config(seed), &root).unwrap();
    files(&root)
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let first = snapshot(5);
    assert!(first.len() > 20, "{} files", first.len());
    assert!(first.contains_key("truth/persons.csv") && first.contains_key("truth/202611/records.csv"));
    let second = snapshot(5);
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    for (name, bytes) in &first {
        assert!(
            *bytes == second[name],
            "{name} differs between two runs with the same seed"
        );
    }
    let other = snapshot(6);
    assert_ne!(first, other);
}

#[test]
fn generating_one_delivery_at_a_time_gives_the_full_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let full_root = dir.path().join("full");
    let full_summary = generate(&config(5), &full_root).unwrap();
    let full = files(&full_root);
    assert!(full_summary.deliveries.len() >= 3, "{:?}", full_summary.deliveries);

    let streamed_root = dir.path().join("streamed");
    let mut records = 0;
    let mut before = BTreeMap::new();
    for folder in &full_summary.deliveries {
        let delivery = kaigo_codes::calendar::YearMonth::parse_compact(folder).unwrap();
        let summary = generate_deliveries(&config(5), &streamed_root, delivery..=delivery).unwrap();
        assert_eq!(summary.deliveries, vec![folder.clone()]);
        records += summary.records;
        // What is new is the selected folder and its truth (and, once, the whole-run truth);
        // the whole-run files written again are unchanged.
        let after = files(&streamed_root);
        for (path, bytes) in &after {
            match before.get(path) {
                Some(earlier) => assert!(earlier == bytes, "{path} changed when writing {folder}"),
                None => assert!(
                    path.starts_with(&format!("{folder}/"))
                        || path.starts_with(&format!("truth/{folder}/"))
                        || (before.is_empty() && !path.trim_start_matches("truth/").contains('/')),
                    "{path} appeared when writing {folder}"
                ),
            }
        }
        assert!(after.keys().any(|path| path.starts_with(&format!("{folder}/"))));
        before = after;
    }
    assert_eq!(records, full_summary.records, "records counted per written folder");
    let streamed = files(&streamed_root);
    assert_eq!(full.keys().collect::<Vec<_>>(), streamed.keys().collect::<Vec<_>>());
    for (name, bytes) in &full {
        assert!(*bytes == streamed[name], "{name} differs from the full run");
    }
}

#[test]
fn a_range_of_deliveries_writes_exactly_those_folders_and_their_truth() {
    let dir = tempfile::tempdir().unwrap();
    let full = files(&{
        let root = dir.path().join("full");
        generate(&config(5), &root).unwrap();
        root
    });
    let root = dir.path().join("range");
    let summary = generate_deliveries(&config(5), &root, month(2027, 1)..=month(2027, 3)).unwrap();
    assert_eq!(summary.deliveries, ["202701", "202702", "202703"]);
    let range = files(&root);
    let expected: Vec<&String> = full
        .keys()
        .filter(|path| {
            let folder = path.trim_start_matches("truth/").split('/').next().unwrap();
            matches!(folder, "202701" | "202702" | "202703") || !path.trim_start_matches("truth/").contains('/')
        })
        .collect();
    assert_eq!(range.keys().collect::<Vec<_>>(), expected);
    for (name, bytes) in &range {
        assert!(*bytes == full[name], "{name} differs from the full run");
    }
}

#[test]
fn a_selection_without_a_delivery_of_the_period_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = generate_deliveries(&config(5), dir.path(), month(2027, 7)..=month(2027, 9)).unwrap_err();
    assert!(error.is_user(), "{error}");
    assert!(error.to_string().contains("selects no delivery"), "{error}");
}
