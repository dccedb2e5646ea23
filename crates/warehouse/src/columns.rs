//! A table declared once: a row struct whose fields are its columns, in order.
//!
//! [`table!`](crate::table!) turns one declaration into the row struct, the table's
//! [`TableSpec`](crate::TableSpec) (Arrow schema, data dictionary) and the code that appends a
//! row to its Arrow builders. A column's type and nullability follow from its field's Rust type
//! ([`Value`]) and its position from the field's, so whoever fills a row names every column and
//! cannot put a value in another column's place: a missing field does not compile, a value of the
//! wrong type does not compile, and the order is the declaration's by construction. Groups of
//! columns several tables share are declared once with [`columns!`](crate::columns!) and used as
//! one field.

use arrow::array::{BooleanBuilder, Date32Builder, FixedSizeBinaryBuilder, Int32Builder, Int64Builder, StringBuilder};
use chrono::{Datelike, NaiveDate};

use crate::{Column, ColumnType, TableSpec};

/// A group of columns: declared in order, written in the same order.
pub trait Columns {
    /// Append the group's column declarations.
    fn declare(columns: &mut Vec<Column>);
    /// Append the group's values to the row being written.
    fn write(self, row: &mut RowWriter<'_>);
}

/// A table's row: its columns and the table they make up.
pub trait Table: Columns {
    /// The table's declaration (one per row type, made once).
    fn spec() -> &'static TableSpec;
}

/// A value of one column: the column's type and nullability follow from the Rust type.
pub trait Value {
    /// The column's type.
    const KIND: ColumnType;
    /// Whether the column may be null.
    const NULLABLE: bool;
    /// Append the value to the column's builder.
    fn append(self, builder: &mut ColumnBuilder);
}

/// The Arrow builder of one column.
pub struct ColumnBuilder(pub(crate) Builder);

pub(crate) enum Builder {
    Text(StringBuilder),
    Int64(Int64Builder),
    Int32(Int32Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Token(FixedSizeBinaryBuilder),
}

impl ColumnBuilder {
    /// An empty builder for a column of `kind`.
    pub(crate) fn new(kind: ColumnType) -> Self {
        Self(match kind {
            ColumnType::Text => Builder::Text(StringBuilder::new()),
            ColumnType::Int64 => Builder::Int64(Int64Builder::new()),
            ColumnType::Int32 => Builder::Int32(Int32Builder::new()),
            ColumnType::Date => Builder::Date(Date32Builder::new()),
            ColumnType::Bool => Builder::Bool(BooleanBuilder::new()),
            ColumnType::Token => Builder::Token(FixedSizeBinaryBuilder::new(32)),
            ColumnType::MaskedTokens => Builder::Token(FixedSizeBinaryBuilder::new(80)),
        })
    }
}

/// The builders of one row being written, taken in column order.
pub struct RowWriter<'b> {
    builders: std::slice::IterMut<'b, ColumnBuilder>,
}

impl<'b> RowWriter<'b> {
    pub(crate) fn new(builders: &'b mut [ColumnBuilder]) -> Self {
        Self {
            builders: builders.iter_mut(),
        }
    }

    /// Append the next column's value.
    pub fn value<V: Value>(&mut self, value: V) {
        value.append(
            self.builders
                .next()
                .expect("a row writes one value per declared column"),
        );
    }

    /// Whether every column got its value.
    pub(crate) fn is_complete(&mut self) -> bool {
        self.builders.next().is_none()
    }
}

/// Days from 1970-01-01 to 0001-01-01 counted as chrono's day 1.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// `Value` for a type and its `Option`, appended through one builder variant.
macro_rules! value {
    ($ty:ty, $kind:ident, $variant:ident, |$builder:ident, $value:ident| $append:expr) => {
        impl Value for $ty {
            const KIND: ColumnType = ColumnType::$kind;
            const NULLABLE: bool = false;
            fn append(self, builder: &mut ColumnBuilder) {
                let Builder::$variant($builder) = &mut builder.0 else {
                    unreachable!("builders are made from the declared column types")
                };
                let $value = self;
                $append
            }
        }

        impl Value for Option<$ty> {
            const KIND: ColumnType = ColumnType::$kind;
            const NULLABLE: bool = true;
            fn append(self, builder: &mut ColumnBuilder) {
                match self {
                    Some(value) => value.append(builder),
                    None => match &mut builder.0 {
                        Builder::Text(builder) => builder.append_null(),
                        Builder::Int64(builder) => builder.append_null(),
                        Builder::Int32(builder) => builder.append_null(),
                        Builder::Date(builder) => builder.append_null(),
                        Builder::Bool(builder) => builder.append_null(),
                        Builder::Token(builder) => builder.append_null(),
                    },
                }
            }
        }
    };
}

value!(&str, Text, Text, |builder, value| builder.append_value(value));
value!(i64, Int64, Int64, |builder, value| builder.append_value(value));
value!(i32, Int32, Int32, |builder, value| builder.append_value(value));
value!(bool, Bool, Bool, |builder, value| builder.append_value(value));
value!(NaiveDate, Date, Date, |builder, value| builder
    .append_value(value.num_days_from_ce() - UNIX_EPOCH_FROM_CE));
value!(&[u8; 32], Token, Token, |builder, value| builder
    .append_value(value)
    .expect("a token column is 32 bytes wide"));
value!(&[u8; 80], MaskedTokens, Token, |builder, value| builder
    .append_value(value)
    .expect("a masked-tokens column is 80 bytes wide"));

impl Column {
    /// A column holding values of `V`.
    pub fn of<V: Value>(name: &str, ja: &str, en: &str) -> Self {
        Column {
            name: name.into(),
            kind: V::KIND,
            nullable: V::NULLABLE,
            ja: ja.into(),
            en: en.into(),
        }
    }
}

/// Declare a group of columns as a struct: each field is a column (`name: Type = ("ja", "en")`)
/// or a group of its own (`name: Group<'a>`, documented with `///`).
#[macro_export]
macro_rules! columns {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty $(= ($ja:literal, $en:literal))? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            $( $(#[$field_meta])* $(#[doc = $en])? pub $field: $ty, )*
        }

        impl<'a> $crate::columns::Columns for $name<'a> {
            fn declare(columns: &mut Vec<$crate::Column>) {
                $( $crate::columns!(@declare columns, $field, $ty $(, $ja, $en)?); )*
            }

            fn write(self, row: &mut $crate::columns::RowWriter<'_>) {
                $( $crate::columns!(@write row, self.$field, $ty $(, $ja)?); )*
            }
        }
    };
    (@declare $columns:ident, $field:ident, $ty:ty, $ja:literal, $en:literal) => {
        $columns.push($crate::Column::of::<$ty>(stringify!($field), $ja, $en))
    };
    (@declare $columns:ident, $field:ident, $ty:ty) => {
        <$ty as $crate::columns::Columns>::declare($columns)
    };
    (@write $row:ident, $value:expr, $ty:ty, $ja:literal) => {
        $row.value::<$ty>($value)
    };
    (@write $row:ident, $value:expr, $ty:ty) => {
        <$ty as $crate::columns::Columns>::write($value, $row)
    };
}

/// Declare a table: its name, zone, grain, key and description, then its columns as
/// [`columns!`](crate::columns!) does. `lineage: true` puts the [`Lineage`](crate::tables::Lineage)
/// columns first (tables a delivery load writes).
#[macro_export]
macro_rules! table {
    (
        pub struct $name:ident<'a> = $table:literal {
            zone: $zone:ident,
            grain: $grain:literal,
            key: $key:expr,
            lineage: $lineage:literal,
            description: $description:literal $(,)?
        }
        { $($fields:tt)* }
    ) => {
        $crate::columns! {
            #[doc = $description]
            pub struct $name<'a> { $($fields)* }
        }

        impl<'a> $crate::columns::Table for $name<'a> {
            fn spec() -> &'static $crate::TableSpec {
                static SPEC: std::sync::LazyLock<$crate::TableSpec> = std::sync::LazyLock::new(|| {
                    let mut columns = Vec::new();
                    if $lineage {
                        <$crate::tables::Lineage<'static> as $crate::columns::Columns>::declare(&mut columns);
                    }
                    <$name<'static> as $crate::columns::Columns>::declare(&mut columns);
                    $crate::TableSpec::new(
                        $table,
                        $crate::Zone::$zone,
                        $grain,
                        $key,
                        $description,
                        $lineage,
                        columns,
                    )
                });
                &SPEC
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_1970() {
        let day = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap();
        let days = |date: NaiveDate| date.num_days_from_ce() - UNIX_EPOCH_FROM_CE;
        assert_eq!(days(day(1970, 1, 1)), 0);
        assert_eq!(days(day(2000, 3, 1)), 11_017);
        assert_eq!(days(day(2026, 11, 26)), 20_783);
        assert_eq!(days(day(1930, 1, 1)), -14_610);
    }
}
