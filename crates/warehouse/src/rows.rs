//! Building a table's rows into Arrow batches, and sorting them for writing.

use std::{cmp::Ordering, mem::replace, sync::Arc};

use crate::{
    Result, TableSpec, WarehouseError,
    columns::{Builder, ColumnBuilder, Columns, RowWriter, Table},
    tables::Lineage,
};
use arrow::{
    array::{
        Array, ArrayRef, AsArray, BooleanBuilder, Date32Builder, FixedSizeBinaryBuilder, Int32Builder, Int64Array,
        Int64Builder, StringArray, StringBuilder, UInt32Array,
    },
    compute::take_record_batch,
    datatypes::{DataType, Int64Type},
    error::ArrowError,
    record_batch::RecordBatch,
};

/// Rows of one table being built, one Arrow builder per column. Rows are appended whole from
/// the table's row struct ([`crate::tables`]), so every value lands in its own column.
pub struct TableRows {
    spec: &'static TableSpec,
    builders: Vec<ColumnBuilder>,
    rows: usize,
}

impl TableRows {
    /// Empty rows for a table.
    pub fn new(spec: &'static TableSpec) -> Self {
        let builders = spec
            .columns
            .iter()
            .map(|column| ColumnBuilder::new(column.kind))
            .collect();
        Self {
            spec,
            builders,
            rows: 0,
        }
    }

    /// The table.
    pub fn spec(&self) -> &'static TableSpec {
        self.spec
    }

    /// Rows completed.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row was completed.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Append a row of a table rewritten whole (no lineage).
    pub fn push<R: Table>(&mut self, row: R) {
        assert!(
            !self.spec.is_loaded,
            "table {}: a loaded row needs its lineage",
            self.spec.name
        );
        self.append(row, |_| {});
    }

    /// Append a row of a table a delivery load writes, after its lineage.
    pub fn push_loaded<R: Table>(&mut self, lineage: Lineage<'_>, row: R) {
        assert!(
            self.spec.is_loaded,
            "table {}: a rewritten table has no lineage",
            self.spec.name
        );
        self.append(row, |writer| lineage.write(writer));
    }

    fn append<R: Table>(&mut self, row: R, lineage: impl FnOnce(&mut RowWriter<'_>)) {
        assert!(
            std::ptr::eq(R::spec(), self.spec),
            "a row of {} pushed to {}",
            R::spec().name,
            self.spec.name
        );
        let mut writer = RowWriter::new(&mut self.builders);
        lineage(&mut writer);
        row.write(&mut writer);
        assert!(writer.is_complete(), "table {}: a row left columns out", self.spec.name);
        self.rows += 1;
    }

    /// The rows as one record batch. The builders start again with room for as many rows, so a
    /// table filled in chunks does not regrow its buffers for every chunk.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let rows = self.rows;
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|ColumnBuilder(builder)| -> ArrayRef {
                match builder {
                    Builder::Text(builder) => {
                        let bytes = builder.values_slice().len();
                        Arc::new(replace(builder, StringBuilder::with_capacity(rows, bytes)).finish())
                    }
                    Builder::Int64(builder) => Arc::new(replace(builder, Int64Builder::with_capacity(rows)).finish()),
                    Builder::Int32(builder) => Arc::new(replace(builder, Int32Builder::with_capacity(rows)).finish()),
                    Builder::Date(builder) => Arc::new(replace(builder, Date32Builder::with_capacity(rows)).finish()),
                    Builder::Bool(builder) => Arc::new(replace(builder, BooleanBuilder::with_capacity(rows)).finish()),
                    Builder::Token(builder) => {
                        let array = builder.finish();
                        *builder = FixedSizeBinaryBuilder::with_capacity(rows, array.value_length());
                        Arc::new(array)
                    }
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.spec.schema(), arrays).map_err(|source| WarehouseError::Arrow {
            table: self.spec.name.to_string(),
            source,
        })
    }
}

/// Rows of `spec` sorted by its [`TableSpec::sort_columns`] (ascending, nulls first, stable: ties
/// keep their order).
///
/// Every load sorts every warehouse row it writes, so this compares the typed arrays directly
/// rather than through arrow's `lexsort_to_indices`, whose per-column dynamic comparators took
/// most of the sort's time; a chunk already in order is not copied.
pub fn sorted(spec: &TableSpec, batch: &RecordBatch) -> Result<RecordBatch> {
    sort_by_columns(batch, &spec.sort_columns()).map_err(|source| WarehouseError::Arrow {
        table: spec.name.to_string(),
        source,
    })
}

/// `batch` sorted by `columns` (text or 64-bit integer), as [`sorted`].
fn sort_by_columns(batch: &RecordBatch, columns: &[usize]) -> Result<RecordBatch, ArrowError> {
    let keys = columns
        .iter()
        .map(|&index| SortKey::of(batch.column(index)))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let compare = |left: &u32, right: &u32| {
        keys.iter()
            .map(|key| key.compare(*left as usize, *right as usize))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal)
    };
    let mut indices: Vec<u32> = (0..batch.num_rows() as u32).collect();
    if indices.is_sorted_by(|left, right| compare(left, right).is_le()) {
        return Ok(batch.clone());
    }
    indices.sort_by(compare);
    take_record_batch(batch, &UInt32Array::from(indices))
}

/// One sort column, downcast once.
enum SortKey<'a> {
    Text(&'a StringArray),
    Int64(&'a Int64Array),
}

impl<'a> SortKey<'a> {
    fn of(array: &'a ArrayRef) -> Result<Self, ArrowError> {
        match array.data_type() {
            DataType::Utf8 => Ok(Self::Text(array.as_string::<i32>())),
            DataType::Int64 => Ok(Self::Int64(array.as_primitive::<Int64Type>())),
            other => Err(ArrowError::NotYetImplemented(format!(
                "sorting rows by a {other} column"
            ))),
        }
    }

    fn compare(&self, left: usize, right: usize) -> Ordering {
        fn nulls_first(array: &dyn Array, left: usize, right: usize) -> Option<Ordering> {
            if array.null_count() == 0 {
                return None;
            }
            match (array.is_null(left), array.is_null(right)) {
                (false, false) => None,
                (left, right) => Some(right.cmp(&left)),
            }
        }
        match self {
            Self::Text(array) => {
                nulls_first(*array, left, right).unwrap_or_else(|| array.value(left).cmp(array.value(right)))
            }
            Self::Int64(array) => {
                nulls_first(*array, left, right).unwrap_or_else(|| array.value(left).cmp(&array.value(right)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{InsurerRow, ProviderActivityRow};
    use arrow::array::BooleanArray;

    fn activity(line: i64, month: &'static str) -> (Lineage<'static>, ProviderActivityRow<'static>) {
        (
            Lineage {
                delivery_month: "202611",
                source_file_id: "f1",
                source_line: line,
            },
            ProviderActivityRow {
                service_month: month,
                provider_number: "1370100421",
                insurer_number: "131011",
                n_users: 10,
                n_users_with_consent: 3,
                n_record_views: 7,
            },
        )
    }

    #[test]
    fn rows_build_a_batch_with_the_table_schema() {
        let spec = ProviderActivityRow::spec();
        let mut rows = TableRows::new(spec);
        let (lineage, row) = activity(2, "202610");
        rows.push_loaded(lineage, row);
        let batch = rows.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), spec.schema());
        let column = |name: &str| batch.column(spec.column_index(name).unwrap()).clone();
        assert_eq!(column("n_users").as_primitive::<Int64Type>().value(0), 10);
        assert_eq!(column("n_users_with_consent").as_primitive::<Int64Type>().value(0), 3);
        assert_eq!(column("n_record_views").as_primitive::<Int64Type>().value(0), 7);
    }

    #[test]
    fn sorted_rows_follow_service_month_then_line() {
        let spec = ProviderActivityRow::spec();
        let mut rows = TableRows::new(spec);
        for (line, month) in [(2, "202610"), (3, "202609"), (4, "202610"), (5, "202609")] {
            let (lineage, row) = activity(line, month);
            rows.push_loaded(lineage, row);
        }
        let batch = sorted(spec, &rows.finish().unwrap()).unwrap();
        let lines = batch
            .column(spec.column_index("source_line").unwrap())
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap()
            .values()
            .to_vec();
        assert_eq!(lines, [3, 5, 2, 4]);
    }

    #[test]
    fn the_sort_is_arrows_lexicographic_sort_made_stable() {
        use arrow::compute::{SortColumn, lexsort_to_indices, take};
        // Few distinct values, nulls in every column: many ties, so stability shows.
        let mut state = 7_u64;
        let mut next = move |modulus: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % modulus
        };
        for rows in [0, 1, 2, 50, 3000] {
            let months: StringArray = (0..rows)
                .map(|_| match next(4) {
                    0 => None,
                    month => Some(format!("20261{month}")),
                })
                .collect();
            let keys: StringArray = (0..rows)
                .map(|_| (next(9) > 0).then(|| ["a", "ab", "b", "", "ba"][next(5) as usize].to_string()))
                .collect();
            let lines: Int64Array = (0..rows).map(|_| (next(7) > 0).then(|| next(3) as i64 - 1)).collect();
            let input: UInt32Array = (0..rows as u32).collect();
            let batch = RecordBatch::try_from_iter([
                ("month", Arc::new(months) as ArrayRef),
                ("key", Arc::new(keys) as ArrayRef),
                ("line", Arc::new(lines) as ArrayRef),
                ("input", Arc::new(input) as ArrayRef),
            ])
            .unwrap();
            let ours = sort_by_columns(&batch, &[0, 1, 2]).unwrap();
            // arrow's sort is not stable: the input position as the last key makes it so.
            let columns: Vec<SortColumn> = (0..4)
                .map(|index| SortColumn {
                    values: batch.column(index).clone(),
                    options: None,
                })
                .collect();
            let expected = take(batch.column(3), &lexsort_to_indices(&columns, None).unwrap(), None).unwrap();
            assert_eq!(ours.column(3).as_ref(), expected.as_ref(), "{rows} rows");
        }
        let wrong = RecordBatch::try_from_iter([("flag", Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef)])
            .unwrap();
        assert!(sort_by_columns(&wrong, &[0]).is_err());
    }

    #[test]
    #[should_panic(expected = "a row of provider_activity pushed to insurers")]
    fn a_row_goes_to_its_own_table_only() {
        let mut rows = TableRows::new(InsurerRow::spec());
        let (lineage, row) = activity(2, "202610");
        rows.push_loaded(lineage, row);
    }
}
