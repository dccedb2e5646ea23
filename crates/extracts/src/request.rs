//! The extract request (`REQUEST.toml`) and the policy it is checked against before anything
//! is read.

use std::collections::BTreeMap;

use kaigo_codes::calendar::YearMonth;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{ExtractError, Result};

/// A researcher's request, as approved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtractRequest {
    /// Project id: lower-case letters, digits and '-' (it names the folder and derives the
    /// project's key).
    pub project: String,
    /// Who asked (recorded in the audit log).
    pub requested_by: String,
    /// Service months, inclusive: `YYYY-MM..YYYY-MM`.
    pub period: String,
    /// The cohort: persons with a month in the period for which this condition over
    /// `fct_person_months` holds (SQL; `true` for everyone).
    pub cohort: String,
    /// Quasi-identifiers of the persons table: any of `sex_code`, `age_band` (at the period's
    /// first month), `prefecture_code`, `insurer_number` (at the person's first cohort month).
    pub quasi_identifiers: Vec<String>,
    /// Smallest equivalence class allowed (and smallest cohort). At least [`MINIMUM_K`].
    pub k: u64,
    /// ℓ-diversity of a sensitive attribute within every equivalence class, if asked for.
    #[serde(default)]
    pub l_diversity: Option<LDiversity>,
    /// How coarse every released month or date is: `month` (the default), `quarter` or `year`
    /// (the period's start, e.g. 202707 → 202707 / 202707 / 202701). Months of events are
    /// quasi-identifiers, so a coarser grain is how a request with event months reaches k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generalize_months: Option<String>,
    /// The tables and columns approved.
    pub tables: Vec<TableRequest>,
}

/// ℓ-diversity: every equivalence class holds at least `l` distinct values of `attribute`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LDiversity {
    /// A sensitive attribute of the persons table: `care_level_code` (at the first cohort month).
    pub attribute: String,
    /// Distinct values needed per class.
    pub l: u64,
}

/// One approved table and its columns (`person_key` is always included, re-keyed).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableRequest {
    /// Table name.
    pub name: String,
    /// Columns.
    pub columns: Vec<String>,
}

/// The smallest k a request may ask for: the publication rule's minimum cell.
pub const MINIMUM_K: u64 = 10;

/// Person attributes the persons table can carry as quasi-identifiers.
pub const QUASI_IDENTIFIERS: [&str; 4] = ["sex_code", "age_band", "prefecture_code", "insurer_number"];

/// The grains a request may generalize months and dates to.
pub const MONTH_GRAINS: [&str; 3] = ["month", "quarter", "year"];

/// Is a released column a month or a date of an event (a quasi-identifier)? Integer columns
/// named `…month_key`; dates by their type (see the extract).
pub fn is_month_key(column: &str) -> bool {
    column.ends_with("month_key")
}

/// Sensitive attributes ℓ-diversity can be asked over.
pub const SENSITIVE_ATTRIBUTES: [&str; 1] = ["care_level_code"];

/// The person-level tables an extract may read, with the month column its period applies to.
pub const EXTRACTABLE_TABLES: [(&str, Option<&str>); 4] = [
    ("dim_persons", None),
    ("fct_person_months", Some("month_key")),
    ("fct_outcome_cohorts", Some("base_month_key")),
    ("fct_adl_evaluations", Some("start_month_key")),
];

/// Why a column may never leave in an extract, by name; checked before the table's own columns.
fn forbidden(column: &str) -> Option<&'static str> {
    let column = column.to_ascii_lowercase();
    if column.contains("name") || column.contains("kana") || column.contains("kanji") {
        Some("a name")
    } else if column.contains("insured_number") || column == "identity_key" || column.contains("token") {
        Some("an insured number or a token derived from one")
    } else if column.contains("birth") {
        Some("a birth date (ask for the quasi-identifier age_band instead)")
    } else if column == "provider_number" || column == "medical_institution_number" {
        Some("a facility identifier (provider-level results are in the public release)")
    } else {
        None
    }
}

impl ExtractRequest {
    /// Parse a request; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|error| ExtractError::Request {
            origin: origin.to_string(),
            reason: error.to_string(),
        })
    }

    /// SHA-256 of the request's canonical form (its fields as JSON): the same request written
    /// differently has the same hash.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).expect("a request serializes")))
    }

    /// The period's first and last month.
    pub fn months(&self) -> Result<(YearMonth, YearMonth)> {
        let refuse = |reason: String| ExtractError::Refused { reason };
        let (first, last) = self
            .period
            .split_once("..")
            .ok_or_else(|| refuse(format!("period {:?}: expected YYYY-MM..YYYY-MM", self.period)))?;
        let parse = |text: &str| {
            YearMonth::parse_dashed(text)
                .map_err(|_| refuse(format!("period {:?}: {text:?} is not YYYY-MM", self.period)))
        };
        let (first, last) = (parse(first)?, parse(last)?);
        if last < first {
            return Err(refuse(format!("period {:?} ends before it starts", self.period)));
        }
        Ok((first, last))
    }

    /// Checks the request against the policy, given the warehouse's tables and their columns.
    /// Every problem found is listed, so one round trip fixes them all.
    pub fn check(&self, warehouse_columns: &BTreeMap<String, Vec<String>>) -> Result<()> {
        let mut problems = Vec::new();
        if self.project.len() < 3
            || self.project.len() > 64
            || !self
                .project
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        {
            problems.push("project: 3–64 characters of a–z, 0–9 and '-'".to_string());
        }
        if self.requested_by.trim().is_empty() {
            problems.push("requested_by: say who asks".to_string());
        }
        if let Err(ExtractError::Refused { reason }) = self.months() {
            problems.push(reason);
        }
        if self.k < MINIMUM_K {
            problems.push(format!("k = {}: at least {MINIMUM_K}", self.k));
        }
        for identifier in &self.quasi_identifiers {
            if !QUASI_IDENTIFIERS.contains(&identifier.as_str()) {
                problems.push(format!(
                    "quasi_identifiers: {identifier} is not one of {}",
                    QUASI_IDENTIFIERS.join(", ")
                ));
            }
        }
        if let Some(diversity) = &self.l_diversity {
            if !SENSITIVE_ATTRIBUTES.contains(&diversity.attribute.as_str()) {
                problems.push(format!(
                    "l_diversity: {} is not one of {}",
                    diversity.attribute,
                    SENSITIVE_ATTRIBUTES.join(", ")
                ));
            }
            if diversity.l < 2 {
                problems.push("l_diversity: l must be at least 2".to_string());
            }
        }
        if let Some(grain) = &self.generalize_months
            && !MONTH_GRAINS.contains(&grain.as_str())
        {
            problems.push(format!(
                "generalize_months: {grain} is not one of {}",
                MONTH_GRAINS.join(", ")
            ));
        }
        if self.tables.is_empty() {
            problems.push("tables: name at least one".to_string());
        }
        for table in &self.tables {
            if !EXTRACTABLE_TABLES.iter().any(|(name, _)| *name == table.name) {
                let zone = match kaigo_warehouse::table(&table.name) {
                    Some(spec) if spec.zone == kaigo_warehouse::Zone::Vault => "a vault table: never extracted",
                    _ if warehouse_columns.contains_key(&table.name) => {
                        "not a person-level table approved for extracts"
                    }
                    _ => "not a table of the warehouse",
                };
                problems.push(format!(
                    "table {}: {zone} (extractable: {})",
                    table.name,
                    EXTRACTABLE_TABLES.map(|(name, _)| name).join(", ")
                ));
                continue;
            }
            let available = warehouse_columns.get(&table.name);
            for column in &table.columns {
                if let Some(reason) = forbidden(column) {
                    problems.push(format!("{}.{column}: {reason} never leaves in an extract", table.name));
                } else if QUASI_IDENTIFIERS.contains(&column.as_str()) && !self.quasi_identifiers.contains(column) {
                    problems.push(format!(
                        "{}.{column}: a quasi-identifier; list it in quasi_identifiers so k covers it, or drop it",
                        table.name
                    ));
                } else if !(available.is_some_and(|columns| columns.contains(column))
                    || (table.name == "dim_persons" && column == "age_band"))
                {
                    problems.push(format!("{}.{column}: no such column", table.name));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ExtractError::Refused {
                reason: problems.join("; "),
            })
        }
    }
}
