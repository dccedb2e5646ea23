//! The public release as the site reads it: `cells.parquet`, `registry.parquet` and
//! `manifest.json` from a `publish/` folder, and nothing else.

use std::{collections::BTreeMap, path::Path};

use arrow::{
    array::{Array, AsArray, RecordBatch},
    datatypes::{Float64Type, Int32Type, Int64Type, UInt32Type},
};

use crate::{Result, SiteError};

/// One published cell (see kaigo-disclosure's release).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Count column or rate name.
    pub indicator: String,
    /// national, prefecture or municipality.
    pub area_level: String,
    /// 00, a prefecture code or an insurer number.
    pub area_code: String,
    /// month or fiscal_year.
    pub period_level: String,
    /// YYYYMM or the fiscal year.
    pub period_key: u32,
    /// The value; None when suppressed or undefined.
    pub value: Option<f64>,
    /// As shown: the number, "―" or "…".
    pub display: String,
    /// A rate over fewer than 20 events.
    pub is_unstable: bool,
}

/// One insurer in one registry month (public roll-out facts).
#[derive(Debug, Clone, PartialEq)]
pub struct Insurer {
    /// Insurer number.
    pub insurer_number: String,
    /// Registry month, YYYYMM.
    pub month_key: u32,
    /// Insurer name.
    pub insurer_name: String,
    /// Prefecture (JIS, 2 digits).
    pub prefecture_code: String,
    /// 1 designated city / Tokyo ward, 2 core city, 3 other, 4 joint insurer.
    pub size_class_code: String,
    /// Insured 65+ (public statistics).
    pub population_65_plus: u64,
    /// 1 confirmed, 2 being arranged, 3 not yet arranged.
    pub status_code: String,
    /// Planned start month, once published.
    pub planned_start_month_key: Option<u32>,
    /// Start month, once started.
    pub started_month_key: Option<u32>,
    /// Started on or before the month.
    pub is_live: bool,
    /// Live with the previous month's published users not improbably few; `None` where that
    /// cell is suppressed or not available.
    pub is_data_flowing: Option<bool>,
    /// Started or planned by the FY2027 target.
    pub is_scheduled_by_target: bool,
}

/// An indicator's labels from the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Count column or rate name.
    pub name: String,
    /// Japanese label.
    pub ja: String,
    /// English label.
    pub en: String,
    /// persons, providers or rate.
    pub unit: String,
}

/// Everything the site is built from.
#[derive(Debug, Clone)]
pub struct Published {
    /// Cells by (indicator, area code, period level, period key).
    pub cells: BTreeMap<(String, String, String, u32), Cell>,
    /// Registry rows, by insurer then month.
    pub registry: Vec<Insurer>,
    /// Indicators in release order.
    pub indicators: Vec<Indicator>,
    /// Footnotes by mark (―, …, is_unstable).
    pub footnotes: BTreeMap<String, String>,
    /// The rules' person minimum etc., as the manifest records them.
    pub rules: serde_json::Value,
    /// SHA-256 of the published cells (the release's digest).
    pub digest: String,
}

impl Published {
    /// Reads a `publish/` folder.
    pub fn read(folder: &Path) -> Result<Self> {
        let manifest_path = folder.join("manifest.json");
        let manifest: serde_json::Value =
            serde_json::from_slice(&read(&manifest_path)?).map_err(|error| SiteError::Input {
                path: manifest_path.clone(),
                reason: error.to_string(),
            })?;
        let text = |value: &serde_json::Value, key: &str| value[key].as_str().unwrap_or_default().to_string();
        let indicators = manifest["indicators"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|indicator| Indicator {
                name: text(indicator, "name"),
                ja: text(indicator, "ja"),
                en: text(indicator, "en"),
                unit: text(indicator, "unit"),
            })
            .collect();
        let footnotes = manifest["footnotes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(mark, note)| (mark.clone(), note.as_str().unwrap_or_default().to_string()))
            .collect();

        let mut cells = BTreeMap::new();
        for batch in read_parquet(&folder.join("cells.parquet"))? {
            let column = |name: &str| {
                batch
                    .column_by_name(name)
                    .ok_or_else(|| missing(folder, "cells.parquet", name))
            };
            let strings = |name: &str| -> Result<_> { Ok(column(name)?.as_string::<i32>().clone()) };
            let (indicator, area_level, area_code, period_level, display) = (
                strings("indicator")?,
                strings("area_level")?,
                strings("area_code")?,
                strings("period_level")?,
                strings("display")?,
            );
            let period_key = column("period_key")?.as_primitive::<UInt32Type>().clone();
            let value = column("value")?.as_primitive::<Float64Type>().clone();
            let unstable = column("is_unstable")?.as_boolean().clone();
            for row in 0..batch.num_rows() {
                let cell = Cell {
                    indicator: indicator.value(row).to_string(),
                    area_level: area_level.value(row).to_string(),
                    area_code: area_code.value(row).to_string(),
                    period_level: period_level.value(row).to_string(),
                    period_key: period_key.value(row),
                    value: (!value.is_null(row)).then(|| value.value(row)),
                    display: display.value(row).to_string(),
                    is_unstable: unstable.value(row),
                };
                let key = (
                    cell.indicator.clone(),
                    cell.area_code.clone(),
                    cell.period_level.clone(),
                    cell.period_key,
                );
                cells.insert(key, cell);
            }
        }

        let mut registry = Vec::new();
        for batch in read_parquet(&folder.join("registry.parquet"))? {
            let column = |name: &str| {
                batch
                    .column_by_name(name)
                    .ok_or_else(|| missing(folder, "registry.parquet", name))
            };
            let strings = |name: &str| -> Result<_> { Ok(column(name)?.as_string::<i32>().clone()) };
            let months = |name: &str| -> Result<_> { Ok(column(name)?.as_primitive::<Int32Type>().clone()) };
            let flags = |name: &str| -> Result<_> { Ok(column(name)?.as_boolean().clone()) };
            let (number, name, prefecture, size, status) = (
                strings("insurer_number")?,
                strings("insurer_name")?,
                strings("prefecture_code")?,
                strings("size_class_code")?,
                strings("status_code")?,
            );
            let (month, planned, started) = (
                months("month_key")?,
                months("planned_start_month_key")?,
                months("started_month_key")?,
            );
            let population = column("population_65_plus")?.as_primitive::<Int64Type>().clone();
            let (live, flowing, scheduled) = (
                flags("is_live")?,
                flags("is_data_flowing")?,
                flags("is_scheduled_by_target")?,
            );
            let optional =
                |array: &arrow::array::Int32Array, row: usize| (!array.is_null(row)).then(|| array.value(row) as u32);
            for row in 0..batch.num_rows() {
                registry.push(Insurer {
                    insurer_number: number.value(row).to_string(),
                    month_key: month.value(row) as u32,
                    insurer_name: name.value(row).to_string(),
                    prefecture_code: prefecture.value(row).to_string(),
                    size_class_code: size.value(row).to_string(),
                    population_65_plus: population.value(row).max(0) as u64,
                    status_code: status.value(row).to_string(),
                    planned_start_month_key: optional(&planned, row),
                    started_month_key: optional(&started, row),
                    is_live: !live.is_null(row) && live.value(row),
                    is_data_flowing: (!flowing.is_null(row)).then(|| flowing.value(row)),
                    is_scheduled_by_target: !scheduled.is_null(row) && scheduled.value(row),
                });
            }
        }
        registry.sort_by(|a, b| (&a.insurer_number, a.month_key).cmp(&(&b.insurer_number, b.month_key)));
        if registry.is_empty() {
            return Err(SiteError::Input {
                path: folder.join("registry.parquet"),
                reason: "no insurer in the registry".into(),
            });
        }
        Ok(Self {
            cells,
            registry,
            indicators,
            footnotes,
            rules: manifest["release"]["rules"].clone(),
            digest: text(&manifest["release"], "digest"),
        })
    }

    /// The data's "as of": the latest registry month whose national count of certified persons
    /// the release shows (a registry month can arrive before the claims that fill it), else the
    /// latest registry month.
    pub fn as_of(&self) -> u32 {
        let months = self.months();
        months
            .iter()
            .rev()
            .find(|month| {
                self.month_cell("n_certified", "00", **month)
                    .is_some_and(|cell| cell.value.is_some())
            })
            .or(months.last())
            .copied()
            .unwrap_or(0)
    }

    /// Registry rows of one month, by insurer.
    pub fn registry_at(&self, month_key: u32) -> impl Iterator<Item = &Insurer> {
        self.registry.iter().filter(move |row| row.month_key == month_key)
    }

    /// Registry months, ascending.
    pub fn months(&self) -> Vec<u32> {
        let mut months: Vec<u32> = self.registry.iter().map(|row| row.month_key).collect();
        months.sort_unstable();
        months.dedup();
        months
    }

    /// The latest month whose cell of `indicator` for `area_code` has a value (an outcome
    /// followed for a year has none for the last year of the data).
    pub fn latest_month_with_value(&self, indicator: &str, area_code: &str) -> Option<u32> {
        self.months().into_iter().rev().find(|month| {
            self.month_cell(indicator, area_code, *month)
                .is_some_and(|cell| cell.value.is_some())
        })
    }

    /// A monthly cell.
    pub fn month_cell(&self, indicator: &str, area_code: &str, month_key: u32) -> Option<&Cell> {
        self.cells.get(&(
            indicator.to_string(),
            area_code.to_string(),
            "month".to_string(),
            month_key,
        ))
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| SiteError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>> {
    let input = |reason: String| SiteError::Input {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| SiteError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|error| input(error.to_string()))?
        .build()
        .map_err(|error| input(error.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|error| input(error.to_string()))
}

fn missing(folder: &Path, file: &str, column: &str) -> SiteError {
    SiteError::Input {
        path: folder.join(file),
        reason: format!("no column {column}"),
    }
}
