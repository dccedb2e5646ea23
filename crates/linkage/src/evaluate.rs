//! Linkage quality against a synthetic hub's ground truth, beside the NDB-style baselines.
//!
//! Every record of `record_tokens` is traced to its true person through its file and line
//! (`truth/<delivery>/records.csv`); each identity (insurer + insured number) gets the true person
//! of most of its records. The headline is at the level users read, **pairs of identities**: all
//! records of one identity are linked by construction, so pairs of records are dominated by
//! within-identity pairs and hide false merges across insurers. Reported:
//! - identity-pair precision, recall and F1 for kaigo and for ID1 (insurer + number + birth date +
//!   sex), ID2 (kana name + birth date + sex) and ID1 ∪ ID2 on the same tokens;
//! - cluster measures over identities: B-cubed precision and recall, the share of true persons
//!   split over several persons, merged with another, or resolved exactly;
//! - identity-pair recall among the persons with each life event (insurer move, surname change,
//!   number re-issued at the same insurer) or injected noise (number typo, full-width number,
//!   kana variant, missing birth day, birth month or sex wrong);
//! - false merges — pairs of true persons given one person — by cause: injected homonym, twin,
//!   natural coincidence (same kana name, birth date and sex by chance), other;
//! - secondary, labelled as such: the same precision/recall over pairs of records, and the share
//!   of noisy records kept with their person.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use crate::{LinkageError, Resolution, identities::RecordRef};

/// Ground truth of a synthetic hub (`<hub>/truth/`).
#[derive(Debug, Default)]
pub struct Truth {
    /// Per file path: (first line, last line, person), sorted.
    runs: HashMap<String, Vec<(i64, i64, u64)>>,
    /// Persons who moved insurer / changed surname / were given a new number by their insurer.
    moved: HashSet<u64>,
    renamed: HashSet<u64>,
    reissued: HashSet<u64>,
    /// Injected homonyms and twins: (person, of whom).
    homonyms: HashSet<(u64, u64)>,
    twins: HashSet<(u64, u64)>,
    /// Per person, a hash of (kana name, birth date, sex): equal for a natural coincidence.
    signature: HashMap<u64, u64>,
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
    /// Read `truth/` of a hub: `persons.csv` and every delivery folder's `records.csv`,
    /// `events.csv` and `noise.csv` (a hub generated delivery by delivery has only some).
    pub fn load(truth: &Path) -> Result<Self, LinkageError> {
        let bad = |path: &Path, problem: &str| LinkageError::Truth {
            path: path.to_path_buf(),
            problem: problem.to_string(),
        };
        let mut deliveries: Vec<PathBuf> = std::fs::read_dir(truth)
            .map_err(|error| bad(truth, &error.to_string()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.is_dir()
                    && path
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().bytes().all(|byte| byte.is_ascii_digit()))
            })
            .collect();
        deliveries.sort();
        let mut result = Self::default();
        for folder in &deliveries {
            let path = folder.join("records.csv");
            for row in read_csv(&path)? {
                let [file, first, last, person] = &row[..] else {
                    return Err(bad(&path, "expected file,first_line,last_line,person_id"));
                };
                let parse = |text: &str| text.parse::<i64>().map_err(|_| bad(&path, "not a number"));
                result
                    .runs
                    .entry(file.clone())
                    .or_default()
                    .push((parse(first)?, parse(last)?, parse(person)? as u64));
            }
            let path = folder.join("events.csv");
            for row in read_csv(&path)? {
                let person: u64 = row[0].parse().map_err(|_| bad(&path, "person_id"))?;
                match row.get(2).map(String::as_str) {
                    Some("move") => {
                        result.moved.insert(person);
                    }
                    Some("surname_change") => {
                        result.renamed.insert(person);
                    }
                    Some("number_reissue") => {
                        result.reissued.insert(person);
                    }
                    _ => {}
                }
            }
            let path = folder.join("noise.csv");
            for row in read_csv(&path)? {
                let line: i64 = row[1].parse().map_err(|_| bad(&path, "line"))?;
                result
                    .noise
                    .entry((row[0].clone(), line))
                    .or_default()
                    .push(row[4].clone());
            }
        }
        for runs in result.runs.values_mut() {
            runs.sort_unstable();
        }
        let path = truth.join("persons.csv");
        for row in read_csv(&path)? {
            result.persons += 1;
            let person: u64 = row[0].parse().map_err(|_| bad(&path, "person_id"))?;
            let [_, _, sex, birth, kana, ..] = &row[..] else {
                return Err(bad(&path, "expected person_id,insurer_number,sex,birth_date,kana_name"));
            };
            let mut hasher = std::hash::DefaultHasher::new();
            (kana, birth, sex).hash(&mut hasher);
            result.signature.insert(person, hasher.finish());
            for (column, set) in [(9, &mut result.homonyms), (10, &mut result.twins)] {
                if let Some(other) = row.get(column).and_then(|text| text.parse::<u64>().ok()) {
                    set.insert((person.min(other), person.max(other)));
                }
            }
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

/// Precision, recall and F1 of predicted labels against true labels (one per item).
fn pairwise(predicted: &[u64], truth: &[u64]) -> Pairwise {
    Contingency::new(predicted, truth).pairwise()
}

/// How many items each (predicted, true) label pair holds, and each label alone.
struct Contingency {
    cells: HashMap<(u64, u64), u64>,
    predicted: HashMap<u64, u64>,
    truth: HashMap<u64, u64>,
    items: usize,
}

impl Contingency {
    fn new(predicted: &[u64], truth: &[u64]) -> Self {
        let mut table = Self {
            cells: HashMap::new(),
            predicted: HashMap::new(),
            truth: HashMap::new(),
            items: predicted.len(),
        };
        for (&p, &t) in predicted.iter().zip(truth) {
            *table.cells.entry((p, t)).or_default() += 1;
            *table.predicted.entry(p).or_default() += 1;
            *table.truth.entry(t).or_default() += 1;
        }
        table
    }

    /// Precision, recall and F1 over pairs of items.
    fn pairwise(&self) -> Pairwise {
        let both: f64 = self.cells.values().map(|n| pairs(*n)).sum();
        let linked: f64 = self.predicted.values().map(|n| pairs(*n)).sum();
        let true_pairs: f64 = self.truth.values().map(|n| pairs(*n)).sum();
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
            clusters: self.predicted.len() as u64,
        }
    }

    /// B-cubed and the shares of true persons split, merged and exact.
    fn clusters(&self) -> Clusters {
        if self.items == 0 {
            return Clusters::default();
        }
        // Each of the n items of a cell scores n / |cluster| (precision) and n / |person| (recall).
        let (mut precision, mut recall) = (0.0, 0.0);
        let mut clusters_of: HashMap<u64, u64> = HashMap::new();
        let mut persons_in: HashMap<u64, u64> = HashMap::new();
        for (&(p, t), &n) in &self.cells {
            let n = n as f64;
            precision += n * n / self.predicted[&p] as f64;
            recall += n * n / self.truth[&t] as f64;
            *clusters_of.entry(t).or_default() += 1;
            *persons_in.entry(p).or_default() += 1;
        }
        let merged_persons: HashSet<u64> = self
            .cells
            .keys()
            .filter(|(p, _)| persons_in[p] > 1)
            .map(|&(_, t)| t)
            .collect();
        let (mut split, mut exact) = (0, 0);
        for (t, &clusters) in &clusters_of {
            split += u64::from(clusters > 1);
            exact += u64::from(clusters == 1 && !merged_persons.contains(t));
        }
        let persons = self.truth.len() as f64;
        Clusters {
            bcubed_precision: precision / self.items as f64,
            bcubed_recall: recall / self.items as f64,
            persons_split: split as f64 / persons,
            persons_merged: merged_persons.len() as f64 / persons,
            persons_exact: exact as f64 / persons,
        }
    }

    /// The predicted label holding most of each true label's items (the smallest on a tie).
    fn majority(&self) -> HashMap<u64, u64> {
        let mut majority: HashMap<u64, (u64, u64)> = HashMap::new();
        for (&(p, t), &n) in &self.cells {
            let entry = majority.entry(t).or_insert((p, 0));
            if n > entry.1 || (n == entry.1 && p < entry.0) {
                *entry = (p, n);
            }
        }
        majority.into_iter().map(|(t, (p, _))| (t, p)).collect()
    }

    /// Pairs of distinct true labels that share a predicted label, by cause.
    fn false_merges(&self, truth: &Truth) -> BTreeMap<&'static str, u64> {
        let mut persons_of: HashMap<u64, Vec<u64>> = HashMap::new();
        for &(p, t) in self.cells.keys() {
            persons_of.entry(p).or_default().push(t);
        }
        let mut causes: BTreeMap<&'static str, u64> = ["injected homonym", "twin", "natural coincidence", "other"]
            .into_iter()
            .map(|cause| (cause, 0))
            .collect();
        for persons in persons_of.values_mut() {
            persons.sort_unstable();
            for (position, &a) in persons.iter().enumerate() {
                for &b in &persons[position + 1..] {
                    let cause = if truth.homonyms.contains(&(a, b)) {
                        "injected homonym"
                    } else if truth.twins.contains(&(a, b)) {
                        "twin"
                    } else if truth
                        .signature
                        .get(&a)
                        .is_some_and(|sign| truth.signature.get(&b) == Some(sign))
                    {
                        "natural coincidence"
                    } else {
                        "other"
                    };
                    *causes.get_mut(cause).expect("every cause listed") += 1;
                }
            }
        }
        causes
    }
}

/// One clustering scored against the truth, and the baselines on the same tokens.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Methods {
    /// kaigo.
    pub kaigo: Pairwise,
    /// ID1, ID2 and ID1 ∪ ID2.
    pub baselines: BTreeMap<&'static str, Pairwise>,
}

/// How the predicted persons sit over the true persons, counted over identities.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Clusters {
    /// Mean over identities of the share of its predicted person that is its true person.
    pub bcubed_precision: f64,
    /// Mean over identities of the share of its true person that is in its predicted person.
    pub bcubed_recall: f64,
    /// True persons whose identities are spread over more than one predicted person.
    pub persons_split: f64,
    /// True persons whose predicted person also holds another true person's identity.
    pub persons_merged: f64,
    /// True persons resolved exactly: one predicted person holding them and nobody else.
    pub persons_exact: f64,
}

/// Identity-pair recall among the persons with one life event or kind of noise.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct EventRecall {
    /// True persons with the event.
    pub persons: u64,
    /// Those with more than one identity (the only ones a linkage can miss).
    pub persons_with_several_identities: u64,
    /// Share of their true identity pairs linked (`None` when there is no such pair).
    pub recall: Option<f64>,
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
    /// Identities (insurer + insured number) with evaluated records.
    pub identities: u64,
    /// Identities holding records of more than one true person (a mistyped number that is
    /// another person's): merged by construction, whatever the linkage does.
    pub identities_mixed: u64,
    /// The headline: precision, recall and F1 over pairs of identities.
    pub identity_pairs: Methods,
    /// Cluster measures over identities.
    pub clusters: Clusters,
    /// Identity-pair recall by life event and by injected noise.
    pub recall_by_event: BTreeMap<&'static str, EventRecall>,
    /// Pairs of true persons given one predicted person, by cause.
    pub false_merges_by_cause: BTreeMap<&'static str, u64>,
    /// False merges per 100,000 true persons.
    pub false_merges_per_100k: f64,
    /// Injected homonym and twin pairs whose both persons are in the records.
    pub lookalike_pairs: u64,
    /// Pairs of true persons in the records who share kana name, birth date and sex by chance
    /// (not injected): what a false merge of cause "natural coincidence" is drawn from.
    pub coincidence_pairs: u64,
    /// Secondary: the same measures over pairs of records (within-identity pairs dominate).
    pub record_pairs: Methods,
    /// Secondary: share of noisy records kept with their person's main predicted person, by
    /// noise kind: (records, share).
    pub kept_by_noise: BTreeMap<String, (u64, f64)>,
}

/// The life events and noise kinds recall is reported for, and the noise kinds of the truth
/// they gather (moves, surname changes and re-issued numbers come from the truth's events).
const EVENTS: [(&str, &[&str]); 9] = [
    ("insurer move", &[]),
    ("surname change", &[]),
    ("number re-issued", &[]),
    ("number typo", &["digit_typo"]),
    ("full-width number", &["full_width_digits"]),
    (
        "kana variant",
        &[
            "kana_small",
            "kana_voiced_mark",
            "kana_long_vowel",
            "kana_spacing",
            "kana_half_width",
            "kana_name_order",
        ],
    ),
    ("missing birth day", &["missing_birth_day"]),
    ("birth month wrong", &["birth_month_wrong"]),
    ("sex wrong", &["sex_wrong"]),
];

/// Each loaded file's source file id → its path in the hub (the key of the truth's records),
/// from the warehouse's manifests.
pub fn source_paths(warehouse: &kaigo_warehouse::Warehouse) -> Result<HashMap<String, String>, LinkageError> {
    Ok(warehouse
        .manifests()?
        .into_iter()
        .flat_map(|manifest| manifest.files)
        .map(|file| (file.source_file_id, file.path))
        .collect())
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
    let record_identity: Vec<usize> = kept_records
        .iter()
        .map(|&index| records[index].identity as usize)
        .collect();
    let predicted: Vec<u64> = record_identity
        .iter()
        .map(|&identity| u64::from(resolution.cluster[identity]))
        .collect();
    // A record without a baseline key is a person of its own.
    let singleton = |key: Option<u64>, index: usize| key.unwrap_or(u64::MAX - index as u64);
    let id1: Vec<u64> = kept_records.iter().map(|&i| singleton(records[i].id1, i)).collect();
    let id2: Vec<u64> = kept_records.iter().map(|&i| singleton(records[i].id2, i)).collect();
    let either = union_of(&id1, &id2);

    // Identity level: each identity's true person is that of most of its records.
    let identity = IdentityLabels::new(&record_identity, &truth_labels);
    let at_identities = |labels: &[u64]| identity.components(&record_identity, labels);
    let identity_predicted = identity.per_identity(|index| u64::from(resolution.cluster[index]));
    let identity_table = Contingency::new(&identity_predicted, &identity.truth);
    let identity_pairs = Methods {
        kaigo: identity_table.pairwise(),
        baselines: BTreeMap::from([
            ("ID1", pairwise(&at_identities(&id1), &identity.truth)),
            ("ID2", pairwise(&at_identities(&id2), &identity.truth)),
            ("ID1 ∪ ID2", pairwise(&at_identities(&either), &identity.truth)),
        ]),
    };
    let clusters = identity_table.clusters();

    let mut persons_by_event: HashMap<&'static str, HashSet<u64>> = HashMap::from([
        ("insurer move", truth.moved.clone()),
        ("surname change", truth.renamed.clone()),
        ("number re-issued", truth.reissued.clone()),
    ]);
    let mut noisy_records: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (position, &index) in kept_records.iter().enumerate() {
        let record = &records[index];
        if let Some(kinds) = paths
            .get(identities.file_id(record))
            .and_then(|path| truth.noise.get(&(path.clone(), record.source_line)))
        {
            for kind in kinds {
                noisy_records.entry(kind.clone()).or_default().push(position);
                if let Some((event, _)) = EVENTS.iter().find(|(_, kinds)| kinds.contains(&kind.as_str())) {
                    persons_by_event
                        .entry(event)
                        .or_default()
                        .insert(truth_labels[position]);
                }
            }
        }
    }
    let recall_by_event = EVENTS
        .iter()
        .map(|(event, _)| {
            let persons = persons_by_event.remove(event).unwrap_or_default();
            (*event, identity.event_recall(&identity_predicted, &persons))
        })
        .collect();

    let false_merges_by_cause = identity_table.false_merges(truth);
    let present: HashSet<u64> = identity.truth.iter().copied().collect();
    let lookalikes: HashSet<(u64, u64)> = truth
        .homonyms
        .iter()
        .chain(&truth.twins)
        .filter(|(a, b)| present.contains(a) && present.contains(b))
        .copied()
        .collect();
    let lookalike_pairs = lookalikes.len() as u64;
    let coincidence_pairs = coincidences(truth, &present, &lookalikes);
    let true_persons = present.len() as u64;
    let false_merge_total: u64 = false_merges_by_cause.values().sum();

    let record_table = Contingency::new(&predicted, &truth_labels);
    let majority = record_table.majority();
    let kept_by_noise = noisy_records
        .into_iter()
        .map(|(kind, positions)| {
            let kept = kept_with_majority(&positions, &predicted, &truth_labels, &majority);
            (kind, kept)
        })
        .collect();
    Evaluation {
        records: truth_labels.len() as u64,
        records_unmatched: unmatched,
        true_persons,
        identities: identity.truth.len() as u64,
        identities_mixed: identity.mixed,
        identity_pairs,
        clusters,
        recall_by_event,
        false_merges_by_cause,
        false_merges_per_100k: false_merge_total as f64 * 100_000.0 / true_persons.max(1) as f64,
        lookalike_pairs,
        coincidence_pairs,
        record_pairs: Methods {
            kaigo: record_table.pairwise(),
            baselines: BTreeMap::from([
                ("ID1", pairwise(&id1, &truth_labels)),
                ("ID2", pairwise(&id2, &truth_labels)),
                ("ID1 ∪ ID2", pairwise(&either, &truth_labels)),
            ]),
        },
        kept_by_noise,
    }
}

/// Pairs of `present` persons with one signature (kana name, birth date, sex) that are not among
/// the injected `lookalikes` (homonym and twin pairs, both present).
fn coincidences(truth: &Truth, present: &HashSet<u64>, lookalikes: &HashSet<(u64, u64)>) -> u64 {
    let mut by_signature: HashMap<u64, u64> = HashMap::new();
    for person in present {
        if let Some(signature) = truth.signature.get(person) {
            *by_signature.entry(*signature).or_default() += 1;
        }
    }
    let sharing: u64 = by_signature.values().map(|count| count * (count - 1) / 2).sum();
    let injected = lookalikes
        .iter()
        .filter(|(a, b)| {
            truth
                .signature
                .get(a)
                .is_some_and(|signature| truth.signature.get(b) == Some(signature))
        })
        .count() as u64;
    sharing - injected
}

/// The identities that have evaluated records, each with its true person.
struct IdentityLabels {
    /// Identity index (into the resolution) of each evaluated identity.
    index: Vec<usize>,
    /// Position of an identity index among the evaluated ones.
    position: HashMap<usize, usize>,
    /// True person of each evaluated identity: that of most of its records (the smallest on a tie).
    truth: Vec<u64>,
    /// Identities whose records belong to more than one true person.
    mixed: u64,
}

impl IdentityLabels {
    fn new(record_identity: &[usize], truth_labels: &[u64]) -> Self {
        let mut counts: BTreeMap<usize, BTreeMap<u64, u64>> = BTreeMap::new();
        for (&identity, &person) in record_identity.iter().zip(truth_labels) {
            *counts.entry(identity).or_default().entry(person).or_default() += 1;
        }
        let mut labels = Self {
            index: Vec::with_capacity(counts.len()),
            position: HashMap::with_capacity(counts.len()),
            truth: Vec::with_capacity(counts.len()),
            mixed: 0,
        };
        for (identity, persons) in counts {
            let (&person, _) = persons
                .iter()
                .max_by(|(a, n), (b, m)| n.cmp(m).then(b.cmp(a)))
                .expect("an identity with records");
            labels.mixed += u64::from(persons.len() > 1);
            labels.position.insert(identity, labels.index.len());
            labels.index.push(identity);
            labels.truth.push(person);
        }
        labels
    }

    fn per_identity(&self, label: impl Fn(usize) -> u64) -> Vec<u64> {
        self.index.iter().map(|&identity| label(identity)).collect()
    }

    /// Identity labels of a record-level clustering: identities are one person when any of their
    /// records share a label (the connected components).
    fn components(&self, record_identity: &[usize], record_labels: &[u64]) -> Vec<u64> {
        components(
            self.index.len(),
            record_identity
                .iter()
                .zip(record_labels)
                .map(|(identity, &label)| (self.position[identity], label)),
        )
    }

    /// Identity-pair recall among the identities of `persons`.
    fn event_recall(&self, predicted: &[u64], persons: &HashSet<u64>) -> EventRecall {
        let selected: Vec<usize> = (0..self.truth.len())
            .filter(|&position| persons.contains(&self.truth[position]))
            .collect();
        let mut identities_of: HashMap<u64, u64> = HashMap::new();
        for &position in &selected {
            *identities_of.entry(self.truth[position]).or_default() += 1;
        }
        let several = identities_of.values().filter(|&&count| count > 1).count() as u64;
        let sub_predicted: Vec<u64> = selected.iter().map(|&position| predicted[position]).collect();
        let sub_truth: Vec<u64> = selected.iter().map(|&position| self.truth[position]).collect();
        EventRecall {
            persons: persons.len() as u64,
            persons_with_several_identities: several,
            recall: (several > 0).then(|| pairwise(&sub_predicted, &sub_truth).recall),
        }
    }
}

/// Connected components of `items` items joined when they carry one label; each item's label
/// is the smallest item of its component.
fn components<Label: Hash + Eq>(items: usize, labels: impl IntoIterator<Item = (usize, Label)>) -> Vec<u64> {
    fn root(parent: &mut [usize], mut node: usize) -> usize {
        while parent[node] != node {
            parent[node] = parent[parent[node]];
            node = parent[node];
        }
        node
    }
    let mut parent: Vec<usize> = (0..items).collect();
    let mut first: HashMap<Label, usize> = HashMap::new();
    for (item, label) in labels {
        let head = *first.entry(label).or_insert(item);
        let (a, b) = (root(&mut parent, head), root(&mut parent, item));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    (0..items).map(|item| root(&mut parent, item) as u64).collect()
}

/// Records that stayed with their person: (records, share of them in their true person's
/// majority predicted person).
fn kept_with_majority(
    positions: &[usize],
    predicted: &[u64],
    truth: &[u64],
    majority: &HashMap<u64, u64>,
) -> (u64, f64) {
    let kept = positions
        .iter()
        .filter(|&&position| majority.get(&truth[position]) == Some(&predicted[position]))
        .count();
    let total = positions.len() as u64;
    (total, if total == 0 { 1.0 } else { kept as f64 / total as f64 })
}

/// Labels of the union of two clusterings (records linked by either).
fn union_of(left: &[u64], right: &[u64]) -> Vec<u64> {
    let first = left.iter().enumerate().map(|(item, &label)| (item, (0, label)));
    let second = right.iter().enumerate().map(|(item, &label)| (item, (1, label)));
    components(left.len(), first.chain(second))
}

impl Evaluation {
    /// The report `kaigo linkage evaluate` prints: identity pairs first, record pairs last.
    pub fn render(&self) -> String {
        let mut out = format!(
            "linkage on {} identities (insurer + insured number) of {} true persons; {} records, {} without truth; \
             {} identities hold records of two persons\n\n",
            self.identities, self.true_persons, self.records, self.records_unmatched, self.identities_mixed
        );
        let table = |out: &mut String, title: &str, methods: &Methods| {
            out.push_str(&format!(
                "{title:<34} {:>10} {:>10} {:>10} {:>10}\n",
                "precision", "recall", "F1", "persons"
            ));
            for (name, scores) in std::iter::once(("kaigo", &methods.kaigo))
                .chain(methods.baselines.iter().map(|(name, scores)| (*name, scores)))
            {
                out.push_str(&format!(
                    "  {name:<32} {:>10.5} {:>10.5} {:>10.5} {:>10}\n",
                    scores.precision, scores.recall, scores.f1, scores.clusters
                ));
            }
        };
        table(&mut out, "pairs of identities", &self.identity_pairs);
        let clusters = &self.clusters;
        out.push_str(&format!(
            "\nB-cubed over identities            precision {:.5}  recall {:.5}\n\
             true persons                       exact {:.5}  split {:.5}  merged {:.5}\n",
            clusters.bcubed_precision,
            clusters.bcubed_recall,
            clusters.persons_exact,
            clusters.persons_split,
            clusters.persons_merged
        ));
        out.push_str("\nidentity-pair recall by life event   persons  with 2+ identities  recall\n");
        for (event, recall) in &self.recall_by_event {
            let shown = recall
                .recall
                .map_or_else(|| "—".to_string(), |value| format!("{value:.5}"));
            out.push_str(&format!(
                "  {event:<32} {:>9} {:>19}  {shown}\n",
                recall.persons, recall.persons_with_several_identities
            ));
        }
        let total: u64 = self.false_merges_by_cause.values().sum();
        out.push_str(&format!(
            "\nfalse merges (pairs of true persons in one person): {total} ({:.2} per 100,000 persons; \
             {} homonym/twin pairs and {} natural coincidences present)\n",
            self.false_merges_per_100k, self.lookalike_pairs, self.coincidence_pairs
        ));
        for (cause, count) in &self.false_merges_by_cause {
            out.push_str(&format!("  {cause:<32} {count:>9}\n"));
        }
        out.push('\n');
        table(&mut out, "pairs of records (secondary)", &self.record_pairs);
        out.push_str("records kept with their person, by injected noise (secondary)\n");
        for (kind, (records, share)) in &self.kept_by_noise {
            out.push_str(&format!("  {kind:<32} {share:.5} of {records}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six identities of three true persons, A = {0, 1, 2}, B = {3, 4}, C = {5}, predicted as
    /// {0, 1}, {2, 3, 4}, {5}. Values by hand:
    /// - true pairs 0-1, 0-2, 1-2, 3-4; predicted pairs 0-1, 2-3, 2-4, 3-4; both 0-1, 3-4:
    ///   precision 2/4, recall 2/4;
    /// - B-cubed precision per identity 1, 1, 1/3, 2/3, 2/3, 1 → 14/3 / 6 = 7/9; recall
    ///   2/3, 2/3, 1/3, 1, 1, 1 → 14/3 / 6 = 7/9;
    /// - A is split (two persons); A and B are merged (one person holds both); C is exact.
    const TRUTH: [u64; 6] = [10, 10, 10, 20, 20, 30];
    const PREDICTED: [u64; 6] = [1, 1, 2, 2, 2, 3];

    fn close(left: f64, right: f64) -> bool {
        (left - right).abs() < 1e-12
    }

    #[test]
    fn identity_pairs_and_cluster_measures_match_the_hand_computed_values() {
        let scores = pairwise(&PREDICTED, &TRUTH);
        assert!(close(scores.precision, 0.5) && close(scores.recall, 0.5) && close(scores.f1, 0.5));
        assert_eq!(scores.clusters, 3);
        let clusters = Contingency::new(&PREDICTED, &TRUTH).clusters();
        assert!(close(clusters.bcubed_precision, 7.0 / 9.0), "{clusters:?}");
        assert!(close(clusters.bcubed_recall, 7.0 / 9.0), "{clusters:?}");
        assert!(close(clusters.persons_split, 1.0 / 3.0), "{clusters:?}");
        assert!(close(clusters.persons_merged, 2.0 / 3.0), "{clusters:?}");
        assert!(close(clusters.persons_exact, 1.0 / 3.0), "{clusters:?}");
    }

    #[test]
    fn an_identity_takes_the_person_of_most_of_its_records() {
        // Identity 7: records of 10, 10, 20 → 10, and mixed; identity 8: 20 and 30 tie → 20.
        let labels = IdentityLabels::new(&[7, 7, 7, 8, 8, 9], &[10, 10, 20, 30, 20, 30]);
        assert_eq!(labels.index, [7, 8, 9]);
        assert_eq!(labels.truth, [10, 20, 30]);
        assert_eq!(labels.mixed, 2);
    }

    #[test]
    fn a_record_clustering_joins_the_identities_whose_records_share_a_label() {
        // Records (identity, label): identities 0 and 1 share x; 2, 3 share y; 3, 4 share z.
        let labels = IdentityLabels::new(&[0, 1, 2, 3, 3, 4, 5], &[1; 7]);
        let joined = labels.components(&[0, 1, 2, 3, 3, 4, 5], &[100, 100, 200, 200, 300, 300, 400]);
        assert_eq!(joined, [0, 0, 2, 2, 2, 5]);
        assert_eq!(union_of(&[1, 1, 2, 3], &[5, 6, 7, 7]), [0, 0, 2, 2]);
    }

    #[test]
    fn event_recall_counts_only_the_pairs_of_the_persons_with_the_event() {
        let labels = IdentityLabels::new(&[0, 1, 2, 3, 4, 5], &TRUTH);
        // A (10) has three identities, two linked: 1 of its 3 pairs.
        let a = labels.event_recall(&PREDICTED, &HashSet::from([10]));
        assert_eq!((a.persons, a.persons_with_several_identities), (1, 1));
        assert!(close(a.recall.unwrap(), 1.0 / 3.0));
        // A and B: pairs 0-1, 0-2, 1-2, 3-4, linked 0-1 and 3-4.
        assert!(close(
            labels
                .event_recall(&PREDICTED, &HashSet::from([10, 20]))
                .recall
                .unwrap(),
            0.5
        ));
        // C has one identity: nothing to miss.
        let c = labels.event_recall(&PREDICTED, &HashSet::from([30]));
        assert_eq!((c.persons_with_several_identities, c.recall), (0, None));
    }

    #[test]
    fn false_merges_are_pairs_of_true_persons_by_cause() {
        let mut truth = Truth::default();
        truth.homonyms.insert((10, 20));
        truth.signature.extend([(30, 1), (40, 1), (50, 2), (60, 3)]);
        truth.twins.insert((50, 70));
        // Persons {10, 20, 20}, {30, 40}, {50, 60}, {70}.
        let causes =
            Contingency::new(&[1, 1, 1, 2, 2, 3, 3, 4], &[10, 20, 20, 30, 40, 50, 60, 70]).false_merges(&truth);
        assert_eq!(causes["injected homonym"], 1);
        assert_eq!(causes["natural coincidence"], 1);
        assert_eq!(causes["other"], 1);
        assert_eq!(causes["twin"], 0);
    }

    #[test]
    fn coincidences_are_pairs_sharing_a_signature_that_were_not_injected() {
        let mut truth = Truth::default();
        // Three persons share signature 1 (3 pairs); 10 and 20 share 2 as injected homonyms;
        // 60 shares 1 but is not in the records.
        truth
            .signature
            .extend([(30, 1), (40, 1), (50, 1), (60, 1), (10, 2), (20, 2)]);
        let present = HashSet::from([10, 20, 30, 40, 50]);
        assert_eq!(coincidences(&truth, &present, &HashSet::from([(10, 20)])), 3);
    }
}
