//! DuckDB and pyarrow (real clients, installed by `scripts/python-env.sh`) read the committed
//! Parquet files of every table and get kaigo's row counts and integer sums.

use std::{collections::BTreeMap, path::PathBuf};

use arrow::{array::AsArray, datatypes::DataType};
use kaigo_warehouse::tables;

use kaigo_testkit::{run_python, runtime};

use crate::loaded;

#[test]
fn duckdb_and_pyarrow_read_the_same_rows_and_sums() {
    let loaded = loaded();
    let runtime = runtime();
    let mut request = serde_json::Map::new();
    let mut expected: BTreeMap<&str, (u64, BTreeMap<String, i64>)> = BTreeMap::new();
    for spec in tables() {
        let files: Vec<String> = runtime
            .block_on(loaded.warehouse.data_files(spec))
            .unwrap()
            .into_iter()
            .map(|path| path.display().to_string())
            .collect();
        let mut rows = 0;
        let mut sums: BTreeMap<String, i64> = BTreeMap::new();
        for batch in runtime.block_on(loaded.warehouse.read_rows(spec)).unwrap() {
            rows += batch.num_rows() as u64;
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                let sum: i64 = match field.data_type() {
                    DataType::Int64 => column
                        .as_primitive::<arrow::datatypes::Int64Type>()
                        .iter()
                        .flatten()
                        .sum(),
                    DataType::Int32 => column
                        .as_primitive::<arrow::datatypes::Int32Type>()
                        .iter()
                        .flatten()
                        .map(i64::from)
                        .sum(),
                    _ => continue,
                };
                *sums.entry(field.name().clone()).or_default() += sum;
            }
        }
        request.insert(
            spec.name.to_string(),
            serde_json::json!({"files": files, "sum": sums.keys().collect::<Vec<_>>()}),
        );
        expected.insert(spec.name, (rows, sums));
    }
    assert!(expected["claim_lines"].0 > 1000);

    let script = PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/it/readback.py");
    let answer: serde_json::Value = run_python(&script, &serde_json::Value::Object(request));
    for (table, (rows, sums)) in &expected {
        let theirs = &answer[*table];
        assert_eq!(theirs["duckdb_rows"].as_u64(), Some(*rows), "{table}: DuckDB row count");
        assert_eq!(
            theirs["pyarrow_rows"].as_u64(),
            Some(*rows),
            "{table}: pyarrow row count"
        );
        for (column, sum) in sums {
            let theirs = theirs["sums"][column].as_i64().unwrap_or(0);
            assert_eq!(theirs, *sum, "{table}.{column}: DuckDB sum");
        }
    }
}
