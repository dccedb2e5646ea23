//! Errors of the formats crate. Messages name the layout, line, column and rule — never a value
//! from the record.

use crate::layout::Rule;

/// Result alias.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;

/// A whole file cannot be read as its layout: the file is rejected, not quarantined row by row.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no bytes at all.
    #[error("{layout}: the file is empty (expected at least a header or control record)")]
    Empty {
        /// Layout name.
        layout: &'static str,
    },
    /// The file starts with a byte-order mark, which the layout does not allow.
    #[error("{layout}: the file starts with a byte-order mark; the layout is {encoding} without BOM")]
    ByteOrderMark {
        /// Layout name.
        layout: &'static str,
        /// Expected encoding.
        encoding: &'static str,
    },
    /// The header row is not the layout's column names.
    #[error(
        "{layout}: line 1 is not the expected header (column {column}: expected 「{expected}」); check the extract type and its encoding ({encoding})"
    )]
    Header {
        /// Layout name.
        layout: &'static str,
        /// 0-based column of the first mismatch.
        column: usize,
        /// The expected Japanese column name (from the layout, not the data).
        expected: &'static str,
        /// Expected encoding.
        encoding: &'static str,
    },
    /// The claims file does not start with a control record.
    #[error("{layout}: line {line}: expected a control record (レコード種別 1)")]
    MissingControlRecord {
        /// Layout name.
        layout: &'static str,
        /// Line.
        line: u64,
    },
    /// The claims file does not end with an end record.
    #[error("{layout}: the file does not end with an end record (レコード種別 3); it may be truncated")]
    MissingEndRecord {
        /// Layout name.
        layout: &'static str,
    },
    /// Something follows the end record.
    #[error("{layout}: line {line}: data after the end record")]
    DataAfterEnd {
        /// Layout name.
        layout: &'static str,
        /// Line.
        line: u64,
    },
    /// The control record's record count disagrees with the file.
    #[error("{layout}: control record declares {declared} records but the file has {found}")]
    RecordCount {
        /// Layout name.
        layout: &'static str,
        /// Declared count.
        declared: u64,
        /// Found count.
        found: u64,
    },
    /// A record number (レコード番号) is out of sequence.
    #[error("{layout}: line {line}: record number out of sequence (expected {expected})")]
    RecordNumber {
        /// Layout name.
        layout: &'static str,
        /// Line.
        line: u64,
        /// Expected number.
        expected: u64,
    },
    /// The control record itself is malformed.
    #[error("{layout}: line {line}: control record field {field} breaks rule {}", rule.name())]
    ControlRecord {
        /// Layout name.
        layout: &'static str,
        /// Line.
        line: u64,
        /// Field name.
        field: &'static str,
        /// Rule.
        rule: Rule,
    },
    /// The CSV syntax itself is broken.
    #[error("{layout}: line {line}: CSV syntax error")]
    Syntax {
        /// Layout name.
        layout: &'static str,
        /// Line.
        line: u64,
    },
    /// A value cannot be written in the file's encoding (writer side).
    #[error("{layout}: field {field} has a character that {encoding} cannot represent")]
    Unencodable {
        /// Layout name.
        layout: &'static str,
        /// Field name.
        field: &'static str,
        /// Encoding.
        encoding: &'static str,
    },
}

/// One row breaks a rule: the row is quarantined, the file goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: rule {}", field.map(|(column, name)| format!(", column {} ({name})", column + 1)).unwrap_or_default(), rule.name())]
pub struct RowError {
    /// 1-based line where the record starts.
    pub line: u64,
    /// 0-based column and field name, when one field is to blame.
    pub field: Option<(usize, &'static str)>,
    /// The rule broken.
    pub rule: Rule,
}
