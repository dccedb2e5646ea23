//! Models built on a generated hub: DuckDB (a real, independent engine) building every model
//! from the same Parquet files gets the same rows; the rollout models reproduce the generator's
//! registry; the panel is consistent; the session is read-only and blind to the vault.

mod incremental;
mod slt;

use std::{collections::BTreeMap, path::PathBuf, sync::OnceLock};

use arrow::{
    array::{Array, AsArray},
    datatypes::Int64Type,
};
use kaigo_fixtures::{BuiltWarehouse, Hub, built_warehouse};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_query::{QueryError, model::Layer, session::Session};
use kaigo_testkit::{run_python, runtime};
use kaigo_warehouse::Warehouse;

/// 2,500 persons over 24 months (the first go-lives, and one April cohort with its year of
/// follow-up): loaded, linked and built once.
fn fixture() -> &'static BuiltWarehouse {
    static FIXTURE: OnceLock<BuiltWarehouse> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let hub = Hub {
            persons: 2_500,
            from: (2026, 4),
            to: (2028, 3),
            seed: 5,
        };
        built_warehouse("query", hub, &SecretKey::from_bytes([4; 32]))
    })
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

/// Run `sql` with DataFusion through a read-only session; every row, each column cast to i64.
fn rows(warehouse: &Warehouse, sql: &str) -> Vec<Vec<Option<i64>>> {
    runtime().block_on(async {
        let session = Session::open(warehouse).await.unwrap();
        let batches = session.query(sql).await.unwrap().collect().await.unwrap();
        let mut rows = Vec::new();
        for batch in batches {
            let columns: Vec<_> = batch
                .columns()
                .iter()
                .map(|column| arrow::compute::cast(column, &arrow::datatypes::DataType::Int64).unwrap())
                .collect();
            for row in 0..batch.num_rows() {
                rows.push(
                    columns
                        .iter()
                        .map(|column| {
                            let values = column.as_primitive::<Int64Type>();
                            (!values.is_null(row)).then(|| values.value(row))
                        })
                        .collect(),
                );
            }
        }
        rows
    })
}

#[test]
fn every_model_is_built_and_checked() {
    let fixture = fixture();
    let names: Vec<&str> = fixture.built.iter().map(|built| built.name.as_str()).collect();
    assert_eq!(names[0], "dim_service_kinds");
    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources()).unwrap();
    assert_eq!(names.len(), models.len() + 1);
    for built in &fixture.built[1..] {
        assert!(built.rows > 0, "{} is empty", built.name);
        assert!(built.checks >= 2, "{} ran its grain checks", built.name);
    }
}

#[test]
fn duckdb_building_the_same_models_gets_the_same_rows() {
    let fixture = fixture();
    let runtime = runtime();
    let mut tables = serde_json::Map::new();
    for entry in std::fs::read_dir(fixture.warehouse.root().join("warehouse")).unwrap() {
        let name = entry.unwrap().file_name().to_str().unwrap().to_string();
        let files: Vec<String> = runtime
            .block_on(fixture.warehouse.model_files(&name))
            .unwrap()
            .into_iter()
            .map(|path| path.display().to_string())
            .collect();
        tables.insert(name, serde_json::json!(files));
    }
    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources()).unwrap();
    let sql = manifest_dir().join("../../sql");
    let request = serde_json::json!({
        "tables": tables,
        "models": models.iter().map(|model| serde_json::json!({
            "name": model.name,
            "sql": sql.join(model.layer.folder().unwrap()).join(format!("{}.sql", model.name)),
            "view": model.layer == Layer::Staging,
        })).collect::<Vec<_>>(),
        "functions": manifest_dir().join("tests/it/duckdb_functions.sql"),
    });
    let report: BTreeMap<String, serde_json::Value> =
        run_python(&manifest_dir().join("tests/it/model_parity.py"), &request);
    let tables = models.iter().filter(|model| model.layer != Layer::Staging).count();
    assert_eq!(report.len(), tables);
    for (model, counts) in &report {
        assert!(counts["rows"].as_u64() > Some(0), "{model}: {counts}");
        assert_eq!(counts["rows"], counts["theirs"], "{model}: {counts}");
        assert_eq!(
            (counts["only_ours"].as_u64(), counts["only_theirs"].as_u64()),
            (Some(0), Some(0)),
            "{model}: {counts}"
        );
    }
}

/// The generator's registry truth: `(size class, fiscal year of the actual start)` for each
/// insurer started by `last` (YYYYMM), and every insurer's size class.
fn truth_go_lives(hub: &std::path::Path, last: i64) -> (BTreeMap<(String, i64), i64>, BTreeMap<String, i64>) {
    let mut reader = csv::Reader::from_path(hub.join("truth/insurers.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (size, actual) = (column("size_class"), column("actual_start"));
    let mut started = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        *sizes.entry(record[size].to_string()).or_insert(0) += 1;
        let (year, month) = record[actual].split_once('-').unwrap();
        let (year, month): (i64, i64) = (year.parse().unwrap(), month.parse().unwrap());
        if year * 100 + month <= last {
            let fiscal_year = if month >= 4 { year } else { year - 1 };
            *started.entry((record[size].to_string(), fiscal_year)).or_insert(0) += 1;
        }
    }
    (started, sizes)
}

#[test]
fn rollout_models_reproduce_the_generators_registry() {
    let fixture = fixture();
    let last = rows(
        &fixture.warehouse,
        "select max(month_key) from rollout_status_by_insurer_month",
    )[0][0]
        .unwrap();
    let (truth, sizes) = truth_go_lives(&fixture.hub, last);
    let ours: BTreeMap<(String, i64), i64> = rows(
        &fixture.warehouse,
        "select cast(size_class_code as bigint), fiscal_year, n_started from rollout_go_live_by_fiscal_year \
         where size_class_code <> 'all' and n_started > 0",
    )
    .into_iter()
    .map(|row| ((row[0].unwrap().to_string(), row[1].unwrap()), row[2].unwrap()))
    .collect();
    assert!(!truth.is_empty());
    assert_eq!(ours, truth, "insurers started per size class and fiscal year");
    let class_sizes: BTreeMap<String, i64> = rows(
        &fixture.warehouse,
        "select distinct cast(size_class_code as bigint), n_insurers from rollout_go_live_by_fiscal_year where size_class_code <> 'all'",
    )
    .into_iter()
    .map(|row| (row[0].unwrap().to_string(), row[1].unwrap()))
    .collect();
    for (class, insurers) in &class_sizes {
        assert_eq!(Some(insurers), sizes.get(class), "size class {class}");
    }
    // The national live count in the last month is the generator's count of starts by then.
    let live = rows(
        &fixture.warehouse,
        &format!(
            "select n_live, n_insurers from rollout_coverage_by_prefecture_month \
             where prefecture_code = 'all' and size_class_code = 'all' and month_key = {last}"
        ),
    );
    assert_eq!(live[0][0], Some(truth.values().sum()));
    assert_eq!(live[0][1], Some(sizes.values().sum()));
}

#[test]
fn data_flows_from_every_live_insurer_with_its_history_back_filled() {
    let fixture = fixture();
    // The generator delivers every live insurer's claims and back-fills the whole history on
    // go-live; at insurers expecting at least 10 users a month, every month has claims.
    let checks = rows(
        &fixture.warehouse,
        "select \
           sum(case when is_live then 1 else 0 end), \
           sum(case when is_live and not is_data_flowing then 1 else 0 end), \
           sum(case when is_live and backfill_pct < 100 then 1 else 0 end), \
           sum(case when not is_live and n_statements + n_history_months_received > 0 then 1 else 0 end) \
         from rollout_status_by_insurer_month where n_users_expected >= 10",
    );
    let [live, not_flowing, incomplete, before_live] = [0, 1, 2, 3].map(|index| checks[0][index].unwrap());
    assert!(live > 100, "{checks:?}");
    assert_eq!((not_flowing, incomplete, before_live), (0, 0, 0), "{checks:?}");
}

#[test]
fn the_panel_has_one_death_per_person_and_facility_months() {
    let fixture = fixture();
    let checks = rows(
        &fixture.warehouse,
        "select \
           (select count(*) from (select person_key from fct_person_months where died_in_month \
              group by person_key having count(*) > 1)) as deaths_twice, \
           (select count(*) from fct_person_months where died_in_month) as deaths, \
           (select count(*) from fct_person_months where is_facility) as facility, \
           (select count(*) from fct_person_months where care_level_code is null and n_statements = 0) as empty",
    );
    assert_eq!(checks[0][0], Some(0), "a person dies once");
    assert!(checks[0][1].unwrap() > 10, "deaths are recorded: {checks:?}");
    assert!(checks[0][2].unwrap() > 100, "facility months exist: {checks:?}");
    assert_eq!(checks[0][3], Some(0), "a month is certified or served");
}

#[test]
fn the_session_refuses_writes_and_cannot_see_the_vault() {
    let fixture = fixture();
    runtime().block_on(async {
        let session = Session::open(&fixture.warehouse).await.unwrap();
        assert!(session.tables().iter().any(|table| table == "fct_person_months"));
        for statement in [
            "drop table insurers",
            "create table copied as select * from insurers",
            "create external table landing stored as csv location '/etc/passwd'",
            "insert into insurers select * from insurers",
            "delete from insurers",
            "copy (select * from person_map) to '/tmp/kaigo-leak.csv'",
            "explain analyze copy (select 1) to '/tmp/kaigo-leak.csv'",
            "create view renamed as select 1",
        ] {
            match session.statements(statement).await {
                Err(QueryError::ReadOnly { .. }) => {}
                other => panic!("{statement}: {:?}", other.map(|frames| frames.len())),
            }
        }
        assert!(!std::path::Path::new("/tmp/kaigo-leak.csv").exists());
        for vault_table in ["record_tokens", "quarantine", "vault.record_tokens"] {
            let error = session.query(&format!("select * from {vault_table}")).await.err();
            assert!(error.is_some(), "{vault_table} must not resolve");
        }
        let listed = session
            .query("select count(*) from information_schema.tables where table_schema = 'warehouse'")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let count = arrow::compute::cast(listed[0].column(0), &arrow::datatypes::DataType::Int64).unwrap();
        assert_eq!(
            count.as_primitive::<Int64Type>().value(0) as usize,
            session.tables().len()
        );
        // SET is a statement, not a write: allowed.
        session
            .statements("set datafusion.execution.batch_size = 4096")
            .await
            .unwrap();
    });
}
