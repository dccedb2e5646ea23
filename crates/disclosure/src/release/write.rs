//! Writing a protected release: `cells.csv`, `cells.parquet`, `registry.parquet` (with the
//! data-flow flag derived from the released cells) and `manifest.json`, swapped in whole.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow::{
    array::{Array, ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt32Array},
    datatypes::{DataType, Field, Schema},
};
use kaigo_codes::calendar::YearMonth;
use kaigo_warehouse::files::{self, Access, WrittenFile};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AreaLevel, NOT_AVAILABLE_MARK, PublishedCell, Release, registry_column};
use crate::{CellStatus, DisclosureError, Result, Rules, SUPPRESSED_MARK};

/// What `kaigo release` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseReport {
    /// The folder written.
    pub folder: PathBuf,
    /// The source model and the version read.
    pub source: String,
    /// Source version.
    pub source_version: u64,
    /// The rules applied.
    pub rules: Rules,
    /// Per count: cells, suppressed, audit.
    pub indicators: Vec<IndicatorReport>,
    /// Files written with their SHA-256.
    pub files: Vec<WrittenFile>,
    /// SHA-256 of the published cells (the CSV): the same source gives the same digest.
    pub digest: String,
}

/// One count's protection, as the manifest records it.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorReport {
    /// Count column.
    pub indicator: String,
    /// Cells in the cube.
    pub n_cells: usize,
    /// Suppressed by the rules.
    pub n_primary: usize,
    /// Suppressed to protect them.
    pub n_secondary: usize,
    /// Audit rounds (of its linked group: counts joined by `within` are protected together).
    pub n_rounds: usize,
    /// Linear programs solved by the final audit round of its linked group (a cell proven in an
    /// earlier round needs none: later rounds only hide more, which cannot narrow it).
    pub n_linear_programs: usize,
    /// Suppressed cells the final audit could narrow below their protection (always 0 when
    /// written: a release with any is refused).
    pub n_recoverable: usize,
    /// For a count `within` another: cells where the difference between them (certified below
    /// level 3) is a sensitive count, which the pattern keeps as uncertain as a hidden cell.
    pub n_sensitive_differences: usize,
    /// What the audit's attacker holds about the count besides what is published: its totals,
    /// `within` link, and each regularity (`at_most`, `over_time`) with where the data keeps it.
    pub relations: Vec<String>,
}

/// The released count `is_data_flowing` is derived from: a registry month's data flows when the
/// insurer is live and this count's published cell for the month before reaches the registry's
/// `users_flowing_threshold`.
pub const DATA_FLOW_INDICATOR: &str = "n_users";

/// The registry with `is_data_flowing` appended, derived from the released cells alone: null
/// where the previous month's cell of [`DATA_FLOW_INDICATOR`] is suppressed or not available, so
/// the flag tells nothing about a count the release hides.
fn with_data_flow(batch: &RecordBatch, cells: &[PublishedCell]) -> Result<RecordBatch> {
    let released: BTreeMap<(&str, u32), Option<f64>> = cells
        .iter()
        .filter(|cell| {
            cell.indicator == DATA_FLOW_INDICATOR
                && cell.area_level == AreaLevel::Municipality
                && cell.period_level == "month"
        })
        .map(|cell| ((cell.area_code.as_str(), cell.period_key), cell.value))
        .collect();
    if batch.num_rows() > 0 && released.is_empty() {
        return Err(DisclosureError::Spec {
            origin: "release".into(),
            reason: format!(
                "the registry's is_data_flowing is derived from the released {DATA_FLOW_INDICATOR}: the spec must publish it"
            ),
        });
    }
    let insurers = registry_column(batch, "insurer_number", &DataType::Utf8)?;
    let insurers = insurers.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
    let months = registry_column(batch, "month_key", &DataType::UInt32)?;
    let months = months.as_any().downcast_ref::<UInt32Array>().expect("cast to UInt32");
    let live = registry_column(batch, "is_live", &DataType::Boolean)?;
    let live = live.as_any().downcast_ref::<BooleanArray>().expect("cast to Boolean");
    let thresholds = registry_column(batch, "users_flowing_threshold", &DataType::Float64)?;
    let thresholds = thresholds
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("cast to Float64");
    let flags: BooleanArray = (0..batch.num_rows())
        .map(|row| {
            if live.is_null(row) || !live.value(row) {
                return Some(false);
            }
            let month = months.value(row);
            let previous = YearMonth::new(month / 100, month % 100)?.plus_months(-1);
            let previous = previous.year() * 100 + previous.month();
            let users = (*released.get(&(insurers.value(row), previous))?)?;
            (!thresholds.is_null(row)).then(|| users >= thresholds.value(row))
        })
        .collect();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|field| field.as_ref().clone())
        .collect();
    fields.push(Field::new("is_data_flowing", DataType::Boolean, true));
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(flags));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// Write a protected release to `folder`: `cells.parquet`, `cells.csv` (UTF-8, what a
/// spreadsheet opens), `registry.parquet` (the public roll-out registry, when given, with its
/// `is_data_flowing` derived from the cells) and `manifest.json`.
pub fn write(
    release: &Release,
    folder: &Path,
    source: &str,
    source_version: u64,
    registry: Option<&RecordBatch>,
) -> Result<ReleaseReport> {
    let cells = release.cells();
    let staging = folder.with_extension("staging");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source: std::io::Error| DisclosureError::Io { path, source }
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;

    let mut csv_bytes = Vec::new();
    {
        let mut writer = csv::Writer::from_writer(&mut csv_bytes);
        writer.write_record([
            "indicator",
            "area_level",
            "area_code",
            "prefecture_code",
            "period_level",
            "period_key",
            "value",
            "is_suppressed",
            "is_unstable",
        ])?;
        for cell in &cells {
            writer.write_record([
                cell.indicator.as_str(),
                cell.area_level.name(),
                &cell.area_code,
                &cell.prefecture_code,
                cell.period_level,
                &cell.period_key.to_string(),
                &cell.display,
                if cell.is_suppressed { "true" } else { "false" },
                if cell.is_unstable { "true" } else { "false" },
            ])?;
        }
        writer.flush().map_err(io(&staging))?;
    }
    let digest = hex::encode(Sha256::digest(&csv_bytes));
    let mut files = vec![
        files::write_bytes(&staging, "cells.csv", &csv_bytes, cells.len(), Access::Public)?,
        files::write_parquet(&staging, "cells.parquet", &cells_batch(&cells)?, Access::Public)?,
    ];
    if let Some(registry) = registry {
        let registry = with_data_flow(registry, &cells)?;
        files.push(files::write_parquet(
            &staging,
            "registry.parquet",
            &registry,
            Access::Public,
        )?);
    }

    let report = ReleaseReport {
        folder: folder.to_path_buf(),
        source: source.to_string(),
        source_version,
        rules: release.rules,
        indicators: release
            .indicators()
            .zip(&release.sensitive_differences)
            .zip(&release.relations)
            .map(
                |(((spec, table, protection), sensitive_differences), relations)| IndicatorReport {
                    indicator: spec.column.clone(),
                    n_cells: table.len(),
                    n_primary: protection.count(CellStatus::Primary),
                    n_secondary: protection.count(CellStatus::Secondary),
                    n_rounds: protection.n_rounds,
                    n_linear_programs: protection.audit.n_linear_programs,
                    n_recoverable: protection.audit.failures().count(),
                    n_sensitive_differences: *sensitive_differences,
                    relations: relations.clone(),
                },
            )
            .collect(),
        files,
        digest,
    };
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "release": &report,
        "indicators": release.spec.counts.iter().map(|count| serde_json::json!({
            "name": count.column, "unit": count.unit, "ja": count.ja, "en": count.en, "within": count.within,
        })).chain(release.spec.rates.iter().map(|rate| serde_json::json!({
            "name": rate.name, "unit": "rate", "per": rate.per, "ja": rate.ja, "en": rate.en,
            "numerator": rate.numerator, "denominator": rate.denominator,
        }))).collect::<Vec<_>>(),
        "footnotes": {
            SUPPRESSED_MARK: "秘匿：最小集計単位の原則（10人未満、人口2,000人未満の市町村は全て、\
    人口2万5千人未満の市町村は20人未満、事業所数3未満）により、または他の表や合計、2つの数の差から逆算されないよう秘匿。 \
    Suppressed: below the minimum cell (persons < 10; municipalities under 2,000 people: every count; \
    under 25,000: < 20; providers < 3), or hidden so that such a cell cannot be worked out from totals, \
    other tables or the difference of two counts.",
            NOT_AVAILABLE_MARK: "算出不能：分母が0、または追跡期間（1年）がまだデータにない。 \
    Not available: the denominator is 0, or the year of follow-up is not in the data yet.",
            "is_unstable": "分子が20未満の率は不安定。 A rate over fewer than 20 events is unstable.",
        },
    }))
    .expect("the manifest serializes");
    files::write_bytes(&staging, "manifest.json", &manifest, 0, Access::Public)?;

    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(io(folder))?;
    }
    std::fs::rename(&staging, folder).map_err(io(folder))?;
    Ok(report)
}

fn cells_batch(cells: &[PublishedCell]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("indicator", DataType::Utf8, false),
        Field::new("area_level", DataType::Utf8, false),
        Field::new("area_code", DataType::Utf8, false),
        Field::new("prefecture_code", DataType::Utf8, false),
        Field::new("period_level", DataType::Utf8, false),
        Field::new("period_key", DataType::UInt32, false),
        Field::new("value", DataType::Float64, true),
        Field::new("display", DataType::Utf8, false),
        Field::new("is_suppressed", DataType::Boolean, false),
        Field::new("is_unstable", DataType::Boolean, false),
    ]));
    let text = |field: fn(&PublishedCell) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(cells.iter().map(field)))
    };
    let columns: Vec<ArrayRef> = vec![
        text(|cell| &cell.indicator),
        text(|cell| cell.area_level.name()),
        text(|cell| &cell.area_code),
        text(|cell| &cell.prefecture_code),
        text(|cell| cell.period_level),
        Arc::new(UInt32Array::from_iter_values(cells.iter().map(|cell| cell.period_key))),
        Arc::new(Float64Array::from_iter(cells.iter().map(|cell| cell.value))),
        text(|cell| &cell.display),
        Arc::new(BooleanArray::from_iter(
            cells.iter().map(|cell| Some(cell.is_suppressed)),
        )),
        Arc::new(BooleanArray::from_iter(cells.iter().map(|cell| Some(cell.is_unstable)))),
    ];
    Ok(RecordBatch::try_new(schema, columns)?)
}
