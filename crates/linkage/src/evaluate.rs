//! Linkage quality against a synthetic hub's ground truth, beside the NDB-style baselines.
//!
//! Every record of `record_tokens` is traced to its true person through its file and line
//! (`truth/records.csv`) and compared with the person linkage gave it. Reported:
//! - pairwise precision, recall and F1 over record pairs (a pair is "linked" when both records
//!   got one person; "true" when both belong to one person), and cluster-level counts;
//! - recall among the records of persons who moved insurer or changed surname, and the share of
//!   records carrying injected noise (kana variant, mistyped or full-width number, missing birth
//!   day) that landed with the rest of their person;
//! - false merges among homonyms and twins (pairs of distinct persons sharing a person);
//! - the same pairwise numbers for ID1 (insurer + number + birth date + sex), ID2 (kana name +
//!   birth date + sex) and ID1 ∪ ID2, computed on the same tokens.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use crate::{LinkageError, Resolution, identities::RecordRef};

/// Ground truth of a synthetic hub (`<hub>/truth/`).
#[derive(Debug, Default)]
pub struct Truth {
    /// Per file path: (first line, last line, person), sorted.
    runs: HashMap<String, Vec<(i64, i64, u64)>>,
    /// Persons who moved insurer / changed surname.
    moved: HashSet<u64>,
    renamed: HashSet<u64>,
    /// (homonym or twin, of whom).
    lookalikes: Vec<(u64, u64)>,
    /// Noise kind per (path, line).
    noise: HashMap<(String, i64), Vec<String>>,
    /// Persons in the truth.
    pub persons: usize,
}

fn read_csv(path: &Path) -> Result<Vec<Vec<String>>, LinkageError> {
    let text = std::fs::read_to_string(path).map_err(|error| LinkageError::Truth {
        path: path.to_path_buf(),
        problem: error.to_string(),
    })?;
    // The truth files are plain CSV without quoted commas in the columns read here.
    Ok(text
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(String::from).collect())
        .collect())
}

impl Truth {
    /// Read `truth/` of a hub.
    pub fn load(truth: &Path) -> Result<Self, LinkageError> {
        let bad = |file: &str, problem: &str| LinkageError::Truth {
            path: truth.join(file),
            problem: problem.to_string(),
        };
        let mut result = Self::default();
        for row in read_csv(&truth.join("records.csv"))? {
            let [file, first, last, person] = &row[..] else {
                return Err(bad("records.csv", "expected file,first_line,last_line,person_id"));
            };
            let parse = |text: &str| text.parse::<i64>().map_err(|_| bad("records.csv", "not a number"));
            result
                .runs
                .entry(file.clone())
                .or_default()
                .push((parse(first)?, parse(last)?, parse(person)? as u64));
        }
        for runs in result.runs.values_mut() {
            runs.sort_unstable();
        }
        for row in read_csv(&truth.join("persons.csv"))? {
            result.persons += 1;
            let person: u64 = row[0].parse().map_err(|_| bad("persons.csv", "person_id"))?;
            for column in [9, 10] {
                if let Some(other) = row.get(column).and_then(|text| text.parse::<u64>().ok()) {
                    result.lookalikes.push((person, other));
                }
            }
        }
        for row in read_csv(&truth.join("events.csv"))? {
            let person: u64 = row[0].parse().map_err(|_| bad("events.csv", "person_id"))?;
            match row.get(2).map(String::as_str) {
                Some("move") => {
                    result.moved.insert(person);
                }
                Some("surname_change") => {
                    result.renamed.insert(person);
                }
                _ => {}
            }
        }
        for row in read_csv(&truth.join("noise.csv"))? {
            let line: i64 = row[1].parse().map_err(|_| bad("noise.csv", "line"))?;
            result
                .noise
                .entry((row[0].clone(), line))
                .or_default()
                .push(row[4].clone());
        }
        Ok(result)
    }

    fn person(&self, path: &str, line: i64) -> Option<u64> {
        let runs = self.runs.get(path)?;
        let index = runs.partition_point(|(first, _, _)| *first <= line);
        let (first, last, person) = runs.get(index.checked_sub(1)?)?;
        (*first <= line && line <= *last).then_some(*person)
    }
}

/// Pairwise quality of one clustering of the records.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Pairwise {
    /// Linked pairs that are true.
    pub precision: f64,
    /// True pairs that are linked.
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
    /// Persons (clusters) produced.
    pub clusters: u64,
}

fn pairs(count: u64) -> f64 {
    (count as f64) * (count.saturating_sub(1) as f64) / 2.0
}

/// Precision, recall and F1 of predicted labels against true labels (one per record).
fn pairwise(predicted: &[u64], truth: &[u64]) -> Pairwise {
    let mut cells: HashMap<(u64, u64), u64> = HashMap::new();
    let mut by_predicted: HashMap<u64, u64> = HashMap::new();
    let mut by_truth: HashMap<u64, u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *cells.entry((*p, *t)).or_default() += 1;
        *by_predicted.entry(*p).or_default() += 1;
        *by_truth.entry(*t).or_default() += 1;
    }
    let both: f64 = cells.values().map(|n| pairs(*n)).sum();
    let linked: f64 = by_predicted.values().map(|n| pairs(*n)).sum();
    let true_pairs: f64 = by_truth.values().map(|n| pairs(*n)).sum();
    let precision = if linked == 0.0 { 1.0 } else { both / linked };
    let recall = if true_pairs == 0.0 { 1.0 } else { both / true_pairs };
    Pairwise {
        precision,
        recall,
        f1: if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        },
        clusters: by_predicted.len() as u64,
    }
}

/// Records that stayed with their person: share of the records in a group whose predicted
/// person is the one holding most of their true person's records.
fn kept_with_majority(records: &[usize], predicted: &[u64], truth: &[u64], majority: &HashMap<u64, u64>) -> (u64, f64) {
    let kept = records
        .iter()
        .filter(|&&record| majority.get(&truth[record]) == Some(&predicted[record]))
        .count();
    let total = records.len() as u64;
    (total, if total == 0 { 1.0 } else { kept as f64 / total as f64 })
}

/// The evaluation report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evaluation {
    /// Records evaluated (with a true person).
    pub records: u64,
    /// Records without a truth entry (should be 0).
    pub records_unmatched: u64,
    /// True persons among the records.
    pub true_persons: u64,
    /// Identities (insurer + insured number).
    pub identities: u64,
    /// kaigo.
    pub kaigo: Pairwise,
    /// Baselines on the same tokens.
    pub baselines: BTreeMap<&'static str, Pairwise>,
    /// Pairwise recall among records of persons with each life event.
    pub recall_by_event: BTreeMap<&'static str, f64>,
    /// Share of noisy records kept with their person, by noise kind: (records, share).
    pub kept_by_noise: BTreeMap<String, (u64, f64)>,
    /// True persons whose records form exactly one predicted person with nothing else.
    pub persons_exact: f64,
    /// Pairs of homonyms or twins given one person.
    pub lookalike_false_merges: u64,
    /// Those pairs (truth person ids of the synthetic hub).
    pub lookalike_false_merge_pairs: Vec<(u64, u64)>,
    /// Homonym or twin pairs present in the records.
    pub lookalike_pairs: u64,
    /// False merges per 100,000 true persons.
    pub lookalike_false_merges_per_100k: f64,
}

/// Evaluate `resolution`; `paths` maps `source_file_id` to the file's path relative to the hub.
pub fn evaluate(resolution: &Resolution, truth: &Truth, paths: &HashMap<String, String>) -> Evaluation {
    let identities = &resolution.identities;
    let records: &[RecordRef] = &identities.records;
    let mut kept_records = Vec::new();
    let mut truth_labels = Vec::new();
    let mut unmatched = 0;
    for (index, record) in records.iter().enumerate() {
        let person = paths
            .get(identities.file_id(record))
            .and_then(|path| truth.person(path, record.source_line));
        match person {
            Some(person) => {
                kept_records.push(index);
                truth_labels.push(person);
            }
            None => unmatched += 1,
        }
    }
    let predicted: Vec<u64> = kept_records
        .iter()
        .map(|&index| resolution.cluster[records[index].identity as usize] as u64)
        .collect();
    // A record without a baseline key is a person of its own.
    let singleton = |key: Option<u64>, index: usize| key.unwrap_or(u64::MAX - index as u64);
    let id1: Vec<u64> = kept_records.iter().map(|&i| singleton(records[i].id1, i)).collect();
    let id2: Vec<u64> = kept_records.iter().map(|&i| singleton(records[i].id2, i)).collect();
    let either = union_of(&id1, &id2);
    let mut baselines = BTreeMap::new();
    baselines.insert("ID1", pairwise(&id1, &truth_labels));
    baselines.insert("ID2", pairwise(&id2, &truth_labels));
    baselines.insert("ID1 ∪ ID2", pairwise(&either, &truth_labels));

    // The predicted person holding most of each true person's records.
    let mut counts: HashMap<(u64, u64), u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(&truth_labels) {
        *counts.entry((*t, *p)).or_default() += 1;
    }
    let mut majority: HashMap<u64, (u64, u64)> = HashMap::new();
    for ((t, p), n) in &counts {
        let entry = majority.entry(*t).or_insert((*p, 0));
        if *n > entry.1 || (*n == entry.1 && *p < entry.0) {
            *entry = (*p, *n);
        }
    }
    let majority: HashMap<u64, u64> = majority.into_iter().map(|(t, (p, _))| (t, p)).collect();

    let mut recall_by_event = BTreeMap::new();
    for (event, persons) in [("insurer move", &truth.moved), ("surname change", &truth.renamed)] {
        let selected: Vec<usize> = (0..truth_labels.len())
            .filter(|&i| persons.contains(&truth_labels[i]))
            .collect();
        let sub_predicted: Vec<u64> = selected.iter().map(|&i| predicted[i]).collect();
        let sub_truth: Vec<u64> = selected.iter().map(|&i| truth_labels[i]).collect();
        recall_by_event.insert(event, pairwise(&sub_predicted, &sub_truth).recall);
    }
    let mut by_noise: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (position, &index) in kept_records.iter().enumerate() {
        let record = &records[index];
        if let Some(kinds) = paths
            .get(identities.file_id(record))
            .and_then(|path| truth.noise.get(&(path.clone(), record.source_line)))
        {
            for kind in kinds {
                by_noise.entry(kind.clone()).or_default().push(position);
            }
        }
    }
    let kept_by_noise = by_noise
        .into_iter()
        .map(|(kind, positions)| {
            (
                kind,
                kept_with_majority(&positions, &predicted, &truth_labels, &majority),
            )
        })
        .collect();

    // Exact persons: the majority cluster holds all of the person's records and nobody else's.
    let mut cluster_persons: HashMap<u64, HashSet<u64>> = HashMap::new();
    for (p, t) in predicted.iter().zip(&truth_labels) {
        cluster_persons.entry(*p).or_default().insert(*t);
    }
    let mut person_clusters: HashMap<u64, HashSet<u64>> = HashMap::new();
    for (p, t) in predicted.iter().zip(&truth_labels) {
        person_clusters.entry(*t).or_default().insert(*p);
    }
    let exact = person_clusters
        .iter()
        .filter(|(person, clusters)| {
            clusters.len() == 1
                && cluster_persons[clusters.iter().next().expect("one")].len() == 1
                && **person < u64::MAX
        })
        .count();
    let present: HashSet<u64> = truth_labels.iter().copied().collect();
    let mut lookalike_pairs = 0;
    let mut false_merges = 0;
    let mut false_merge_pairs = Vec::new();
    for (person, other) in &truth.lookalikes {
        if !(present.contains(person) && present.contains(other)) {
            continue;
        }
        lookalike_pairs += 1;
        let shared = person_clusters[person]
            .intersection(&person_clusters[other])
            .next()
            .is_some();
        false_merges += u64::from(shared);
        if shared {
            false_merge_pairs.push((*person, *other));
        }
    }
    let true_persons = person_clusters.len() as u64;
    Evaluation {
        records: truth_labels.len() as u64,
        records_unmatched: unmatched,
        true_persons,
        identities: resolution.identities.identities.len() as u64,
        kaigo: pairwise(&predicted, &truth_labels),
        baselines,
        recall_by_event,
        kept_by_noise,
        persons_exact: exact as f64 / true_persons.max(1) as f64,
        lookalike_false_merges: false_merges,
        lookalike_false_merge_pairs: false_merge_pairs,
        lookalike_pairs,
        lookalike_false_merges_per_100k: false_merges as f64 * 100_000.0 / true_persons.max(1) as f64,
    }
}

/// Labels of the union of two clusterings (records linked by either).
fn union_of(left: &[u64], right: &[u64]) -> Vec<u64> {
    let n = left.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    for labels in [left, right] {
        let mut first: HashMap<u64, usize> = HashMap::new();
        for (index, label) in labels.iter().enumerate() {
            let head = *first.entry(*label).or_insert(index);
            let (a, b) = (root(&mut parent, head), root(&mut parent, index));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..n).map(|index| root(&mut parent, index) as u64).collect()
}

impl Evaluation {
    /// The table `kaigo linkage evaluate` prints.
    pub fn render(&self) -> String {
        let mut out = format!(
            "linkage on {} records of {} true persons ({} identities; {} records without truth)\n\n",
            self.records, self.true_persons, self.identities, self.records_unmatched
        );
        out.push_str(&format!(
            "{:<12} {:>10} {:>10} {:>10} {:>10}\n",
            "method", "precision", "recall", "F1", "persons"
        ));
        let row = |name: &str, p: &Pairwise| {
            format!(
                "{:<12} {:>10.5} {:>10.5} {:>10.5} {:>10}\n",
                name, p.precision, p.recall, p.f1, p.clusters
            )
        };
        out.push_str(&row("kaigo", &self.kaigo));
        for (name, baseline) in &self.baselines {
            out.push_str(&row(name, baseline));
        }
        out.push_str("\nrecall by life event\n");
        for (event, recall) in &self.recall_by_event {
            out.push_str(&format!("  {event:<24} {recall:.5}\n"));
        }
        out.push_str("records kept with their person, by injected noise\n");
        for (kind, (records, share)) in &self.kept_by_noise {
            out.push_str(&format!("  {kind:<24} {share:.5} of {records}\n"));
        }
        out.push_str(&format!(
            "persons resolved exactly   {:.5}\nhomonym/twin false merges  {} of {} pairs ({:.2} per 100,000 persons)\n",
            self.persons_exact, self.lookalike_false_merges, self.lookalike_pairs, self.lookalike_false_merges_per_100k
        ));
        out
    }
}
