//! One committed version of a Delta table as a read-only DataFusion table: the Parquet files its
//! log lists, scanned as plain Parquet, with the statistics the log records.
//!
//! deltalake's own provider replays the table's log through the Delta kernel each time a query
//! plan names the table, and wraps the Parquet scan in its own operator. Our tables have neither
//! deletion vectors nor column mapping, so the file list is all a scan needs: it is read once,
//! when the session registers the table, and every scan is DataFusion's own Parquet scan over it,
//! with the session's Parquet options and its cache of file footers. A table that uses either
//! feature is refused rather than read wrong.
//!
//! The row counts, null counts and minima/maxima of each file's `add` action become DataFusion
//! statistics: the optimizer sizes joins by them and answers `count(*)`, `min` and `max` of a
//! whole table without reading it (the roll-out models' "latest month" subqueries).
//!
//! What this does not do: write (the session is read-only), or see commits made after the
//! session registered the table (a session reads one version of each table).

use std::sync::Arc;

use async_trait::async_trait;
use delta_kernel::table_features::ColumnMappingMode;
use deltalake::{
    DeltaTable,
    datafusion::{
        arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef},
        catalog::{Session, TableProvider},
        common::{ScalarValue, Statistics, stats::Precision},
        datasource::{
            file_format::{FileFormat, parquet::ParquetFormat},
            listing::PartitionedFile,
            physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource},
            table_schema::TableSchema,
        },
        error::Result as DataFusionResult,
        execution::object_store::ObjectStoreUrl,
        logical_expr::{Expr, TableProviderFilterPushDown, TableType},
        physical_plan::{ExecutionPlan, empty::EmptyExec},
    },
};

use crate::{Result, WarehouseError};

/// A Delta table as of the version it was opened at, read-only.
#[derive(Debug)]
pub struct CommittedTable {
    /// The columns in the table's order (partition columns where the Delta schema has them).
    schema: SchemaRef,
    /// The columns as the Parquet scan produces them: the files' columns, then the partition
    /// columns.
    scan_schema: TableSchema,
    /// For each column of `schema`, its index in `scan_schema`.
    scan_index: Vec<usize>,
    files: Vec<PartitionedFile>,
    statistics: Statistics,
}

impl CommittedTable {
    /// The files of `table`'s loaded version (the version it was opened or loaded at).
    pub fn new(name: &str, table: &DeltaTable) -> Result<Self> {
        let delta = |source: deltalake::DeltaTableError| WarehouseError::Delta {
            table: name.to_string(),
            source: Box::new(source),
        };
        let refuse = || WarehouseError::Unreadable {
            table: name.to_string(),
        };
        let snapshot = table.snapshot().map_err(delta)?;
        if snapshot.snapshot().table_configuration().column_mapping_mode() != ColumnMappingMode::None {
            return Err(refuse());
        }
        let schema = snapshot.snapshot().arrow_schema();
        let partition_columns = snapshot.metadata().partition_columns();
        let is_partition = |field: &FieldRef| partition_columns.contains(field.name());
        let file_fields: Vec<FieldRef> = schema
            .fields()
            .iter()
            .filter(|field| !is_partition(field))
            .cloned()
            .collect();
        // The scan appends partition values in this order.
        let partition_fields: Vec<FieldRef> = partition_columns
            .iter()
            .map(|column| schema.field_with_name(column).map(|field| Arc::new(field.clone())))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| refuse())?;
        let scan_index = schema
            .fields()
            .iter()
            .map(|field| {
                match partition_fields
                    .iter()
                    .position(|partition| partition.name() == field.name())
                {
                    Some(position) => file_fields.len() + position,
                    None => file_fields
                        .iter()
                        .position(|file_field| file_field.name() == field.name())
                        .expect("a non-partition column is a file column"),
                }
            })
            .collect();

        let scan_schema = TableSchema::builder(Arc::new(Schema::new(file_fields)))
            .with_table_partition_cols(partition_fields)
            .build();
        let root = table.table_url().to_file_path().map_err(|()| refuse())?;
        let mut files = Vec::new();
        for file in snapshot.log_data().iter() {
            if file.deletion_vector_descriptor().is_some() {
                return Err(refuse());
            }
            let path = deltalake::Path::from_absolute_path(root.join(file.path().as_ref())).map_err(|_| refuse())?;
            let size = u64::try_from(file.size()).map_err(|_| refuse())?;
            let values = file.partition_values_map();
            let partition_values = scan_schema
                .table_partition_cols()
                .iter()
                .map(|field| match values.get(field.name()) {
                    Some(Some(text)) => ScalarValue::try_from_string(text.clone(), field.data_type()),
                    _ => ScalarValue::try_from(field.data_type()),
                })
                .collect::<DataFusionResult<Vec<_>>>()
                .map_err(|_| refuse())?;
            let statistics = file_statistics(&scan_schema, &file.stats(), &partition_values);
            files.push(
                PartitionedFile::new(path.to_string(), size)
                    .with_partition_values(partition_values)
                    .with_statistics(Arc::new(statistics)),
            );
        }
        let statistics = Statistics::try_merge_iter(
            files.iter().filter_map(|file| file.statistics.as_deref()),
            scan_schema.table_schema(),
        )
        .map_err(|_| refuse())?;
        Ok(Self {
            scan_schema,
            schema,
            scan_index,
            files,
            statistics,
        })
    }
}

#[async_trait]
impl TableProvider for CommittedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> DataFusionResult<Arc<dyn ExecutionPlan>> {
        if self.files.is_empty() {
            let schema = match projection {
                Some(columns) => Arc::new(self.schema.project(columns)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let columns = match projection {
            Some(columns) => columns.iter().map(|&column| self.scan_index[column]).collect(),
            None => self.scan_index.clone(),
        };
        // Split in path order: the same files land in the same scan partitions every time.
        let groups = FileGroup::new(self.files.clone()).split_files(state.config().target_partitions());
        let source = Arc::new(ParquetSource::new(self.scan_schema.clone()));
        let config = FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), source)
            .with_file_groups(groups)
            .with_statistics(self.statistics.clone())
            .with_projection_indices(Some(columns))?
            .with_limit(limit)
            .build();
        // The format adds the session's Parquet options and its cache of file footers.
        ParquetFormat::default()
            .with_options(state.table_options().parquet.clone())
            .create_physical_plan(state, config)
            .await
    }

    /// Filters are not applied by the table itself: DataFusion keeps each one above the scan and
    /// pushes it into the Parquet scan, which skips files, row groups and pages by it (partition
    /// values and statistics).
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DataFusionResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }
}

/// One file's statistics over the scan's columns, from its Delta `add` action: the row count,
/// and per column the null count, minimum and maximum the writer recorded; a partition column
/// has the file's value. Minima and maxima are exact only for integers and dates: Delta may
/// truncate text, and DataFusion answers `min`/`max` from exact statistics without reading.
fn file_statistics(scan_schema: &TableSchema, stats: &Option<String>, partition_values: &[ScalarValue]) -> Statistics {
    let table_schema = scan_schema.table_schema();
    // The byte size stays unknown: the only one at hand is the file's, compressed and of all
    // its columns, and DataFusion keeps it through a projection to text columns. Comparing those
    // put the larger table on the build side of joins (a table of integers compresses better);
    // without it, the optimizer compares row counts, which are exact.
    let mut statistics = Statistics::new_unknown(table_schema);
    let stats: serde_json::Value = stats
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let Some(rows) = stats["numRecords"].as_u64().map(|rows| rows as usize) else {
        return statistics;
    };
    statistics.num_rows = Precision::Exact(rows);
    let file_columns = scan_schema.file_schema().fields().len();
    for (index, field) in table_schema.fields().iter().enumerate() {
        let column = &mut statistics.column_statistics[index];
        if let Some(value) = index
            .checked_sub(file_columns)
            .and_then(|position| partition_values.get(position))
        {
            if value.is_null() {
                column.null_count = Precision::Exact(rows);
            } else {
                column.null_count = Precision::Exact(0);
                column.min_value = Precision::Exact(value.clone());
                column.max_value = Precision::Exact(value.clone());
            }
            continue;
        }
        if let Some(nulls) = stats["nullCount"][field.name()].as_u64() {
            column.null_count = Precision::Exact(nulls as usize);
        }
        let exact = field.data_type().is_integer() || matches!(field.data_type(), DataType::Date32);
        let bound = |key: &str| {
            let text = match &stats[key][field.name()] {
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::String(text) => text.clone(),
                _ => return Precision::Absent,
            };
            match ScalarValue::try_from_string(text, field.data_type()) {
                Ok(value) if exact => Precision::Exact(value),
                Ok(value) => Precision::Inexact(value),
                Err(_) => Precision::Absent,
            }
        };
        column.min_value = bound("minValues");
        column.max_value = bound("maxValues");
    }
    statistics
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use arrow::{
        array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray},
        compute::cast,
        datatypes::Int32Type,
    };
    use deltalake::datafusion::{
        physical_plan::{
            collect, displayable,
            joins::HashJoinExec,
            statistics::{StatisticsArgs, StatisticsContext},
        },
        prelude::SessionContext,
    };

    use super::*;
    use crate::{TableSpec, Warehouse, columns::Table, schema::DELIVERY_MONTH, tables::InsurerRow};

    /// `rows` rows of `spec` for `delivery`: every column holds `first`, `first + 1`, … cast to
    /// its type (text, integers, dates, flags alike).
    fn rows(spec: &TableSpec, delivery: &str, first: i64, rows: i64) -> RecordBatch {
        let numbers: ArrayRef = Arc::new(Int64Array::from_iter_values(first..first + rows));
        let columns = spec
            .schema()
            .fields()
            .iter()
            .map(|field| match field.name().as_str() {
                DELIVERY_MONTH => Arc::new(StringArray::from(vec![delivery; rows as usize])) as ArrayRef,
                _ => cast(&numbers, field.data_type()).unwrap(),
            })
            .collect();
        RecordBatch::try_new(spec.schema(), columns).unwrap()
    }

    async fn load(warehouse: &Warehouse, spec: &TableSpec, delivery: &str, first: i64, count: i64) -> u64 {
        let batch = rows(spec, delivery, first, count);
        warehouse
            .replace_delivery(spec, delivery, futures::stream::iter([Ok(batch)]))
            .await
            .unwrap()
    }

    async fn query(context: &SessionContext, sql: &str) -> Vec<(String, i64, i32)> {
        let batches = context.sql(sql).await.unwrap().collect().await.unwrap();
        batches
            .iter()
            .flat_map(|batch| {
                let months = batch.column(0).as_string::<i32>().clone();
                let counts = batch.column(1).as_primitive::<arrow::datatypes::Int64Type>().clone();
                let minima = batch.column(2).as_primitive::<Int32Type>().clone();
                (0..batch.num_rows())
                    .map(move |row| (months.value(row).to_string(), counts.value(row), minima.value(row)))
            })
            .collect()
    }

    #[test]
    fn a_session_reads_the_committed_files_of_the_version_it_registered() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let spec = InsurerRow::spec();
        let runtime = crate::test_runtime();
        runtime.block_on(async {
            load(&warehouse, spec, "202604", 1, 2).await;
            let before_reload = load(&warehouse, spec, "202605", 10, 3).await;
            // Reloading a delivery replaces its files; the old ones stay on disk until vacuum.
            load(&warehouse, spec, "202604", 100, 4).await;
            let by_month = "select delivery_month, count(*), min(n_member_municipalities) from insurers \
                            group by delivery_month order by delivery_month";

            let context = SessionContext::new();
            warehouse.register_tables(&context).await.unwrap();
            assert_eq!(
                query(&context, by_month).await,
                [("202604".to_string(), 4, 100), ("202605".to_string(), 3, 10)]
            );
            // The columns keep the table's order, the partition column first.
            let columns = context
                .sql("select * from insurers")
                .await
                .unwrap()
                .schema()
                .as_arrow()
                .clone();
            assert_eq!(columns.fields(), spec.schema().fields());
            let filtered = "select delivery_month, count(*), min(n_member_municipalities) from insurers \
                            where delivery_month = '202605' group by delivery_month";
            assert_eq!(query(&context, filtered).await, [("202605".to_string(), 3, 10)]);

            let pinned = SessionContext::new();
            let versions = BTreeMap::from([(spec.name.to_string(), before_reload)]);
            warehouse.register_tables_at(&pinned, &versions).await.unwrap();
            assert_eq!(
                query(&pinned, by_month).await,
                [("202604".to_string(), 2, 1), ("202605".to_string(), 3, 10)]
            );
        });
    }

    #[test]
    fn statistics_come_from_the_delta_log_exact_for_integers_and_partition_values() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let spec = InsurerRow::spec();
        let runtime = crate::test_runtime();
        runtime.block_on(async {
            load(&warehouse, spec, "202604", 5, 2).await;
            load(&warehouse, spec, "202605", 20, 3).await;
            let context = SessionContext::new();
            warehouse.register_tables(&context).await.unwrap();
            let provider = context.table_provider("insurers").await.unwrap();
            let schema = provider.schema();
            let column = |name: &str| schema.index_of(name).unwrap();
            let plan = provider.scan(&context.state(), None, &[], None).await.unwrap();
            let statistics = StatisticsContext::new()
                .compute(plan.as_ref(), &StatisticsArgs::new())
                .unwrap();
            assert_eq!(statistics.num_rows, Precision::Exact(5));
            let members = &statistics.column_statistics[column("n_member_municipalities")];
            assert_eq!(members.min_value, Precision::Exact(ScalarValue::Int32(Some(5))));
            assert_eq!(members.max_value, Precision::Exact(ScalarValue::Int32(Some(22))));
            assert_eq!(members.null_count, Precision::Exact(0));
            let month = &statistics.column_statistics[column(DELIVERY_MONTH)];
            assert_eq!(month.min_value, Precision::Exact(ScalarValue::from("202604")));
            assert_eq!(month.max_value, Precision::Exact(ScalarValue::from("202605")));
            // Text may be truncated in the log: a bound, not a value ("6" > "22" as text).
            let number = &statistics.column_statistics[column("insurer_number")];
            assert_eq!(number.max_value, Precision::Inexact(ScalarValue::from("6")));

            // With exact statistics the answer needs no file (the files are gone).
            for file in warehouse.data_files(spec).await.unwrap() {
                std::fs::remove_file(warehouse.table_path(spec).join(file)).unwrap();
            }
            let frame = context
                .sql("select min(n_member_municipalities), max(population_65_plus) from insurers")
                .await
                .unwrap();
            let task = Arc::new(frame.task_ctx());
            let batches = collect(frame.create_physical_plan().await.unwrap(), task)
                .await
                .unwrap();
            assert_eq!(batches[0].column(0).as_primitive::<Int32Type>().value(0), 5);
            assert!(!batches[0].column(1).is_null(0));
        });
    }

    /// The build side of a hash join, found anywhere in `plan`.
    fn build_side(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
        if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
            return Some(displayable(join.left().as_ref()).indent(true).to_string());
        }
        plan.children().into_iter().find_map(build_side)
    }

    #[test]
    fn a_join_builds_on_the_table_with_fewer_rows_though_its_file_is_larger() {
        let folder = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(folder.path());
        let runtime = crate::test_runtime();
        let model = |rows: i64, label: &dyn Fn(i64) -> String| {
            let keys: ArrayRef = Arc::new(Int64Array::from_iter_values((0..rows).map(|row| row % 100)));
            let labels: ArrayRef = Arc::new(StringArray::from_iter_values((0..rows).map(label)));
            RecordBatch::try_from_iter([("k", keys), ("label", labels)]).unwrap()
        };
        // 2,000 rows of text that does not compress, against 20,000 rows of one repeated word.
        let noise = |row: i64| {
            format!(
                "{:016x}{:016x}",
                (row as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                row * 7919
            )
        };
        let few = model(2_000, &noise);
        let many = model(20_000, &|_| "same".to_string());
        runtime.block_on(async {
            warehouse.replace_model("few_rows", "", vec![few]).await.unwrap();
            warehouse.replace_model("many_rows", "", vec![many]).await.unwrap();
            let few_file = &warehouse.model_files("few_rows").await.unwrap()[0];
            let many_file = &warehouse.model_files("many_rows").await.unwrap()[0];
            assert!(std::fs::metadata(few_file).unwrap().len() > 4 * std::fs::metadata(many_file).unwrap().len());
            let context = SessionContext::new();
            warehouse.register_tables(&context).await.unwrap();
            let plan = context
                .sql("select many.label, few.label from many_rows as many join few_rows as few on many.k = few.k")
                .await
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            let build = build_side(&plan).expect("a hash join");
            assert!(build.contains("/few_rows/"), "{build}");
        });
    }
}
