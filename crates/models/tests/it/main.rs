//! Models built on a generated hub: grain, consistency with linkage, and DuckDB (a real,
//! independent engine) running the same SQL over the same Parquet files.

use std::{path::PathBuf, process::Stdio, sync::OnceLock};

use arrow::{
    array::{Array, AsArray},
    datatypes::Int64Type,
};
use deltalake::datafusion::prelude::SessionContext;
use kaigo_codes::calendar::YearMonth;
use kaigo_ingest::Ingest;
use kaigo_linkage::LinkageConfig;
use kaigo_pseudonymize::key::SecretKey;
use kaigo_warehouse::Warehouse;

struct Built {
    _dir: tempfile::TempDir,
    warehouse: Warehouse,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// 2,500 persons over 18 months: loaded, linked and built once.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let hub = dir.path().join("hub");
        let config = kaigo_synth::SynthConfig::new(
            2_500,
            YearMonth::new(2026, 10).unwrap(),
            YearMonth::new(2028, 3).unwrap(),
            5,
        );
        kaigo_synth::generate(&config, &hub).unwrap();
        let warehouse = Warehouse::new(dir.path().join("warehouse"));
        let key = SecretKey::from_bytes([4; 32]);
        let runtime = runtime();
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&hub)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .collect();
        folders.sort();
        for folder in folders {
            runtime.block_on(Ingest::new(folder, &key).run(&warehouse)).unwrap();
        }
        runtime
            .block_on(kaigo_linkage::link(&warehouse, &key, &LinkageConfig::default()))
            .unwrap();
        runtime.block_on(kaigo_models::build(&warehouse)).unwrap();
        Built { _dir: dir, warehouse }
    })
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("KAIGO_PYTHON") {
        return PathBuf::from(path);
    }
    let default = PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/kaigo/venv/bin/python");
    assert!(
        default.exists(),
        "no Python environment: run `bash scripts/python-env.sh` (scripts/test.sh does) or set KAIGO_PYTHON"
    );
    default
}

/// Run `sql` (one row of integers) with DataFusion over the warehouse.
fn query(warehouse: &Warehouse, sql: &str) -> Vec<Option<i64>> {
    let runtime = runtime();
    runtime.block_on(async {
        let context = SessionContext::new();
        warehouse.register_tables(&context).await.unwrap();
        let batches = context.sql(sql).await.unwrap().collect().await.unwrap();
        let batch = &batches[0];
        batch
            .columns()
            .iter()
            .map(|column| {
                let column = arrow::compute::cast(column, &arrow::datatypes::DataType::Int64).unwrap();
                let values = column.as_primitive::<Int64Type>();
                (!values.is_null(0)).then(|| values.value(0))
            })
            .collect()
    })
}

const AGGREGATE: &str = "SELECT COUNT(*), COUNT(DISTINCT person_key), SUM(cost_yen), SUM(insurance_units), \
     SUM(in_home_units), SUM(community_units), SUM(facility_units), SUM(care_management_units), \
     SUM(preventive_units), SUM(n_statements), SUM(n_service_kinds), COUNT(care_level_code), \
     COUNT(barthel_total), SUM(barthel_total), SUM(CASE WHEN is_facility THEN 1 ELSE 0 END), \
     SUM(CASE WHEN died_in_month THEN 1 ELSE 0 END), SUM(month_key) FROM ";

#[test]
fn duckdb_running_the_same_sql_gets_the_same_panel() {
    let built = built();
    let ours = query(&built.warehouse, &format!("{AGGREGATE} fct_person_months"));
    assert!(ours[0].unwrap() > 10_000, "{ours:?}");
    let runtime = runtime();
    let mut tables = serde_json::Map::new();
    let names: Vec<String> = std::fs::read_dir(built.warehouse.root().join("warehouse"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_str().unwrap().to_string())
        .collect();
    for name in names {
        let files: Vec<String> = runtime
            .block_on(built.warehouse.model_files(&name))
            .unwrap()
            .into_iter()
            .map(|uri| {
                url::Url::parse(&uri)
                    .map(|url| url.to_file_path().unwrap().display().to_string())
                    .unwrap_or(uri)
            })
            .collect();
        tables.insert(name, serde_json::json!(files));
    }
    let sql = PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../sql/marts/fct_person_months.sql");
    let request = serde_json::json!({
        "sql": sql,
        "tables": tables,
        "aggregate": format!("{AGGREGATE} model"),
    });
    let script = PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/it/panel_parity.py");
    let mut child = std::process::Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "panel_parity.py failed");
    let theirs: Vec<Option<i64>> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn the_panel_ends_at_death_and_covers_linked_persons_only() {
    let built = built();
    let checks = query(
        &built.warehouse,
        "SELECT \
           (SELECT COUNT(*) FROM (SELECT person_key FROM fct_person_months WHERE died_in_month \
              GROUP BY person_key HAVING COUNT(*) > 1)) AS deaths_twice, \
           (SELECT COUNT(*) FROM fct_person_months AS later JOIN fct_person_months AS death \
              ON death.person_key = later.person_key AND death.died_in_month AND later.month_key > death.month_key) AS after_death, \
           (SELECT COUNT(*) FROM fct_person_months WHERE person_key NOT IN (SELECT person_key FROM person_map)) AS unlinked, \
           (SELECT COUNT(*) FROM fct_person_months WHERE died_in_month) AS deaths, \
           (SELECT COUNT(*) FROM fct_person_months WHERE is_facility) AS facility, \
           (SELECT COUNT(*) FROM fct_person_months WHERE care_level_code IS NULL AND n_statements = 0) AS empty",
    );
    assert_eq!(checks[0], Some(0), "a person dies once");
    assert_eq!(checks[1], Some(0), "no month after death");
    assert_eq!(checks[2], Some(0), "every person is a linked person");
    assert!(checks[3].unwrap() > 10, "deaths are recorded: {checks:?}");
    assert!(checks[4].unwrap() > 100, "facility months exist: {checks:?}");
    assert_eq!(checks[5], Some(0), "a month is certified or served");
}
