//! Extracts of a generated hub: project keys that cannot be joined, byte-identical reruns,
//! reproduction from pinned versions, refusals, anonymity thresholds and the audit log.

use std::{collections::BTreeSet, path::Path, sync::OnceLock};

use arrow::array::{Array, AsArray};
use kaigo_extracts::{Extract, ExtractError, ExtractReport, ExtractRequest, audit_log::AuditLog};
use kaigo_fixtures::{BuiltWarehouse, Hub, built_warehouse};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_testkit::runtime;
use kaigo_warehouse::Warehouse;

const KEY: [u8; 32] = [6; 32];

/// 2,000 persons over 18 months: loaded, linked and built once.
fn fixture() -> &'static BuiltWarehouse {
    static FIXTURE: OnceLock<BuiltWarehouse> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let hub = Hub {
            persons: 2_000,
            from: (2026, 4),
            to: (2027, 9),
            seed: 13,
        };
        built_warehouse("extracts", hub, &SecretKey::from_bytes(KEY))
    })
}

fn request(project: &str, extra: &str) -> ExtractRequest {
    let text = format!(
        r#"
project = "{project}"
requested_by = "Researcher, Example University"
period = "2026-10..2027-09"
cohort = "care_level_code in ('21', '22', '23', '24', '25')"
quasi_identifiers = ["sex_code"]
k = 10
generalize_months = "year"
{extra}

[[tables]]
name = "dim_persons"
columns = ["sex_code"]

[[tables]]
name = "fct_person_months"
columns = ["month_key", "care_level_code", "cost_yen", "is_facility", "died_in_month"]
"#
    );
    ExtractRequest::parse(&text, "test request").unwrap()
}

fn run(warehouse: &Warehouse, request: ExtractRequest) -> Result<ExtractReport, ExtractError> {
    let key = SecretKey::from_bytes(KEY);
    runtime().block_on(Extract::new(warehouse, &key, request).operator("test").run())
}

fn person_keys(folder: &Path) -> BTreeSet<String> {
    let file = std::fs::File::open(folder.join("persons.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    reader
        .flat_map(|batch| {
            let batch = batch.unwrap();
            let keys = batch.column_by_name("person_key").unwrap().as_string::<i32>().clone();
            (0..keys.len())
                .map(move |row| keys.value(row).to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn two_projects_extracting_the_same_cohort_share_no_person_key() {
    let fixture = fixture();
    let first = run(&fixture.warehouse, request("study-one", "")).unwrap();
    let second = run(&fixture.warehouse, request("study-two", "")).unwrap();
    let (a, b) = (person_keys(&first.folder), person_keys(&second.folder));
    assert!(a.len() >= 100, "a cohort of {} persons", a.len());
    assert_eq!(a.len(), b.len());
    assert_eq!(a.intersection(&b).count(), 0);
    // Nor with the warehouse's own keys.
    let warehouse_keys: BTreeSet<String> = {
        let session = runtime()
            .block_on(kaigo_query::session::Session::open(&fixture.warehouse))
            .unwrap();
        let batches = runtime()
            .block_on(async {
                session
                    .query("select person_key from dim_persons")
                    .await
                    .unwrap()
                    .collect()
                    .await
            })
            .unwrap();
        batches
            .iter()
            .flat_map(|batch| {
                let keys = batch.column(0).as_string::<i32>().clone();
                (0..keys.len())
                    .map(move |row| keys.value(row).to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(a.intersection(&warehouse_keys).count(), 0);
}

#[test]
fn the_same_request_rerun_gives_identical_files() {
    let fixture = fixture();
    let first = run(&fixture.warehouse, request("rerun-study", "")).unwrap();
    let bytes: Vec<Vec<u8>> = first
        .manifest
        .files
        .iter()
        .map(|file| std::fs::read(first.folder.join(&file.name)).unwrap())
        .collect();
    let second = run(&fixture.warehouse, request("rerun-study", "")).unwrap();
    assert_eq!(first.folder, second.folder);
    assert_eq!(first.manifest, second.manifest);
    for (file, before) in second.manifest.files.iter().zip(bytes) {
        assert_eq!(
            std::fs::read(second.folder.join(&file.name)).unwrap(),
            before,
            "{}",
            file.name
        );
    }
    assert_eq!(first.manifest.files.len(), 3, "persons and the two tables");
}

/// After a newer version of a table is written, the same request reads the new rows, and the
/// request pinned to the first manifest's versions gives the first files back byte for byte.
#[test]
fn a_pinned_rerun_reproduces_the_extract_after_the_warehouse_changes() {
    let fixture = fixture();
    let copy = tempfile::tempdir().unwrap();
    kaigo_testkit::copy_folder(fixture.warehouse.root(), copy.path());
    let warehouse = Warehouse::new(copy.path());
    let original = run(&warehouse, request("pinned-study", "")).unwrap();
    let originals: Vec<Vec<u8>> = original
        .manifest
        .files
        .iter()
        .map(|file| std::fs::read(original.folder.join(&file.name)).unwrap())
        .collect();

    // A newer fct_person_months: the months from 2027-04 only.
    let runtime = runtime();
    let session = runtime
        .block_on(kaigo_query::session::Session::open(&warehouse))
        .unwrap();
    let newer = runtime
        .block_on(async {
            session
                .query("select * from fct_person_months where month_key >= 202704")
                .await
                .unwrap()
                .collect()
                .await
        })
        .unwrap();
    drop(session);
    runtime
        .block_on(warehouse.replace_model("fct_person_months", "test: a newer version", newer))
        .unwrap();

    let changed = run(&warehouse, request("pinned-study", "")).unwrap();
    assert_ne!(
        changed.manifest.files, original.manifest.files,
        "the newer version has fewer rows"
    );
    assert_ne!(
        changed.manifest.warehouse_versions,
        original.manifest.warehouse_versions
    );

    let key = SecretKey::from_bytes(KEY);
    let reproduced = runtime
        .block_on(
            Extract::new(&warehouse, &key, request("pinned-study", ""))
                .pinned(original.manifest.warehouse_versions.clone())
                .operator("test")
                .run(),
        )
        .unwrap();
    assert_eq!(reproduced.manifest, original.manifest);
    for (file, before) in reproduced.manifest.files.iter().zip(originals) {
        assert_eq!(
            std::fs::read(reproduced.folder.join(&file.name)).unwrap(),
            before,
            "{}",
            file.name
        );
    }
}

#[test]
fn identifying_columns_and_vault_tables_are_refused_with_nothing_written() {
    let fixture = fixture();
    let cases = [
        ("dim_persons", "birth_year_month", "birth date"),
        ("dim_persons", "kana_name", "a name"),
        ("fct_person_months", "insured_number", "insured number"),
        ("record_tokens", "person_key", "vault table"),
        ("quarantine", "rule", "vault table"),
        ("fct_person_months", "insurer_number", "quasi-identifier"),
        ("fct_adl_evaluations", "provider_number", "facility identifier"),
        ("rollout_counts_by_insurer_month", "n_users", "not a person-level table"),
    ];
    for (index, (table, column, reason)) in cases.iter().enumerate() {
        let mut asked = request(&format!("refused-{index}"), "");
        asked.tables.push(kaigo_extracts::request::TableRequest {
            name: table.to_string(),
            columns: vec![column.to_string()],
        });
        let error = run(&fixture.warehouse, asked).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, ExtractError::Refused { .. }) && message.contains(reason),
            "{table}.{column}: {message}"
        );
        assert!(
            !fixture
                .warehouse
                .root()
                .join(format!("extracts/refused-{index}"))
                .exists()
        );
    }
    let entries = AuditLog::new(
        fixture.warehouse.root().join("extracts/audit.log"),
        &SecretKey::from_bytes(KEY),
    )
    .entries()
    .unwrap();
    let refused = entries
        .iter()
        .filter(|entry| entry.project.starts_with("refused-") && entry.outcome == "refused");
    assert_eq!(refused.count(), cases.len());
}

#[test]
fn small_equivalence_classes_or_too_little_diversity_refuse_the_extract() {
    let fixture = fixture();
    // Insurer × sex × age band splits 2,000 persons into classes far below 10.
    let mut fine = request("fine-grained", "");
    fine.quasi_identifiers = vec!["sex_code".into(), "age_band".into(), "insurer_number".into()];
    let message = run(&fixture.warehouse, fine).unwrap_err().to_string();
    assert!(
        message.contains("equivalence classes over (sex_code, age_band, insurer_number, ")
            && message.contains("fewer than k = 10"),
        "{message}"
    );

    let diverse = run(
        &fixture.warehouse,
        request("diverse", "l_diversity = { attribute = \"care_level_code\", l = 2 }"),
    )
    .unwrap();
    let (_, l, fewest) = diverse.manifest.anonymity.l_diversity.clone().unwrap();
    assert_eq!(l, 2);
    assert!(fewest >= 2);
    assert!(diverse.manifest.anonymity.smallest_class >= 10);

    // Five care levels are the most a class can hold in this cohort.
    let message = run(
        &fixture.warehouse,
        request(
            "too-diverse",
            "l_diversity = { attribute = \"care_level_code\", l = 6 }",
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.contains("fewer than l = 6 distinct values of care_level_code"),
        "{message}"
    );

    // Months of events are quasi-identifiers across the files: the first certified month
    // singles persons out that sex alone does not, and so does the panel at month grain.
    let mut events = request("event-months", "");
    events.tables[0].columns.push("first_certified_month_key".into());
    let message = run(&fixture.warehouse, events).unwrap_err().to_string();
    assert!(
        message.contains("dim_persons.first_certified_month_key (first)") && message.contains("fewer than k = 10"),
        "{message}"
    );
    let mut monthly = request("monthly-panel", "");
    monthly.generalize_months = Some("month".into());
    let message = run(&fixture.warehouse, monthly).unwrap_err().to_string();
    assert!(message.contains("fct_person_months.month_key (last)"), "{message}");

    let mut tiny = request("tiny-cohort", "");
    tiny.cohort = "care_level_code = '25' and month_key = 202609 and cost_yen > 10000000".into();
    let message = run(&fixture.warehouse, tiny).unwrap_err().to_string();
    assert!(message.contains("fewer than k = 10"), "{message}");
}
