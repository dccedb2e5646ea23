//! Running a request: cohort → persons with generalized quasi-identifiers → k-anonymity and
//! ℓ-diversity → the approved tables, re-keyed per project → Parquet, manifest, audit entry.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow::{
    array::{Array, ArrayRef, RecordBatch, StringArray},
    compute::{SortColumn, lexsort_to_indices, take_record_batch},
    datatypes::{DataType, Field, Schema},
};
use kaigo_pseudonymize::{
    key::{Purpose, SecretKey},
    token::{Field as TokenField, Tokenizer},
};
use kaigo_query::session::Session;
use kaigo_warehouse::{
    Warehouse,
    files::{self, Access, WrittenFile},
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::info;

use crate::{
    ExtractError, Result,
    audit_log::{AuditEntry, AuditLog},
    cohort::Cohort,
    request::{EXTRACTABLE_TABLES, ExtractRequest, is_month_key},
};

/// An extract to run: `Extract::new(&warehouse, &key, request).run().await`.
pub struct Extract<'a> {
    warehouse: &'a Warehouse,
    key: &'a SecretKey,
    request: ExtractRequest,
    pinned: BTreeMap<String, u64>,
    operator: String,
}

/// What an extract wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractReport {
    /// The folder written: `<root>/extracts/<project>/<request hash, 12 hex>/`.
    pub folder: PathBuf,
    /// The manifest (also `manifest.json` in the folder).
    pub manifest: Manifest,
}

/// The extract's manifest: enough to check the files and to reproduce them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Manifest {
    /// Project id.
    pub project: String,
    /// SHA-256 of the request's canonical form.
    pub request_sha256: String,
    /// The request itself.
    pub request: ExtractRequest,
    /// Fingerprint of the master key the project key derives from (never the key).
    pub key_fingerprint: String,
    /// The warehouse tables read and their Delta versions: `kaigo extract --as-of` reads them
    /// again at exactly these versions.
    pub warehouse_versions: BTreeMap<String, u64>,
    /// The anonymity checks.
    pub anonymity: AnonymityReport,
    /// Files with rows and SHA-256.
    pub files: Vec<WrittenFile>,
}

/// k-anonymity and ℓ-diversity of the persons table.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AnonymityReport {
    /// Persons in the cohort.
    pub n_persons: usize,
    /// The quasi-identifiers the classes are formed over.
    pub quasi_identifiers: Vec<String>,
    /// k asked for.
    pub k: u64,
    /// Equivalence classes.
    pub n_classes: usize,
    /// Persons in the smallest class.
    pub smallest_class: usize,
    /// Classes by size: "10-19", "20-49", "50-99", "100+" (and "<10" when refused).
    pub class_sizes: BTreeMap<String, usize>,
    /// ℓ asked for and the fewest distinct values of the attribute in a class.
    pub l_diversity: Option<(String, u64, usize)>,
}

impl<'a> Extract<'a> {
    /// An extract of a request with the master key (the project key is derived from it).
    pub fn new(warehouse: &'a Warehouse, key: &'a SecretKey, request: ExtractRequest) -> Self {
        Self {
            warehouse,
            key,
            request,
            pinned: BTreeMap::new(),
            operator: os_user(),
        }
    }

    /// Read these tables at these versions (from an earlier extract's manifest).
    pub fn pinned(mut self, versions: BTreeMap<String, u64>) -> Self {
        self.pinned = versions;
        self
    }

    /// Who runs it, for the audit log (default: the account the process runs as).
    pub fn operator(mut self, operator: impl Into<String>) -> Self {
        self.operator = operator.into();
        self
    }

    /// Check, extract and write. A `started` entry is appended to the audit log (and synced)
    /// before any file is written, and a completing one after; a log that does not verify
    /// stops the extract before it starts.
    pub async fn run(self) -> Result<ExtractReport> {
        let root = self.warehouse.root();
        kaigo_warehouse::private::prepare(root)?;
        let log = AuditLog::new(root.join("extracts").join("audit.log"), self.key);
        let mut entry = AuditEntry {
            operator: self.operator.clone(),
            os_user: os_user(),
            requested_by: self.request.requested_by.clone(),
            project: self.request.project.clone(),
            request_sha256: self.request.digest(),
            key_fingerprint: self.key.fingerprint().to_string(),
            outcome: "started".to_string(),
            ..AuditEntry::default()
        };
        let started = log.append(entry.clone())?;
        let outcome = self.extract().await;
        entry.started = Some(started.sequence);
        match &outcome {
            Ok(report) => {
                entry.outcome = "written".to_string();
                entry.manifest_sha256 = Some(hex::encode(Sha256::digest(manifest_bytes(&report.manifest))));
            }
            Err(ExtractError::Refused { reason }) => {
                entry.outcome = "refused".to_string();
                entry.reason = Some(reason.clone());
            }
            Err(error) => {
                entry.outcome = "failed".to_string();
                entry.reason = Some(error.to_string());
            }
        }
        log.append(entry)?;
        outcome
    }

    async fn extract(&self) -> Result<ExtractReport> {
        let request = &self.request;
        let session = Session::open_at(self.warehouse, &self.pinned).await?;
        let columns = table_columns(&session).await?;
        request.check(&columns)?;
        let condition = Cohort::parse(
            &request.cohort,
            columns.get("fct_person_months").map(Vec::as_slice).unwrap_or_default(),
        )?;
        let condition = condition.sql();
        let (first, last) = request.months()?;
        let (first_key, last_key) = (month_key(first), month_key(last));

        // The cohort and its persons table: generalized quasi-identifiers, one row per person.
        let cohort = format!(
            "select distinct person_key from fct_person_months \
             where month_key between {first_key} and {last_key} and {condition}"
        );
        let persons_sql = format!(
            "with cohort_months as ( \
                 select person_key, month_key, insurer_number, care_level_code from fct_person_months \
                 where month_key between {first_key} and {last_key} and {condition} \
             ), \
             entry as (select person_key, min(month_key) as entry_month_key from cohort_months group by person_key) \
             select entry.person_key, \
                 cast(persons.sex_code as varchar) as sex_code, \
                 age_band(age_at_month(persons.birth_year_month, {first_key})) as age_band, \
                 substr(months.insurer_number, 1, 2) as prefecture_code, \
                 months.insurer_number, \
                 coalesce(months.care_level_code, 'none') as care_level_code \
             from entry \
             join cohort_months as months \
                 on months.person_key = entry.person_key and months.month_key = entry.entry_month_key \
             join dim_persons as persons on persons.person_key = entry.person_key"
        );
        // A condition that does not evaluate (a type mismatch) could echo a value: say the rule.
        let persons = session.collect(&persons_sql).await.map_err(|_| ExtractError::Refused {
            reason: "cohort: the condition does not evaluate over fct_person_months (compare each column \
                     with literals of its type)"
                .into(),
        })?;
        if (persons.num_rows() as u64) < request.k {
            return Err(ExtractError::Refused {
                reason: format!("the cohort has fewer than k = {} persons", request.k),
            });
        }
        let grain = request.generalize_months.as_deref().unwrap_or("month");
        let mut events = EventMonths::default();
        let mut released = Vec::new();

        let tokenizer = Tokenizer::new(self.key, Purpose::Project(request.project.clone()));
        let mut person_columns = vec!["person_key".to_string()];
        person_columns.extend(request.quasi_identifiers.iter().cloned());
        if let Some(diversity) = &request.l_diversity
            && !person_columns.contains(&diversity.attribute)
        {
            person_columns.push(diversity.attribute.clone());
        }
        let persons = select_columns(&persons, &person_columns)?;
        let mut outputs = vec![("persons".to_string(), rekey_and_sort(&persons, &tokenizer)?)];

        for table in &request.tables {
            let period_column = EXTRACTABLE_TABLES
                .iter()
                .find(|(name, _)| *name == table.name)
                .and_then(|(_, period)| *period);
            let schema = session.table_schema(&table.name).await?;
            let mut select = vec!["person_key".to_string()];
            let mut months = Vec::new();
            for column in table.columns.iter().filter(|column| *column != "person_key") {
                select.push(
                    match schema.field_with_name(column).map(|field| field.data_type().clone()) {
                        // Generalized: a day becomes its month, quarter or year.
                        Ok(DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)) => {
                            months.push(column.clone());
                            let start = match grain {
                                "month" => format!("\"{column}\""),
                                grain => format!("date_trunc('{grain}', \"{column}\")"),
                            };
                            format!("to_char({start}, '%Y-%m') as \"{column}\"")
                        }
                        Ok(DataType::Int32 | DataType::Int64 | DataType::UInt32) if is_month_key(column) => {
                            months.push(column.clone());
                            match grain {
                                "month" => format!("\"{column}\""),
                                "quarter" => format!(
                                    "(\"{column}\" / 100) * 100 + ((\"{column}\" % 100 - 1) / 3) * 3 + 1 as \"{column}\""
                                ),
                                _ => format!("(\"{column}\" / 100) * 100 + 1 as \"{column}\""),
                            }
                        }
                        Ok(_) => format!("\"{column}\""),
                        // Only dim_persons.age_band is derived (checked by the request).
                        Err(_) => format!("age_band(age_at_month(birth_year_month, {first_key})) as \"{column}\""),
                    },
                );
            }
            let period = match period_column {
                Some(column) => match schema.field_with_name(column).map(|field| field.data_type().clone()) {
                    Ok(DataType::Int32 | DataType::Int64) => {
                        format!(" and \"{column}\" between {first_key} and {last_key}")
                    }
                    _ => String::new(),
                },
                None => String::new(),
            };
            let sql = format!(
                "select {} from \"{}\" where person_key in ({cohort}){period}",
                select.join(", "),
                table.name
            );
            let batch = session.collect(&sql).await?;
            events.add(&table.name, &batch, &months)?;
            released.push((table.name.clone(), batch));
        }
        // k and ℓ over everything released about a person, before anything is written.
        let anonymity = check_anonymity(request, &persons, &events)?;
        for (name, batch) in &released {
            outputs.push((name.clone(), rekey_and_sort(batch, &tokenizer)?));
        }

        // Write beside the final folder, then swap in: a failure leaves the previous extract.
        let request_sha256 = request.digest();
        let folder = self
            .warehouse
            .root()
            .join("extracts")
            .join(&request.project)
            .join(&request_sha256[..12]);
        let staging = folder.with_extension("staging");
        remove_dir(&staging)?;
        kaigo_warehouse::private::create_folder(&staging)?;
        let mut files = Vec::new();
        for (name, batch) in &outputs {
            files.push(files::write_parquet(
                &staging,
                &format!("{name}.parquet"),
                batch,
                Access::Private,
            )?);
        }
        let read: BTreeSet<&str> = ["dim_persons", "fct_person_months"]
            .into_iter()
            .chain(request.tables.iter().map(|table| table.name.as_str()))
            .collect();
        let manifest = Manifest {
            project: request.project.clone(),
            request_sha256,
            request: request.clone(),
            key_fingerprint: self.key.fingerprint().to_string(),
            warehouse_versions: session
                .versions()
                .iter()
                .filter(|(name, _)| read.contains(name.as_str()))
                .map(|(name, version)| (name.clone(), *version))
                .collect(),
            anonymity,
            files,
        };
        kaigo_warehouse::private::write_file(&staging.join("manifest.json"), &manifest_bytes(&manifest))?;
        remove_dir(&folder)?;
        std::fs::rename(&staging, &folder).map_err(io(&folder))?;
        info!(
            project = request.project,
            persons = manifest.anonymity.n_persons,
            folder = %folder.display(),
            "extract written"
        );
        Ok(ExtractReport { folder, manifest })
    }
}

/// The account this process runs as, from the operating system (not from `$USER`, which the
/// caller sets): the owner of `/proc/self`, named by `/etc/passwd`.
pub fn os_user() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(metadata) = std::fs::metadata("/proc/self") {
            let uid = metadata.uid();
            let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|passwd| {
                passwd.lines().find_map(|line| {
                    let fields: Vec<&str> = line.split(':').collect();
                    (fields.len() > 2 && fields[2] == uid.to_string()).then(|| fields[0].to_string())
                })
            });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    "unknown".to_string()
}

/// The manifest as written (pretty JSON, fields in declaration order).
fn manifest_bytes(manifest: &Manifest) -> Vec<u8> {
    serde_json::to_vec_pretty(manifest).expect("a manifest serializes")
}

fn month_key(month: kaigo_codes::calendar::YearMonth) -> u32 {
    month.year() * 100 + month.month()
}

async fn table_columns(session: &Session) -> Result<BTreeMap<String, Vec<String>>> {
    let mut columns = BTreeMap::new();
    for name in session.tables() {
        columns.insert(
            name.clone(),
            session
                .table_schema(name)
                .await?
                .fields()
                .iter()
                .map(|field| field.name().clone())
                .collect(),
        );
    }
    Ok(columns)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExtractError + use<> {
    let path = path.to_path_buf();
    move |source| ExtractError::Io { path, source }
}

fn remove_dir(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(path)(error)),
        _ => Ok(()),
    }
}

fn select_columns(batch: &RecordBatch, names: &[String]) -> Result<RecordBatch> {
    let indices: Vec<usize> = names
        .iter()
        .map(|name| batch.schema().index_of(name))
        .collect::<Result<_, _>>()?;
    Ok(batch.project(&indices)?)
}

fn text_values(array: &ArrayRef) -> Result<StringArray> {
    let array = arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(array.as_any().downcast_ref::<StringArray>().expect("utf8").clone())
}

/// The months (and dates) of events each person's released rows carry: for every released
/// month column, the person's first and last value. An attacker who knows when someone was
/// first certified, moved or died finds them by these, so they join the quasi-identifiers.
#[derive(Default)]
struct EventMonths {
    /// `table.column (first)` and `(last)`, in release order.
    names: Vec<String>,
    /// Person key → a first and a last value per column (None: no row in that table).
    values: BTreeMap<String, Vec<Option<String>>>,
}

impl EventMonths {
    fn add(&mut self, table: &str, batch: &RecordBatch, columns: &[String]) -> Result<()> {
        let keys = text_values(batch.column_by_name("person_key").expect("selected"))?;
        for column in columns {
            let offset = self.names.len();
            self.names.push(format!("{table}.{column} (first)"));
            self.names.push(format!("{table}.{column} (last)"));
            let values = text_values(batch.column_by_name(column).expect("selected"))?;
            for row in 0..batch.num_rows() {
                let slots = self.values.entry(keys.value(row).to_string()).or_default();
                slots.resize(offset + 2, None);
                if values.is_null(row) {
                    continue;
                }
                let value = values.value(row);
                if slots[offset].as_deref().is_none_or(|first| value < first) {
                    slots[offset] = Some(value.to_string());
                }
                if slots[offset + 1].as_deref().is_none_or(|last| value > last) {
                    slots[offset + 1] = Some(value.to_string());
                }
            }
        }
        Ok(())
    }

    fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.names.iter().cloned()
    }

    /// A person's values, one per name (None where the person has none).
    fn of(&self, person_key: &str) -> impl Iterator<Item = Option<&str>> + '_ {
        let values = self.values.get(person_key);
        (0..self.names.len()).map(move |index| values.and_then(|values| values.get(index)?.as_deref()))
    }
}

/// Equivalence classes over the requested quasi-identifiers: refuse below k (cohort or class)
/// or below ℓ. Messages give counts only, never a class's values.
fn check_anonymity(request: &ExtractRequest, persons: &RecordBatch, events: &EventMonths) -> Result<AnonymityReport> {
    let n_persons = persons.num_rows();
    let keys = text_values(
        persons
            .column_by_name("person_key")
            .expect("selected by the persons query"),
    )?;
    let identifiers: Vec<StringArray> = request
        .quasi_identifiers
        .iter()
        .map(|name| text_values(persons.column_by_name(name).expect("selected by the persons query")))
        .collect::<Result<_>>()?;
    let sensitive = match &request.l_diversity {
        Some(diversity) => Some(text_values(
            persons
                .column_by_name(&diversity.attribute)
                .expect("selected by the persons query"),
        )?),
        None => None,
    };
    // Class (quasi-identifier values) → persons and the distinct sensitive values.
    type Classes<'a> = BTreeMap<Vec<Option<&'a str>>, (usize, BTreeSet<Option<&'a str>>)>;
    let mut classes: Classes = BTreeMap::new();
    for row in 0..n_persons {
        let mut class: Vec<Option<&str>> = identifiers
            .iter()
            .map(|array| (!array.is_null(row)).then(|| array.value(row)))
            .collect();
        class.extend(events.of(keys.value(row)));
        let entry = classes.entry(class).or_default();
        entry.0 += 1;
        if let Some(sensitive) = &sensitive {
            entry.1.insert((!sensitive.is_null(row)).then(|| sensitive.value(row)));
        }
    }
    let bucket = |size: usize| match size {
        0..10 => "<10",
        10..20 => "10-19",
        20..50 => "20-49",
        50..100 => "50-99",
        _ => "100+",
    };
    let mut class_sizes = BTreeMap::new();
    for (size, _) in classes.values() {
        *class_sizes.entry(bucket(*size).to_string()).or_insert(0) += 1;
    }
    let smallest_class = classes.values().map(|(size, _)| *size).min().unwrap_or(0);
    let mut quasi_identifiers = request.quasi_identifiers.clone();
    quasi_identifiers.extend(events.names());
    let report = AnonymityReport {
        n_persons,
        quasi_identifiers: quasi_identifiers.clone(),
        k: request.k,
        n_classes: classes.len(),
        smallest_class,
        class_sizes,
        l_diversity: request.l_diversity.as_ref().map(|diversity| {
            (
                diversity.attribute.clone(),
                diversity.l,
                classes.values().map(|(_, values)| values.len()).min().unwrap_or(0),
            )
        }),
    };
    if (smallest_class as u64) < request.k {
        return Err(ExtractError::Refused {
            reason: format!(
                "equivalence classes over ({}) hold fewer than k = {} persons; drop or coarsen a \
                 quasi-identifier (prefecture_code instead of insurer_number, generalize_months = \
                 \"quarter\" or \"year\") or widen the cohort",
                quasi_identifiers.join(", "),
                request.k
            ),
        });
    }
    if let Some((attribute, l, fewest)) = &report.l_diversity
        && (*fewest as u64) < *l
    {
        return Err(ExtractError::Refused {
            reason: format!(
                "equivalence classes hold fewer than l = {l} distinct values of {attribute}; coarsen the \
                 quasi-identifiers"
            ),
        });
    }
    Ok(report)
}

/// The project's person keys in place of the warehouse's, rows sorted by every column (project
/// key first) so the same rows give the same file.
fn rekey_and_sort(batch: &RecordBatch, tokenizer: &Tokenizer) -> Result<RecordBatch> {
    let index = batch.schema().index_of("person_key")?;
    let keys = text_values(batch.column(index))?;
    let rekeyed: StringArray = keys
        .iter()
        .map(|key| key.map(|key| tokenizer.token(TokenField::PersonKey, key).to_hex()))
        .collect();
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(rekeyed);
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(position, field)| {
            if position == index {
                Field::new("person_key", DataType::Utf8, field.is_nullable())
            } else {
                field.as_ref().clone()
            }
        })
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    let mut order = vec![index];
    order.extend((0..batch.num_columns()).filter(|position| *position != index));
    let sort: Vec<SortColumn> = order
        .into_iter()
        .map(|position| SortColumn {
            values: batch.column(position).clone(),
            options: None,
        })
        .collect();
    let indices = lexsort_to_indices(&sort, None)?;
    Ok(take_record_batch(&batch, &indices)?)
}
