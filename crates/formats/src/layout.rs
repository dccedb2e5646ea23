//! The field machinery shared by every extract: a field list ([`FieldSpec`]) drives writing,
//! reading and the generated documentation, so the three cannot disagree.
//!
//! A record type is declared once with [`crate::layout!`]; it gets a struct, a `FIELDS` table and
//! [`Layout`] (write to a [`RowBuf`], read from decoded field texts). Field values implement
//! [`FieldValue`]: how a Rust value is written as text and parsed back, and what rule a bad text
//! breaks. A [`Shape`] adds the fixed-width checks (exactly N digits, at most N characters).

use chrono::NaiveDate;
use kaigo_codes::{
    calendar::{YearMonth, format_yyyymmdd, parse_yyyymmdd},
    care_level::{CareLevel, Sex},
};

use crate::{encoding::TextEncoding, sensitive::Sensitive};

/// The rule a field or row breaks. The name is stable: quarantine files and tests use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A required field is empty.
    Required,
    /// Not a non-negative decimal integer, or out of the type's range.
    Integer,
    /// Not the required number of ASCII digits.
    Digits,
    /// Longer than the layout allows.
    Length,
    /// Not a real `YYYYMMDD` date.
    Date,
    /// Not a real `YYYYMM` month.
    YearMonth,
    /// Not in the code list.
    Code,
    /// Not valid text in the file's encoding.
    Encoding,
    /// The row has the wrong number of fields.
    FieldCount,
    /// A character that cannot be written in the file's encoding.
    Unencodable,
    /// A control character (line break, tab, …) inside a field: no item of any layout has one,
    /// and a quoted line break usually means two records ran together.
    ControlCharacter,
}

impl Rule {
    /// Stable snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Integer => "integer",
            Self::Digits => "digits",
            Self::Length => "length",
            Self::Date => "date",
            Self::YearMonth => "year_month",
            Self::Code => "code",
            Self::Encoding => "encoding",
            Self::FieldCount => "field_count",
            Self::Unencodable => "unencodable",
            Self::ControlCharacter => "control_character",
        }
    }
}

/// Fixed-width constraint checked before the value is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// No constraint beyond the value type.
    Any,
    /// Exactly this many digits, ASCII or full-width (０–９): human-entered identifiers arrive in
    /// both widths and are normalized later, by pseudonymization, not rejected here.
    Digits(usize),
    /// At most this many characters, on one line.
    MaxChars(usize),
    /// Free text of at most this many characters, line breaks and tabs allowed (care-plan prose).
    Text(usize),
}

impl Shape {
    fn check(self, text: &str) -> Result<(), Rule> {
        if text.is_ascii() {
            self.check_ascii(text.as_bytes())
        } else {
            self.check_chars(text)
        }
    }

    fn check_chars(self, text: &str) -> Result<(), Rule> {
        // No item holds a control character, except line breaks and tabs in free text; a quoted
        // line break elsewhere usually means two records ran together.
        let allowed = |c: char| matches!(self, Self::Text(_)) && matches!(c, '\r' | '\n' | '\t');
        if text.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(Rule::ControlCharacter);
        }
        match self {
            Self::Any => Ok(()),
            Self::Digits(width) => {
                let digits = text
                    .chars()
                    .filter(|&c| c.is_ascii_digit() || ('０'..='９').contains(&c))
                    .count();
                if digits == width && text.chars().count() == width {
                    Ok(())
                } else {
                    Err(Rule::Digits)
                }
            }
            Self::MaxChars(limit) | Self::Text(limit) => {
                if text.chars().count() <= limit {
                    Ok(())
                } else {
                    Err(Rule::Length)
                }
            }
        }
    }

    /// [`Self::check`] of ASCII text, nearly every field: one byte per character, and the only
    /// control characters are C0 and DEL. Checked once per field of every record, so it skips
    /// the char decoding and counting.
    fn check_ascii(self, bytes: &[u8]) -> Result<(), Rule> {
        let text = matches!(self, Self::Text(_));
        let control = |byte: &u8| byte.is_ascii_control() && !(text && matches!(byte, b'\r' | b'\n' | b'\t'));
        if bytes.iter().any(control) {
            return Err(Rule::ControlCharacter);
        }
        match self {
            Self::Any => Ok(()),
            Self::Digits(width) if bytes.len() == width && bytes.iter().all(u8::is_ascii_digit) => Ok(()),
            Self::Digits(_) => Err(Rule::Digits),
            Self::MaxChars(limit) | Self::Text(limit) if bytes.len() <= limit => Ok(()),
            Self::MaxChars(_) | Self::Text(_) => Err(Rule::Length),
        }
    }

    /// Human-readable form for documentation.
    pub fn describe(self) -> String {
        match self {
            Self::Any => String::new(),
            Self::Digits(width) => format!("{width} digits"),
            Self::MaxChars(limit) => format!("≤ {limit} chars"),
            Self::Text(limit) => format!("≤ {limit} chars, line breaks allowed"),
        }
    }
}

/// One field of a layout.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// Rust field name (English, snake case); also the warehouse column stem.
    pub name: &'static str,
    /// Japanese item name as on the form.
    pub ja: &'static str,
    /// English item name.
    pub en: &'static str,
    /// Text format of the value type (e.g. `YYYYMMDD`).
    pub format: &'static str,
    /// Width constraint.
    pub shape: Shape,
    /// Whether an empty field is an error.
    pub required: bool,
}

/// A value that can be written as one field and parsed back.
pub trait FieldValue: Sized {
    /// Text format, for documentation.
    const FORMAT: &'static str;
    /// Whether the empty text is invalid. `Option<T>` overrides this.
    const REQUIRED: bool = true;
    /// Append the text form.
    fn write(&self, out: &mut String);
    /// Parse the text form (never empty unless `REQUIRED` is false).
    fn parse(text: &str) -> Result<Self, Rule>;
}

impl FieldValue for String {
    const FORMAT: &'static str = "text";
    fn write(&self, out: &mut String) {
        out.push_str(self);
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        Ok(text.to_string())
    }
}

macro_rules! integer_field {
    ($($ty:ty),*) => {$(
        impl FieldValue for $ty {
            const FORMAT: &'static str = "integer";
            fn write(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
            fn parse(text: &str) -> Result<Self, Rule> {
                if text.starts_with('+') {
                    return Err(Rule::Integer);
                }
                text.parse().map_err(|_| Rule::Integer)
            }
        }
    )*};
}
integer_field!(u8, u16, u32, u64, i32, i64);

impl FieldValue for bool {
    const FORMAT: &'static str = "1 = yes / 0 = no";
    fn write(&self, out: &mut String) {
        out.push(if *self { '1' } else { '0' });
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        match text {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(Rule::Code),
        }
    }
}

impl FieldValue for NaiveDate {
    const FORMAT: &'static str = "YYYYMMDD";
    fn write(&self, out: &mut String) {
        out.push_str(&format_yyyymmdd(*self));
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        parse_yyyymmdd(text).map_err(|_| Rule::Date)
    }
}

impl FieldValue for YearMonth {
    const FORMAT: &'static str = "YYYYMM";
    fn write(&self, out: &mut String) {
        out.push_str(&self.compact());
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        YearMonth::parse_compact(text).map_err(|_| Rule::YearMonth)
    }
}

impl FieldValue for CareLevel {
    const FORMAT: &'static str = "要介護状態区分コード (01, 12, 13, 21–25)";
    fn write(&self, out: &mut String) {
        out.push_str(self.code());
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        CareLevel::parse(text).map_err(|_| Rule::Code)
    }
}

impl FieldValue for Sex {
    const FORMAT: &'static str = "1 男 / 2 女";
    fn write(&self, out: &mut String) {
        out.push_str(self.code());
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        Sex::parse(text).map_err(|_| Rule::Code)
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    const FORMAT: &'static str = T::FORMAT;
    const REQUIRED: bool = false;
    fn write(&self, out: &mut String) {
        if let Some(value) = self {
            value.write(out);
        }
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        if text.is_empty() {
            Ok(None)
        } else {
            T::parse(text).map(Some)
        }
    }
}

impl<T: FieldValue> FieldValue for Sensitive<T> {
    const FORMAT: &'static str = T::FORMAT;
    const REQUIRED: bool = T::REQUIRED;
    fn write(&self, out: &mut String) {
        self.expose().write(out);
    }
    fn parse(text: &str) -> Result<Self, Rule> {
        T::parse(text).map(Sensitive::new)
    }
}

/// Parse one field: emptiness, shape, then the value type.
pub fn parse_field<T: FieldValue>(text: &str, required: bool, shape: Shape) -> Result<T, Rule> {
    if text.is_empty() {
        // An empty optional field is `None`; its shape applies only to a present value.
        return if required { Err(Rule::Required) } else { T::parse(text) };
    }
    shape.check(text)?;
    T::parse(text)
}

/// Whether a field's value type makes it required.
pub const fn required_for<T: FieldValue>() -> bool {
    T::REQUIRED
}

/// A field that failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// 0-based column in the record.
    pub column: usize,
    /// The field's name.
    pub field: &'static str,
    /// The rule it breaks.
    pub rule: Rule,
}

/// A record type with a fixed field list.
pub trait Layout: Sized {
    /// The fields, in file order.
    const FIELDS: &'static [FieldSpec];
    /// Append every field to `row`.
    fn write_fields(&self, row: &mut RowBuf);
    /// Parse from exactly `FIELDS.len()` decoded texts.
    fn read_fields(fields: &[&str]) -> Result<Self, FieldError>;
}

/// Declare a record layout: a struct plus its [`Layout`] implementation.
///
/// ```ignore
/// layout! {
///     /// A row.
///     pub struct Example {
///         /// Insurer number.
///         insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
///     }
/// }
/// ```
#[macro_export]
macro_rules! layout {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty = ($ja:literal, $en:literal, $shape:expr) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $crate::layout::Layout for $name {
            const FIELDS: &'static [$crate::layout::FieldSpec] = &[$(
                $crate::layout::FieldSpec {
                    name: stringify!($field),
                    ja: $ja,
                    en: $en,
                    format: <$ty as $crate::layout::FieldValue>::FORMAT,
                    shape: $shape,
                    required: $crate::layout::required_for::<$ty>(),
                }
            ),*];

            fn write_fields(&self, row: &mut $crate::layout::RowBuf) {
                $( row.push(&self.$field); )*
            }

            fn read_fields(fields: &[&str]) -> Result<Self, $crate::layout::FieldError> {
                let mut column = 0usize;
                $(
                    let spec = &Self::FIELDS[column];
                    let $field = $crate::layout::parse_field::<$ty>(fields[column], spec.required, spec.shape)
                        .map_err(|rule| $crate::layout::FieldError { column, field: spec.name, rule })?;
                    column += 1;
                )*
                let _ = column;
                Ok(Self { $( $field, )* })
            }
        }
    };
}

/// How fields are quoted when a row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Only fields containing a comma, quote or line break (RFC 4180).
    Minimal,
    /// Every field (claims data records).
    All,
}

/// One row being written: field texts in one buffer, so writing a record allocates nothing.
#[derive(Debug, Default)]
pub struct RowBuf {
    text: String,
    ends: Vec<usize>,
}

impl RowBuf {
    /// An empty row.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget all fields.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Append a field.
    pub fn push<V: FieldValue>(&mut self, value: &V) {
        value.write(&mut self.text);
        self.ends.push(self.text.len());
    }

    /// Append a field given as text.
    pub fn push_str(&mut self, text: &str) {
        self.text.push_str(text);
        self.ends.push(self.text.len());
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The text of field `index`.
    pub fn field(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    /// Replace the text of field `index` (used by the generator to inject invalid values).
    pub fn replace(&mut self, index: usize, text: &str) {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        let end = self.ends[index];
        self.text.replace_range(start..end, text);
        let shift = text.len() as isize - (end - start) as isize;
        for later in &mut self.ends[index..] {
            *later = (*later as isize + shift) as usize;
        }
    }

    /// Remove the last field (used to inject rows with a missing column).
    pub fn pop(&mut self) {
        self.ends.pop();
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    /// Append the row, encoded and terminated by CRLF, to `out`. On an unencodable character
    /// nothing is appended and the field index is returned.
    pub fn encode_line(&self, encoding: TextEncoding, quoting: Quoting, out: &mut Vec<u8>) -> Result<(), usize> {
        let rollback = out.len();
        for index in 0..self.len() {
            if index > 0 {
                out.push(b',');
            }
            let text = self.field(index);
            let needs_quotes =
                quoting == Quoting::All || text.bytes().any(|byte| matches!(byte, b',' | b'"' | b'\r' | b'\n'));
            let encoded = if needs_quotes {
                out.push(b'"');
                let ok = if text.contains('"') {
                    encoding.encode_into(&text.replace('"', "\"\""), out)
                } else {
                    encoding.encode_into(text, out)
                };
                out.push(b'"');
                ok
            } else {
                encoding.encode_into(text, out)
            };
            if !encoded {
                out.truncate(rollback);
                return Err(index);
            }
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::layout! {
        /// A test layout.
        pub struct Sample {
            /// Code.
            code: String = ("コード", "code", Shape::Digits(3)),
            /// Count.
            count: u32 = ("件数", "count", Shape::Any),
            /// Date.
            on: Option<NaiveDate> = ("日付", "date", Shape::Any),
            /// Name.
            name: Sensitive<String> = ("氏名", "name", Shape::MaxChars(4)),
        }
    }

    #[test]
    fn the_ascii_check_is_the_char_check() {
        let shapes = [Shape::Any, Shape::Digits(3), Shape::MaxChars(3), Shape::Text(3)];
        let texts = [
            "", "1", "12", "123", "1234", "12a", "a1b", "-12", "1 2", "abc", "abcd", "a\nb", "a\r\n", "\t12",
            "12\u{7f}", "\u{0}", "1\u{1b}3",
        ];
        for shape in shapes {
            for text in texts {
                assert_eq!(
                    shape.check_ascii(text.as_bytes()),
                    shape.check_chars(text),
                    "{shape:?} {text:?}"
                );
            }
        }
    }

    #[test]
    fn layout_writes_and_reads_back() {
        let sample = Sample {
            code: "012".into(),
            count: 7,
            on: NaiveDate::from_ymd_opt(2026, 11, 26),
            name: Sensitive::new("ヤマ,ダ".into()),
        };
        let mut row = RowBuf::new();
        sample.write_fields(&mut row);
        assert_eq!(row.len(), Sample::FIELDS.len());
        let texts: Vec<&str> = (0..row.len()).map(|index| row.field(index)).collect();
        assert_eq!(Sample::read_fields(&texts).unwrap(), sample);
        let mut out = Vec::new();
        row.encode_line(TextEncoding::Utf8, Quoting::Minimal, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "012,7,20261126,\"ヤマ,ダ\"\r\n");
    }

    #[test]
    fn bad_fields_name_column_and_rule() {
        let cases = [
            (["12", "7", "", ""], 0, Rule::Digits),
            (["", "7", "", ""], 0, Rule::Required),
            (["012", "", "", ""], 1, Rule::Required),
            (["012", "-1", "", ""], 1, Rule::Integer),
            (["012", "+1", "", ""], 1, Rule::Integer),
            (["012", "1", "20250230", ""], 2, Rule::Date),
            (["012", "1", "", "ヤマダタロウ"], 3, Rule::Length),
        ];
        for (fields, column, rule) in cases {
            let error = Sample::read_fields(&fields).unwrap_err();
            assert_eq!((error.column, error.rule), (column, rule), "{fields:?}");
        }
    }

    #[test]
    fn replace_and_pop_keep_offsets() {
        let mut row = RowBuf::new();
        for text in ["a", "bb", "ccc"] {
            row.push_str(text);
        }
        row.replace(1, "XXXX");
        assert_eq!((row.field(0), row.field(1), row.field(2)), ("a", "XXXX", "ccc"));
        row.pop();
        assert_eq!(row.len(), 2);
        let mut out = Vec::new();
        row.encode_line(TextEncoding::Ms932, Quoting::All, &mut out).unwrap();
        assert_eq!(out, b"\"a\",\"XXXX\"\r\n");
        row.push_str("😀");
        assert_eq!(
            row.encode_line(TextEncoding::Ms932, Quoting::All, &mut Vec::new()),
            Err(2)
        );
    }
}
