//! An open CSV input: its encoding, dialect and header, then its records
//! in blocks, parsed on all cores, each record with its physical line and
//! its number.
//!
//! The decoded text is read in blocks of whole lines ([`super::blocks`]);
//! each block is cut into pieces that are parsed in parallel
//! ([`super::records`]). A piece that ended inside a quoted field is parsed
//! again together with the next one, so the records are exactly those a
//! sequential reader finds. Line and record numbers are relative while the
//! pieces parse, and become absolute once every piece before them is known.
//!
//! A quote that is never closed makes the rest of the file one record: the
//! pieces are joined block after block until the end of the file closes it
//! (each join takes at least as much new text as it carries, so the work
//! stays linear and the memory within the file's size), and the piece says
//! where it opened ([`Piece::unclosed`]). In the header, that stops the
//! run.

use std::io::Read;

use rayon::prelude::*;

use super::blocks::{self, Block, BlockReader, ReadAhead};
use super::dialect::{self, Dialect};
use super::encoding::{self, Sniff, SniffSlot, SniffingReader, TextEncoding};
use super::header::{HeaderMap, HeaderProblem};
use super::lines::{BadLine, Unclosed};
use super::records::{self, Decoding, Parsed, Record};
use super::source::Source;
use crate::columns;
use crate::error::Error;
use crate::finding::Finding;
use crate::progress::Meter;

/// The records of one piece of the file, numbered.
#[derive(Debug)]
pub struct Piece {
    parsed: Parsed,

    /// Line breaks before the piece.
    line_base: u64,
    /// Records before the piece.
    record_base: u64,
}

impl Piece {
    pub fn len(&self) -> usize {
        self.parsed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parsed.is_empty()
    }

    /// Line breaks before the piece.
    pub fn line_base(&self) -> u64 {
        self.line_base
    }

    /// Records before the piece.
    pub fn record_base(&self) -> u64 {
        self.record_base
    }

    /// The lines of the piece that are not UTF-8, numbered as
    /// [`Piece::records`] numbers the records.
    pub fn bad_lines(&self) -> impl Iterator<Item = BadLine> + '_ {
        let base = self.line_base;
        self.parsed.bad_lines().iter().map(move |b| b.moved(base))
    }

    /// Whether the piece has lines that are not UTF-8.
    pub fn has_bad_lines(&self) -> bool {
        !self.parsed.bad_lines().is_empty()
    }

    /// The quote that the end of the file closed, when the piece's last
    /// record was inside one there.
    pub fn unclosed(&self) -> Option<Unclosed> {
        self.parsed.unclosed().map(|u| u.moved(self.line_base))
    }

    /// The records, in file order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> + '_ {
        self.parsed
            .iter()
            .zip(self.record_base + 1..)
            .map(|((line, fields), record)| Record {
                line: self.line_base + line,
                record,
                fields,
            })
    }
}

/// An open CSV input, past its header.
pub struct CsvInput {
    pub name: String,
    pub encoding: TextEncoding,
    pub dialect: Dialect,
    pub header: HeaderMap,
    pub header_line: u64,
    /// File-level warnings: unknown columns.
    pub notices: Vec<Finding>,
    /// The lines of the header record that are not UTF-8.
    pub header_bad_lines: Vec<BadLine>,
    /// In a file read as Windows-1252, the first line that needed it, and
    /// its first byte that is not UTF-8.
    pub windows_1252_from: Option<(u64, u8)>,
    /// How a stretch that is not all UTF-8 is read: not at all while the
    /// encoding is only assumed (see [`CsvInput::open_sniffing`]).
    decoding: Decoding,
    /// The reader, until the first block after the header is needed; then
    /// it moves to a thread of its own.
    blocks: Option<BlockReader>,
    ahead: Option<ReadAhead>,
    /// The rest of the block the header came from.
    pending: Option<Block>,
    /// What it was opened from, to be read again ([`CsvInput::reopen`]).
    again: Again,
    /// Line breaks before the next unparsed byte.
    line_base: u64,
    /// Records numbered so far.
    records: u64,
    sizes: ReadSizes,
}

/// What an input was opened from, to open it again.
#[derive(Clone)]
pub struct Again {
    source: Source,
    sniff: Sniff,
    sizes: ReadSizes,
    assumed: bool,
}

impl Again {
    /// The input from its start (no progress is shown).
    pub fn open(&self) -> Result<CsvInput, Error> {
        let raw = self.source.open()?;
        CsvInput::open_raw(
            &self.source,
            raw,
            &self.sniff,
            &Meter::hidden(),
            self.sizes,
            self.assumed,
        )
    }
}

/// How much is read at a time and parsed per task. Tests make them tiny so
/// that every kind of cut is crossed.
#[derive(Debug, Clone, Copy)]
pub struct ReadSizes {
    pub block: usize,
    pub piece: usize,
}

impl Default for ReadSizes {
    fn default() -> Self {
        ReadSizes {
            block: blocks::BLOCK,
            piece: blocks::PIECE,
        }
    }
}

impl CsvInput {
    /// Opens `source` (already sniffed) and reads its header. `progress`
    /// advances with the raw bytes read.
    pub fn open(source: &Source, sniff: &Sniff, progress: &Meter) -> Result<CsvInput, Error> {
        Self::open_sized(source, sniff, progress, ReadSizes::default())
    }

    /// [`CsvInput::open`] with other block and piece sizes.
    pub fn open_sized(
        source: &Source,
        sniff: &Sniff,
        progress: &Meter,
        sizes: ReadSizes,
    ) -> Result<CsvInput, Error> {
        Self::open_raw(source, source.open()?, sniff, progress, sizes, false)
    }

    /// Opens `source` on the assumption that it is in the encoding
    /// `assumed` says, while the bytes read are sniffed: when the reading
    /// reaches the end of the file, the sniff is in `slot`, to confirm the
    /// assumption (or not) without reading the file twice. A line that is
    /// not UTF-8 stops the reading with an error: whether the file is
    /// mixed or Windows-1252 as a whole is for a sniff of the whole file to
    /// say, and the file is then read again with the answer.
    pub fn open_sniffing(
        source: &Source,
        assumed: &Sniff,
        progress: &Meter,
        digest: bool,
        slot: SniffSlot,
    ) -> Result<CsvInput, Error> {
        let raw = SniffingReader::new(source.open()?, digest, source.name(), slot);
        Self::open_raw(
            source,
            Box::new(raw),
            assumed,
            progress,
            ReadSizes::default(),
            true,
        )
    }

    fn open_raw(
        source: &Source,
        raw: Box<dyn Read + Send>,
        sniff: &Sniff,
        progress: &Meter,
        sizes: ReadSizes,
        assumed: bool,
    ) -> Result<CsvInput, Error> {
        let name = source.name();
        let decoding = match (assumed, sniff.encoding) {
            (true, _) => Decoding::Undecided,
            (false, TextEncoding::Windows1252) => Decoding::Windows1252,
            (false, _) => Decoding::Lines,
        };
        // A second look, as far as the first byte that is not UTF-8, only
        // for a file that is Windows-1252 as a whole (its warning names that
        // line).
        let windows_1252_from = match (sniff.encoding, sniff.invalid_utf8_at) {
            (TextEncoding::Windows1252, Some(at)) => Some(encoding::line_at(source, at)?),
            _ => None,
        };
        let raw: Box<dyn Read + Send> = Box::new(progress.wrap_read(raw));
        let text: Box<dyn Read + Send> =
            Box::new(FullReads(encoding::utf8_reader(raw, sniff.encoding)));
        let mut blocks = BlockReader::new(text);
        let mut size = sizes.block.max(1);
        loop {
            let Some(block) = blocks.next(size).map_err(|e| Error::io(&name, e))? else {
                return Err(empty(&name));
            };
            match read_header(&name, &block, decoding)? {
                Some(head) => {
                    let mut rest = block.bytes;
                    rest.drain(..head.consumed);
                    return Ok(CsvInput {
                        name,
                        encoding: sniff.encoding,
                        dialect: head.dialect,
                        header: head.header,
                        header_line: head.line,
                        notices: head.notices,
                        header_bad_lines: head.bad_lines,
                        windows_1252_from,
                        decoding,
                        blocks: Some(blocks),
                        ahead: None,
                        pending: Some(Block {
                            bytes: rest,
                            last: block.last,
                        }),
                        again: Again {
                            source: source.clone(),
                            sniff: sniff.clone(),
                            sizes,
                            assumed,
                        },
                        line_base: head.breaks,
                        records: 0,
                        sizes,
                    });
                }
                None if block.last => return Err(empty(&name)),
                // The header record goes on past the block (a quoted line
                // break in it): read it again with more.
                None => {
                    blocks.unread(&block.bytes);
                    size = block.bytes.len() * 2;
                }
            }
        }
    }

    /// How to open the same input from its start again, read the same way:
    /// for a second look at a few records once the whole file is read.
    pub fn again(&self) -> Again {
        self.again.clone()
    }

    /// The records of the next block, in pieces, in file order; `None` at
    /// the end of the file.
    pub fn next_pieces(&mut self) -> Result<Option<Vec<Piece>>, Error> {
        let pieces = self.next_checked(|_| ())?;
        Ok(pieces.map(|p| p.into_iter().map(|(piece, ())| piece).collect()))
    }

    /// [`CsvInput::next_pieces`], each piece handed to `check` on the core
    /// that parsed it, while its text is still in that core's cache. `check`
    /// sees the piece numbered from its own start (lines and records from
    /// 1): the numbers before it are only known once every piece before it
    /// is parsed, so what `check` makes is moved on by the returned piece's
    /// [`Piece::line_base`] and [`Piece::record_base`].
    pub fn next_checked<T: Send>(
        &mut self,
        check: impl Fn(&Piece) -> T + Sync,
    ) -> Result<Option<Vec<(Piece, T)>>, Error> {
        let block = match self.pending.take() {
            Some(b) => b,
            None => {
                let size = self.sizes.block;
                let blocks = &mut self.blocks;
                let ahead = self.ahead.get_or_insert_with(|| {
                    ReadAhead::start(blocks.take().expect("a reader or a read-ahead"), size)
                });
                match ahead.next_block().map_err(|e| Error::io(&self.name, e))? {
                    Some(b) => b,
                    None => return Ok(None),
                }
            }
        };
        let bytes = &block.bytes;
        let (delimiter, decoding) = (self.dialect.delimiter, self.decoding);
        let parse = |r: &std::ops::Range<usize>| {
            let at_eof = block.last && r.end == bytes.len();
            let parsed =
                records::parse_in(&bytes[r.clone()], decoding, delimiter, at_eof, usize::MAX);
            let piece = Piece {
                parsed,
                line_base: 0,
                record_base: 0,
            };
            // A piece that ended inside a quoted field is parsed again.
            let checked = piece.parsed.complete.then(|| check(&piece));
            (piece, checked)
        };
        let mut ranges = blocks::pieces(bytes, self.sizes.piece);
        let mut parsed: Vec<_> = ranges.par_iter().map(parse).collect();

        // A piece that ended inside a quoted field is joined to the next
        // piece, then if need be to the rest of the block; what is still
        // open at the end of the block waits for the next one.
        let (mut i, mut widened) = (0, false);
        while i < parsed.len() {
            if parsed[i].0.parsed.complete {
                (i, widened) = (i + 1, false);
                continue;
            }
            if i + 1 == ranges.len() {
                self.unread(&bytes[ranges[i].start..]);
                parsed.truncate(i);
                break;
            }
            let join = if widened { ranges.len() } else { i + 2 };
            widened = true;
            ranges[i].end = ranges[join - 1].end;
            ranges.drain(i + 1..join);
            parsed.drain(i + 1..join);
            parsed[i] = parse(&ranges[i]);
        }

        if parsed.iter().any(|(p, _)| p.parsed.undecided) {
            return Err(undecided(&self.name));
        }
        let pieces = parsed
            .into_iter()
            .filter_map(|(mut piece, checked)| {
                piece.line_base = self.line_base;
                piece.record_base = self.records;
                self.line_base += piece.parsed.breaks;
                self.records += piece.len() as u64;
                Some((piece, checked?))
            })
            .collect();
        // The pieces own copies of their text: the block's buffer can take
        // the next block.
        if let Some(ahead) = &self.ahead {
            ahead.recycle(block.bytes);
        }
        Ok(Some(pieces))
    }
}

impl CsvInput {
    /// Gives back the end of a block that holds the start of a record only.
    fn unread(&mut self, bytes: &[u8]) {
        match (&mut self.ahead, &mut self.blocks) {
            (Some(ahead), _) => ahead.unread(bytes),
            (None, Some(blocks)) => blocks.unread(bytes),
            (None, None) => {}
        }
    }
}

/// What the start of the file says.
struct Head {
    dialect: Dialect,
    header: HeaderMap,
    line: u64,
    notices: Vec<Finding>,
    bad_lines: Vec<BadLine>,
    /// Bytes of the block up to the end of the header record.
    consumed: usize,
    /// Line breaks in those bytes.
    breaks: u64,
}

/// Reads the header from the first block; `None` when the header record
/// does not end in it.
fn read_header(name: &str, block: &Block, decoding: Decoding) -> Result<Option<Head>, Error> {
    let bytes = &block.bytes;
    let version_line = dialect::is_version_line(bytes);
    let skipped = match version_line {
        true => memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1),
        false => 0,
    };
    let delimiter = dialect::detect_delimiter(&bytes[skipped..]);
    let parsed = records::parse_in(&bytes[skipped..], decoding, delimiter, block.last, 1);
    if parsed.undecided {
        return Err(undecided(name));
    }
    let Some((line, cells)) = parsed.get(0) else {
        return match block.last {
            true => Err(empty(name)),
            false => Ok(None),
        };
    };
    let version_breaks = records::count_breaks(bytes, 0..skipped);
    let header_line = version_breaks + line;
    if let Some(open) = parsed.unclosed() {
        return Err(unclosed_header(name, open.moved(version_breaks)));
    }
    let cell_refs: Vec<&str> = cells.iter().collect();
    let (mut header, notices) = HeaderMap::parse(&cell_refs, version_line, header_line)
        .map_err(|p| header_error(name, header_line, p))?;
    if version_line {
        let text = String::from_utf8_lossy(&bytes[..skipped]);
        header.version_line = Some(text.trim_end_matches(['\r', '\n']).to_string());
    }
    let consumed = skipped + parsed.consumed;
    Ok(Some(Head {
        dialect: Dialect {
            delimiter,
            style: header.style,
        },
        header,
        line: header_line,
        notices,
        bad_lines: parsed
            .bad_lines()
            .iter()
            .map(|b| b.moved(version_breaks))
            .collect(),
        consumed,
        breaks: records::count_breaks(bytes, 0..consumed),
    }))
}

fn empty(name: &str) -> Error {
    Error::input(
        name,
        format!(
            "is empty: the first line must be the header\n  expected: {}",
            columns::template_header()
        ),
    )
}

/// Why a reading on an assumed encoding stopped (the caller sniffs the
/// whole file and reads it again).
fn undecided(name: &str) -> Error {
    Error::input(
        name,
        "has lines that are not UTF-8; it is read again once its encoding is known",
    )
}

/// A header whose quote is never closed: the whole file would be one
/// header cell.
fn unclosed_header(name: &str, open: Unclosed) -> Error {
    let lines = match open.last_line > open.line {
        true => format!(
            "lines {}–{} were read as one header cell",
            open.line, open.last_line
        ),
        false => format!("the rest of line {} was read as one header cell", open.line),
    };
    Error::input(
        name,
        format!(
            "line {}: the quote that opens column {} of the header is never closed; {lines}\n  \
             fix: close the quote, or remove it (header cells need no quotes)\n  expected \
             header: {}",
            open.line,
            open.field + 1,
            columns::template_header()
        ),
    )
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
