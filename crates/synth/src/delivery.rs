//! One insurer's files for one delivery month, buffered in memory, and the ground-truth rows
//! that point into them (file, line → true person; injected noise; injected invalid records).

use std::{fs, io::Write, path::Path};

use kaigo_codes::calendar::{EraDate, YearMonth};
use kaigo_formats::{
    FormatError,
    care_plan::{PlanMonth, PlanSheet1, PlanSheet2, PlanSupplement},
    certification::CertificationRecord,
    claims::{ClaimsWriter, DataKind},
    flat::{FlatExtract, FlatWriter},
    life::LifeRecord,
    register::RegisterRecord,
    registry::ProviderActivityRecord,
};

use crate::SynthError;

/// Which file of a delivery a record went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// Claims 711.
    Claims,
    /// Claims 812.
    CareManagement,
    /// Claims 821.
    BenefitManagement,
    /// Certification.
    Certification,
    /// LIFE.
    Life,
    /// Register.
    Register,
    /// UP1KYO.
    PlanSheet1,
    /// UP2KYO.
    PlanSheet2,
    /// UPPLAN.
    PlanMonthPlanned,
    /// UPJSK.
    PlanMonthActual,
    /// UPHOSOKU.
    PlanSupplement,
    /// Provider activity.
    ProviderActivity,
}

/// A truth row: a run of consecutive lines of one file that belong to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    /// First line.
    pub first: u64,
    /// Last line (inclusive).
    pub last: u64,
    /// True person id.
    pub person: u64,
}

/// Injected identifier noise on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoiseTruth {
    /// File.
    pub file: FileKind,
    /// Line.
    pub line: u64,
    /// True person id.
    pub person: u64,
    /// Field name.
    pub field: &'static str,
    /// Kind of noise.
    pub kind: &'static str,
}

/// An injected invalid record: every line that ingest should quarantine, and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTruth {
    /// File.
    pub file: FileKind,
    /// Line.
    pub line: u64,
    /// Field name.
    pub field: &'static str,
    /// Rule broken.
    pub rule: &'static str,
}

/// Buffers of one insurer's delivery.
pub struct Delivery {
    /// Delivery (processing) month.
    pub month: YearMonth,
    insurer_number: String,
    /// Claims 711.
    pub claims: ClaimsWriter,
    /// Claims 812.
    pub care_management: ClaimsWriter,
    /// Claims 821.
    pub benefit_management: ClaimsWriter,
    /// Certification.
    pub certification: FlatWriter<Vec<u8>, CertificationRecord>,
    /// LIFE.
    pub life: FlatWriter<Vec<u8>, LifeRecord>,
    /// Register.
    pub register: FlatWriter<Vec<u8>, RegisterRecord>,
    /// UP1KYO.
    pub plan_sheet1: FlatWriter<Vec<u8>, PlanSheet1>,
    /// UP2KYO.
    pub plan_sheet2: FlatWriter<Vec<u8>, PlanSheet2>,
    /// UPPLAN.
    pub plan_planned: FlatWriter<Vec<u8>, PlanMonth>,
    /// UPJSK.
    pub plan_actual: FlatWriter<Vec<u8>, PlanMonth>,
    /// UPHOSOKU.
    pub plan_supplement: FlatWriter<Vec<u8>, PlanSupplement>,
    /// Provider activity.
    pub activity: FlatWriter<Vec<u8>, ProviderActivityRecord>,
    /// Line → person, by file: runs of one person's lines held as one range (a statement's
    /// lines are one), not a row per line, which a go-live delivery's back-fill would make large.
    pub records: std::collections::BTreeMap<FileKind, Vec<LineRange>>,
    /// Noise.
    pub noise: Vec<NoiseTruth>,
    /// Invalid records.
    pub invalid: Vec<InvalidTruth>,
}

fn flat<E: FlatExtract>() -> FlatWriter<Vec<u8>, E> {
    FlatWriter::new(Vec::new()).expect("writing to memory cannot fail")
}

impl Delivery {
    /// Line `line` of `file` belongs to `person`; `invalid`, when given, is the field the record
    /// breaks and the rule.
    pub fn record(&mut self, file: FileKind, line: u64, person: u64, invalid: Option<(&'static str, &'static str)>) {
        let ranges = self.records.entry(file).or_default();
        match ranges.last_mut() {
            Some(range) if range.person == person && range.last + 1 == line => range.last = line,
            _ => ranges.push(LineRange {
                first: line,
                last: line,
                person,
            }),
        }
        if let Some((field, rule)) = invalid {
            self.invalid.push(InvalidTruth {
                file,
                line,
                field,
                rule,
            });
        }
    }

    /// Empty buffers for an insurer and delivery month; large claims files wait in `spill_folder`.
    pub fn new(month: YearMonth, insurer_number: &str, prefecture: u8, spill_folder: &Path) -> Self {
        let claims =
            |kind: DataKind| ClaimsWriter::new(kind, insurer_number, prefecture, month).spill_into(spill_folder);
        Self {
            month,
            insurer_number: insurer_number.to_string(),
            claims: claims(DataKind::Statements),
            care_management: claims(DataKind::CareManagement),
            benefit_management: claims(DataKind::BenefitManagement),
            certification: flat(),
            life: flat(),
            register: flat(),
            plan_sheet1: flat(),
            plan_sheet2: flat(),
            plan_planned: flat(),
            plan_actual: flat(),
            plan_supplement: flat(),
            activity: flat(),
            records: Default::default(),
            noise: Vec::new(),
            invalid: Vec::new(),
        }
    }

    /// File name of a file kind in this delivery, relative to the insurer folder.
    pub fn file_name(&self, kind: FileKind) -> String {
        // Claims files follow QKAN's naming: medium (d = transmission) + era year and month + letter.
        let era = EraDate::from_date(self.month.first_day()).expect("after 明治");
        let claims = |letter: char| format!("d{:02}{:02}{letter}.csv", era.year, era.month);
        // Care-plan files follow the linkage standard: TYPE_<month>_<from>_<to>_<timestamp>.CSV.
        let plan = |prefix: &str| {
            format!(
                "{prefix}_{}_{:0>10}_{}_{}01000000.CSV",
                self.month.compact(),
                self.insurer_number,
                "0000000000",
                self.month.compact()
            )
        };
        match kind {
            FileKind::Claims => claims('a'),
            FileKind::CareManagement => claims('b'),
            FileKind::BenefitManagement => claims('c'),
            FileKind::Certification => "certification.csv".into(),
            FileKind::Life => "life.csv".into(),
            FileKind::Register => "register.csv".into(),
            FileKind::PlanSheet1 => plan("UP1KYO"),
            FileKind::PlanSheet2 => plan("UP2KYO"),
            FileKind::PlanMonthPlanned => plan("UPPLAN"),
            FileKind::PlanMonthActual => plan("UPJSK"),
            FileKind::PlanSupplement => plan("UPHOSOKU"),
            FileKind::ProviderActivity => "provider_activity.csv".into(),
        }
    }

    /// Folder of this delivery relative to the hub root: `<YYYYMM>/<insurer>`.
    pub fn folder(&self) -> String {
        format!("{}/{}", self.month.compact(), self.insurer_number)
    }

    /// Write every file and return the truth rows as CSV lines (records, noise, invalid).
    pub fn flush(self, root: &Path) -> Result<TruthLines, SynthError> {
        let folder = self.folder();
        let directory = root.join(&folder);
        fs::create_dir_all(&directory).map_err(|source| SynthError::io(&directory, source))?;
        let names: Vec<(FileKind, String)> = ALL_KINDS.iter().map(|&kind| (kind, self.file_name(kind))).collect();
        let name_of = |kind: FileKind| &names.iter().find(|(k, _)| *k == kind).expect("all kinds named").1;
        let write = |kind: FileKind, bytes: &[u8]| -> Result<(), SynthError> {
            let path = directory.join(name_of(kind));
            fs::write(&path, bytes).map_err(|source| SynthError::io(&path, source))
        };
        for (kind, writer) in [
            (FileKind::Claims, self.claims),
            (FileKind::CareManagement, self.care_management),
            (FileKind::BenefitManagement, self.benefit_management),
        ] {
            // Straight to the file: a spilled body never comes back into memory.
            let path = directory.join(name_of(kind));
            let file = fs::File::create(&path).map_err(|source| SynthError::io(&path, source))?;
            writer
                .finish(&mut std::io::BufWriter::new(file))
                .map_err(|error| match error {
                    FormatError::Io(source) => SynthError::io(&path, source),
                    other => other.into(),
                })?;
        }
        write(FileKind::Certification, &self.certification.finish()?)?;
        write(FileKind::Life, &self.life.finish()?)?;
        write(FileKind::Register, &self.register.finish()?)?;
        // Care-plan files have no header and are sent only when there is something to send.
        for (kind, bytes) in [
            (FileKind::PlanSheet1, self.plan_sheet1.finish()?),
            (FileKind::PlanSheet2, self.plan_sheet2.finish()?),
            (FileKind::PlanMonthPlanned, self.plan_planned.finish()?),
            (FileKind::PlanMonthActual, self.plan_actual.finish()?),
            (FileKind::PlanSupplement, self.plan_supplement.finish()?),
        ] {
            if !bytes.is_empty() {
                write(kind, &bytes)?;
            }
        }
        write(FileKind::ProviderActivity, &self.activity.finish()?)?;

        let mut lines = TruthLines::default();
        let path = |kind: FileKind| format!("{folder}/{}", name_of(kind));
        // By file and line, runs of one person merged (lines are not always recorded in order).
        for (file, mut ranges) in self.records {
            ranges.sort_by_key(|range| range.first);
            let mut ranges = ranges.into_iter().peekable();
            while let Some(mut range) = ranges.next() {
                while let Some(next) =
                    ranges.next_if(|next| next.person == range.person && next.first == range.last + 1)
                {
                    range.last = next.last;
                }
                writeln!(
                    lines.records,
                    "{},{},{},{}",
                    path(file),
                    range.first,
                    range.last,
                    range.person
                )
                .expect("memory");
            }
        }
        for noise in self.noise {
            writeln!(
                lines.noise,
                "{},{},{},{},{}",
                path(noise.file),
                noise.line,
                noise.person,
                noise.field,
                noise.kind
            )
            .expect("memory");
        }
        for invalid in self.invalid {
            writeln!(
                lines.invalid,
                "{},{},{},{}",
                path(invalid.file),
                invalid.line,
                invalid.field,
                invalid.rule
            )
            .expect("memory");
        }
        Ok(lines)
    }
}

/// Every file kind, in the order files are listed.
pub const ALL_KINDS: [FileKind; 12] = [
    FileKind::Claims,
    FileKind::CareManagement,
    FileKind::BenefitManagement,
    FileKind::Certification,
    FileKind::Life,
    FileKind::Register,
    FileKind::PlanSheet1,
    FileKind::PlanSheet2,
    FileKind::PlanMonthPlanned,
    FileKind::PlanMonthActual,
    FileKind::PlanSupplement,
    FileKind::ProviderActivity,
];

/// Truth rows as CSV text, ready to append to the truth files.
#[derive(Debug, Default)]
pub struct TruthLines {
    /// `file,first_line,last_line,person_id`.
    pub records: Vec<u8>,
    /// `file,line,person_id,field,kind`.
    pub noise: Vec<u8>,
    /// `file,line,field,rule`.
    pub invalid: Vec<u8>,
}
