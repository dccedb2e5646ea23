//! The `.slt` files of `tests/sql/`: each builds a shipped model by name over fixture tables it
//! creates, and pins the model's numbers to values computed by hand (DataFusion's
//! sqllogictest style; the runner is the `sqllogictest` crate).
//!
//! Beyond SQL, a file may say `build model <name>`: the model's shipped SQL becomes a view of
//! that name over the fixture tables. Doubles print with 6 decimals, NULL as `NULL`.

use std::path::PathBuf;

use arrow::{
    array::{Array, AsArray},
    datatypes::{DataType, Float64Type},
};
use deltalake::datafusion::{error::DataFusionError, prelude::SessionContext};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

struct Engine {
    context: SessionContext,
}

impl Engine {
    fn new() -> Self {
        let context = SessionContext::new();
        kaigo_query::udf::register(&context);
        Self { context }
    }
}

#[async_trait::async_trait]
impl AsyncDB for Engine {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let sql = match sql.trim().strip_prefix("build model ") {
            Some(name) => {
                let models = kaigo_query::model::shipped(&kaigo_query::runner::sources())
                    .map_err(|error| DataFusionError::External(Box::new(error)))?;
                let model = models
                    .iter()
                    .find(|model| model.name == name.trim())
                    .ok_or_else(|| DataFusionError::Plan(format!("no shipped model {name}")))?;
                format!("create view {} as {}", model.name, model.sql)
            }
            None => sql.to_string(),
        };
        let frame = self.context.sql(&sql).await?;
        let schema = frame.schema().as_arrow().clone();
        let batches = frame.collect().await?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|field| match field.data_type() {
                DataType::Float32 | DataType::Float64 => DefaultColumnType::FloatingPoint,
                data_type if data_type.is_integer() => DefaultColumnType::Integer,
                _ => DefaultColumnType::Text,
            })
            .collect();
        let mut rows = Vec::new();
        for batch in &batches {
            for row in 0..batch.num_rows() {
                rows.push(
                    batch
                        .columns()
                        .iter()
                        .map(|column| {
                            if column.is_null(row) {
                                "NULL".to_string()
                            } else if column.data_type() == &DataType::Float64 {
                                format!("{:.6}", column.as_primitive::<Float64Type>().value(row))
                            } else {
                                arrow::util::display::array_value_to_string(column, row).expect("displayable")
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "kaigo-datafusion"
    }

    async fn sleep(duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[test]
fn every_slt_file_holds() {
    let folder = PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../tests/sql");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", folder.display());
    let runtime = kaigo_testkit::runtime();
    for file in files {
        let mut runner = sqllogictest::Runner::new(|| async { Ok(Engine::new()) });
        if let Err(error) = runtime.block_on(runner.run_file_async(&file)) {
            panic!("{}:\n{error}", file.display());
        }
    }
}
