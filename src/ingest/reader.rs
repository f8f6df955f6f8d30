//! Records out of a sniffed input, in chunks, each with the physical line it
//! starts on.
//!
//! The csv crate does the RFC 4180 work (quotes, doubled quotes, line breaks
//! inside quoted fields); [`LineIndex`] turns its byte positions into
//! physical lines. Entra's `version:` line is consumed before the csv reader
//! sees the stream. Records are read into a reused chunk so
//! the hot loop allocates nothing once the chunk is warm.

use std::io::{BufRead, BufReader, Read};

use csv::StringRecord;
use indicatif::ProgressBar;

use super::dialect::{self, Dialect};
use super::encoding::{self, Sniff, TextEncoding};
use super::header::{HeaderMap, HeaderProblem};
use super::lines::LineIndex;
use super::source::Source;
use crate::columns;
use crate::error::Error;
use crate::rules::{Code, Finding};

/// One data record.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Physical line where the record starts (line 1 is the first line of
    /// the file).
    pub line: u64,
    /// 1-based number of the data record, blank lines not counted.
    pub record: u64,
    pub fields: StringRecord,
}

/// A reusable batch of records.
#[derive(Debug, Default)]
pub struct Chunk {
    records: Vec<Record>,
    len: usize,
}

impl Chunk {
    pub fn records(&self) -> &[Record] {
        &self.records[..self.len]
    }
}

/// An open CSV input, past its header.
pub struct CsvInput {
    pub name: String,
    pub encoding: TextEncoding,
    pub dialect: Dialect,
    pub header: HeaderMap,
    pub header_line: u64,
    /// File-level warnings: encoding fallback, unknown columns.
    pub notices: Vec<Finding>,
    rdr: csv::Reader<BufReader<LineIndex<Box<dyn Read + Send>>>>,
    /// Bytes consumed before the csv reader started (Entra's version line).
    skipped_bytes: u64,
    records: u64,
}

impl CsvInput {
    /// Opens `source` (already sniffed) and reads its header. `progress`
    /// advances with the raw bytes read.
    pub fn open(source: &Source, sniff: &Sniff, progress: &ProgressBar) -> Result<CsvInput, Error> {
        let name = source.name();
        let raw: Box<dyn Read + Send> = Box::new(progress.wrap_read(source.open()?));
        let text: Box<dyn Read + Send> =
            Box::new(FullReads(encoding::utf8_reader(raw, sniff.encoding)));
        let mut buf = BufReader::with_capacity(1 << 16, LineIndex::new(text));

        let head = buf.fill_buf().map_err(|e| Error::io(&name, e))?;
        let version_line = dialect::is_version_line(head);
        let mut skipped_bytes = 0;
        if version_line {
            let mut skipped = Vec::new();
            buf.read_until(b'\n', &mut skipped)
                .map_err(|e| Error::io(&name, e))?;
            skipped_bytes = skipped.len() as u64;
        }
        let head = buf.fill_buf().map_err(|e| Error::io(&name, e))?;
        let delimiter = dialect::detect_delimiter(head);

        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(buf);

        let mut cells = StringRecord::new();
        let header_line = loop {
            let more = rdr
                .read_record(&mut cells)
                .map_err(|e| csv_error(&name, e))?;
            if !more {
                return Err(Error::input(
                    &name,
                    format!(
                        "is empty: the first line must be the header\n  expected: {}",
                        columns::template_header()
                    ),
                ));
            }
            // A header of empty cells is a blank line Excel wrote as ",,,".
            if cells.iter().any(|c| !c.trim().is_empty()) {
                let start = cells.position().map_or(0, |p| p.byte()) + skipped_bytes;
                break rdr.get_mut().get_mut().line_at(start);
            }
        };

        let cell_refs: Vec<&str> = cells.iter().collect();
        let (header, mut notices) = HeaderMap::parse(&cell_refs, version_line, header_line)
            .map_err(|p| header_error(&name, header_line, p))?;
        if sniff.encoding == TextEncoding::Windows1252 {
            let at = sniff.invalid_utf8_at.unwrap_or(0);
            notices.insert(
                0,
                Finding::warning(Code::Encoding, 0, 0, None).message(format!(
                    "the file is not valid UTF-8 (byte offset {at}); it was read as Windows-1252. \
                     Check accented letters, or save it from Excel as \"CSV UTF-8\""
                )),
            );
        }
        let dialect = Dialect {
            delimiter,
            style: header.style,
        };
        Ok(CsvInput {
            name,
            encoding: sniff.encoding,
            dialect,
            header,
            header_line,
            notices,
            rdr,
            skipped_bytes,
            records: 0,
        })
    }

    /// Refills `chunk` with up to `max` non-blank records; returns how many.
    pub fn fill(&mut self, chunk: &mut Chunk, max: usize) -> Result<usize, Error> {
        chunk.len = 0;
        while chunk.len < max {
            if chunk.records.len() == chunk.len {
                chunk.records.push(Record::default());
            }
            let slot = &mut chunk.records[chunk.len];
            let more = self
                .rdr
                .read_record(&mut slot.fields)
                .map_err(|e| csv_error(&self.name, e))?;
            if !more {
                break;
            }
            if slot.fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            self.records += 1;
            slot.record = self.records;
            let start = slot.fields.position().map_or(0, |p| p.byte()) + self.skipped_bytes;
            slot.line = self.rdr.get_mut().get_mut().line_at(start);
            chunk.len += 1;
        }
        Ok(chunk.len)
    }
}

/// Fills the caller's buffer as far as the input allows. The decoder of
/// UTF-16 and Windows-1252 input returns only the first three bytes on its
/// first read, and the version line and the delimiter are read from the
/// first buffer, so that buffer must hold the header line.
struct FullReads<R>(R);

impl<R: Read> Read for FullReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.0.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

fn csv_error(name: &str, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(name, io),
        other => Error::input(name, format!("cannot be read as CSV: {other:?}")),
    }
}

fn header_error(name: &str, line: u64, problem: HeaderProblem) -> Error {
    let expected = columns::template_header();
    match problem {
        HeaderProblem::Missing(cols) => {
            let list: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
            Error::input(
                name,
                format!(
                    "line {line}: the header has no {} column (required)\n  expected header: \
                     {expected}\n  fix: add the missing column, or start from `onboard template blank`",
                    list.join(" or ")
                ),
            )
        }
        HeaderProblem::Repeated {
            column,
            first,
            second,
        } => Error::input(
            name,
            format!(
                "line {line}: the column \"{column}\" appears twice (columns {} and {})\n  expected \
                 header: {expected}\n  fix: delete one of them",
                first + 1,
                second + 1
            ),
        ),
    }
}
