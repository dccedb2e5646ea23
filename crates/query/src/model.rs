//! The models of `sql/`: one SELECT per file, a TOML sidecar beside it, layers, and the order
//! they build in.
//!
//! `sql/<layer>/<name>.sql` is one SELECT; `sql/<layer>/<name>.toml` says what it is:
//!
//! ```toml
//! description = "The person-month panel outcome analysis starts from."
//! grain = ["person_key", "month_key"]          # ⇒ each not null, and unique together
//!
//! [[columns]]                                  # every output column, in output order
//! name = "person_key"
//! type = "text"                                 # enforced: the build fails on another type
//! ja = "仮名化個人キー"
//! en = "pseudonymous person key"
//! relationships = { table = "person_map", column = "person_key" }
//!
//! [[columns]]
//! name = "care_level_code"
//! type = "text"
//! ja = "要介護状態区分コード"
//! en = "care level of the certification in force"
//! accepted_values = ["12", "13", "21", "22", "23", "24", "25"]
//! not_null = true
//!
//! [[invariants]]                                # rows matching `fails_when` fail the build
//! name = "units_not_negative"
//! fails_when = "insurance_units < 0"
//! ```
//!
//! Layers run left to right — `staging` → `marts` → `rollout` / `outcomes` — and a model may read
//! the sources (the loaded tables, `person_map`, the reference tables) and models of its own layer
//! or layers to its left, never to its right, and `rollout` and `outcomes` not each other. A
//! loaded table that has a staging model `stg_<table>` is read only through it: the person
//! linkage and month arithmetic are written once, in staging. Staging models are views (checked at
//! build, never written); the other layers are tables. The tables a model reads are taken from its
//! SQL (common table expressions excluded), which also gives the build order. A model may declare
//! `slice_by` (built in slices of persons) and `incremental` (rebuilt only where new deliveries
//! change it, from the staging views' `changes_from`); see [`Sidecar`].

use std::collections::{BTreeMap, BTreeSet};

use deltalake::datafusion::sql::{parser::DFParser, resolve::resolve_table_references};

use crate::QueryError;

/// A layer of `sql/`, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Loaded tables, linkage's `person_map`, reference tables from `kaigo-codes`.
    Source,
    /// `stg_`: views, one row per loaded row, with its linked person and typed months.
    Staging,
    /// `dim_` and `fct_`: entities and events.
    Marts,
    /// `rollout_`: how far the hub roll-out has got.
    Rollout,
    /// `outcomes_`: care outcomes.
    Outcomes,
}

impl Layer {
    /// The folder of `sql/` (`None` for sources).
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Self::Source => None,
            Self::Staging => Some("staging"),
            Self::Marts => Some("marts"),
            Self::Rollout => Some("rollout"),
            Self::Outcomes => Some("outcomes"),
        }
    }

    fn from_folder(folder: &str) -> Option<Self> {
        [Self::Staging, Self::Marts, Self::Rollout, Self::Outcomes]
            .into_iter()
            .find(|layer| layer.folder() == Some(folder))
    }

    /// Whether a model of this layer may read a table of `other`.
    pub fn may_read(self, other: Layer) -> bool {
        let rank = |layer: Layer| match layer {
            Self::Source => 0,
            Self::Staging => 1,
            Self::Marts => 2,
            Self::Rollout | Self::Outcomes => 3,
        };
        rank(other) < rank(self) || other == self
    }
}

/// One column of a sidecar.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDoc {
    /// Name.
    pub name: String,
    /// SQL type (`text`, `smallint`, `int`, `bigint`, `double`, `boolean`, `date`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Japanese description.
    pub ja: String,
    /// English description.
    pub en: String,
    /// Check: no nulls.
    #[serde(default)]
    pub not_null: bool,
    /// Check: no value outside this list (nulls pass; add `not_null` to refuse them).
    #[serde(default)]
    pub accepted_values: Option<Vec<toml::Value>>,
    /// Check: every non-null value exists in `table.column`.
    #[serde(default)]
    pub relationships: Option<Relationship>,
}

/// A relationship check's target.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    /// Table.
    pub table: String,
    /// Column.
    pub column: String,
}

/// A custom check: the rows matching `fails_when` fail the build.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Invariant {
    /// Name, shown when it fails.
    pub name: String,
    /// A boolean SQL expression over the model's columns, true on a failing row.
    pub fails_when: String,
    /// Why it must hold.
    #[serde(default)]
    pub description: String,
}

/// A model's sidecar (`<name>.toml`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    /// What the model is for and how it is computed (English; formulas go here).
    pub description: String,
    /// Columns that identify a row.
    pub grain: Vec<String>,
    /// Every output column, in output order.
    pub columns: Vec<ColumnDoc>,
    /// Custom checks.
    #[serde(default)]
    pub invariants: Vec<Invariant>,
    /// A grain column by which the model is built in slices when the memory budget is smaller
    /// than the whole needs: each slice is the model's rows whose key hashes to it, so together
    /// they are the model exactly. Worth declaring where that filter reaches the model's joins
    /// and windows (they join and partition by this key).
    #[serde(default)]
    pub slice_by: Option<String>,
    /// Staging views: a SQL expression over the view's columns giving the first month (YYYYMM)
    /// a row can change in the models built on it; null means every month of its person. The
    /// incremental build reads it off a new delivery's rows.
    #[serde(default)]
    pub changes_from: Option<String>,
    /// Declares that a new delivery changes this model only from its rows' months on (see
    /// `changes_from`) and, for the persons it relinks, in every month, so that `kaigo build`
    /// rewrites only those rows. The model's row of a person and month may then depend only on
    /// that person's rows of that month or earlier and on which months the data holds.
    #[serde(default)]
    pub incremental: Option<Incremental>,
}

/// The grain columns an incremental model's rewritten rows are chosen by.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    /// The person (`person_key`).
    pub person: String,
    /// The month, YYYYMM.
    pub month: String,
    /// The staging views whose months are the months the model has rows for: a month new in one
    /// of them rewrites that month for every person.
    #[serde(default)]
    pub months_of: Vec<String>,
}

/// A model: its SQL, sidecar and layer.
#[derive(Debug, Clone)]
pub struct Model {
    /// Table name (= file stem).
    pub name: String,
    /// Layer (= folder).
    pub layer: Layer,
    /// The SELECT.
    pub sql: String,
    /// The sidecar.
    pub sidecar: Sidecar,
    /// Tables the SELECT reads (sources and models), sorted.
    pub reads: Vec<String>,
}

/// The models shipped with kaigo: `(layer folder, name, sql, sidecar)`, embedded at build time
/// from `sql/` (see `build.rs`).
pub const SHIPPED: &[(&str, &str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/models.rs"));

impl Model {
    /// Parse one model from its files' contents.
    pub fn parse(folder: &str, name: &str, sql: &str, sidecar: &str) -> Result<Self, QueryError> {
        let invalid = |reason: String| QueryError::Model {
            model: name.to_string(),
            reason,
        };
        let layer = Layer::from_folder(folder).ok_or_else(|| invalid(format!("sql/{folder}/ is not a layer")))?;
        let sidecar: Sidecar =
            toml::from_str(sidecar).map_err(|error| invalid(format!("sidecar {name}.toml: {}", error.message())))?;
        let mut statements = DFParser::parse_sql(sql).map_err(|error| invalid(format!("cannot parse: {error}")))?;
        if statements.len() != 1 {
            return Err(invalid(format!(
                "{} statements; a model is one SELECT",
                statements.len()
            )));
        }
        let statement = statements.pop_front().expect("one statement");
        let (tables, _) = resolve_table_references(&statement, true)
            .map_err(|error| invalid(format!("cannot resolve its tables: {error}")))?;
        let reads: BTreeSet<String> = tables.iter().map(|table| table.table().to_string()).collect();
        for column in &sidecar.grain {
            if !sidecar.columns.iter().any(|doc| &doc.name == column) {
                return Err(invalid(format!(
                    "grain column {column} is not among the sidecar's columns"
                )));
            }
        }
        if let Some(column) = &sidecar.slice_by
            && !sidecar.grain.contains(column)
        {
            return Err(invalid(format!("slice_by {column} is not a grain column")));
        }
        if let Some(incremental) = &sidecar.incremental {
            for column in [&incremental.person, &incremental.month] {
                if !sidecar.grain.contains(column) {
                    return Err(invalid(format!("incremental: {column} is not a grain column")));
                }
            }
        }
        if let Some(view) = sidecar
            .incremental
            .iter()
            .flat_map(|incremental| &incremental.months_of)
            .find(|view| !reads.contains(*view))
        {
            return Err(invalid(format!(
                "incremental: months_of {view} is not a table it reads"
            )));
        }
        if sidecar.changes_from.is_some() && layer != Layer::Staging {
            return Err(invalid("changes_from is declared by staging views only".into()));
        }
        Ok(Self {
            name: name.to_string(),
            layer,
            sql: sql.to_string(),
            sidecar,
            reads: reads.into_iter().collect(),
        })
    }

    /// The sidecar's documentation of `column`.
    pub fn column(&self, column: &str) -> Option<&ColumnDoc> {
        self.sidecar.columns.iter().find(|doc| doc.name == column)
    }
}

/// The shipped models in build order: each after every model it reads, layer by layer, by name
/// within a layer. Fails when a model reads a table that is neither a source (`sources`) nor a
/// model, reads a layer to its right, or models read each other in a cycle.
pub fn shipped(sources: &BTreeSet<String>) -> Result<Vec<Model>, QueryError> {
    let models = SHIPPED
        .iter()
        .map(|(folder, name, sql, sidecar)| Model::parse(folder, name, sql, sidecar))
        .collect::<Result<Vec<_>, _>>()?;
    order(models, sources)
}

/// Check every model's reads against the layers and order them (see [`shipped`]).
pub fn order(models: Vec<Model>, sources: &BTreeSet<String>) -> Result<Vec<Model>, QueryError> {
    let layers: BTreeMap<String, Layer> = models.iter().map(|model| (model.name.clone(), model.layer)).collect();
    for model in &models {
        for table in &model.reads {
            let layer = match layers.get(table.as_str()) {
                Some(layer) => *layer,
                None if sources.contains(table) => Layer::Source,
                None => {
                    return Err(QueryError::Model {
                        model: model.name.clone(),
                        reason: format!("reads {table}, which is neither a warehouse table nor a model"),
                    });
                }
            };
            let staged = format!("stg_{table}");
            if model.layer != Layer::Staging && layer == Layer::Source && layers.contains_key(&staged) {
                return Err(QueryError::Model {
                    model: model.name.clone(),
                    reason: format!("reads {table}, which models read through {staged}"),
                });
            }
            let declares_changes = models
                .iter()
                .any(|read| &read.name == table && read.sidecar.changes_from.is_some());
            if model.sidecar.incremental.is_some() && !declares_changes {
                return Err(QueryError::Model {
                    model: model.name.clone(),
                    reason: format!(
                        "is incremental but reads {table}: an incremental model reads only staging views that declare \
                         changes_from"
                    ),
                });
            }
            if !model.layer.may_read(layer) {
                return Err(QueryError::Model {
                    model: model.name.clone(),
                    reason: format!(
                        "a {:?} model may not read {table} ({:?}): models read only layers to their left",
                        model.layer, layer
                    ),
                });
            }
        }
    }
    let mut pending: Vec<Model> = models;
    pending.sort_by(|a, b| (a.layer, &a.name).cmp(&(b.layer, &b.name)));
    let mut ordered: Vec<Model> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|model| {
            model
                .reads
                .iter()
                .all(|table| !layers.contains_key(table.as_str()) || ordered.iter().any(|done| &done.name == table))
        });
        match ready {
            Some(index) => ordered.push(pending.remove(index)),
            None => {
                return Err(QueryError::Model {
                    model: pending[0].name.clone(),
                    reason: "models read each other in a cycle".into(),
                });
            }
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIDECAR: &str = r#"
description = "x"
grain = ["a"]
[[columns]]
name = "a"
type = "int"
ja = "エー"
en = "a"
"#;

    fn model(folder: &str, name: &str, sql: &str) -> Model {
        Model::parse(folder, name, sql, SIDECAR).unwrap()
    }

    fn sources() -> BTreeSet<String> {
        ["claim_statements".to_string()].into()
    }

    #[test]
    fn models_build_after_what_they_read_and_ctes_are_not_tables() {
        let models = vec![
            model("rollout", "rollout_x", "select a from fct_b"),
            model(
                "marts",
                "fct_b",
                "with stg as (select 1 as a) select a from stg_a join stg on true",
            ),
            model("staging", "stg_a", "select 1 as a from claim_statements"),
        ];
        assert_eq!(models[1].reads, ["stg_a"]);
        let names: Vec<String> = order(models, &sources())
            .unwrap()
            .into_iter()
            .map(|model| model.name)
            .collect();
        assert_eq!(names, ["stg_a", "fct_b", "rollout_x"]);
    }

    #[test]
    fn a_staged_table_is_read_only_through_its_staging_model() {
        let staged = || model("staging", "stg_claim_statements", "select 1 as a from claim_statements");
        let around = vec![staged(), model("marts", "fct_b", "select a from claim_statements")];
        let error = order(around, &sources()).unwrap_err().to_string();
        assert!(
            error.contains("fct_b") && error.contains("through stg_claim_statements"),
            "{error}"
        );
        let through = vec![staged(), model("marts", "fct_b", "select a from stg_claim_statements")];
        assert!(order(through, &sources()).is_ok());
        // Without a staging model the table is read directly.
        assert!(
            order(
                vec![model("marts", "fct_b", "select a from claim_statements")],
                &sources()
            )
            .is_ok()
        );
    }

    #[test]
    fn reading_a_layer_to_the_right_or_an_unknown_table_fails() {
        let wrong = vec![
            model("marts", "fct_b", "select a from rollout_x"),
            model("rollout", "rollout_x", "select 1 as a from claim_statements"),
        ];
        let error = order(wrong, &sources()).unwrap_err().to_string();
        assert!(
            error.contains("fct_b") && error.contains("layers to their left"),
            "{error}"
        );
        let sibling = vec![
            model("outcomes", "outcomes_y", "select a from rollout_x"),
            model("rollout", "rollout_x", "select 1 as a from claim_statements"),
        ];
        assert!(order(sibling, &sources()).is_err());
        let unknown = vec![model("marts", "fct_b", "select a from vault_tokens")];
        let error = order(unknown, &sources()).unwrap_err().to_string();
        assert!(error.contains("neither a warehouse table nor a model"), "{error}");
        let cycle = vec![
            model("marts", "fct_b", "select a from fct_c"),
            model("marts", "fct_c", "select a from fct_b"),
        ];
        assert!(order(cycle, &sources()).unwrap_err().to_string().contains("cycle"));
    }

    #[test]
    fn a_model_is_one_select_with_a_complete_sidecar() {
        assert!(Model::parse("marts", "fct_b", "select 1; select 2", SIDECAR).is_err());
        assert!(Model::parse("elsewhere", "fct_b", "select 1", SIDECAR).is_err());
        let no_grain_column = SIDECAR.replace("grain = [\"a\"]", "grain = [\"b\"]");
        assert!(Model::parse("marts", "fct_b", "select 1", &no_grain_column).is_err());
        let typo = format!("{SIDECAR}\nnot_nul = true");
        assert!(Model::parse("marts", "fct_b", "select 1", &typo).is_err());
    }

    #[test]
    fn every_shipped_model_parses_and_orders() {
        let models = shipped(&crate::runner::sources()).unwrap();
        assert_eq!(models.len(), SHIPPED.len());
        for model in &models {
            let prefix = match model.layer {
                Layer::Staging => "stg_",
                Layer::Marts if model.name.starts_with("dim_") => "dim_",
                Layer::Marts => "fct_",
                Layer::Rollout => "rollout_",
                Layer::Outcomes => "outcomes_",
                Layer::Source => unreachable!(),
            };
            assert!(model.name.starts_with(prefix), "{}", model.name);
        }
    }
}
