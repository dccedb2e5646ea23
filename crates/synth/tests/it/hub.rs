//! One shared hub for the tests that only read it.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    sync::OnceLock,
};

use kaigo_codes::calendar::YearMonth;
use kaigo_synth::{SynthConfig, SynthSummary, generate};
use kaigo_testkit::files_under;

pub struct Hub {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub summary: SynthSummary,
}

pub fn month(year: u32, month: u32) -> YearMonth {
    YearMonth::new(year, month).unwrap()
}

/// 3,000 persons over three fiscal years with the default noise (including invalid records).
pub fn shared() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        let dir = kaigo_testkit::shared_fixture_dir("synth");
        let root = dir.path().join("hub");
        let mut config = SynthConfig::new(3_000, month(2025, 4), month(2028, 3), 11);
        // Enough invalid records and noise to exercise every path at this small size.
        config.noise.invalid = 0.004;
        config.noise.kana_variant = 0.05;
        let summary = generate(&config, &root).unwrap();
        Hub {
            _dir: dir,
            root,
            summary,
        }
    })
}

/// Every data file of every delivery: (path relative to the root, absolute path).
pub fn data_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && !path.ends_with("truth"))
        .collect();
    folders.sort();
    for folder in folders {
        let mut entries: Vec<PathBuf> = files_under(&folder);
        entries.sort();
        for path in entries {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            files.push((relative, path));
        }
    }
    files
}

/// `truth/<delivery>/invalid.csv` as file → lines.
pub fn invalid_lines(root: &Path) -> HashMap<String, HashSet<u64>> {
    let mut map: HashMap<String, HashSet<u64>> = HashMap::new();
    for line in kaigo_testkit::truth_rows(root, "invalid") {
        let fields: Vec<&str> = line.split(',').collect();
        map.entry(fields[0].to_string())
            .or_default()
            .insert(fields[1].parse().unwrap());
    }
    map
}

/// `truth/<delivery>/records.csv` as file → covered line ranges.
pub fn record_ranges(root: &Path) -> HashMap<String, Vec<(u64, u64, u64)>> {
    let mut map: HashMap<String, Vec<(u64, u64, u64)>> = HashMap::new();
    for line in kaigo_testkit::truth_rows(root, "records") {
        let fields: Vec<&str> = line.split(',').collect();
        map.entry(fields[0].to_string()).or_default().push((
            fields[1].parse().unwrap(),
            fields[2].parse().unwrap(),
            fields[3].parse().unwrap(),
        ));
    }
    map
}
