//! A load killed anywhere leaves every table at its old or its new version, and a rerun
//! converges to the content of an uninterrupted load. The load is the real `kaigo ingest`
//! process, aborted at named points (`KAIGO_CRASH_AT`, see `kaigo_warehouse::crash_point`) —
//! between units, after all data files are written but before any commit, right after one
//! table's commit while others are still committing, before the manifest — and killed
//! (SIGKILL) at fractions of an uninterrupted load's duration.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use kaigo_warehouse::{Warehouse, tables};

use crate::{ingest, new_key, synth_hub};

fn digests(root: &Path) -> BTreeMap<&'static str, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let warehouse = Warehouse::new(root);
    tables()
        .iter()
        .map(|spec| (spec.name, runtime.block_on(warehouse.content_digest(spec)).unwrap()))
        .collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    hub: PathBuf,
    key: PathBuf,
    baseline: PathBuf,
}

impl Setup {
    fn ingest(&self, warehouse: &Path, delivery: &str) -> Command {
        let mut command = ingest(&self.hub.join(delivery), warehouse, &self.key);
        command.stderr(std::process::Stdio::piped());
        command
    }
}

#[test]
fn a_killed_load_leaves_old_or_new_tables_and_a_rerun_converges() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    synth_hub(&hub, "1500", "2026-06..2026-12");
    let key = dir.path().join("k.key");
    new_key(&key);
    let setup = Setup {
        baseline: dir.path().join("baseline"),
        hub,
        key,
        _dir: dir,
    };
    for delivery in ["202611", "202612"] {
        assert!(setup.ingest(&setup.baseline, delivery).status().unwrap().success());
    }
    let old = digests(&setup.baseline);

    let reference = setup._dir.path().join("reference");
    kaigo_testkit::copy_folder(&setup.baseline, &reference);
    let started = Instant::now();
    assert!(setup.ingest(&reference, "202701").status().unwrap().success());
    let duration = started.elapsed();
    let new = digests(&reference);
    let changed: Vec<&str> = tables()
        .iter()
        .map(|spec| spec.name)
        .filter(|name| old[name] != new[name])
        .collect();
    assert!(changed.contains(&"claim_lines") && changed.contains(&"source_files"));

    enum Kill {
        At(&'static str),
        After(Duration),
    }
    let mut kills: Vec<Kill> = [
        "unit:1",
        "unit:3",
        "streamed",
        "committed:claim_lines",
        "committed:source_files",
        "manifest",
    ]
    .into_iter()
    .map(Kill::At)
    .collect();
    kills.extend([0.2, 0.5, 0.8].map(|fraction| Kill::After(duration.mul_f64(fraction))));

    for (number, kill) in kills.iter().enumerate() {
        let warehouse = setup._dir.path().join(format!("crash-{number}"));
        kaigo_testkit::copy_folder(&setup.baseline, &warehouse);
        let label = match kill {
            Kill::At(point) => {
                let status = setup
                    .ingest(&warehouse, "202701")
                    .env("KAIGO_CRASH_AT", point)
                    .status()
                    .unwrap();
                assert!(!status.success(), "{point}: the load was not aborted");
                point.to_string()
            }
            Kill::After(after) => {
                let mut child = setup.ingest(&warehouse, "202701").spawn().unwrap();
                std::thread::sleep(*after);
                let _ = child.kill();
                child.wait().unwrap();
                format!("SIGKILL after {after:?}")
            }
        };
        let after_crash = digests(&warehouse);
        for spec in tables() {
            let digest = &after_crash[spec.name];
            assert!(
                digest == &old[spec.name] || digest == &new[spec.name],
                "{label}: table {} is neither at its old nor at its new content",
                spec.name
            );
        }
        match kill {
            Kill::At("unit:1" | "unit:3" | "streamed") => assert_eq!(after_crash, old, "{label}: committed early"),
            Kill::At(point) if point.starts_with("committed:") => {
                let table = &point["committed:".len()..];
                assert_eq!(after_crash[table], new[table], "{label}");
            }
            Kill::At("manifest") => {
                assert_eq!(after_crash, new, "{label}");
                assert!(!warehouse.join("manifests/202701.json").exists());
            }
            _ => {}
        }
        let rerun = setup.ingest(&warehouse, "202701").output().unwrap();
        assert!(
            rerun.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        assert_eq!(digests(&warehouse), new, "{label}: the rerun did not converge");
        assert!(warehouse.join("manifests/202701.json").exists());
    }
}
