//! Same configuration and seed → byte-identical output; another seed → different output.

use std::collections::BTreeMap;

use kaigo_synth::{SynthConfig, generate};

use crate::hub::{data_files, month};

fn snapshot(seed: u64) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("hub");
    generate(&SynthConfig::new(600, month(2026, 6), month(2027, 5), seed), &root).unwrap();
    let mut files: BTreeMap<String, Vec<u8>> = data_files(&root)
        .into_iter()
        .map(|(relative, path)| (relative, std::fs::read(path).unwrap()))
        .collect();
    for name in ["records", "noise", "invalid", "events", "persons", "insurers"] {
        files.insert(
            format!("truth/{name}.csv"),
            std::fs::read(root.join(format!("truth/{name}.csv"))).unwrap(),
        );
    }
    files
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let first = snapshot(5);
    assert!(first.len() > 20, "{} files", first.len());
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
