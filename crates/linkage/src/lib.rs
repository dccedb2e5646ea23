//! Person linkage: the vault's per-record tokens → persons, with a pseudonymous `person_key`.
//!
//! The unit is the *identity*: all records of one insurer and insured number ([`identities`]).
//! Identities are resolved into persons by a Fellegi–Sunter model over token agreements, with
//! parameters estimated from the data and term-frequency adjustment for names and birth dates
//! ([`model`]), blocking that keeps comparisons few, and clustering that respects what real life
//! forbids ([`cluster`]). [`evaluate`] measures the result against a synthetic hub's ground
//! truth, beside the NDB-style baselines ID1 and ID2. Everything works on keyed tokens; no clear
//! identifier is read. The design and its measured accuracy: `docs/decisions/2026-11-27-linkage.md`.
//!
//! ```no_run
//! # async fn example() -> Result<(), kaigo_linkage::LinkageError> {
//! use kaigo_linkage::{LinkageConfig, link};
//! let warehouse = kaigo_warehouse::Warehouse::new("wh");
//! let key = kaigo_pseudonymize::key::SecretKey::load(std::path::Path::new("kaigo.key")).expect("key");
//! let run = link(&warehouse, &key, &LinkageConfig::default()).await?;
//! println!("{} identities → {} persons", run.resolution.identities.identities.len(), run.resolution.persons());
//! # Ok(()) }
//! ```
//!
//! [`link`] is the production entry point: it reads only deliveries not yet summarized
//! ([`incremental`]), resolves, and rewrites the warehouse's `person_map` (`identity_key →
//! person_key`). [`load_identities`] + [`resolve`] is the bulk path evaluation and
//! explanations use, as they need every record.
//!
//! What this crate does not do: read clear identifiers, or write any table but `person_map`.

pub mod cluster;
pub mod evaluate;
pub mod identities;
pub mod incremental;
pub mod model;

pub use incremental::{LinkRun, link};

use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    token::{Field as TokenField, Token, Tokenizer},
};
use kaigo_warehouse::{Warehouse, columns::Table, tables::RecordTokenRow};

use crate::{
    cluster::{ClusterStats, Edge},
    identities::Identities,
    model::{Parameters, compare},
};

/// Errors of linkage.
#[derive(Debug, thiserror::Error)]
pub enum LinkageError {
    /// The vault could not be read.
    #[error(transparent)]
    Warehouse(#[from] kaigo_warehouse::WarehouseError),
    /// The vault's tables are not what linkage expects.
    #[error("record_tokens: {0}")]
    Input(String),
    /// A kept per-delivery summary could not be read or written.
    #[error("linkage summary {path}: {problem}")]
    Summary {
        /// File.
        path: std::path::PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Ground truth for evaluation could not be read.
    #[error("truth {path}: {problem}")]
    Truth {
        /// File.
        path: std::path::PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl LinkageError {
    /// Whether the user can fix it: a hub without readable truth, or the warehouse's own cases.
    pub fn is_user(&self) -> bool {
        match self {
            LinkageError::Truth { .. } => true,
            LinkageError::Warehouse(error) => error.is_user(),
            LinkageError::Input(_) | LinkageError::Summary { .. } => false,
        }
    }
}

/// Settings of a linkage run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkageConfig {
    /// Blocks with more identities than this are skipped (counted in the result).
    pub max_block: usize,
    /// Months two identities may overlap and still be one person (a move month).
    pub overlap_tolerance_months: u32,
    /// Posterior match probability a pair needs; the weight threshold is derived from it and
    /// the prior odds of a random pair (1 / identities).
    pub min_posterior: f64,
}

impl Default for LinkageConfig {
    fn default() -> Self {
        Self {
            max_block: 500,
            overlap_tolerance_months: 1,
            min_posterior: 0.999,
        }
    }
}

/// Read every identity from the vault's `record_tokens`, deliveries in order.
pub async fn load_identities(warehouse: &Warehouse) -> Result<Identities, LinkageError> {
    let spec = RecordTokenRow::spec();
    let mut identities = Identities::default();
    let mut failure = None;
    warehouse
        .visit_rows(spec, |batch| {
            if failure.is_none()
                && let Err(error) = identities.add_batch(&batch)
            {
                failure = Some(error);
            }
        })
        .await?;
    if let Some(error) = failure {
        return Err(error);
    }
    identities.finish();
    Ok(identities)
}

/// The outcome of a linkage run.
#[derive(Debug)]
pub struct Resolution {
    /// The identities and records linked.
    pub identities: Identities,
    /// Per identity, the smallest identity index of its person.
    pub cluster: Vec<u32>,
    /// The model.
    pub parameters: Parameters,
    /// Pairs compared.
    pub pairs_compared: usize,
    /// Blocks skipped as too large.
    pub blocks_skipped: u64,
    /// Weight a pair needed, in bits.
    pub threshold: f64,
    /// Clustering counts.
    pub stats: ClusterStats,
    /// The settings used.
    pub config: LinkageConfig,
}

impl Resolution {
    /// Number of persons.
    pub fn persons(&self) -> usize {
        self.cluster
            .iter()
            .enumerate()
            .filter(|(index, cluster)| *index as u32 == **cluster)
            .count()
    }

    /// The person key of each identity: a keyed token of its person's anchor — the identity seen
    /// first (earliest month, then smallest token) — so it is stable while the person's earliest
    /// identity is, and reveals nothing without the key.
    pub fn person_keys(&self, key: &SecretKey) -> Vec<String> {
        self.person_tokens(key).iter().map(Token::to_hex).collect()
    }

    /// [`Resolution::person_keys`] as tokens: a quarter of the memory of their hex.
    pub fn person_tokens(&self, key: &SecretKey) -> Vec<Token> {
        let tokens = Tokenizer::new(key, Purpose::PersonKey);
        let list = &self.identities.identities;
        let mut anchor: Vec<u32> = (0..list.len() as u32).collect();
        for (index, cluster) in self.cluster.iter().enumerate() {
            let current = anchor[*cluster as usize] as usize;
            let candidate = &list[index];
            let best = &list[current];
            if (candidate.first_month, candidate.token) < (best.first_month, best.token) {
                anchor[*cluster as usize] = index as u32;
            }
        }
        // A cluster is numbered by its smallest member: its token is made before any other
        // member's is copied from it.
        let mut person = Vec::with_capacity(list.len());
        for (index, cluster) in self.cluster.iter().enumerate() {
            let token = if *cluster as usize == index {
                let anchor = &list[anchor[index] as usize];
                tokens.token(TokenField::PersonKey, &format!("person/{}", hex::encode(anchor.token)))
            } else {
                person[*cluster as usize]
            };
            person.push(token);
        }
        person
    }
}

/// Link the identities: block, estimate the model, score, cluster.
pub fn resolve(mut identities: Identities, config: &LinkageConfig) -> Resolution {
    let candidates = cluster::candidates(&identities.identities, config);
    // Of two numbers one digit apart, the one with fewer records is a mistyped copy (of two
    // alike, the later in token order).
    for &(left, right) in &candidates.by_number {
        let [a, b] = [left, right].map(|index| &identities.identities[index as usize]);
        let copy = if a.records < b.records { left } else { right };
        identities.identities[copy as usize].mistyped_copy = true;
    }
    let list = &identities.identities;
    // Pairs real life rules out (two numbers of one insurer at once, …) are not shown to EM:
    // namesakes living side by side would teach it that a missing re-issue or move is common
    // among matches.
    let possible = |pairs: &[(u32, u32)]| -> Vec<(u32, u32)> {
        pairs
            .iter()
            .copied()
            .filter(|&(left, right)| cluster::conflict(&list[left as usize], &list[right as usize], config).is_none())
            .collect()
    };
    let parameters = model::estimate(
        &identities,
        &possible(&candidates.by_number),
        &possible(&candidates.by_demographics),
    );
    let pairs = candidates.all();
    let mut edges: Vec<Edge> = pairs
        .iter()
        .map(|&(left, right)| {
            let (a, b) = (&list[left as usize], &list[right as usize]);
            Edge {
                left,
                right,
                weight: parameters.weight(a, b, &compare(a, b)),
            }
        })
        .collect();
    // Posterior ≥ p ⇔ weight ≥ log2(p / (1 − p)) − log2(prior odds), prior odds ≈ 1 / identities.
    let threshold = (config.min_posterior / (1.0 - config.min_posterior)).log2() + (list.len().max(2) as f64).log2();
    let (assignment, stats) = cluster::cluster(list, &mut edges, threshold, config);
    tracing::info!(
        identities = list.len(),
        pairs = pairs.len(),
        merges = stats.merges,
        threshold,
        "linked"
    );
    Resolution {
        pairs_compared: pairs.len(),
        blocks_skipped: candidates.blocks_skipped,
        threshold,
        stats,
        config: config.clone(),
        cluster: assignment,
        parameters,
        identities,
    }
}

/// A pair's weight, comparison by comparison, and what linkage decided.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// Contributions in comparison order.
    pub contributions: Vec<model::Contribution>,
    /// Total weight in bits.
    pub weight: f64,
    /// The threshold in bits.
    pub threshold: f64,
    /// Whether the two records ended up with one person.
    pub same_person: bool,
    /// Whether the two records are of one identity (same insurer and number): no comparison.
    pub same_identity: bool,
    /// Why the two cannot be one person, if a constraint says so.
    pub conflict: Option<&'static str>,
}

impl Resolution {
    /// Explain the link between two records, each given as (source file id, line).
    pub fn explain(&self, left: (&str, i64), right: (&str, i64)) -> Option<Explanation> {
        let find = |(file, line): (&str, i64)| {
            self.identities
                .records
                .iter()
                .find(|record| self.identities.file_id(record) == file && record.source_line == line)
                .map(|record| record.identity)
        };
        let (a, b) = (find(left)?, find(right)?);
        let list = &self.identities.identities;
        let (left, right) = (&list[a as usize], &list[b as usize]);
        let vector = compare(left, right);
        let contributions = self.parameters.contributions(left, right, &vector);
        Some(Explanation {
            weight: contributions.iter().map(|contribution| contribution.weight).sum(),
            contributions,
            threshold: self.threshold,
            same_person: self.cluster[a as usize] == self.cluster[b as usize],
            same_identity: a == b,
            conflict: cluster::conflict(left, right, &self.config),
        })
    }
}

impl Explanation {
    /// A text waterfall: each comparison's weight and the running total.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.same_identity {
            out.push_str("same insurer and insured number: one identity, linked without comparison\n");
        }
        let mut total = 0.0;
        for contribution in &self.contributions {
            total += contribution.weight;
            let bar_length = (contribution.weight.abs() / 2.0).round().min(30.0) as usize;
            let bar = if contribution.weight >= 0.0 { "+" } else { "-" }.repeat(bar_length);
            out.push_str(&format!(
                "{:<15} {:<24} {:>+7.2} {:>8.2}  {}{}\n",
                contribution.comparison.name(),
                contribution.level_name,
                contribution.weight,
                total,
                bar,
                if contribution.term_frequency {
                    "  (term frequency)"
                } else {
                    ""
                }
            ));
        }
        out.push_str(&format!(
            "{:<40} {:>+7.2}  threshold {:.2} → {}\n",
            "total",
            self.weight,
            self.threshold,
            if self.same_person {
                "same person"
            } else {
                "different persons"
            }
        ));
        if let Some(conflict) = self.conflict {
            out.push_str(&format!("refused whatever the weight: {conflict}\n"));
        }
        out
    }
}
