//! Building a model in slices of its key, so that its joins, windows and sorts fit in the memory
//! budget however large the warehouse: each slice is the model's rows whose key hashes to it, a
//! filter on the model's output that DataFusion pushes down to every scan the key comes from.
//! The slices together are exactly the model, whatever it computes.
//!
//! The key is often not in the loaded tables (a claim has an identity; its person comes from a
//! join to `person_map`), so the filter cannot skip their rows. The inputs that carry the key are
//! therefore read once and written in buckets by slice ([`bucket_inputs`]); a scan under a
//! slice's filter reads that slice's bucket, any other scan all of them. What each slice reads
//! stays a share of the inputs however many slices there are.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    sync::Arc,
};

use arrow::{
    array::{ArrayRef, AsArray, BooleanArray, Int64Array},
    datatypes::{DataType, SchemaRef},
};
use async_trait::async_trait;
use deltalake::datafusion::{
    catalog::{Session, TableProvider},
    common::{config::TableParquetOptions, tree_node::TreeNodeRecursion},
    dataframe::DataFrameWriteOptions,
    datasource::{
        empty::EmptyTable,
        file_format::parquet::ParquetFormat,
        listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl},
    },
    error::{DataFusionError, Result as DataFusionResult},
    logical_expr::{ColumnarValue, Expr, LogicalPlan, TableProviderFilterPushDown, TableType, Volatility, create_udf},
    physical_plan::ExecutionPlan,
    prelude::{SessionContext, col},
};

/// Memory a sliced model's plan holds per row of its inputs, in bytes: `fct_person_months` at
/// 355,000 persons × 36 months reads 34.96 M rows and, in one piece, did not fit a pool of
/// 8.8 GB (benches/README.md, "Building the models").
const BYTES_PER_INPUT_ROW: u64 = 300;

/// The share of the memory pool one slice is planned to need: the rest absorbs the estimate's
/// error and what the scans and writers hold beside the plan's operators.
const POOL_SHARE_PER_SLICE: f64 = 0.4;

/// How many slices a model reading `input_rows` rows is built in under a pool of `pool` bytes.
pub(crate) fn count(input_rows: u64, pool: usize) -> usize {
    let needed = input_rows.saturating_mul(BYTES_PER_INPUT_ROW) as f64;
    let per_slice = (pool as f64 * POOL_SHARE_PER_SLICE).max(1.0);
    ((needed / per_slice).ceil() as usize).max(1)
}

/// Which of `slices` slices a key falls in: FNV-1a of its bytes, so the same key lands in the
/// same slice in every run.
fn slice_of(key: &str, slices: u64) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash % slices
}

/// The filter keeping the rows of slice `slice` of `slices` by `column`. It is NULL on a null
/// key, so that DataFusion may also apply it to the inner side of an outer join on the key (a
/// row there with a key outside the slice can only join rows outside it); the caller slices
/// only by a column that cannot be null.
pub(crate) fn filter(column: &str, slice: usize, slices: usize) -> Expr {
    let name = filter_name(slice, slices);
    let (slice, slices) = (slice as u64, slices as u64);
    let keep = move |arguments: &[ColumnarValue]| {
        let arrays = ColumnarValue::values_to_arrays(arguments)?;
        // The optimizer evaluates the filter on an untyped NULL to learn that it rejects nulls.
        let keys = arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let kept: BooleanArray = keys
            .as_string::<i32>()
            .iter()
            .map(|key| key.map(|key| slice_of(key, slices) == slice))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(kept) as ArrayRef))
    };
    let function = create_udf(
        &name,
        vec![DataType::Utf8],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(keep),
    );
    function.call(vec![col(column)])
}

/// The name of the filter of slice `slice` of `slices`, which [`slice_filtered`] reads back.
fn filter_name(slice: usize, slices: usize) -> String {
    format!("kaigo_slice_{slice}_of_{slices}")
}

/// The slice `expression` keeps if it is the [`filter`] of a slice of `slices` by `column`.
fn slice_filtered(expression: &Expr, column: &str, slices: usize) -> Option<usize> {
    let Expr::ScalarFunction(function) = expression else {
        return None;
    };
    let (slice, of) = function.func.name().strip_prefix("kaigo_slice_")?.split_once("_of_")?;
    let (slice, of) = (slice.parse::<usize>().ok()?, of.parse::<usize>().ok()?);
    let mut argument = function.args.first()?;
    // The planner may cast the key to the filter's argument type (from a string view).
    while let Expr::Cast(cast) = argument {
        argument = cast.expr.as_ref();
    }
    match argument {
        Expr::Column(key) if key.name == column && of == slices && slice < slices => Some(slice),
        _ => None,
    }
}

/// The column the buckets are written by; not a column of the tables read back.
const BUCKET_COLUMN: &str = "kaigo_slice";

/// Rows the bucket writers buffer together (each holds a row group), so that what they hold does
/// not grow with the number of slices.
const BUCKETS_BUFFERED_ROWS: usize = 1 << 20;

/// The columns of each of the `tables` a slice of the query `sql` reads: the query is planned
/// with a slice's filter against empty tables of the same columns in their place (a view,
/// expanded into its query, would not say which of its columns are read), then they are put back.
async fn columns_read(
    context: &SessionContext,
    sql: &str,
    tables: &[String],
    column: &str,
    slices: usize,
) -> DataFusionResult<BTreeMap<String, BTreeSet<String>>> {
    let mut originals = Vec::new();
    for table in tables {
        let provider = context.table_provider(table.as_str()).await?;
        if provider.schema().index_of(column).is_ok() {
            context.deregister_table(table.as_str())?;
            context.register_table(table.as_str(), Arc::new(EmptyTable::new(provider.schema())))?;
            originals.push((table, provider));
        }
    }
    let planned = async {
        context
            .sql(sql)
            .await?
            .filter(filter(column, 0, slices))?
            .into_optimized_plan()
    }
    .await;
    for (table, provider) in &originals {
        context.deregister_table(table.as_str())?;
        context.register_table(table.as_str(), Arc::clone(provider))?;
    }
    let mut read: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    planned?.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && originals
                .iter()
                .any(|(table, _)| table.as_str() == scan.table_name.table())
        {
            read.entry(scan.table_name.table().to_string())
                .or_default()
                .extend(scan.projected_schema.fields().iter().map(|field| field.name().clone()));
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(read)
}

/// Read once the columns a slice of the query `sql` reads of each of the `tables` whose key
/// `column` is among them, write them to `folder` in buckets by their slice of `slices` (rows
/// with a null key in a bucket of their own), and register a [`BucketedTable`] under the table's
/// name in its place: the same columns, of which a scan may read those written. Returns the
/// tables bucketed with the columns written.
pub(crate) async fn bucket_inputs(
    context: &SessionContext,
    sql: &str,
    tables: &[String],
    column: &str,
    slices: usize,
    folder: &Path,
) -> DataFusionResult<BTreeMap<String, BTreeSet<String>>> {
    let read = columns_read(context, sql, tables, column, slices).await?;
    let bucket_of = {
        let of = slices as u64;
        let number = move |arguments: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(arguments)?;
            let keys = arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
            let numbers: Int64Array = keys
                .as_string::<i32>()
                .iter()
                .map(|key| Some(key.map_or(of, |key| slice_of(key, of)) as i64))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(numbers) as ArrayRef))
        };
        create_udf(
            &format!("kaigo_bucket_of_{slices}"),
            vec![DataType::Utf8],
            DataType::Int64,
            Volatility::Immutable,
            Arc::new(number),
        )
    };
    let mut options = TableParquetOptions::default();
    options.global.max_row_group_size = (BUCKETS_BUFFERED_ROWS / slices).clamp(1 << 13, 1 << 16);
    let mut bucketed = BTreeMap::new();
    for (table, columns) in read {
        if !columns.contains(column) {
            continue;
        }
        let frame = context.table(table.as_str()).await?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let kept: Vec<String> = frame
            .schema()
            .fields()
            .iter()
            .map(|field| field.name().clone())
            .filter(|name| columns.contains(name))
            .collect();
        let kept: Vec<&str> = kept.iter().map(String::as_str).collect();
        let frame = frame.select_columns(&kept)?;
        let stored: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let started = std::time::Instant::now();
        let table_folder = folder.join(&table);
        frame
            .with_column(BUCKET_COLUMN, bucket_of.call(vec![col(column)]))?
            .write_parquet(
                &format!("{}/", table_folder.display()),
                DataFrameWriteOptions::new().with_partition_by(vec![BUCKET_COLUMN.into()]),
                Some(options.clone()),
            )
            .await?;
        let format = ParquetFormat::default().with_options(context.state().table_options().parquet.clone());
        let listing = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
        let bucket = |paths: Vec<ListingTableUrl>| -> DataFusionResult<Arc<ListingTable>> {
            let config = ListingTableConfig::new_with_multi_paths(paths)
                .with_listing_options(listing.clone())
                .with_schema(Arc::clone(&stored));
            Ok(Arc::new(ListingTable::try_new(config)?))
        };
        // One bucket per slice, then the null keys'; a bucket without rows is an empty folder.
        let mut paths = Vec::new();
        for number in 0..=slices {
            let path = table_folder.join(format!("{BUCKET_COLUMN}={number}"));
            std::fs::create_dir_all(&path).map_err(|error| DataFusionError::External(Box::new(error)))?;
            paths.push(ListingTableUrl::parse(format!("{}/", path.display()))?);
        }
        let buckets = paths[..slices]
            .iter()
            .map(|path| bucket(vec![path.clone()]))
            .collect::<DataFusionResult<_>>()?;
        let table_provider = BucketedTable {
            name: table.clone(),
            stored_columns: (0..schema.fields().len())
                .map(|index| stored.index_of(schema.field(index).name()).ok())
                .collect(),
            schema,
            column: column.to_string(),
            buckets,
            whole: bucket(paths)?,
        };
        context.deregister_table(table.as_str())?;
        context.register_table(table.as_str(), Arc::new(table_provider))?;
        tracing::debug!(
            table,
            slices,
            seconds = started.elapsed().as_secs_f64(),
            "input bucketed by slice"
        );
        bucketed.insert(table, columns);
    }
    Ok(bucketed)
}

/// A table written in buckets by slice ([`bucket_inputs`]): a scan under the filter of one slice
/// reads that slice's bucket, any other scan every bucket.
#[derive(Debug)]
struct BucketedTable {
    name: String,
    /// The table's columns, as the plans that read it were made against.
    schema: SchemaRef,
    /// Where each column of `schema` is among those written, if it was written.
    stored_columns: Vec<Option<usize>>,
    column: String,
    /// One per slice.
    buckets: Vec<Arc<ListingTable>>,
    /// Every bucket, the null keys' too.
    whole: Arc<ListingTable>,
}

#[async_trait]
impl TableProvider for BucketedTable {
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
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DataFusionResult<Arc<dyn ExecutionPlan>> {
        let slice = filters
            .iter()
            .find_map(|filter| slice_filtered(filter, &self.column, self.buckets.len()));
        let table = slice.map_or(&self.whole, |slice| &self.buckets[slice]);
        // Only the columns the model's plan read were written: a plan asking for another fails
        // rather than reads anything else in its place.
        let wanted: Vec<usize> = projection
            .cloned()
            .unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let stored = wanted
            .iter()
            .map(|&index| {
                self.stored_columns[index].ok_or_else(|| {
                    DataFusionError::Plan(format!(
                        "column {} of {} is not among those written for the slices",
                        self.schema.field(index).name(),
                        self.name
                    ))
                })
            })
            .collect::<DataFusionResult<Vec<usize>>>()?;
        table.scan(state, Some(&stored), filters, limit).await
    }

    /// DataFusion keeps every filter above the scan (a bucket holds exactly a slice's rows, but
    /// the other filters are only used to skip row groups).
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DataFusionResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_falls_in_exactly_one_slice_and_the_slices_are_even() {
        let slices = 4;
        let mut sizes = [0_u32; 4];
        for number in 0..4000 {
            let key = format!("{number:064x}");
            sizes[slice_of(&key, slices) as usize] += 1;
        }
        assert!(sizes.iter().all(|size| (800..1200).contains(size)), "{sizes:?}");
        assert_eq!(slice_of("a", 1), 0);
    }

    #[tokio::test]
    async fn a_bucketed_input_is_read_by_slice_under_the_slice_filter_and_whole_otherwise() {
        use arrow::array::{Int64Array, RecordBatch, StringArray};
        use deltalake::datafusion::physical_plan::displayable;

        let keys: Vec<Option<String>> = (0..300)
            .map(|number| (number % 17 != 0).then(|| format!("{number:064x}")))
            .collect();
        let batch = RecordBatch::try_from_iter([
            ("key", Arc::new(StringArray::from(keys.clone())) as ArrayRef),
            ("value", Arc::new(Int64Array::from_iter_values(0..300)) as ArrayRef),
            ("extra", Arc::new(Int64Array::from_iter_values(0..300)) as ArrayRef),
        ])
        .unwrap();
        let context = SessionContext::new();
        context.register_batch("people", batch.clone()).unwrap();
        context.register_batch("codes", batch.project(&[1]).unwrap()).unwrap();
        let folder = tempfile::tempdir().unwrap();
        let tables = ["people".to_string(), "codes".to_string()];
        let bucketed = bucket_inputs(
            &context,
            "select people.key, people.value from people join codes on codes.value = people.value",
            &tables,
            "key",
            3,
            folder.path(),
        )
        .await
        .unwrap();
        let written: Vec<&str> = bucketed["people"].iter().map(String::as_str).collect();
        assert_eq!(written, ["key", "value"]);
        assert_eq!(bucketed.len(), 1);
        // A column the query did not read was not written, and is not read in its place.
        let unread = context
            .table("people")
            .await
            .unwrap()
            .select_columns(&["extra"])
            .unwrap();
        assert!(unread.collect().await.is_err());
        assert!(context.table("codes").await.unwrap().collect().await.is_ok());

        let values = |frame: deltalake::datafusion::dataframe::DataFrame| async move {
            let mut values: Vec<i64> = frame
                .select_columns(&["value"])
                .unwrap()
                .collect()
                .await
                .unwrap()
                .iter()
                .flat_map(|batch| {
                    batch
                        .column(0)
                        .as_primitive::<arrow::datatypes::Int64Type>()
                        .values()
                        .to_vec()
                })
                .collect();
            values.sort_unstable();
            values
        };
        let whole = context.table("people").await.unwrap();
        assert_eq!(values(whole).await, (0..300).collect::<Vec<_>>(), "null keys included");
        for slice in 0..3 {
            let frame = context
                .table("people")
                .await
                .unwrap()
                .select_columns(&["key", "value"])
                .unwrap()
                .filter(filter("key", slice, 3))
                .unwrap();
            let plan = frame.clone().create_physical_plan().await.unwrap();
            let plan = displayable(plan.as_ref()).indent(true).to_string();
            assert!(plan.contains(&format!("kaigo_slice={slice}/")), "{plan}");
            for other in (0..=3).filter(|other| *other != slice) {
                assert!(!plan.contains(&format!("kaigo_slice={other}/")), "{plan}");
            }
            let expected: Vec<i64> = (0..300)
                .filter(|&number| {
                    keys[number as usize]
                        .as_deref()
                        .is_some_and(|key| slice_of(key, 3) == slice as u64)
                })
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(values(frame).await, expected);
        }
    }

    #[test]
    fn a_filter_is_recognised_only_for_its_column_and_slice_count() {
        let expression = filter("person_key", 2, 5);
        assert_eq!(slice_filtered(&expression, "person_key", 5), Some(2));
        assert_eq!(slice_filtered(&expression, "person_key", 4), None);
        assert_eq!(slice_filtered(&expression, "identity_key", 5), None);
        assert_eq!(slice_filtered(&col("person_key"), "person_key", 5), None);
    }

    #[test]
    fn the_slice_count_grows_with_the_inputs_and_shrinks_with_the_pool() {
        assert_eq!(count(0, 1 << 30), 1);
        assert_eq!(count(1_000, 1 << 30), 1);
        let small = count(30_000_000, 8 << 30);
        let large = count(300_000_000, 8 << 30);
        assert!(small >= 1 && large >= 9 * small, "{small} {large}");
        assert!(count(30_000_000, 1 << 30) > small);
    }
}
