//! Building a table's rows column by column, in schema order, without a per-value lookup.

use std::{mem::replace, sync::Arc};

use arrow::{
    array::{
        ArrayRef, BooleanBuilder, Date32Builder, FixedSizeBinaryBuilder, Int32Builder, Int64Builder, StringBuilder,
    },
    compute::{SortColumn, lexsort_to_indices, take_record_batch},
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

/// Rows of `spec` sorted by its [`TableSpec::sort_columns`] (stable, so ties keep their order).
pub fn sorted(spec: &TableSpec, batch: &RecordBatch) -> Result<RecordBatch> {
    let arrow_error = |source| WarehouseError::Arrow {
        table: spec.name.to_string(),
        source,
    };
    let columns: Vec<SortColumn> = spec
        .sort_columns()
        .into_iter()
        .map(|index| SortColumn {
            values: batch.column(index).clone(),
            options: None,
        })
        .collect();
    if columns.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let indices = lexsort_to_indices(&columns, None).map_err(arrow_error)?;
    take_record_batch(batch, &indices).map_err(arrow_error)
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
    #[should_panic(expected = "row ended after")]
    fn a_short_row_is_a_bug() {
        let mut rows = TableRows::new(table("provider_activity").unwrap());
        rows.text("delivery_month", Some("202611"));
        rows.end_row();
    }
}
