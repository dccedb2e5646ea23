//! `COPY (query) TO STDOUT` and `COPY table [(columns)] TO STDOUT`: reads, the way psql's
//! `\copy … to`, psycopg's `copy()`, the ADBC PostgreSQL driver and bulk CSV exports pull rows,
//! in the simple protocol or the extended one. The query is planned,
//! checked and run like any other (the caller does that); here its rows are encoded in COPY's
//! text, CSV or binary format with PostgreSQL's options. Every other COPY (FROM, to a file or a
//! program) is not a read and stays refused.

use std::sync::Arc;

use datafusion::{
    arrow::{array::RecordBatch, datatypes::Schema},
    physical_plan::SendableRecordBatchStream,
    sql::sqlparser::{
        ast::{CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement},
        dialect::PostgreSqlDialect,
        parser::Parser,
    },
};
use datafusion_postgres::{
    arrow_pg::{datatypes::arrow_schema_to_pg_fields, encoder::encode_value},
    pgwire::{
        api::{
            portal::Format,
            results::{CopyCsvOptions, CopyEncoder, CopyResponse, CopyTextOptions, FieldInfo},
        },
        error::{PgWireError, PgWireResult},
        messages::copy::CopyData,
    },
};
use futures::StreamExt;
use tokio::time::Instant;

use crate::hook::{refusal, timed_out};

/// The three formats of COPY.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CopyFormat {
    Text(CopyTextOptions),
    Csv(CopyCsvOptions),
    Binary,
}

/// A `COPY … TO STDOUT` taken apart: the query whose rows it sends, and how.
#[derive(Debug)]
pub(crate) struct CopyOut {
    /// The query (a `COPY table` becomes `SELECT columns FROM table`).
    pub(crate) query: Statement,
    format: CopyFormat,
    header: bool,
    /// Columns named by `FORCE_QUOTE`, resolved against the result at encoding.
    force_quote: Vec<String>,
}

/// Whether `statement` is a COPY that only reads: `TO STDOUT`.
pub(crate) fn is_copy_out(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Copy {
            to: true,
            target: CopyTarget::Stdout,
            ..
        }
    )
}

fn unsupported(what: impl std::fmt::Display) -> PgWireError {
    refusal("0A000", format!("COPY … TO STDOUT: {what} is not supported"))
}

impl CopyOut {
    /// Read a `COPY … TO STDOUT` (see [`is_copy_out`]) with its options, new or legacy syntax.
    pub(crate) fn parse(statement: &Statement) -> PgWireResult<Self> {
        let Statement::Copy {
            source,
            options,
            legacy_options,
            ..
        } = statement
        else {
            unreachable!("sorted as a COPY TO STDOUT")
        };
        let query = match source {
            CopySource::Query(query) => Statement::Query(query.clone()),
            CopySource::Table { table_name, columns } => {
                let columns = if columns.is_empty() {
                    "*".to_string()
                } else {
                    columns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                };
                Parser::parse_sql(&PostgreSqlDialect {}, &format!("select {columns} from {table_name}"))
                    .map_err(|error| refusal("42601", error.to_string()))?
                    .remove(0)
            }
        };
        let mut format = "text".to_string();
        let (mut delimiter, mut null, mut quote, mut escape) = (None, None, None, None);
        let (mut header, mut force_quote) = (false, Vec::new());
        for option in options {
            match option {
                CopyOption::Format(name) => format = name.value.to_lowercase(),
                CopyOption::Delimiter(character) => delimiter = Some(*character),
                CopyOption::Null(text) => null = Some(text.clone()),
                CopyOption::Header(on) => header = *on,
                CopyOption::Quote(character) => quote = Some(*character),
                CopyOption::Escape(character) => escape = Some(*character),
                CopyOption::ForceQuote(columns) => {
                    force_quote = columns.iter().map(|column| column.value.clone()).collect()
                }
                CopyOption::Encoding(name) if name.replace(['-', '_'], "").eq_ignore_ascii_case("utf8") => {}
                other => return Err(unsupported(other)),
            }
        }
        for option in legacy_options {
            match option {
                CopyLegacyOption::Binary => format = "binary".into(),
                CopyLegacyOption::Delimiter(character) => delimiter = Some(*character),
                CopyLegacyOption::Null(text) => null = Some(text.clone()),
                CopyLegacyOption::Csv(csv) => {
                    format = "csv".into();
                    for option in csv {
                        match option {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(character) => quote = Some(*character),
                            CopyLegacyCsvOption::Escape(character) => escape = Some(*character),
                            CopyLegacyCsvOption::ForceQuote(columns) => {
                                force_quote = columns.iter().map(|column| column.value.clone()).collect()
                            }
                            other => return Err(unsupported(other)),
                        }
                    }
                }
                other => return Err(unsupported(other)),
            }
        }
        let format = match format.as_str() {
            "text" if quote.is_none() && escape.is_none() && force_quote.is_empty() => {
                let defaults = CopyTextOptions::default();
                CopyFormat::Text(CopyTextOptions {
                    delimiter: delimiter.map_or(defaults.delimiter, |character| character.to_string().into()),
                    null_string: null.map_or(defaults.null_string, Into::into),
                })
            }
            "csv" => {
                let defaults = CopyCsvOptions::default();
                let quote = quote.map_or(defaults.quote, |character| character.to_string().into());
                CopyFormat::Csv(CopyCsvOptions {
                    delimiter: delimiter.map_or(defaults.delimiter, |character| character.to_string().into()),
                    escape: escape.map_or_else(|| quote.clone(), |character| character.to_string().into()),
                    quote,
                    null_string: null.map_or(defaults.null_string, Into::into),
                    force_quote: Vec::new(),
                })
            }
            "binary" if !header && delimiter.is_none() && null.is_none() && quote.is_none() => CopyFormat::Binary,
            "text" | "binary" => {
                return Err(refusal(
                    "42601",
                    format!("COPY … TO STDOUT: an option given does not apply to format {format}"),
                ));
            }
            other => return Err(refusal("42601", format!("COPY format \"{other}\" not recognized"))),
        };
        Ok(Self {
            query,
            format,
            header,
            force_quote,
        })
    }

    /// The COPY response: `rows` encoded one message per row, ending with a timeout error past
    /// `deadline`.
    pub(crate) fn respond(self, rows: SendableRecordBatchStream, deadline: Instant) -> PgWireResult<CopyResponse> {
        let schema = rows.schema();
        let wire_format = match self.format {
            CopyFormat::Binary => Format::UnifiedBinary,
            _ => Format::UnifiedText,
        };
        let fields = Arc::new(arrow_schema_to_pg_fields(&schema, &wire_format, None)?);
        let columns = fields.len();
        let (code, encoder, header) = match self.format {
            CopyFormat::Binary => (1, CopyEncoder::new_binary(fields.clone()), None),
            CopyFormat::Text(options) => {
                let header = self.header.then(|| header_line(&schema, &options.delimiter, None));
                (0, CopyEncoder::new_text(fields.clone(), options), header)
            }
            CopyFormat::Csv(mut options) => {
                for name in &self.force_quote {
                    let index = schema
                        .index_of(name)
                        .map_err(|_| refusal("42703", format!("FORCE_QUOTE column \"{name}\" is not in the result")))?;
                    options.force_quote.push(index);
                }
                let header = self
                    .header
                    .then(|| header_line(&schema, &options.delimiter, Some(&options.quote)));
                (0, CopyEncoder::new_csv(fields.clone(), options), header)
            }
        };
        let state = Encoding {
            rows,
            schema,
            fields,
            encoder,
            header,
            binary: code == 1,
            rows_sent: 0,
            deadline,
        };
        let messages = futures::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            match tokio::time::timeout_at(state.deadline, state.rows.next()).await {
                Err(_) => Some((vec![Err(timed_out())], None)),
                Ok(Some(Err(error))) => Some((vec![Err(PgWireError::ApiError(Box::new(error)))], None)),
                Ok(Some(Ok(batch))) => {
                    let messages = state.encode(&batch);
                    let failed = messages.iter().any(Result::is_err);
                    Some((messages, (!failed).then_some(state)))
                }
                Ok(None) => {
                    let last = state.finish();
                    Some((last.into_iter().map(Ok).collect(), None))
                }
            }
        })
        .flat_map(futures::stream::iter);
        Ok(CopyResponse::new(code, columns, messages))
    }
}

/// The state of one COPY's encoding.
struct Encoding {
    rows: SendableRecordBatchStream,
    schema: Arc<Schema>,
    fields: Arc<Vec<FieldInfo>>,
    encoder: CopyEncoder,
    /// The header line, sent with the first row (so the row count of `COPY n` stays right).
    header: Option<Vec<u8>>,
    binary: bool,
    rows_sent: u64,
    deadline: Instant,
}

impl Encoding {
    /// One message per row of `batch`; an error ends them.
    fn encode(&mut self, batch: &RecordBatch) -> Vec<PgWireResult<CopyData>> {
        let mut messages = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            for (column, array) in batch.columns().iter().enumerate() {
                if let Err(error) = encode_value(
                    &mut self.encoder,
                    array,
                    row,
                    self.schema.field(column),
                    &self.fields[column],
                ) {
                    messages.push(Err(error));
                    return messages;
                }
            }
            let row = self.encoder.take_copy();
            self.rows_sent += 1;
            messages.push(Ok(match self.header.take() {
                Some(mut header) => {
                    header.extend_from_slice(&row.data);
                    CopyData::new(header.into())
                }
                None => row,
            }));
        }
        messages
    }

    /// What a COPY without rows still sends: the header line, or the binary file header (the
    /// binary trailer is added by [`CopyResponse`]).
    fn finish(self) -> Option<CopyData> {
        if self.rows_sent > 0 {
            return None;
        }
        if self.binary {
            let mut header = b"PGCOPY\n\xFF\r\n\x00".to_vec();
            header.extend_from_slice(&[0; 8]);
            return Some(CopyData::new(header.into()));
        }
        self.header.map(|header| CopyData::new(header.into()))
    }
}

/// The column names as COPY's header line (CSV-quoted where a name needs it).
fn header_line(schema: &Schema, delimiter: &str, quote: Option<&str>) -> Vec<u8> {
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|field| {
            let name = field.name();
            match quote {
                Some(quote) if name.contains(delimiter) || name.contains(quote) || name.contains(['\n', '\r']) => {
                    format!("{quote}{}{quote}", name.replace(quote, &format!("{quote}{quote}")))
                }
                _ => name.clone(),
            }
        })
        .collect();
    let mut line = names.join(delimiter).into_bytes();
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> PgWireResult<CopyOut> {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        assert!(is_copy_out(&statement), "{sql}");
        CopyOut::parse(&statement)
    }

    #[test]
    fn options_of_both_syntaxes_are_read() {
        let copy = parse("copy (select 1 as a) to stdout").unwrap();
        assert_eq!(copy.format, CopyFormat::Text(CopyTextOptions::default()));
        assert!(!copy.header);
        let copy =
            parse("copy insurers (insurer_number, name) to stdout with (format csv, header, delimiter ';', null 'NA')")
                .unwrap();
        assert_eq!(copy.query.to_string(), "SELECT insurer_number, name FROM insurers");
        let CopyFormat::Csv(options) = &copy.format else {
            panic!("{:?}", copy.format)
        };
        assert_eq!((options.delimiter.as_str(), options.null_string.as_str()), (";", "NA"));
        assert_eq!((options.quote.as_str(), options.escape.as_str()), ("\"", "\""));
        assert!(copy.header);
        // psql's `\copy … to 'file' with csv header` sends the legacy syntax.
        let copy = parse("COPY ( select 1 as a ) TO STDOUT with csv header").unwrap();
        assert!(matches!(copy.format, CopyFormat::Csv(_)) && copy.header);
        let copy = parse("copy (select 1 as a) to stdout (format binary)").unwrap();
        assert_eq!(copy.format, CopyFormat::Binary);
    }

    #[test]
    fn options_that_do_not_fit_are_refused() {
        for sql in [
            "copy (select 1) to stdout (format xml)",
            "copy (select 1) to stdout (format binary, header)",
            "copy (select 1) to stdout (format text, quote '\"')",
            "copy (select 1) to stdout (freeze)",
            "copy (select 1) to stdout (encoding 'SJIS')",
        ] {
            assert!(parse(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn a_header_names_are_quoted_only_where_needed() {
        let schema = Schema::new(vec![
            datafusion::arrow::datatypes::Field::new("plain", datafusion::arrow::datatypes::DataType::Int32, true),
            datafusion::arrow::datatypes::Field::new("with,comma", datafusion::arrow::datatypes::DataType::Int32, true),
            datafusion::arrow::datatypes::Field::new("say \"x\"", datafusion::arrow::datatypes::DataType::Int32, true),
        ]);
        assert_eq!(
            String::from_utf8(header_line(&schema, ",", Some("\""))).unwrap(),
            "plain,\"with,comma\",\"say \"\"x\"\"\"\n"
        );
        assert_eq!(
            String::from_utf8(header_line(&schema, "\t", None)).unwrap(),
            "plain\twith,comma\tsay \"x\"\n"
        );
    }
}
