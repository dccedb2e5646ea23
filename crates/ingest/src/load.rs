//! One file of a delivery → table rows, quarantine rows and its row accounting.

use std::{
    collections::{BTreeMap, HashMap},
    io::Read,
    path::Path,
};

use arrow::record_batch::RecordBatch;

use chrono::NaiveDate;
use kaigo_codes::{calendar::YearMonth, care_level::Sex, unit_price::AreaGrade};
use kaigo_formats::{
    RowError,
    care_plan::{PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::{CertificationRecord, SURVEY_ITEMS},
    flat::{FlatExtract, FlatReader},
    life::{BARTHEL_ITEMS, LifeRecord},
    register::RegisterRecord,
    registry::{InsurerRecord, ProviderActivityRecord, ProviderRecord},
};
use kaigo_pseudonymize::token::Tokenizer;
use kaigo_warehouse::{
    TableSpec,
    columns::Table,
    manifest::FileEntry,
    rows::TableRows,
    tables::{
        CarePlanRow, CarePlanServiceRow, CarePlanUseRow, CertificationRow, InsurerRow, LifeAssessmentRow, Lineage,
        ProviderActivityRow, ProviderRow, QuarantineRow, RegisterEventRow, SurveyAnswers,
    },
};
use sha2::{Digest, Sha256};

mod claims;

use crate::{
    IngestError,
    extract::Extract,
    identity::{Identity, IdentityKeys, TokenCache, Tokens, birth_year_month},
    rules::{self, Violation, format_rule},
};
use claims::{claims, claims_structure};

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
pub type Sink<'s> = dyn FnMut(Vec<(&'static TableSpec, RecordBatch)>) -> Result<(), IngestError> + 's;

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

fn sex_code(sex: Sex) -> i32 {
    if sex == Sex::Male { 1 } else { 2 }
}

/// A number the layout declares as digits (`Shape::Digits`), so it parses.
fn digits(text: &str) -> i32 {
    text.parse().expect("the layout admits digits only")
}

/// Why reading a file stopped before its end.
enum Stop {
    /// The file is rejected whole, for this reason (kept in its accounting entry).
    Rejected(String),
    /// The load failed: writing the rows, or a broken invariant.
    Failed(IngestError),
}

impl From<kaigo_formats::FormatError> for Stop {
    fn from(error: kaigo_formats::FormatError) -> Self {
        Stop::Rejected(error.to_string())
    }
}

fn unreadable(error: std::io::Error) -> Stop {
    Stop::Rejected(format!("cannot read the file: {error}"))
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
    held: Option<Vec<Vec<(&'static TableSpec, RecordBatch)>>>,
    /// Whether rows went to the sink: from then on the file can no longer be rejected whole.
    emitted: bool,
}

impl FileState<'_, '_> {
    /// Hand the rows gathered so far to the sink once a chunk is full (`all`: whatever there
    /// is).
    fn flush(&mut self, all: bool) -> Result<(), Stop> {
        if !all && self.rows_in - self.rows_in_flushed < CHUNK_RECORDS {
            return Ok(());
        }
        self.rows_in_flushed = self.rows_in;
        let mut batches = Vec::new();
        for rows in self.tables.values_mut() {
            if !rows.is_empty() {
                let batch = rows.finish().map_err(|error| Stop::Failed(error.into()))?;
                batches.push((rows.spec(), batch));
            }
        }
        if batches.is_empty() {
            return Ok(());
        }
        if let Some(held) = &mut self.held {
            held.push(batches);
        } else {
            self.emitted = true;
            (self.sink)(batches).map_err(Stop::Failed)?;
        }
        Ok(())
    }

    /// Add a row of the record at `line` to its table, after the lineage columns.
    fn push<R: Table>(&mut self, line: u64, row: R) {
        let spec = R::spec();
        let lineage = Lineage {
            delivery_month: &self.context.delivery,
            source_file_id: &self.file_id,
            source_line: line as i64,
        };
        self.tables
            .entry(spec.name)
            .or_insert_with(|| TableRows::new(spec))
            .push_loaded(lineage, row);
    }

    fn quarantine(&mut self, line: u64, violation: &Violation) {
        let path = self.relative.clone();
        let row = QuarantineRow {
            path: &path,
            extract: self.extract.name(),
            rule: violation.rule,
            field: violation.field,
            reason: &violation.reason,
        };
        self.push(line, row);
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
        self.push(line, tokens.row(self.extract.name()));
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
    };
    let read = if single_pass {
        read_once(&mut state, &path, expected_insurer)
    } else {
        read_twice(&mut state, &path, expected_insurer)
    };
    let (bytes, sha256, rejected) = match read {
        Ok(checked) => (checked.bytes, checked.sha256, checked.rejected),
        Err(Stop::Rejected(reason)) => (0, String::new(), Some(reason)),
        Err(Stop::Failed(error)) => return Err(error),
    };
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
fn parse(state: &mut FileState<'_, '_>, input: impl Read, expected_insurer: Option<&str>) -> Result<(), Stop> {
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
fn read_once(state: &mut FileState<'_, '_>, path: &Path, expected_insurer: Option<&str>) -> Result<Checked, Stop> {
    let mut input = Hashing::new(std::fs::File::open(path).map_err(unreadable)?);
    let rejected = match parse(state, &mut input, expected_insurer) {
        Ok(()) => None,
        Err(Stop::Rejected(reason)) => Some(reason),
        Err(failed) => return Err(failed),
    };
    // The rest of the file, for its digest, if the parse stopped early.
    std::io::copy(&mut input, &mut std::io::sink()).map_err(unreadable)?;
    Ok(input.checked(rejected))
}

/// A file read twice (see [`load_file`]).
fn read_twice(state: &mut FileState<'_, '_>, path: &Path, expected_insurer: Option<&str>) -> Result<Checked, Stop> {
    let mut checked =
        check_file(state.context, path, &state.relative, state.extract, expected_insurer).map_err(unreadable)?;
    if checked.rejected.is_some() {
        return Ok(checked);
    }
    let parsed = std::fs::File::open(path)
        .map_err(unreadable)
        .and_then(|file| parse(state, file, expected_insurer));
    match parsed {
        Ok(()) => {}
        Err(Stop::Rejected(reason)) if state.emitted => {
            return Err(Stop::Failed(IngestError::Internal(format!(
                "{}: {reason}, found after part of the file was loaded although its first reading passed; \
                 was the file changed during the load?",
                state.relative
            ))));
        }
        Err(Stop::Rejected(reason)) => checked.rejected = Some(reason),
        Err(failed) => return Err(failed),
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

fn flat<E: FlatExtract>(state: &mut FileState<'_, '_>, input: impl Read, row: RowFn<E>) -> Result<(), Stop> {
    let mut reader = FlatReader::<_, E>::open(input)?;
    while let Some((line, record)) = reader.next_record()? {
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
    let as_of_month = record.as_of.compact();
    let row = InsurerRow {
        insurer_number: &record.insurer_number,
        local_government_code: &record.local_government_code,
        prefecture_code: &record.prefecture_code,
        insurer_name: &record.name,
        size_class_code: &record.size_class,
        n_member_municipalities: i32::from(record.member_municipalities),
        population_65_plus: i64::from(record.population_65_plus),
        population_40_64: i64::from(record.population_40_64),
        area_grade: i32::from(record.area_grade),
        standardisation_fiscal_year: record.standardisation_fiscal_year.map(i32::from),
        planned_start_on: record.planned_start_date,
        started_on: record.start_date,
        status_code: &record.status,
        as_of_month: &as_of_month,
    };
    state.push(line, row);
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
    let row = ProviderRow {
        provider_number: &record.provider_number,
        provider_name: &record.name,
        insurer_number: &record.insurer_number,
        service_kind_codes: &record.service_kinds,
        area_grade: i32::from(record.area_grade),
        capacity: record.capacity.map(|capacity| capacity as i32),
        is_medical_institution: record.is_medical_institution,
        portal_registered_on: record.portal_registered_on,
        client_certificate_on: record.client_certificate_on,
        card_reader_on: record.card_reader_on,
        subsidy_yen: record.subsidy_yen.map(i64::from),
        opinion_electronic_since: record.opinion_electronic_since,
    };
    state.push(line, row);
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
    let service_month = record.month.compact();
    let row = ProviderActivityRow {
        service_month: &service_month,
        provider_number: &record.provider_number,
        insurer_number: &insurer,
        n_users: i64::from(record.users),
        n_users_with_consent: i64::from(record.users_with_consent),
        n_record_views: i64::from(record.record_views),
    };
    state.push(line, row);
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
            register_reason: Some(&record.reason),
        },
    );
    let birth_year_month = birth_year_month(birth);
    let row = RegisterEventRow {
        person: tokens.person(),
        event_on: record.event_date,
        event_kind_code: &record.event_kind,
        reason_code: &record.reason,
        sex_code: sex_code(record.sex),
        birth_year_month: &birth_year_month,
        tier_code: &record.tier,
        municipality_code: &record.municipality_code,
    };
    state.push(line, row);
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
    let birth_year_month = birth_year_month(birth);
    let row = CertificationRow {
        person: tokens.person(),
        sex_code: sex_code(record.sex),
        birth_year_month: &birth_year_month,
        application_on: record.application_date,
        application_kind_code: &record.application_kind,
        survey_on: record.survey_date,
        survey: SurveyAnswers(&answers),
        bedridden_rating: &record.bedridden_rating,
        dementia_rating: &record.dementia_rating,
        opinion_on: record.opinion_date,
        medical_institution_number: &record.medical_institution,
        is_opinion_electronic: record.opinion_electronic,
        diagnosis_code: record.diagnosis.as_deref(),
        stability_code: &record.stability,
        specified_disease: record.specified_disease.map(i32::from),
        opinion_bedridden_rating: &record.opinion_bedridden_rating,
        opinion_dementia_rating: &record.opinion_dementia_rating,
        short_term_memory_code: i32::from(record.short_term_memory),
        decision_ability_code: i32::from(record.decision_ability),
        communication_code: i32::from(record.communication),
        height_cm: record.height_cm.map(i32::from),
        weight_kg: record.weight_kg.map(i32::from),
        base_time_tenth_minutes: i64::from(record.base_time_tenths),
        group1_score: i32::from(record.group1_score),
        group2_score: i32::from(record.group2_score),
        group3_score: i32::from(record.group3_score),
        group4_score: i32::from(record.group4_score),
        group5_score: i32::from(record.group5_score),
        primary_level_code: record.primary_level.code(),
        board_on: record.board_date,
        care_level_code: record.secondary_level.code(),
        valid_from: record.validity_start,
        valid_to: record.validity_end,
    };
    state.push(line, row);
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
    let birth_year_month = birth_year_month(birth);
    let row = LifeAssessmentRow {
        provider_number: &record.provider_number,
        person: tokens.person(),
        sex_code: sex_code(record.sex),
        birth_year_month: &birth_year_month,
        care_level_code: record.care_level.code(),
        bedridden_rating: &record.bedridden_rating,
        dementia_rating: &record.dementia_rating,
        evaluated_on: record.evaluation_date,
        evaluation_point_code: &record.evaluation_point,
        barthel_feeding: i32::from(record.barthel_feeding),
        barthel_transfer: i32::from(record.barthel_transfer),
        barthel_grooming: i32::from(record.barthel_grooming),
        barthel_toilet: i32::from(record.barthel_toilet),
        barthel_bathing: i32::from(record.barthel_bathing),
        barthel_walking: i32::from(record.barthel_walking),
        barthel_stairs: i32::from(record.barthel_stairs),
        barthel_dressing: i32::from(record.barthel_dressing),
        barthel_bowel: i32::from(record.barthel_bowel),
        barthel_bladder: i32::from(record.barthel_bladder),
        barthel_total: i32::from(record.barthel_total),
        vitality_total: i32::from(record.vitality_total),
        dbd13_total: i32::from(record.dbd13_total),
        height_mm: record.height_mm.map(i32::from),
        weight_hg: record.weight_hg.map(i32::from),
        has_denture: record.denture,
        has_choking: record.choking,
        emergency_admission_on: record.emergency_admission_date,
        ended_on: record.end_date,
        end_reason_code: record.end_reason.as_deref(),
    };
    state.push(line, row);
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
    let row = CarePlanRow {
        person: tokens.person(),
        office_number: &record.office_number,
        plan_on: record.plan_date,
        first_plan_on: record.first_plan_date,
        plan_kind_code: &record.plan_kind,
        care_level_code: record.care_level.code(),
        valid_from: record.validity_start,
        valid_to: record.validity_end,
    };
    state.push(line, row);
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
    let row = CarePlanServiceRow {
        person: tokens.person(),
        plan_on: record.plan_date,
        support_number: i32::from(record.support_number),
        service_kind_code: &record.service_kind,
        provider_number: record.provider_number.as_deref(),
    };
    state.push(line, row);
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
    let target_month = record.target_month.compact();
    let row = CarePlanUseRow {
        person: tokens.person(),
        target_month: &target_month,
        office_number: &record.office_number,
        provider_number: &record.provider_number,
        service_code: &record.service_code,
        is_actual: record.plan_or_actual == "2",
        uses_by_day: &record.days,
        n_uses: i32::from(record.total),
    };
    state.push(line, row);
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
