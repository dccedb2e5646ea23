//! What a table is made of: zone, grain, key and typed columns. The tables themselves are
//! declared in [`crate::tables`].

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Where a table lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Zone {
    /// Analysts: pseudonymous keys only.
    Warehouse,
    /// Restricted: tokens and quarantine.
    Vault,
}

impl Zone {
    /// Folder name under the root.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Warehouse => "warehouse",
            Self::Vault => "vault",
        }
    }
}

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 64-bit integer.
    Int64,
    /// 32-bit integer.
    Int32,
    /// Calendar date.
    Date,
    /// Boolean.
    Bool,
    /// A 256-bit keyed token (vault only).
    Token,
    /// Ten 64-bit keyed tokens side by side (vault only): the insured number with each of its
    /// ten digits masked in turn, so two numbers one mistyped digit apart share one token.
    MaskedTokens,
}

impl ColumnType {
    /// Arrow type.
    pub fn arrow(self) -> DataType {
        match self {
            Self::Text => DataType::Utf8,
            Self::Int64 => DataType::Int64,
            Self::Int32 => DataType::Int32,
            Self::Date => DataType::Date32,
            Self::Bool => DataType::Boolean,
            Self::Token => DataType::FixedSizeBinary(32),
            Self::MaskedTokens => DataType::FixedSizeBinary(80),
        }
    }
}

/// One column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Column {
    /// Name (snake case; `_key`, `_code`, `_on`, `is_`, `n_` and unit suffixes by convention).
    pub name: String,
    /// Type.
    pub kind: ColumnType,
    /// Whether it may be null.
    pub nullable: bool,
    /// Japanese description.
    pub ja: String,
    /// English description.
    pub en: String,
}

/// One table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableSpec {
    /// Name.
    pub name: &'static str,
    /// Zone.
    pub zone: Zone,
    /// What one row is.
    pub grain: &'static str,
    /// Columns that identify a row (unique together within the table).
    pub key: &'static [&'static str],
    /// Description.
    pub description: &'static str,
    /// Written by delivery loads, with the lineage columns first (else rewritten whole).
    pub is_loaded: bool,
    /// Columns, the lineage columns first.
    pub columns: Vec<Column>,
    #[serde(skip)]
    schema: SchemaRef,
}

impl TableSpec {
    /// A table of exactly `columns` (made by [`table!`](crate::table!)).
    pub fn new(
        name: &'static str,
        zone: Zone,
        grain: &'static str,
        key: &'static [&'static str],
        description: &'static str,
        is_loaded: bool,
        columns: Vec<Column>,
    ) -> Self {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|column| Field::new(&column.name, column.kind.arrow(), column.nullable))
                .collect::<Vec<_>>(),
        ));
        TableSpec {
            name,
            zone,
            grain,
            key,
            description,
            is_loaded,
            columns,
            schema,
        }
    }

    /// Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Columns rows are sorted by within one insurer's part of a delivery: those of
    /// `service_month`, `identity_key`, `source_file_id`, `source_line` the table has. With the
    /// insurers written one after another, Parquet min/max statistics prune on service month,
    /// insurer and person, and the order is deterministic. Vault tables keep their input order
    /// (deterministic too): linkage reads them whole, and permuting their token columns cost
    /// more than any other sort of a load.
    pub fn sort_columns(&self) -> Vec<usize> {
        if self.zone == Zone::Vault {
            return Vec::new();
        }
        ["service_month", "identity_key", "source_file_id", "source_line"]
            .iter()
            .filter_map(|name| self.column_index(name))
            .collect()
    }

    /// Index of a column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}

/// Partition column of every loaded table.
pub const DELIVERY_MONTH: &str = "delivery_month";
