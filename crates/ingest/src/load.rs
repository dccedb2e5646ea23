//! One file of a delivery → table rows, quarantine rows and its row accounting.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Read,
    path::Path,
    sync::LazyLock,
};

use arrow::record_batch::RecordBatch;

use chrono::{Datelike, NaiveDate};
use kaigo_codes::{
    calendar::{EraDate, YearMonth},
    care_level::Sex,
    unit_price::AreaGrade,
};
use kaigo_formats::{
    FormatError, RowError,
    care_plan::{PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::{CertificationRecord, SURVEY_ITEMS},
    claims::{ClaimRecord, ClaimsReader, DataKind},
    flat::{FlatExtract, FlatReader},
    life::{BARTHEL_ITEMS, LifeRecord},
    register::RegisterRecord,
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};
use kaigo_pseudonymize::token::Tokenizer;
use kaigo_warehouse::{manifest::FileEntry, rows::TableRows, table};
use sha2::{Digest, Sha256};

use crate::{
    IngestError,
    extract::Extract,
    identity::{Identity, IdentityKeys, TokenCache, Tokens, birth_year_month},
    rules::{self, Violation, format_rule},
};

/// What every file of a load shares.
pub struct Context<'a> {
    /// Delivery month, `YYYYMM`.
    pub delivery: String,
    /// Delivery month.
    pub delivery_month: YearMonth,
    /// Area grade per insurer number, from this delivery's registry.
    pub grades: &'a HashMap<String, AreaGrade>,
    /// Linkage-token maker.
    pub tokens: &'a Tokenizer,
    /// Person-key assignment.
    pub keys: &'a IdentityKeys,
    /// Files up to this size are read once (see [`load_file`]).
    pub single_pass_bytes: u64,
}

/// Records read between two hand-overs of a file's rows to the [`Sink`]: the Arrow builders of
/// a chunk take some tens of MB, whatever the size of the file.
const CHUNK_RECORDS: u64 = 16_384;

/// Where a file's rows go, a chunk at a time, as `(table, rows)` pairs (including `quarantine`
/// and `record_tokens`). An error stops the load.
pub type Sink<'s> = dyn FnMut(Vec<(&'static str, RecordBatch)>) -> Result<(), IngestError> + 's;

/// The accounts of one file, once its rows went to the [`Sink`].
pub struct FileOutput {
    /// Accounting entry.
    pub entry: FileEntry,
    /// Quarantined records per rule.
    pub quarantine_by_rule: BTreeMap<String, u64>,
}

/// A stable id for a file: `f` + 12 hex digits of SHA-256 of its path relative to the hub root.
pub fn source_file_id(relative: &str) -> String {
    format!("f{}", &hex::encode(Sha256::digest(relative.as_bytes()))[..12])
}

fn date(value: NaiveDate) -> Option<(i32, u32, u32)> {
    Some((value.year(), value.month(), value.day()))
}

fn opt_date(value: Option<NaiveDate>) -> Option<(i32, u32, u32)> {
    value.and_then(date)
}

fn sex_code(sex: Sex) -> Option<i64> {
    Some(if sex == Sex::Male { 1 } else { 2 })
}

struct FileState<'c, 'a> {
    context: &'c Context<'a>,
    cache: &'c mut TokenCache,
    relative: String,
    extract: Extract,
    file_id: String,
    tables: BTreeMap<&'static str, TableRows>,
    quarantine_by_rule: BTreeMap<String, u64>,
    rows_in: u64,
    loaded: u64,
    quarantined: u64,
    sink: &'c mut Sink<'a>,
    /// `rows_in` at the last hand-over to the sink.
    rows_in_flushed: u64,
    /// Chunks held back until the file was read to its end (files read once).
    held: Option<Vec<Vec<(&'static str, RecordBatch)>>>,
    /// Whether rows went to the sink: from then on the file can no longer be rejected whole.
    emitted: bool,
    /// Why the sink stopped the load.
    aborted: Option<IngestError>,
}

impl FileState<'_, '_> {
    /// Hand the rows gathered so far to the sink once a chunk is full (`all`: whatever there
    /// is). An `Err` stops reading the file; the load's error is in `aborted`.
    fn flush(&mut self, all: bool) -> Result<(), String> {
        if !all && self.rows_in - self.rows_in_flushed < CHUNK_RECORDS {
            return Ok(());
        }
        self.rows_in_flushed = self.rows_in;
        let mut batches = Vec::new();
        for (name, rows) in &mut self.tables {
            if rows.is_empty() {
                continue;
            }
            match rows.finish() {
                Ok(batch) => batches.push((*name, batch)),
                Err(error) => self.aborted = Some(error.into()),
            }
        }
        if self.aborted.is_none() && !batches.is_empty() {
            if let Some(held) = &mut self.held {
                held.push(batches);
            } else {
                self.emitted = true;
                if let Err(error) = (self.sink)(batches) {
                    self.aborted = Some(error);
                }
            }
        }
        match self.aborted {
            Some(_) => Err("the load stopped".into()),
            None => Ok(()),
        }
    }

    /// Start a row of a table with the lineage columns filled in.
    fn begin(&mut self, name: &'static str, line: u64) -> &mut TableRows {
        let rows = self
            .tables
            .entry(name)
            .or_insert_with(|| TableRows::new(table(name).expect("declared table")));
        rows.text("delivery_month", Some(&self.context.delivery))
            .text("source_file_id", Some(&self.file_id))
            .int("source_line", Some(line as i64));
        rows
    }

    fn quarantine(&mut self, line: u64, violation: &Violation) {
        let path = self.relative.clone();
        let extract = self.extract.name();
        let rows = self.begin("quarantine", line);
        rows.text("path", Some(&path))
            .text("extract", Some(extract))
            .text("rule", Some(violation.rule))
            .text("field", violation.field)
            .text("reason", Some(&violation.reason));
        rows.end_row();
        *self.quarantine_by_rule.entry(violation.rule.to_string()).or_default() += 1;
        self.quarantined += 1;
    }

    fn row_error(error: &RowError) -> Violation {
        let field = error.field.map(|(_, name)| name);
        Violation::new(format_rule(field, error.rule), field, format!("format: {error}"))
    }

    /// Tokens of a claim record, which identifies a person by insurer, insured number, birth date and sex.
    fn claim_tokens(
        &mut self,
        line: u64,
        insurer_number: &str,
        insured_number: &str,
        birth: NaiveDate,
        sex: Sex,
        service_month: YearMonth,
    ) -> Tokens {
        self.tokens(
            line,
            &Identity {
                insurer_number,
                insured_number,
                birth_date: Some(birth),
                sex: Some(sex),
                event_month: Some(service_month),
                ..Identity::default()
            },
        )
    }

    fn tokens(&mut self, line: u64, identity: &Identity<'_>) -> Tokens {
        let tokens = self.cache.tokens(identity, self.context.tokens, self.context.keys);
        let extract = self.extract.name();
        let rows = self.begin("record_tokens", line);
        rows.text("extract", Some(extract))
            .text("identity_key", Some(&tokens.identity_key));
        tokens.push(rows);
        rows.end_row();
        tokens
    }

    fn grade(&self, insurer_number: &str) -> Result<AreaGrade, Violation> {
        self.context.grades.get(insurer_number).copied().ok_or_else(|| {
            Violation::new(
                "insurer_unknown",
                Some("insurer_number"),
                "insurer is not in this delivery's registry (insurers.csv)",
            )
        })
    }
}

/// Read and load one file, handing its rows to `sink` a chunk at a time. `expected_insurer` is
/// the insurer folder the file sits in (None for registries at the delivery root).
///
/// A rejected file contributes no rows, yet some of what rejects a file (an open quote, and for
/// claims files the record numbering, counts and end record) only shows at its end. A file of up
/// to [`Context::single_pass_bytes`] is therefore read once: hashed, parsed, checked and
/// pseudonymized with its chunks held back until its end was read. A larger file is read twice,
/// so memory stays bounded: the first pass hashes it and checks what could reject it, the second
/// (from the page cache) parses and hands chunks on as it goes. An `Err` stops the load: the sink
/// failed, or the file changed between the passes.
pub fn load_file(
    context: &Context<'_>,
    root: &Path,
    relative: &str,
    extract: Extract,
    expected_insurer: Option<&str>,
    cache: &mut TokenCache,
    sink: &mut Sink<'_>,
) -> Result<FileOutput, IngestError> {
    let path = root.join(relative);
    let single_pass = std::fs::metadata(&path).is_ok_and(|metadata| metadata.len() <= context.single_pass_bytes);
    let mut state = FileState {
        context,
        cache,
        relative: relative.to_string(),
        extract,
        file_id: source_file_id(relative),
        tables: BTreeMap::new(),
        quarantine_by_rule: BTreeMap::new(),
        rows_in: 0,
        loaded: 0,
        quarantined: 0,
        sink,
        rows_in_flushed: 0,
        held: single_pass.then(Vec::new),
        emitted: false,
        aborted: None,
    };
    let read = if single_pass {
        read_once(&mut state, &path, expected_insurer)
    } else {
        read_twice(&mut state, &path, expected_insurer)
    };
    let (bytes, sha256, rejected) = match read {
        Ok(checked) => (checked.bytes, checked.sha256, checked.rejected),
        Err(error) => (0, String::new(), Some(format!("cannot read the file: {error}"))),
    };
    if let Some(error) = state.aborted.take() {
        return Err(error);
    }
    if let Some(held) = state.held.take()
        && rejected.is_none()
    {
        for batches in held {
            (state.sink)(batches)?;
        }
    }
    if rejected.is_some() {
        // A rejected file contributes nothing: its rows are neither loaded nor quarantined.
        state.quarantine_by_rule.clear();
        state.rows_in = 0;
        state.loaded = 0;
        state.quarantined = 0;
    }
    Ok(FileOutput {
        entry: FileEntry {
            source_file_id: state.file_id.clone(),
            path: relative.to_string(),
            extract: extract.name().to_string(),
            sha256,
            bytes,
            rows_in: state.rows_in,
            rows_loaded: state.loaded,
            rows_quarantined: state.quarantined,
            rejected,
        },
        quarantine_by_rule: state.quarantine_by_rule,
    })
}

/// Default of [`Context::single_pass_bytes`]. Decoded, a file's rows take about twice its size
/// (a 900k-person delivery: 1.25 GB of files, 2.7 GB of uncompressed Parquet), so by that measure
/// each loading thread holds back up to about 150 MB.
pub const SINGLE_PASS_BYTES: u64 = 64 << 20;

/// Parse, check and pseudonymize a file's records into `state`.
fn parse(state: &mut FileState<'_, '_>, input: impl Read, expected_insurer: Option<&str>) -> Result<(), String> {
    match state.extract {
        Extract::Insurers => flat::<InsurerRecord>(state, input, insurer_row),
        Extract::Providers => flat::<ProviderRecord>(state, input, provider_row),
        Extract::ProviderActivity => flat::<ProviderActivityRecord>(state, input, activity_row),
        Extract::Register => flat::<RegisterRecord>(state, input, register_row),
        Extract::Certification => flat::<CertificationRecord>(state, input, certification_row),
        Extract::Life => flat::<LifeRecord>(state, input, life_row),
        Extract::PlanSheet1 => flat::<PlanSheet1>(state, input, plan_sheet1_row),
        Extract::PlanSheet2 => flat::<PlanSheet2>(state, input, plan_sheet2_row),
        Extract::PlanUses => flat::<PlanMonth>(state, input, plan_use_row),
        Extract::PlanSupplement => flat::<PlanSupplement>(state, input, plan_supplement_row),
        Extract::Claims => claims(state, input, expected_insurer),
    }
    .and_then(|()| state.flush(true))
}

/// A file read once (see [`load_file`]): its chunks are held in `state`, to be handed on if it
/// is not rejected.
fn read_once(state: &mut FileState<'_, '_>, path: &Path, expected_insurer: Option<&str>) -> std::io::Result<Checked> {
    let mut input = Hashing::new(std::fs::File::open(path)?);
    let parsed = parse(state, &mut input, expected_insurer);
    // The rest of the file, for its digest, if the parse stopped early.
    std::io::copy(&mut input, &mut std::io::sink())?;
    Ok(input.checked(parsed.err()))
}

/// A file read twice (see [`load_file`]).
fn read_twice(state: &mut FileState<'_, '_>, path: &Path, expected_insurer: Option<&str>) -> std::io::Result<Checked> {
    let mut checked = check_file(state.context, path, &state.relative, state.extract, expected_insurer)?;
    if checked.rejected.is_some() {
        return Ok(checked);
    }
    let parsed = std::fs::File::open(path)
        .map_err(|error| format!("cannot read the file: {error}"))
        .and_then(|file| parse(state, file, expected_insurer));
    if let Err(reason) = parsed
        && state.aborted.is_none()
    {
        if state.emitted {
            state.aborted = Some(IngestError::Internal(format!(
                "{}: {reason}, found after part of the file was loaded although its first reading passed; \
                 was the file changed during the load?",
                state.relative
            )));
        } else {
            checked.rejected = Some(reason);
        }
    }
    Ok(checked)
}

/// What the first reading of a file found.
struct Checked {
    bytes: u64,
    sha256: String,
    /// Why the file is rejected whole, if it is.
    rejected: Option<String>,
}

/// A reader that hashes what passes through it and counts quote characters.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    quotes: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            quotes: 0,
        }
    }

    /// What the reading found, once it reached the end; `structure` is why the file's layout
    /// rejects it, if it does.
    fn checked(self, structure: Option<String>) -> Checked {
        // Quote bytes never occur inside an MS932 or UTF-8 multi-byte character and escaped
        // quotes come in pairs, so an odd count is a quoted field left open: the CSV reader would
        // swallow the rest of the file into it and the row count would silently shrink.
        let rejected = if self.quotes % 2 == 1 {
            Some("a quoted field is never closed (odd number of quote characters)".to_string())
        } else {
            structure
        };
        Checked {
            bytes: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
            rejected,
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let read = &buffer[..count];
        self.hasher.update(read);
        self.bytes += count as u64;
        self.quotes += memchr::memchr_iter(b'"', read).count() as u64;
        Ok(count)
    }
}

/// The first reading of a file that is read twice (see [`load_file`]).
fn check_file(
    context: &Context<'_>,
    path: &Path,
    relative: &str,
    extract: Extract,
    expected_insurer: Option<&str>,
) -> std::io::Result<Checked> {
    let mut input = Hashing::new(std::fs::File::open(path)?);
    let structure = match extract {
        Extract::Claims => claims_structure(context, relative, &mut input, expected_insurer),
        _ => Ok(()),
    };
    // The rest of the file, for its digest.
    std::io::copy(&mut input, &mut std::io::sink())?;
    Ok(input.checked(structure.err()))
}

type RowFn<E> = fn(&mut FileState<'_, '_>, u64, &E) -> Result<(), Violation>;

fn flat<E: FlatExtract>(state: &mut FileState<'_, '_>, input: impl Read, row: RowFn<E>) -> Result<(), String> {
    let mut reader = FlatReader::<_, E>::open(input).map_err(|error| error.to_string())?;
    while let Some((line, record)) = reader.next_record().map_err(|error| error.to_string())? {
        state.rows_in += 1;
        let outcome = match &record {
            Ok(record) => row(state, line, record),
            Err(error) => Err(FileState::row_error(error)),
        };
        match outcome {
            Ok(()) => state.loaded += 1,
            Err(violation) => state.quarantine(line, &violation),
        }
        state.flush(false)?;
    }
    Ok(())
}

fn insurer_row(state: &mut FileState<'_, '_>, line: u64, record: &InsurerRecord) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    let rows = state.begin("insurers", line);
    rows.text("insurer_number", Some(&record.insurer_number))
        .text("local_government_code", Some(&record.local_government_code))
        .text("prefecture_code", Some(&record.prefecture_code))
        .text("insurer_name", Some(&record.name))
        .text("size_class_code", Some(&record.size_class))
        .int("n_member_municipalities", Some(i64::from(record.member_municipalities)))
        .int("population_65_plus", Some(i64::from(record.population_65_plus)))
        .int("population_40_64", Some(i64::from(record.population_40_64)))
        .int("area_grade", Some(i64::from(record.area_grade)))
        .int(
            "standardisation_fiscal_year",
            record.standardisation_fiscal_year.map(i64::from),
        )
        .date("planned_start_on", opt_date(record.planned_start_date))
        .date("started_on", opt_date(record.start_date))
        .text("status_code", Some(&record.status))
        .text("as_of_month", Some(&record.as_of.compact()));
    rows.end_row();
    Ok(())
}

fn provider_row(state: &mut FileState<'_, '_>, line: u64, record: &ProviderRecord) -> Result<(), Violation> {
    kaigo_codes::provider::ProviderNumber::parse(&record.provider_number).map_err(|error| {
        Violation::new(
            "provider_number",
            Some("provider_number"),
            format!("provider number: {error}"),
        )
    })?;
    let rows = state.begin("providers", line);
    rows.text("provider_number", Some(&record.provider_number))
        .text("provider_name", Some(&record.name))
        .text("insurer_number", Some(&record.insurer_number))
        .text("service_kind_codes", Some(&record.service_kinds))
        .int("area_grade", Some(i64::from(record.area_grade)))
        .int("capacity", record.capacity.map(i64::from))
        .flag("is_medical_institution", Some(record.is_medical_institution))
        .date("portal_registered_on", opt_date(record.portal_registered_on))
        .date("client_certificate_on", opt_date(record.client_certificate_on))
        .date("card_reader_on", opt_date(record.card_reader_on))
        .int("subsidy_yen", record.subsidy_yen.map(i64::from))
        .date("opinion_electronic_since", opt_date(record.opinion_electronic_since));
    rows.end_row();
    Ok(())
}

fn activity_row(state: &mut FileState<'_, '_>, line: u64, record: &ProviderActivityRecord) -> Result<(), Violation> {
    if record.users_with_consent > record.users {
        return Err(Violation::new(
            "consent_count",
            Some("users_with_consent"),
            "more users with consent than users",
        ));
    }
    let insurer = state.relative.split('/').nth(1).unwrap_or_default().to_string();
    let rows = state.begin("provider_activity", line);
    rows.text("service_month", Some(&record.month.compact()))
        .text("provider_number", Some(&record.provider_number))
        .text("insurer_number", Some(&insurer))
        .int("n_users", Some(i64::from(record.users)))
        .int("n_users_with_consent", Some(i64::from(record.users_with_consent)))
        .int("n_record_views", Some(i64::from(record.record_views)));
    rows.end_row();
    Ok(())
}

fn register_row(state: &mut FileState<'_, '_>, line: u64, record: &RegisterRecord) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    let birth = *record.birth_date.expose();
    rules::insured_age("birth_date", birth, YearMonth::of(record.event_date))?;
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            kana_name: Some(record.kana_name.expose()),
            kanji_name: Some(record.kanji_name.expose()),
            birth_date: Some(birth),
            sex: Some(record.sex),
            municipality: Some(&record.municipality_code),
            event_month: Some(YearMonth::of(record.event_date)),
            // 異動事由 11: 死亡.
            ends_person: record.reason == "11",
        },
    );
    let rows = state.begin("register_events", line);
    rows.text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .date("event_on", date(record.event_date))
        .text("event_kind_code", Some(&record.event_kind))
        .text("reason_code", Some(&record.reason))
        .int("sex_code", sex_code(record.sex))
        .text("birth_year_month", Some(&birth_year_month(birth)))
        .text("tier_code", Some(&record.tier))
        .text("municipality_code", Some(&record.municipality_code));
    rows.end_row();
    Ok(())
}

fn certification_row(state: &mut FileState<'_, '_>, line: u64, record: &CertificationRecord) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    rules::certified_level("secondary_level", record.secondary_level).or_else(|violation| {
        // 非該当 is a legitimate decision without a validity period.
        if record.secondary_level == kaigo_codes::care_level::CareLevel::NotEligible {
            Ok(())
        } else {
            Err(violation)
        }
    })?;
    if let (Some(start), Some(end)) = (record.validity_start, record.validity_end) {
        rules::validity_order(start, end)?;
    }
    let birth = *record.birth_date.expose();
    rules::insured_age("birth_date", birth, YearMonth::of(record.application_date))?;
    let answers = record.survey_answers();
    for (index, (&answer, &(number, ..))) in answers.iter().zip(SURVEY_ITEMS.iter()).enumerate() {
        let choices = SURVEY_ITEMS[index].3;
        if answer == 0 || answer > choices {
            return Err(Violation::new(
                "survey_answer",
                Some("survey"),
                format!("survey item {number}: answer code outside 1–{choices}"),
            ));
        }
    }
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            kana_name: Some(record.kana_name.expose()),
            birth_date: Some(birth),
            sex: Some(record.sex),
            event_month: Some(YearMonth::of(record.application_date)),
            ..Identity::default()
        },
    );
    let rows = state.begin("certifications", line);
    rows.text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .int("sex_code", sex_code(record.sex))
        .text("birth_year_month", Some(&birth_year_month(birth)))
        .date("application_on", date(record.application_date))
        .text("application_kind_code", Some(&record.application_kind))
        .date("survey_on", date(record.survey_date));
    // The names only check the column order (in debug builds): made once, not per record.
    static SURVEY_COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
        (1..=SURVEY_ITEMS.len())
            .map(|item| format!("survey_{item:02}"))
            .collect()
    });
    for (name, answer) in SURVEY_COLUMNS.iter().zip(&answers) {
        rows.int(name, Some(i64::from(*answer)));
    }
    rows.text("bedridden_rating", Some(&record.bedridden_rating))
        .text("dementia_rating", Some(&record.dementia_rating))
        .date("opinion_on", date(record.opinion_date))
        .text("medical_institution_number", Some(&record.medical_institution))
        .flag("is_opinion_electronic", Some(record.opinion_electronic))
        .text("diagnosis_code", record.diagnosis.as_deref())
        .text("stability_code", Some(&record.stability))
        .int("specified_disease", record.specified_disease.map(i64::from))
        .text("opinion_bedridden_rating", Some(&record.opinion_bedridden_rating))
        .text("opinion_dementia_rating", Some(&record.opinion_dementia_rating))
        .int("short_term_memory_code", Some(i64::from(record.short_term_memory)))
        .int("decision_ability_code", Some(i64::from(record.decision_ability)))
        .int("communication_code", Some(i64::from(record.communication)))
        .int("height_cm", record.height_cm.map(i64::from))
        .int("weight_kg", record.weight_kg.map(i64::from))
        .int("base_time_tenth_minutes", Some(i64::from(record.base_time_tenths)))
        .int("group1_score", Some(i64::from(record.group1_score)))
        .int("group2_score", Some(i64::from(record.group2_score)))
        .int("group3_score", Some(i64::from(record.group3_score)))
        .int("group4_score", Some(i64::from(record.group4_score)))
        .int("group5_score", Some(i64::from(record.group5_score)))
        .text("primary_level_code", Some(record.primary_level.code()))
        .date("board_on", date(record.board_date))
        .text("care_level_code", Some(record.secondary_level.code()))
        .date("valid_from", opt_date(record.validity_start))
        .date("valid_to", opt_date(record.validity_end));
    rows.end_row();
    Ok(())
}

fn life_row(state: &mut FileState<'_, '_>, line: u64, record: &LifeRecord) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    let items = record.barthel_items();
    const FIELDS: [&str; 10] = [
        "barthel_feeding",
        "barthel_transfer",
        "barthel_grooming",
        "barthel_toilet",
        "barthel_bathing",
        "barthel_walking",
        "barthel_stairs",
        "barthel_dressing",
        "barthel_bowel",
        "barthel_bladder",
    ];
    for ((score, (_, _, maximum)), field) in items.iter().zip(BARTHEL_ITEMS).zip(FIELDS) {
        rules::barthel_item(field, *score, maximum)?;
    }
    if items.iter().map(|&score| u32::from(score)).sum::<u32>() != u32::from(record.barthel_total) {
        return Err(Violation::new(
            "barthel_total",
            Some("barthel_total"),
            "Barthel total is not the sum of its items",
        ));
    }
    let vitality = [
        record.vitality_waking,
        record.vitality_communication,
        record.vitality_eating,
        record.vitality_excretion,
        record.vitality_activity,
    ];
    if vitality.iter().any(|&score| score > 2) || vitality.iter().sum::<u8>() != record.vitality_total {
        return Err(Violation::new(
            "vitality_index",
            Some("vitality_total"),
            "Vitality Index items must be 0–2 and add up to the total",
        ));
    }
    if record.dbd13_total > 52 {
        return Err(Violation::new(
            "dbd13_range",
            Some("dbd13_total"),
            "DBD13 total is above 52",
        ));
    }
    let birth = *record.birth_date.expose();
    rules::insured_age("birth_date", birth, YearMonth::of(record.evaluation_date))?;
    rules::certified_level("care_level", record.care_level)?;
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            kanji_name: Some(record.name.expose()),
            birth_date: Some(birth),
            sex: Some(record.sex),
            event_month: Some(YearMonth::of(record.evaluation_date)),
            ..Identity::default()
        },
    );
    let rows = state.begin("life_assessments", line);
    rows.text("provider_number", Some(&record.provider_number))
        .text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .int("sex_code", sex_code(record.sex))
        .text("birth_year_month", Some(&birth_year_month(birth)))
        .text("care_level_code", Some(record.care_level.code()))
        .text("bedridden_rating", Some(&record.bedridden_rating))
        .text("dementia_rating", Some(&record.dementia_rating))
        .date("evaluated_on", date(record.evaluation_date))
        .text("evaluation_point_code", Some(&record.evaluation_point));
    for (field, score) in FIELDS.iter().zip(items) {
        rows.int(field, Some(i64::from(score)));
    }
    rows.int("barthel_total", Some(i64::from(record.barthel_total)))
        .int("vitality_total", Some(i64::from(record.vitality_total)))
        .int("dbd13_total", Some(i64::from(record.dbd13_total)))
        .int("height_mm", record.height_mm.map(i64::from))
        .int("weight_hg", record.weight_hg.map(i64::from))
        .flag("has_denture", Some(record.denture))
        .flag("has_choking", Some(record.choking))
        .date("emergency_admission_on", opt_date(record.emergency_admission_date))
        .date("ended_on", opt_date(record.end_date))
        .text("end_reason_code", record.end_reason.as_deref());
    rows.end_row();
    Ok(())
}

fn plan_sheet1_row(state: &mut FileState<'_, '_>, line: u64, record: &PlanSheet1) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    rules::validity_order(record.validity_start, record.validity_end)?;
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            event_month: Some(YearMonth::of(record.plan_date)),
            ..Identity::default()
        },
    );
    let rows = state.begin("care_plans", line);
    rows.text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .text("office_number", Some(&record.office_number))
        .date("plan_on", date(record.plan_date))
        .date("first_plan_on", date(record.first_plan_date))
        .text("plan_kind_code", Some(&record.plan_kind))
        .text("care_level_code", Some(record.care_level.code()))
        .date("valid_from", date(record.validity_start))
        .date("valid_to", date(record.validity_end));
    rows.end_row();
    Ok(())
}

fn plan_sheet2_row(state: &mut FileState<'_, '_>, line: u64, record: &PlanSheet2) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    rules::service_kind("service_kind", &record.service_kind)?;
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            event_month: Some(YearMonth::of(record.plan_date)),
            ..Identity::default()
        },
    );
    let rows = state.begin("care_plan_services", line);
    rows.text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .date("plan_on", date(record.plan_date))
        .int("support_number", Some(i64::from(record.support_number)))
        .text("service_kind_code", Some(&record.service_kind))
        .text("provider_number", record.provider_number.as_deref());
    rows.end_row();
    Ok(())
}

fn plan_use_row(state: &mut FileState<'_, '_>, line: u64, record: &PlanMonth) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    let uses: u32 = record.days.bytes().map(|byte| u32::from(byte - b'0')).sum();
    if uses != u32::from(record.total) {
        return Err(Violation::new(
            "plan_use_total",
            Some("total"),
            "uses per day do not add up to the total",
        ));
    }
    let tokens = state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            event_month: Some(record.target_month),
            ..Identity::default()
        },
    );
    let rows = state.begin("care_plan_uses", line);
    rows.text("identity_key", Some(&tokens.identity_key))
        .text("insurer_number", Some(&tokens.insurer_number))
        .text("target_month", Some(&record.target_month.compact()))
        .text("office_number", Some(&record.office_number))
        .text("provider_number", Some(&record.provider_number))
        .text("service_code", Some(&record.service_code))
        .flag("is_actual", Some(record.plan_or_actual == "2"))
        .text("uses_by_day", Some(&record.days))
        .int("n_uses", Some(i64::from(record.total)));
    rows.end_row();
    Ok(())
}

fn plan_supplement_row(state: &mut FileState<'_, '_>, line: u64, record: &PlanSupplement) -> Result<(), Violation> {
    rules::insurer_number("insurer_number", &record.insurer_number)?;
    let birth = *record.birth_date.expose();
    rules::insured_age("birth_date", birth, YearMonth::of(record.plan_date))?;
    // The supplement carries identity only: it feeds linkage (vault) and nothing else.
    state.tokens(
        line,
        &Identity {
            insurer_number: &record.insurer_number,
            insured_number: record.insured_number.expose(),
            kana_name: Some(record.kana_name.expose()),
            kanji_name: Some(record.kanji_name.expose()),
            birth_date: Some(birth),
            sex: Some(record.sex),
            event_month: Some(YearMonth::of(record.plan_date)),
            ..Identity::default()
        },
    );
    Ok(())
}

/// A claims file: statements are loaded or quarantined whole.
/// Statements already read in a file (form, provider, insured number, service month), kept as
/// 128-bit digests: memory stays small for large files and holds no insured number.
#[derive(Default)]
struct SeenStatements(HashSet<[u8; 16]>);

impl SeenStatements {
    /// Note a statement; false if the file had it already.
    fn insert(&mut self, fields: &[&str]) -> bool {
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update(field.as_bytes());
            // A unit separator, which no field holds, keeps ("ab", "c") apart from ("a", "bc").
            hasher.update([0x1f]);
        }
        let digest = hasher.finalize();
        self.0.insert(digest[..16].try_into().expect("16 bytes"))
    }
}

/// Open a claims file and check what its control record and name say against the folder and
/// the delivery.
fn open_claims<R: Read>(
    context: &Context<'_>,
    relative: &str,
    input: R,
    expected_insurer: Option<&str>,
) -> Result<ClaimsReader<R>, String> {
    let reader = ClaimsReader::open(input).map_err(|error| error.to_string())?;
    let control = reader.control();
    if Some(control.insurer_number.as_str()) != expected_insurer {
        return Err("control record: 保険者番号 is not the insurer whose folder holds the file".into());
    }
    if control.processing_month != context.delivery_month {
        return Err("control record: 処理対象年月 is not the delivery month".into());
    }
    // The file name carries the processing month in 和暦 (QKAN naming: d<eeMM><letter>.csv).
    let era = EraDate::from_date(context.delivery_month.first_day()).map_err(|error| error.to_string())?;
    let name = relative.rsplit('/').next().unwrap_or_default();
    if name.get(1..5) != Some(format!("{:02}{:02}", era.year, era.month).as_str()) {
        return Err(format!(
            "file name: 和暦 year and month (characters 2–5) are not the delivery month {}{}年{}月",
            era.era.name_ja(),
            era.year,
            era.month
        ));
    }
    Ok(reader)
}

/// Everything that rejects a claims file whole, without parsing its data records.
fn claims_structure(
    context: &Context<'_>,
    relative: &str,
    input: impl Read,
    expected_insurer: Option<&str>,
) -> Result<(), String> {
    let mut reader = open_claims(context, relative, input, expected_insurer)?;
    while reader.next_line().map_err(|error| error.to_string())?.is_some() {}
    Ok(())
}

fn claims(state: &mut FileState<'_, '_>, input: impl Read, expected_insurer: Option<&str>) -> Result<(), String> {
    let mut reader = open_claims(state.context, &state.relative, input, expected_insurer)?;
    let kind = reader.data_kind();
    let mut group: Vec<(u64, Result<ClaimRecord, RowError>)> = Vec::new();
    let mut seen = SeenStatements::default();
    loop {
        let next = reader.next_record().map_err(|error: FormatError| error.to_string())?;
        // A statement runs from its 01 record to the next one; other claims files have one record
        // per group. A broken record still has a readable record type.
        let starts_statement = match &next {
            None => true,
            Some(_) if kind != DataKind::Statements => true,
            Some(_) => reader.last_record_type() == "01",
        };
        if starts_statement && !group.is_empty() {
            let records = std::mem::take(&mut group);
            statement(state, records, &mut seen);
            state.flush(false)?;
        }
        match next {
            Some(record) => {
                state.rows_in += 1;
                group.push(record);
            }
            None => break,
        }
    }
    Ok(())
}

fn statement(
    state: &mut FileState<'_, '_>,
    records: Vec<(u64, Result<ClaimRecord, RowError>)>,
    seen: &mut SeenStatements,
) {
    let lines: Vec<u64> = records.iter().map(|(line, _)| *line).collect();
    match check_statement(state, &records, seen) {
        Ok(()) => {
            let statement_line = lines[0];
            let mut identity_key = String::new();
            let mut insurer = String::new();
            for (line, record) in &records {
                let Ok(record) = record else { unreachable!("checked") };
                emit_claim(state, *line, statement_line, record, &mut identity_key, &mut insurer);
                state.loaded += 1;
            }
        }
        Err(violation) => {
            for line in lines {
                state.quarantine(line, &violation);
            }
        }
    }
}

fn check_statement(
    state: &FileState<'_, '_>,
    records: &[(u64, Result<ClaimRecord, RowError>)],
    seen: &mut SeenStatements,
) -> Result<(), Violation> {
    for (_, record) in records {
        if let Err(error) = record {
            return Err(FileState::row_error(error));
        }
    }
    let record = |index: usize| records[index].1.as_ref().expect("checked above");
    match record(0) {
        ClaimRecord::Basic(basic) => {
            let insurer = rules::insurer_number("insurer_number", &basic.insurer_number)?;
            let grade = state.grade(insurer.as_str())?;
            rules::certified_level("care_level", basic.care_level)?;
            rules::validity_order(basic.validity_start, basic.validity_end)?;
            rules::insured_age("birth_date", *basic.birth_date.expose(), basic.service_month)?;
            if !seen.insert(&[
                &basic.exchange_id,
                &basic.provider_number,
                basic.insured_number.expose(),
                &basic.service_month.compact(),
            ]) {
                return Err(Violation::new(
                    "duplicate_statement",
                    None,
                    "a statement for the same form, provider, insured person and month appears earlier in the file",
                ));
            }
            let benefit_rate: u32 = basic.benefit_rate.parse().unwrap_or(0);
            let mut line_units: BTreeMap<&str, u64> = BTreeMap::new();
            let mut totals_units = 0;
            let mut has_totals = false;
            for (_, record) in &records[1..] {
                match record.as_ref().expect("checked") {
                    ClaimRecord::Detail(detail) => {
                        rules::service_kind("service_kind", &detail.service_kind)?;
                        if detail.service_units != u64::from(detail.unit_value) * u64::from(detail.count) {
                            return Err(Violation::new(
                                "statement_totals",
                                Some("service_units"),
                                "line units are not units per occurrence × times",
                            ));
                        }
                        *line_units.entry(detail.service_kind.as_str()).or_default() += detail.service_units;
                    }
                    ClaimRecord::Totals(totals) => {
                        has_totals = true;
                        let kind = rules::service_kind("service_kind", &totals.service_kind)?;
                        if line_units.get(totals.service_kind.as_str()).copied().unwrap_or(0) != totals.units_total {
                            return Err(Violation::new(
                                "statement_totals",
                                Some("units_total"),
                                "totals record does not equal the sum of its service lines",
                            ));
                        }
                        rules::unit_price(kind, grade, &totals.unit_price)?;
                        let price: u32 = totals.unit_price.parse().unwrap_or(0);
                        rules::claim_amounts(
                            totals.units_total,
                            price,
                            benefit_rate,
                            totals.claim_yen,
                            totals.user_charge_yen,
                        )?;
                        totals_units += totals.units_total;
                    }
                    _ => {
                        return Err(Violation::new(
                            "record_order",
                            None,
                            "a statement holds only 01, 02 and 10 records",
                        ));
                    }
                }
            }
            if !has_totals || totals_units != basic.insurance_units {
                return Err(Violation::new(
                    "statement_totals",
                    Some("insurance_units"),
                    "basic record units do not equal the sum of the totals records",
                ));
            }
            Ok(())
        }
        ClaimRecord::CareManagement(care) => {
            let insurer = rules::insurer_number("insurer_number", &care.insurer_number)?;
            let grade = state.grade(insurer.as_str())?;
            let kind = rules::service_kind("service_code", care.service_code.get(..2).unwrap_or_default())?;
            rules::unit_price(kind, grade, &care.unit_price)?;
            rules::insured_age("birth_date", *care.birth_date.expose(), care.service_month)?;
            let price: u32 = care.unit_price.parse().unwrap_or(0);
            if care.claim_yen != kaigo_codes::unit_price::cost_yen(care.units_total, price) {
                return Err(Violation::new(
                    "claim_amount",
                    Some("claim_yen"),
                    "care-management claim does not follow from units and unit price",
                ));
            }
            Ok(())
        }
        ClaimRecord::BenefitManagement(benefit) => {
            rules::insurer_number("insurer_number", &benefit.insurer_number)?;
            rules::service_kind("service_kind", &benefit.service_kind)?;
            rules::insured_age("birth_date", *benefit.birth_date.expose(), benefit.target_month)?;
            if benefit.planned_total > u64::from(benefit.limit_units) {
                return Err(Violation::new(
                    "plan_over_limit",
                    Some("planned_total"),
                    "planned units exceed the monthly limit",
                ));
            }
            Ok(())
        }
        ClaimRecord::Detail(_) | ClaimRecord::Totals(_) => Err(Violation::new(
            "orphan_record",
            None,
            "service line or totals record without a basic record before it",
        )),
    }
}

fn emit_claim(
    state: &mut FileState<'_, '_>,
    line: u64,
    statement_line: u64,
    record: &ClaimRecord,
    identity_key: &mut String,
    insurer: &mut String,
) {
    match record {
        ClaimRecord::Basic(basic) => {
            let birth = *basic.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &basic.insurer_number,
                basic.insured_number.expose(),
                birth,
                basic.sex,
                basic.service_month,
            );
            *identity_key = tokens.identity_key;
            *insurer = tokens.insurer_number;
            let rows = state.begin("claim_statements", line);
            claim_key(
                rows,
                &basic.exchange_id,
                basic.service_month,
                &basic.provider_number,
                identity_key,
                insurer,
                statement_line,
            );
            rows.int("sex_code", sex_code(basic.sex))
                .text("birth_year_month", Some(&birth_year_month(birth)))
                .text("care_level_code", Some(basic.care_level.code()))
                .date("valid_from", date(basic.validity_start))
                .date("valid_to", date(basic.validity_end))
                .text("plan_kind_code", basic.plan_kind.as_deref())
                .text("plan_office_number", basic.plan_office_number.as_deref())
                .date("started_on", opt_date(basic.start_date))
                .date("ended_on", opt_date(basic.end_date))
                .text("end_reason_code", basic.end_reason.as_deref())
                .date("admitted_on", opt_date(basic.admission_date))
                .date("discharged_on", opt_date(basic.discharge_date))
                .int("n_facility_days", basic.admission_days.map(i64::from))
                .int("n_nights_out", basic.outing_days.map(i64::from))
                .text("discharge_status_code", basic.discharge_status.as_deref())
                .int("benefit_rate_pct", basic.benefit_rate.parse::<i64>().ok())
                .int("insurance_units", Some(basic.insurance_units as i64))
                .int("insurance_claim_yen", Some(basic.insurance_claim_yen as i64))
                .int("user_charge_yen", Some(basic.insurance_user_charge_yen as i64));
            rows.end_row();
        }
        ClaimRecord::Detail(detail) => {
            let rows = state.begin("claim_lines", line);
            claim_key(
                rows,
                &detail.exchange_id,
                detail.service_month,
                &detail.provider_number,
                identity_key,
                insurer,
                statement_line,
            );
            rows.text("service_kind_code", Some(&detail.service_kind))
                .text("service_item_code", Some(&detail.service_item))
                .int("unit_value", Some(i64::from(detail.unit_value)))
                .int("n_times", Some(i64::from(detail.count)))
                .int("service_units", Some(detail.service_units as i64));
            rows.end_row();
        }
        ClaimRecord::Totals(totals) => {
            let rows = state.begin("claim_service_totals", line);
            claim_key(
                rows,
                &totals.exchange_id,
                totals.service_month,
                &totals.provider_number,
                identity_key,
                insurer,
                statement_line,
            );
            rows.text("service_kind_code", Some(&totals.service_kind))
                .int("n_service_days", Some(i64::from(totals.actual_days)))
                .int("planned_units", totals.plan_units.map(|value| value as i64))
                .int("limit_units", totals.limit_units.map(|value| value as i64))
                .int("non_limit_units", totals.non_limit_units.map(|value| value as i64))
                .int("units_total", Some(totals.units_total as i64))
                .int("unit_price_centiyen", totals.unit_price.parse::<i64>().ok())
                .int("claim_yen", Some(totals.claim_yen as i64))
                .int("user_charge_yen", Some(totals.user_charge_yen as i64));
            rows.end_row();
        }
        ClaimRecord::CareManagement(care) => {
            let birth = *care.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &care.insurer_number,
                care.insured_number.expose(),
                birth,
                care.sex,
                care.service_month,
            );
            let rows = state.begin("care_management_claims", line);
            rows.text("exchange_id", Some(&care.exchange_id))
                .text("service_month", Some(&care.service_month.compact()))
                .text("provider_number", Some(&care.provider_number))
                .text("identity_key", Some(&tokens.identity_key))
                .text("insurer_number", Some(&tokens.insurer_number))
                .int("sex_code", sex_code(care.sex))
                .text("birth_year_month", Some(&birth_year_month(birth)))
                .text("care_level_code", Some(care.care_level.code()))
                .text("service_code", Some(&care.service_code))
                .int("service_units", Some(care.service_units as i64))
                .int("unit_price_centiyen", care.unit_price.parse::<i64>().ok())
                .int("claim_yen", Some(care.claim_yen as i64))
                .text("care_manager_number", care.care_manager_number.as_deref());
            rows.end_row();
        }
        ClaimRecord::BenefitManagement(benefit) => {
            let birth = *benefit.birth_date.expose();
            let tokens = state.claim_tokens(
                line,
                &benefit.insurer_number,
                benefit.insured_number.expose(),
                birth,
                benefit.sex,
                benefit.target_month,
            );
            let rows = state.begin("benefit_management_lines", line);
            rows.text("target_month", Some(&benefit.target_month.compact()))
                .text("office_number", Some(&benefit.office_number))
                .text("identity_key", Some(&tokens.identity_key))
                .text("insurer_number", Some(&tokens.insurer_number))
                .text("care_level_code", Some(benefit.care_level.code()))
                .int("limit_units", Some(i64::from(benefit.limit_units)))
                .text("service_provider_number", Some(&benefit.service_provider_number))
                .text("service_kind_code", Some(&benefit.service_kind))
                .int("planned_units", Some(benefit.planned_units as i64))
                .int("planned_total_units", Some(benefit.planned_total as i64));
            rows.end_row();
        }
    }
}

fn claim_key(
    rows: &mut TableRows,
    exchange_id: &str,
    month: YearMonth,
    provider: &str,
    identity_key: &str,
    insurer: &str,
    statement_line: u64,
) {
    rows.text("exchange_id", Some(exchange_id))
        .text("service_month", Some(&month.compact()))
        .text("provider_number", Some(provider))
        .text("identity_key", Some(identity_key))
        .text("insurer_number", Some(insurer))
        .int("statement_line", Some(statement_line as i64));
}
