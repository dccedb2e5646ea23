//! Building a table's rows column by column, in schema order, without a per-value lookup.

use std::{cmp::Ordering, mem::replace, sync::Arc};

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
use chrono_free::days_since_epoch;

use crate::{ColumnType, Result, TableSpec, WarehouseError};

enum Builder {
    Text(StringBuilder),
    Int64(Int64Builder),
    Int32(Int32Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Token(FixedSizeBinaryBuilder),
}

/// Rows of one table being built. Values are pushed in schema order, row by row; each push
/// checks (in debug builds) that the column name and type are the ones expected next, so a
/// mapping that drifts from the schema fails its tests instead of writing shifted columns.
pub struct TableRows {
    spec: &'static TableSpec,
    builders: Vec<Builder>,
    position: usize,
    rows: usize,
}

impl TableRows {
    /// Empty rows for a table.
    pub fn new(spec: &'static TableSpec) -> Self {
        let builders = spec
            .columns
            .iter()
            .map(|column| match column.kind {
                ColumnType::Text => Builder::Text(StringBuilder::new()),
                ColumnType::Int64 => Builder::Int64(Int64Builder::new()),
                ColumnType::Int32 => Builder::Int32(Int32Builder::new()),
                ColumnType::Date => Builder::Date(Date32Builder::new()),
                ColumnType::Bool => Builder::Bool(BooleanBuilder::new()),
                ColumnType::Token => Builder::Token(FixedSizeBinaryBuilder::new(32)),
                ColumnType::MaskedTokens => Builder::Token(FixedSizeBinaryBuilder::new(80)),
            })
            .collect();
        Self {
            spec,
            builders,
            position: 0,
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

    fn next(&mut self, name: &str) -> &mut Builder {
        debug_assert_eq!(
            self.spec.columns.get(self.position).map(|column| column.name.as_str()),
            Some(name),
            "table {}: column {} pushed out of order",
            self.spec.name,
            self.position
        );
        self.position += 1;
        &mut self.builders[self.position - 1]
    }

    /// Push a text value (or null).
    pub fn text(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match self.next(name) {
            Builder::Text(builder) => builder.append_option(value),
            _ => unreachable!("column {name} is not text"),
        }
        self
    }

    /// Push an integer (Int64 or Int32 columns).
    pub fn int(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        match self.next(name) {
            Builder::Int64(builder) => builder.append_option(value),
            Builder::Int32(builder) => builder.append_option(value.map(|value| value as i32)),
            _ => unreachable!("column {name} is not an integer"),
        }
        self
    }

    /// Push a date given as (year, month, day).
    pub fn date(&mut self, name: &str, value: Option<(i32, u32, u32)>) -> &mut Self {
        match self.next(name) {
            Builder::Date(builder) => builder.append_option(value.map(|(y, m, d)| days_since_epoch(y, m, d))),
            _ => unreachable!("column {name} is not a date"),
        }
        self
    }

    /// Push a boolean.
    pub fn flag(&mut self, name: &str, value: Option<bool>) -> &mut Self {
        match self.next(name) {
            Builder::Bool(builder) => builder.append_option(value),
            _ => unreachable!("column {name} is not a boolean"),
        }
        self
    }

    /// Push a token (or null): 32 bytes for a token column, 80 for masked tokens.
    pub fn token(&mut self, name: &str, value: Option<&[u8]>) -> &mut Self {
        match self.next(name) {
            Builder::Token(builder) => match value {
                Some(bytes) => builder.append_value(bytes).expect("the column's width"),
                None => builder.append_null(),
            },
            _ => unreachable!("column {name} is not a token"),
        }
        self
    }

    /// Complete the current row; every column must have been pushed.
    pub fn end_row(&mut self) {
        assert_eq!(
            self.position,
            self.builders.len(),
            "table {}: row ended after {} of {} columns",
            self.spec.name,
            self.position,
            self.builders.len()
        );
        self.position = 0;
        self.rows += 1;
    }

    /// The rows as one record batch. The builders start again with room for as many rows, so a
    /// table filled in chunks does not regrow its buffers for every chunk.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let rows = self.rows;
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|builder| -> ArrayRef {
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

/// Dates without a calendar dependency: days since 1970-01-01 (proleptic Gregorian).
mod chrono_free {
    /// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    pub fn days_since_epoch(year: i32, month: u32, day: u32) -> i32 {
        let year = if month <= 2 { year - 1 } else { year };
        let era = if year >= 0 { year } else { year - 399 } / 400;
        let year_of_era = year - era * 400;
        let month = month as i32;
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day as i32 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn known_days() {
            assert_eq!(super::days_since_epoch(1970, 1, 1), 0);
            assert_eq!(super::days_since_epoch(2000, 3, 1), 11_017);
            assert_eq!(super::days_since_epoch(2026, 11, 26), 20_783);
            assert_eq!(super::days_since_epoch(1930, 1, 1), -14_610);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table;
    use arrow::array::BooleanArray;

    #[test]
    fn rows_build_a_batch_with_the_table_schema() {
        let spec = table("provider_activity").unwrap();
        let mut rows = TableRows::new(spec);
        rows.text("delivery_month", Some("202611"))
            .text("source_file_id", Some("f1"))
            .int("source_line", Some(2))
            .text("service_month", Some("202610"))
            .text("provider_number", Some("1370100421"))
            .text("insurer_number", Some("131011"))
            .int("n_users", Some(10))
            .int("n_users_with_consent", Some(3))
            .int("n_record_views", Some(7));
        rows.end_row();
        let batch = rows.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), spec.schema());
    }

    #[test]
    fn sorted_rows_follow_service_month_then_line() {
        let spec = table("provider_activity").unwrap();
        let mut rows = TableRows::new(spec);
        for (line, month) in [(2, "202610"), (3, "202609"), (4, "202610"), (5, "202609")] {
            rows.text("delivery_month", Some("202611"))
                .text("source_file_id", Some("f1"))
                .int("source_line", Some(line))
                .text("service_month", Some(month))
                .text("provider_number", Some("1370100421"))
                .text("insurer_number", Some("131011"))
                .int("n_users", Some(1))
                .int("n_users_with_consent", Some(0))
                .int("n_record_views", Some(0));
            rows.end_row();
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
    #[should_panic(expected = "row ended after")]
    fn a_short_row_is_a_bug() {
        let mut rows = TableRows::new(table("provider_activity").unwrap());
        rows.text("delivery_month", Some("202611"));
        rows.end_row();
    }
}
