//! Flat CSV extracts: a header row of Japanese item names, then one record per line, CRLF.
//! Used by every extract except the claims interchange file (which has control and end records).

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader, Read, Write},
    marker::PhantomData,
    sync::{Arc, Mutex},
};

use crate::{
    encoding::TextEncoding,
    error::{FormatError, Result, RowError},
    layout::{Layout, Quoting, RowBuf, Rule},
};

/// A flat extract type: its layout, name and encoding.
pub trait FlatExtract: Layout {
    /// Short name, also the default file stem (e.g. `certification`).
    const NAME: &'static str;
    /// Encoding of the file.
    const ENCODING: TextEncoding;
    /// Whether the file starts with a header row of Japanese item names.
    const HEADER: bool = true;
    /// Japanese title of the extract.
    const TITLE_JA: &'static str;
    /// English title.
    const TITLE_EN: &'static str;
}

/// Writes one flat extract file.
pub struct FlatWriter<W: Write, E: FlatExtract> {
    out: W,
    row: RowBuf,
    bytes: Vec<u8>,
    next_line: u64,
    _extract: PhantomData<E>,
}

impl<W: Write, E: FlatExtract> FlatWriter<W, E> {
    /// Start a file: writes the header.
    pub fn new(out: W) -> Result<Self> {
        let mut writer = Self {
            out,
            row: RowBuf::new(),
            bytes: Vec::new(),
            next_line: 1,
            _extract: PhantomData,
        };
        if E::HEADER {
            for field in E::FIELDS {
                writer.row.push_str(field.ja);
            }
            writer.flush_row()?;
        }
        Ok(writer)
    }

    /// Write a record; returns its line number.
    pub fn write(&mut self, record: &E) -> Result<u64> {
        self.write_with(record, |_| {})
    }

    /// Write a record after editing its field texts (the generator's way to inject invalid
    /// values); returns its line number.
    pub fn write_with(&mut self, record: &E, edit: impl FnOnce(&mut RowBuf)) -> Result<u64> {
        record.write_fields(&mut self.row);
        edit(&mut self.row);
        self.flush_row()
    }

    fn flush_row(&mut self) -> Result<u64> {
        self.bytes.clear();
        let encoded = self.row.encode_line(E::ENCODING, Quoting::Minimal, &mut self.bytes);
        if let Err(index) = encoded {
            self.row.clear();
            return Err(FormatError::Unencodable {
                layout: E::NAME,
                field: E::FIELDS.get(index).map_or("(extra)", |field| field.name),
                encoding: E::ENCODING.name(),
            });
        }
        self.row.clear();
        self.out.write_all(&self.bytes)?;
        let line = self.next_line;
        self.next_line += self.bytes.iter().filter(|&&byte| byte == b'\n').count() as u64;
        Ok(line)
    }

    /// Finish and return the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads one flat extract file: the header is checked on open, then each record is either
/// parsed or reported as a [`RowError`].
pub struct FlatReader<R: Read, E: FlatExtract> {
    csv: csv::Reader<LineTracked<BufReader<R>>>,
    record: csv::ByteRecord,
    lines: LineCounter,
    _extract: PhantomData<E>,
}

/// Start lines of records, counted from the bytes. `csv`'s own line positions depend on the line
/// terminator (rust-csv #395: after a CRLF record it is one line behind, after LF it is right)
/// and slip after blank lines (#208), so the reader under `csv` ([`LineTracked`]) notes the
/// offset of every line feed, and a record's first line is derived from where the parser stands
/// after it: 1 + line feeds before the record's last byte − line feeds inside its fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineCounter {
    feeds: Arc<Mutex<LineFeeds>>,
}

#[derive(Debug, Default)]
struct LineFeeds {
    /// Offsets of line feeds read but not yet behind the parser.
    pending: VecDeque<u64>,
    /// Line feeds behind the parser.
    passed: u64,
    /// Bytes read so far.
    read: u64,
}

/// A reader that records where its line feeds are, for [`LineCounter`].
pub(crate) struct LineTracked<R> {
    inner: R,
    feeds: Arc<Mutex<LineFeeds>>,
}

impl<R: Read> Read for LineTracked<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let mut feeds = self.feeds.lock().expect("not poisoned");
        let start = feeds.read;
        for offset in memchr::memchr_iter(b'\n', &buffer[..count]) {
            feeds.pending.push_back(start + offset as u64);
        }
        feeds.read += count as u64;
        Ok(count)
    }
}

impl LineCounter {
    /// Wrap `input` so its line feeds are counted.
    pub(crate) fn track<R: Read>(input: R) -> (LineTracked<R>, Self) {
        let counter = Self::default();
        let reader = LineTracked {
            inner: input,
            feeds: counter.feeds.clone(),
        };
        (reader, counter)
    }

    /// Line feeds before byte `end` (exclusive), advancing the count (offsets only grow).
    fn feeds_before(&self, end: u64) -> u64 {
        let mut feeds = self.feeds.lock().expect("not poisoned");
        while feeds.pending.front().is_some_and(|offset| *offset < end) {
            feeds.pending.pop_front();
            feeds.passed += 1;
        }
        feeds.passed
    }

    /// Call right after `csv` read `record`: the line where the record starts.
    pub(crate) fn record_line<R: Read>(&self, csv: &csv::Reader<R>, record: &csv::ByteRecord) -> u64 {
        // The parser stands just after the record's LF terminator, or after the CR of its CRLF,
        // or at the end of input; so `end` is the terminator's first byte or past the input,
        // and no line feed before it belongs to the terminator.
        let end = csv.position().byte().saturating_sub(1);
        let inside = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
        1 + self.feeds_before(end) - inside
    }

    /// The line the parser stands on (for errors between records).
    pub(crate) fn current<R: Read>(&self, csv: &csv::Reader<R>) -> u64 {
        1 + self.feeds_before(csv.position().byte())
    }
}

/// Reject an empty input or one with a UTF-8 byte-order mark, without consuming anything.
pub(crate) fn check_start<R: Read>(
    input: &mut BufReader<R>,
    layout: &'static str,
    encoding: TextEncoding,
) -> Result<()> {
    let start = input.fill_buf()?;
    if start.is_empty() {
        return Err(FormatError::Empty { layout });
    }
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(FormatError::ByteOrderMark {
            layout,
            encoding: encoding.name(),
        });
    }
    Ok(())
}

impl<R: Read, E: FlatExtract> FlatReader<R, E> {
    /// Open: rejects an empty file, a byte-order mark and a wrong header.
    pub fn open(input: R) -> Result<Self> {
        let mut input = BufReader::with_capacity(1 << 16, input);
        check_start(&mut input, E::NAME, E::ENCODING)?;
        let (input, lines) = LineCounter::track(input);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        if !E::HEADER {
            return Ok(Self {
                csv,
                record: csv::ByteRecord::new(),
                lines,
                _extract: PhantomData,
            });
        }
        let mut header = csv::ByteRecord::new();
        let header_error = |column: usize| FormatError::Header {
            layout: E::NAME,
            column,
            expected: E::FIELDS.get(column).map_or("(end of header)", |field| field.ja),
            encoding: E::ENCODING.name(),
        };
        if !csv.read_byte_record(&mut header).map_err(|_| FormatError::Syntax {
            layout: E::NAME,
            line: 1,
        })? {
            return Err(FormatError::Empty { layout: E::NAME });
        }
        lines.record_line(&csv, &header);
        for (column, field) in E::FIELDS.iter().enumerate() {
            let found = header.get(column).and_then(|bytes| E::ENCODING.decode(bytes));
            if found.as_deref() != Some(field.ja) {
                return Err(header_error(column));
            }
        }
        if header.len() != E::FIELDS.len() {
            return Err(header_error(E::FIELDS.len()));
        }
        Ok(Self {
            csv,
            record: csv::ByteRecord::new(),
            lines,
            _extract: PhantomData,
        })
    }

    /// The next record: `Ok(None)` at the end, `Err` for a file-level failure (I/O, CSV syntax),
    /// and `Ok(Some((line, Err(row_error))))` for a row that breaks a rule.
    pub fn next_record(&mut self) -> Result<Option<(u64, std::result::Result<E, RowError>)>> {
        let line = self.lines.current(&self.csv);
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.lines.record_line(&self.csv, &self.record);
                Ok(Some((line, decode_record::<E>(&self.record, E::ENCODING, line, 0))))
            }
            Err(error) => match error.kind() {
                csv::ErrorKind::Io(_) => Err(FormatError::Io(error.into_kind_io())),
                _ => Err(FormatError::Syntax { layout: E::NAME, line }),
            },
        }
    }

    /// Read every record; rows that break a rule are returned as errors in place.
    pub fn read_all(mut self) -> Result<Vec<(u64, std::result::Result<E, RowError>)>> {
        let mut records = Vec::new();
        while let Some(record) = self.next_record()? {
            records.push(record);
        }
        Ok(records)
    }
}

trait IntoIo {
    fn into_kind_io(self) -> std::io::Error;
}

impl IntoIo for csv::Error {
    fn into_kind_io(self) -> std::io::Error {
        match self.into_kind() {
            csv::ErrorKind::Io(error) => error,
            _ => std::io::Error::other("CSV error"),
        }
    }
}

/// Decode fields `skip..` of a byte record and parse them as layout `L`.
pub(crate) fn decode_record<L: Layout>(
    record: &csv::ByteRecord,
    encoding: TextEncoding,
    line: u64,
    skip: usize,
) -> std::result::Result<L, RowError> {
    let fields = record.len().saturating_sub(skip);
    if fields != L::FIELDS.len() {
        return Err(RowError {
            line,
            field: None,
            rule: Rule::FieldCount,
        });
    }
    let mut texts: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(fields);
    for (column, bytes) in record.iter().skip(skip).enumerate() {
        match encoding.decode(bytes) {
            Some(text) => texts.push(text),
            None => {
                return Err(RowError {
                    line,
                    field: Some((column + skip, L::FIELDS[column].name)),
                    rule: Rule::Encoding,
                });
            }
        }
    }
    let borrowed: Vec<&str> = texts.iter().map(|text| text.as_ref()).collect();
    L::read_fields(&borrowed).map_err(|error| RowError {
        line,
        field: Some((error.column + skip, error.field)),
        rule: error.rule,
    })
}
