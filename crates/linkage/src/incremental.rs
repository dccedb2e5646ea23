//! Incremental linking: a summary of each delivery's identities is kept in the vault, so a new
//! month reads only its own records.
//!
//! A summary ([`Identities`] without record references) holds, per insurer + insured number,
//! the counted token values, months and deaths of that delivery's records. Summaries fold
//! together exactly ([`Identities::absorb`]: counts add, months unite), so the identities of
//! every delivery folded together are the identities a bulk read gives, and resolving them
//! gives the same persons: new-to-new and new-to-existing pairs are all scored again, which
//! costs seconds (identities are ~1/100 of records) and keeps the model's parameters those of
//! all the data. Each summary remembers the Parquet files of its delivery's partition it was
//! made from; a delivery loaded again has new files, and its summary is made again.
//!
//! Summaries live in `<root>/vault/linkage/identities/<YYYYMM>.parquet` (restricted: they hold
//! token prefixes), written to a temporary file and renamed, so a crash leaves the old summary
//! or the new one.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow::{
    array::{Array, ArrayRef, AsArray, FixedSizeBinaryBuilder, ListBuilder, RecordBatch, UInt32Builder, UInt64Builder},
    datatypes::{DataType, Field as ArrowField, Schema, UInt32Type, UInt64Type},
};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_warehouse::{
    Warehouse,
    columns::Table,
    tables::{PersonMapRow, RecordTokenRow},
};
use parquet::{
    arrow::{ArrowWriter, arrow_reader::ParquetRecordBatchReaderBuilder},
    file::{metadata::KeyValue, properties::WriterProperties},
};

use rayon::prelude::*;

use crate::{
    LinkageConfig, LinkageError, Resolution,
    identities::{Field, Identities, Identity, Values},
    resolve,
};

/// Rows per batch of what linkage writes (summaries, `person_map`).
const BATCH_ROWS: usize = 1 << 16;

/// Parquet metadata key: the delivery's `record_tokens` files the summary was made from.
const SOURCE_FILES: &str = "kaigo.record_tokens_files";

/// What one incremental run did.
#[derive(Debug)]
pub struct LinkRun {
    /// The persons.
    pub resolution: Resolution,
    /// Deliveries whose records were read (new or loaded again since the last run).
    pub deliveries_read: Vec<String>,
    /// Deliveries whose kept summary was used.
    pub deliveries_reused: Vec<String>,
    /// `person_map` version written.
    pub person_map_version: u64,
}

/// Link every loaded delivery, reading only the records of deliveries not summarized yet (or
/// loaded again), and rewrite the warehouse's `person_map`.
pub async fn link(warehouse: &Warehouse, key: &SecretKey, config: &LinkageConfig) -> Result<LinkRun, LinkageError> {
    let tokens = RecordTokenRow::spec();
    let folder = summary_folder(warehouse);
    std::fs::create_dir_all(&folder).map_err(|error| summary_error(&folder, error))?;
    let deliveries: Vec<String> = warehouse
        .manifests()?
        .into_iter()
        .map(|manifest| manifest.delivery)
        .collect();
    remove_orphans(&folder, &deliveries)?;

    let mut planned = Vec::with_capacity(deliveries.len());
    for delivery in &deliveries {
        let files = warehouse.delivery_files(tokens, delivery).await?;
        let sources = file_names(&files);
        let path = folder.join(format!("{delivery}.parquet"));
        planned.push((delivery, files, sources, path));
    }
    // Summaries are made (or read) a few deliveries at a time, one per core, and folded in
    // delivery order: as fast as the cores allow, with at most one summary per core in memory.
    let mut identities = Identities::summaries_only();
    let (mut read, mut reused) = (Vec::new(), Vec::new());
    for chunk in planned.chunks(rayon::current_num_threads().max(1)) {
        let summaries: Vec<Result<(Identities, bool), LinkageError>> = chunk
            .par_iter()
            .map(|(_, files, sources, path)| summarize(tokens, files, sources, path))
            .collect();
        for ((delivery, ..), summary) in chunk.iter().zip(summaries) {
            let (summary, was_kept) = summary?;
            if was_kept {
                reused.push(delivery.to_string());
            } else {
                read.push(delivery.to_string());
            }
            identities.absorb(summary);
        }
    }
    identities.finish();
    let resolution = resolve(identities, config);
    let person_map_version = write_person_map(warehouse, &resolution, key).await?;
    tracing::info!(
        read = read.len(),
        reused = reused.len(),
        persons = resolution.persons(),
        "linkage run"
    );
    Ok(LinkRun {
        resolution,
        deliveries_read: read,
        deliveries_reused: reused,
        person_map_version,
    })
}

/// The summary of one delivery: the kept one if it was made from `files`, else made from the
/// tokens and kept. Returns it and whether it was kept.
fn summarize(
    tokens: &kaigo_warehouse::TableSpec,
    files: &[PathBuf],
    sources: &str,
    path: &Path,
) -> Result<(Identities, bool), LinkageError> {
    if let Some(summary) = read_summary(path, sources)? {
        return Ok((summary, true));
    }
    let mut summary = Identities::summaries_only();
    let mut failure = None;
    Warehouse::visit_files(tokens, files, |batch| {
        if failure.is_none()
            && let Err(error) = summary.add_batch(&batch)
        {
            failure = Some(error);
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    write_summary(path, &summary, sources)?;
    Ok((summary, false))
}

/// Folder of the per-delivery summaries.
pub fn summary_folder(warehouse: &Warehouse) -> PathBuf {
    warehouse.root().join("vault").join("linkage").join("identities")
}

async fn write_person_map(
    warehouse: &Warehouse,
    resolution: &Resolution,
    key: &SecretKey,
) -> Result<u64, LinkageError> {
    // Held as bytes and written as hex a batch at a time: a nation's keys as strings all at
    // once would be gigabytes.
    let spec = PersonMapRow::spec();
    let mut keys: Vec<([u8; 32], [u8; 32])> = (resolution.identities.identities.iter())
        .zip(resolution.person_tokens(key))
        .map(|(identity, person)| (identity.identity_key, person.0))
        .collect();
    keys.sort_unstable();
    let mut rows = kaigo_warehouse::rows::TableRows::new(spec);
    let (mut start, mut first) = (0, true);
    let batches = std::iter::from_fn(move || {
        // No identities: one empty batch, so the table is still replaced.
        if start >= keys.len() && !first {
            return None;
        }
        first = false;
        let end = (start + BATCH_ROWS).min(keys.len());
        for (identity_key, person_key) in &keys[start..end] {
            rows.push(PersonMapRow {
                identity_key: &hex::encode(identity_key),
                person_key: &hex::encode(person_key),
            });
        }
        start = end;
        Some(rows.finish())
    });
    Ok(warehouse.replace_table(spec, batches).await?)
}

fn summary_error(path: &Path, problem: impl std::fmt::Display) -> LinkageError {
    LinkageError::Summary {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// The files' names without their folder, one per line (what the summary was made from).
fn file_names(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .filter_map(|path| path.file_name().and_then(|name| name.to_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn remove_orphans(folder: &Path, deliveries: &[String]) -> Result<(), LinkageError> {
    for entry in std::fs::read_dir(folder).map_err(|error| summary_error(folder, error))? {
        let path = entry.map_err(|error| summary_error(folder, error))?.path();
        let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
        if !deliveries.iter().any(|delivery| delivery == stem) {
            std::fs::remove_file(&path).map_err(|error| summary_error(&path, error))?;
        }
    }
    Ok(())
}

fn schema() -> Arc<Schema> {
    let list = |name: &str, item: DataType| {
        ArrowField::new(
            name,
            DataType::List(Arc::new(ArrowField::new("item", item, false))),
            false,
        )
    };
    let mut fields = vec![
        ArrowField::new("token", DataType::FixedSizeBinary(32), false),
        ArrowField::new("insurer", DataType::UInt64, false),
        list("masked", DataType::UInt64),
    ];
    for field in Field::ALL {
        fields.push(list(&format!("{}_values", field.column()), DataType::UInt64));
        fields.push(list(&format!("{}_counts", field.column()), DataType::UInt32));
    }
    fields.extend([
        ArrowField::new("first_month", DataType::UInt32, false),
        ArrowField::new("last_month", DataType::UInt32, false),
        list("claim_months", DataType::UInt32),
        ArrowField::new("death_month", DataType::UInt32, true),
        ArrowField::new("records", DataType::UInt32, false),
        ArrowField::new("identity_key", DataType::FixedSizeBinary(32), false),
        list("moved_out", DataType::UInt32),
        list("moved_in", DataType::UInt32),
        list("other_changes", DataType::UInt32),
        ArrowField::new("first_acquired", DataType::UInt32, true),
        ArrowField::new("last_acquired", DataType::UInt32, true),
        list("other_losses", DataType::UInt32),
    ]);
    Arc::new(Schema::new(fields))
}

fn u64_list() -> ListBuilder<UInt64Builder> {
    ListBuilder::new(UInt64Builder::new()).with_field(Arc::new(ArrowField::new("item", DataType::UInt64, false)))
}

fn u32_list() -> ListBuilder<UInt32Builder> {
    ListBuilder::new(UInt32Builder::new()).with_field(Arc::new(ArrowField::new("item", DataType::UInt32, false)))
}

fn to_batch(summary: &[Identity]) -> Result<RecordBatch, LinkageError> {
    let mut token = FixedSizeBinaryBuilder::new(32);
    let mut insurer = UInt64Builder::new();
    let mut masked = u64_list();
    let mut values: Vec<(ListBuilder<UInt64Builder>, ListBuilder<UInt32Builder>)> =
        Field::ALL.iter().map(|_| (u64_list(), u32_list())).collect();
    let (mut first, mut last, mut claims) = (UInt32Builder::new(), UInt32Builder::new(), u32_list());
    let (mut death, mut records, mut identity_key) = (
        UInt32Builder::new(),
        UInt32Builder::new(),
        FixedSizeBinaryBuilder::new(32),
    );
    let (mut moved_out, mut moved_in, mut other_changes) = (u32_list(), u32_list(), u32_list());
    let (mut first_acquired, mut last_acquired, mut other_losses) =
        (UInt32Builder::new(), UInt32Builder::new(), u32_list());
    for identity in summary {
        token.append_value(identity.token).expect("32 bytes");
        insurer.append_value(identity.insurer);
        masked.values().append_slice(&identity.masked);
        masked.append(true);
        for ((tokens, counts), field) in values.iter_mut().zip(&identity.values) {
            for (value, count) in field.counts() {
                tokens.values().append_value(value);
                counts.values().append_value(count);
            }
            tokens.append(true);
            counts.append(true);
        }
        first.append_value(identity.first_month);
        last.append_value(identity.last_month);
        claims.values().append_slice(&identity.claim_months);
        claims.append(true);
        death.append_option(identity.death_month);
        records.append_value(identity.records);
        identity_key.append_value(identity.identity_key).expect("32 bytes");
        moved_out.values().append_slice(&identity.moved_out);
        moved_out.append(true);
        moved_in.values().append_slice(&identity.moved_in);
        moved_in.append(true);
        other_changes.values().append_slice(&identity.other_changes);
        other_changes.append(true);
        first_acquired.append_option(identity.acquired.map(|(first, _)| first));
        last_acquired.append_option(identity.acquired.map(|(_, last)| last));
        other_losses.values().append_slice(&identity.other_losses);
        other_losses.append(true);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(token.finish()),
        Arc::new(insurer.finish()),
        Arc::new(masked.finish()),
    ];
    for (mut tokens, mut counts) in values {
        columns.push(Arc::new(tokens.finish()));
        columns.push(Arc::new(counts.finish()));
    }
    columns.extend([
        Arc::new(first.finish()) as ArrayRef,
        Arc::new(last.finish()),
        Arc::new(claims.finish()),
        Arc::new(death.finish()),
        Arc::new(records.finish()),
        Arc::new(identity_key.finish()),
        Arc::new(moved_out.finish()),
        Arc::new(moved_in.finish()),
        Arc::new(other_changes.finish()),
        Arc::new(first_acquired.finish()),
        Arc::new(last_acquired.finish()),
        Arc::new(other_losses.finish()),
    ]);
    RecordBatch::try_new(schema(), columns).map_err(|error| LinkageError::Input(error.to_string()))
}

fn write_summary(path: &Path, summary: &Identities, sources: &str) -> Result<(), LinkageError> {
    // A batch at a time: the whole summary as Arrow would be a second copy of it.
    let temporary = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&temporary).map_err(|error| summary_error(&temporary, error))?;
    let properties = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(SOURCE_FILES.into(), sources.to_string())]))
        .build();
    let mut writer =
        ArrowWriter::try_new(file, schema(), Some(properties)).map_err(|error| summary_error(&temporary, error))?;
    for chunk in summary.identities.chunks(BATCH_ROWS) {
        writer
            .write(&to_batch(chunk)?)
            .map_err(|error| summary_error(&temporary, error))?;
    }
    let file = writer.into_inner().map_err(|error| summary_error(&temporary, error))?;
    file.sync_all().map_err(|error| summary_error(&temporary, error))?;
    std::fs::rename(&temporary, path).map_err(|error| summary_error(path, error))
}

/// The summary at `path` if it exists and was made from `sources`.
fn read_summary(path: &Path, sources: &str) -> Result<Option<Identities>, LinkageError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(summary_error(path, error)),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|error| summary_error(path, error))?;
    let made_from = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|pairs| pairs.iter().find(|pair| pair.key == SOURCE_FILES))
        .and_then(|pair| pair.value.clone());
    if made_from.as_deref() != Some(sources) {
        return Ok(None);
    }
    // A summary an earlier kaigo wrote lacks what this one keeps: made again, like a changed
    // delivery. Fields only: the reader adds the file's key-value metadata to the schema.
    if builder.schema().fields() != schema().fields() {
        tracing::info!(path = %path.display(), "linkage summary of an earlier version: made again");
        return Ok(None);
    }
    let mut summary = Identities::summaries_only();
    for batch in builder.build().map_err(|error| summary_error(path, error))? {
        let batch = batch.map_err(|error| summary_error(path, error))?;
        let mut identities = Identities::summaries_only();
        identities.identities = from_batch(&batch);
        summary.absorb(identities);
    }
    Ok(Some(summary))
}

fn from_batch(batch: &RecordBatch) -> Vec<Identity> {
    let column = |index: usize| batch.column(index);
    let u64_list = |index: usize, row: usize| -> Vec<u64> {
        column(index)
            .as_list::<i32>()
            .value(row)
            .as_primitive::<UInt64Type>()
            .values()
            .to_vec()
    };
    let u32_list = |index: usize, row: usize| -> Vec<u32> {
        column(index)
            .as_list::<i32>()
            .value(row)
            .as_primitive::<UInt32Type>()
            .values()
            .to_vec()
    };
    let fields = Field::ALL.len();
    let after = 3 + 2 * fields;
    let (tokens, insurers) = (column(0).as_fixed_size_binary(), column(1).as_primitive::<UInt64Type>());
    let (first, last) = (
        column(after).as_primitive::<UInt32Type>(),
        column(after + 1).as_primitive::<UInt32Type>(),
    );
    let (death, records, keys) = (
        column(after + 3).as_primitive::<UInt32Type>(),
        column(after + 4).as_primitive::<UInt32Type>(),
        column(after + 5).as_fixed_size_binary(),
    );
    let (first_acquired, last_acquired) = (
        column(after + 9).as_primitive::<UInt32Type>(),
        column(after + 10).as_primitive::<UInt32Type>(),
    );
    (0..batch.num_rows())
        .map(|row| {
            let mut values: [Values; Field::ALL.len()] = Default::default();
            for (index, slot) in values.iter_mut().enumerate() {
                let tokens = u64_list(3 + 2 * index, row);
                let counts = u32_list(4 + 2 * index, row);
                *slot = Values::from_counts(tokens.into_iter().zip(counts).collect());
            }
            Identity {
                token: tokens.value(row).try_into().expect("32 bytes"),
                insurer: insurers.value(row),
                masked: u64_list(2, row),
                values,
                first_month: first.value(row),
                last_month: last.value(row),
                claim_months: u32_list(after + 2, row),
                death_month: (!death.is_null(row)).then(|| death.value(row)),
                moved_out: u32_list(after + 6, row),
                moved_in: u32_list(after + 7, row),
                other_changes: u32_list(after + 8, row),
                acquired: (!first_acquired.is_null(row)).then(|| (first_acquired.value(row), last_acquired.value(row))),
                other_losses: u32_list(after + 11, row),
                mistyped_copy: false,
                records: records.value(row),
                identity_key: keys.value(row).try_into().expect("32 bytes"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(token: u8, month: u32) -> Identity {
        let mut values: [Values; Field::ALL.len()] = Default::default();
        values[0] = Values::from_counts(vec![(7, 2), (9, 1)]);
        Identity {
            token: [token; 32],
            insurer: 5,
            masked: vec![1, 2, 3],
            values,
            first_month: month,
            last_month: month,
            claim_months: vec![month],
            death_month: (token == 2).then_some(month),
            moved_out: vec![month],
            moved_in: Vec::new(),
            other_changes: vec![month],
            acquired: Some((month, month)),
            other_losses: vec![month + 1],
            mistyped_copy: false,
            records: 3,
            identity_key: [token; 32],
        }
    }

    #[test]
    fn a_summary_survives_parquet_and_is_reused_only_for_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("202604.parquet");
        let mut summary = Identities::summaries_only();
        summary.identities = vec![identity(1, 100), identity(2, 101)];
        write_summary(&path, &summary, "a.parquet\nb.parquet").unwrap();
        assert!(
            read_summary(&path, "a.parquet").unwrap().is_none(),
            "other files: made again"
        );
        let back = read_summary(&path, "a.parquet\nb.parquet").unwrap().unwrap();
        assert_eq!(back.identities.len(), 2);
        for (left, right) in back.identities.iter().zip(&summary.identities) {
            assert_eq!(left.token, right.token);
            assert_eq!(left.masked, right.masked);
            assert_eq!(left.values, right.values);
            assert_eq!(left.claim_months, right.claim_months);
            assert_eq!(left.death_month, right.death_month);
            assert_eq!((&left.moved_out, &left.moved_in), (&right.moved_out, &right.moved_in));
            assert_eq!(left.other_changes, right.other_changes);
            assert_eq!(
                (left.acquired, &left.other_losses),
                (right.acquired, &right.other_losses)
            );
            assert_eq!(
                (left.first_month, left.last_month, left.records),
                (right.first_month, right.last_month, right.records)
            );
            assert_eq!(left.identity_key, right.identity_key);
        }
    }

    #[test]
    fn a_summary_of_another_layout_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("202604.parquet");
        // What an earlier version kept: the same files recorded, other columns.
        let batch =
            RecordBatch::try_from_iter([("token", Arc::new(UInt64Builder::new().finish()) as ArrayRef)]).unwrap();
        let properties = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(
                SOURCE_FILES.to_string(),
                "a.parquet".to_string(),
            )]))
            .build();
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        assert!(read_summary(&path, "a.parquet").unwrap().is_none());
    }

    #[test]
    fn absorbing_adds_counts_and_unites_months() {
        let mut total = Identities::summaries_only();
        let mut first = Identities::summaries_only();
        first.identities = vec![identity(1, 100)];
        let mut second = Identities::summaries_only();
        second.identities = vec![identity(1, 98), identity(3, 99)];
        total.absorb(first);
        total.absorb(second);
        assert_eq!(total.identities.len(), 2);
        let merged = &total.identities[0];
        assert_eq!((merged.first_month, merged.last_month), (98, 100));
        assert_eq!(merged.claim_months, vec![98, 100]);
        assert_eq!(merged.moved_out, vec![98, 100]);
        assert_eq!(
            (merged.acquired, &merged.other_losses),
            (Some((98, 100)), &vec![99, 101])
        );
        assert_eq!(merged.records, 6);
        assert_eq!(merged.values[0], Values::from_counts(vec![(7, 4), (9, 2)]));
    }
}
