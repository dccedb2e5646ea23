//! Linkage on a generated hub, measured against its ground truth.

use std::{collections::HashMap, path::PathBuf, sync::OnceLock};

use kaigo_codes::calendar::YearMonth;
use kaigo_ingest::Ingest;
use kaigo_linkage::{
    LinkageConfig, Resolution,
    evaluate::{Evaluation, Truth, evaluate},
    load_identities, resolve,
};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_warehouse::Warehouse;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

struct Linked {
    _dir: tempfile::TempDir,
    warehouse: Warehouse,
    evaluation: Evaluation,
    person_keys: Vec<String>,
    resolution: Resolution,
}

fn key() -> SecretKey {
    SecretKey::from_bytes([9; 32])
}

/// 4,000 persons over the two years in which every insurer goes live, loaded and linked once.
fn linked() -> &'static Linked {
    static LINKED: OnceLock<Linked> = OnceLock::new();
    LINKED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let hub = dir.path().join("hub");
        let config = kaigo_synth::SynthConfig::new(
            4_000,
            YearMonth::new(2026, 4).unwrap(),
            YearMonth::new(2028, 3).unwrap(),
            11,
        );
        kaigo_synth::generate(&config, &hub).unwrap();
        let warehouse = Warehouse::new(dir.path().join("warehouse"));
        let key = key();
        let runtime = runtime();
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&hub)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .collect();
        folders.sort();
        for folder in folders {
            runtime.block_on(Ingest::new(folder, &key).run(&warehouse)).unwrap();
        }
        let identities = runtime.block_on(load_identities(&warehouse)).unwrap();
        let resolution = resolve(identities, &LinkageConfig::default());
        let person_keys = resolution.person_keys(&key);
        let paths: HashMap<String, String> = warehouse
            .manifests()
            .unwrap()
            .into_iter()
            .flat_map(|manifest| manifest.files)
            .map(|file| (file.source_file_id, file.path))
            .collect();
        let truth = Truth::load(&hub.join("truth")).unwrap();
        let evaluation = evaluate(&resolution, &truth, &paths);
        eprintln!("{}", evaluation.render());
        Linked {
            _dir: dir,
            warehouse,
            evaluation,
            person_keys,
            resolution,
        }
    })
}

#[test]
fn linkage_beats_every_baseline_and_keeps_moves_together() {
    let evaluation = &linked().evaluation;
    assert_eq!(evaluation.records_unmatched, 0);
    for (name, baseline) in &evaluation.baselines {
        assert!(evaluation.kaigo.f1 > baseline.f1, "{name}: {}", evaluation.render());
    }
    assert!(evaluation.kaigo.precision >= 0.999, "{}", evaluation.render());
    assert!(evaluation.kaigo.recall >= 0.995, "{}", evaluation.render());
    assert!(
        evaluation.recall_by_event["insurer move"] >= 0.99,
        "{}",
        evaluation.render()
    );
    assert_eq!(evaluation.lookalike_false_merges, 0, "{}", evaluation.render());
    // The hub has movers, typos and kana variants for the numbers above to mean something.
    assert!(evaluation.kept_by_noise["digit_typo"].0 > 20);
}

#[test]
fn linking_again_gives_the_same_persons_and_keys() {
    let linked = linked();
    let identities = runtime().block_on(load_identities(&linked.warehouse)).unwrap();
    let again = resolve(identities, &LinkageConfig::default());
    assert_eq!(again.person_keys(&key()), linked.person_keys);
    // Keys are keyed: another key gives other person keys for the same persons.
    let other = again.person_keys(&SecretKey::from_bytes([10; 32]));
    assert!(other.iter().zip(&linked.person_keys).all(|(a, b)| a != b));
}

#[test]
fn a_link_is_explained_comparison_by_comparison() {
    let resolution = &linked().resolution;
    let records = &resolution.identities.records;
    // Two records of two identities that linkage made one person (a move or a typo).
    let (left, right) = (0..resolution.cluster.len())
        .find_map(|identity| {
            let cluster = resolution.cluster[identity];
            (cluster as usize != identity).then_some((cluster, identity as u32))
        })
        .expect("some person has two identities");
    let first = |identity: u32| {
        let record = records.iter().find(|record| record.identity == identity).unwrap();
        (resolution.identities.file_id(record), record.source_line)
    };
    let explanation = resolution.explain(first(left), first(right)).unwrap();
    assert!(explanation.same_person && !explanation.same_identity);
    assert_eq!(explanation.contributions.len(), 6);
    let total: f64 = explanation.contributions.iter().map(|c| c.weight).sum();
    assert!((total - explanation.weight).abs() < 1e-9);
    assert!(
        explanation.render().contains("→ same person"),
        "{}",
        explanation.render()
    );
    // Two records of one identity need no comparison.
    let same = resolution.explain(first(left), first(left)).unwrap();
    assert!(same.same_identity && same.render().starts_with("same insurer and insured number"));
}
