//! Records out of a stretch of UTF-8 text, each with the physical line it
//! starts on.
//!
//! Most records are read in place: a line whose fields are plain, or
//! quoted the simple way spreadsheets quote (a field that starts with a
//! quote and ends at the next one, right before a delimiter or the line's
//! end), is split where its delimiters and quotes are, found eight bytes at
//! a time, and its fields are slices of the stretch's text. Every other
//! record (a doubled quote, a quote inside a field, a line break inside
//! quotes) is csv-core's, the engine inside the csv crate, driven directly
//! over the bytes from the record's start, so that its fields land in one
//! buffer and so that a stretch can tell whether it ended between two
//! records or inside a quoted field. That second answer is what lets
//! [`super::blocks`] cut a file at line breaks and parse the pieces on all
//! cores: a piece that ends inside quotes is parsed again joined to the
//! next one.
//!
//! csv-core reads such lines exactly so: a delimiter outside quotes ends a
//! field, the first CR or LF ends the record, simple quotes are removed
//! and nothing else is special. Property tests compare the two with the
//! csv crate on generated text and on records of spreadsheet-like fields.
//! A quarter of a generated file's lines have a quoted address or job
//! title; csv-core's byte-at-a-time automaton over every line was a
//! quarter of `verify`'s time. Callgrind, verify of 100k generated rows:
//! 750M instructions with csv-core for every record, 614M with plain
//! lines in place, 575M with simple quotes in place too.
//!
//! A line break is an LF, a CR not followed by an LF (classic Mac line ends,
//! Excel's "CSV (Macintosh)"), or a CRLF; the line of a record is the number
//! of line breaks before its first byte, plus one. Blank lines, and records
//! whose every cell is blank (",,,"), are skipped and not counted.
//!
//! A stretch is validated as UTF-8 in one go; only one that is not takes
//! a slow path ([`Decoding`]): in a file read as UTF-8, [`super::lines`]
//! decodes its lines that are not UTF-8 one by one and says where they are
//! ([`Parsed::bad_lines`]); in one that is Windows-1252 as a whole, it is
//! decoded in one go (line by line only to report a byte Windows-1252
//! leaves undefined); while the encoding is only assumed, it is not parsed
//! at all. The last record of a file that ends inside a quoted field is
//! still a record (the end of the file closes it, as the csv crate does),
//! and [`Parsed::unclosed`] says where that quote opened.

use std::ops::Range;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::lines::{self, BadLine, Unclosed};

/// One record's fields, borrowed from a parsed stretch.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The record's text: the line as written when it was read in place
    /// (delimiters and quotes still there), else the fields one after the
    /// other as csv-core unquoted them.
    text: &'a str,
    /// Where each field starts and ends in `text`, two offsets a field.
    bounds: &'a [u32],
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.bounds.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i`, as written (quotes removed).
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let b = self.bounds.get(2 * i..2 * i + 2)?;
        self.text.get(b[0] as usize..b[1] as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let text = self.text;
        self.bounds
            .chunks_exact(2)
            .map(move |b| text.get(b[0] as usize..b[1] as usize).unwrap_or(""))
    }

    /// The record's text, for whole-record scans: every field, and, when
    /// the record was read in place, its delimiters and quotes.
    pub fn text(&self) -> &'a str {
        self.text
    }
}

/// One data record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Physical line where the record starts (line 1 is the first line of
    /// the file).
    pub line: u64,
    /// 1-based number of the data record, blank lines not counted.
    pub record: u64,
    pub fields: Fields<'a>,
}

/// Where one record is in a [`Parsed`].
#[derive(Debug, Clone)]
struct Span {
    /// 1-based line, relative to the stretch.
    line: u64,
    /// In `Parsed::text` (read in place), or in `Parsed::unquoted`.
    text: Range<usize>,
    in_place: bool,
    bounds: Range<usize>,
}

/// The records of one stretch of text.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The stretch.
    text: String,
    /// The fields of the records that had quotes, as csv-core unquoted
    /// them.
    unquoted: String,
    /// Field starts and ends, relative to their record's text (u32: half
    /// the memory of usize, and no record comes near 4 GB).
    bounds: Vec<u32>,
    spans: Vec<Span>,
    /// Line breaks in the bytes consumed (all of them, unless the parse
    /// stopped early at `max_records`).
    pub breaks: u64,
    /// Bytes consumed.
    pub consumed: usize,
    /// False when the stretch ended inside a record (a quoted field going
    /// on past it): the records are then incomplete and must be parsed again
    /// from a longer stretch.
    pub complete: bool,
    /// The lines of the bytes consumed that are not UTF-8, in order.
    bad: Vec<BadLine>,
    /// The quote the end of the file closed, in the last record.
    unclosed: Option<Unclosed>,
    /// The stretch was not parsed (see [`Decoding::Undecided`]).
    pub undecided: bool,
}

impl Parsed {
    /// Number of records (blank ones skipped).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Record `i`: its line relative to the stretch, and its fields.
    pub fn get(&self, i: usize) -> Option<(u64, Fields<'_>)> {
        self.spans.get(i).map(|s| self.record(s))
    }

    /// Every record, in order (an exact-size iterator, so that what is
    /// collected from it is allocated once).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u64, Fields<'_>)> + '_ {
        self.spans.iter().map(|s| self.record(s))
    }

    /// The lines that are not UTF-8 (lines relative to the stretch).
    pub fn bad_lines(&self) -> &[BadLine] {
        &self.bad
    }

    /// Where the quote opened that the end of the file closed, when the
    /// last record was still inside a quoted field there.
    pub fn unclosed(&self) -> Option<Unclosed> {
        self.unclosed
    }

    fn record(&self, s: &Span) -> (u64, Fields<'_>) {
        let text = match s.in_place {
            true => &self.text,
            false => &self.unquoted,
        };
        let fields = Fields {
            text: text.get(s.text.clone()).unwrap_or(""),
            bounds: self.bounds.get(s.bounds.clone()).unwrap_or_default(),
        };
        (s.line, fields)
    }
}

/// Parses the records of `bytes`, which must start at the start of a record
/// (or at line breaks before one). Lines that are not UTF-8 are decoded and
/// reported (see the module docs). With `at_eof`, the end of `bytes` is the
/// end of the file and closes any open record, as the csv crate does;
/// otherwise a record still open there leaves the result incomplete. Stops
/// after `max_records` records.
pub fn parse(bytes: &[u8], delimiter: u8, at_eof: bool, max_records: usize) -> Parsed {
    parse_in(bytes, Decoding::Lines, delimiter, at_eof, max_records)
}

/// What is done with a stretch that is not all UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// Its lines that are not UTF-8 are decoded one by one and reported:
    /// a file read as UTF-8.
    Lines,
    /// It is decoded as Windows-1252 in one go (a file that is
    /// Windows-1252 as a whole), unless it holds a byte Windows-1252 leaves
    /// undefined: then line by line, to report it.
    Windows1252,
    /// It is not parsed ([`Parsed::undecided`]): the encoding is only
    /// assumed, and only a sniff of the whole file can tell how to read it.
    Undecided,
}

/// [`parse`], with a stretch that is not all UTF-8 read as `decoding` says.
pub fn parse_in(
    bytes: &[u8],
    decoding: Decoding,
    delimiter: u8,
    at_eof: bool,
    max_records: usize,
) -> Parsed {
    // Validated with SIMD, then copied: String::from_utf8 would validate
    // again, a byte at a time for text that is not ASCII.
    let (text, transcoded) = match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(_) if decoding == Decoding::Undecided => {
            return Parsed {
                undecided: true,
                complete: true,
                ..Parsed::default()
            };
        }
        // In a file that is Windows-1252 as a whole, the lines that are
        // UTF-8 are ASCII: decoding all of it is decoding them one by one,
        // and a byte is a character (what was consumed is counted in
        // characters).
        Err(_) if decoding == Decoding::Windows1252 && !lines::has_undefined(bytes) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            let mut text = text.into_owned();
            // The decoder makes room for the worst case, three times the
            // bytes, and the pieces of three blocks are alive at a time.
            text.shrink_to_fit();
            let mut parsed = parse_text(text, delimiter, at_eof, max_records);
            parsed.consumed = parsed
                .text
                .get(..parsed.consumed)
                .map_or(0, |t| t.chars().count());
            return parsed;
        }
        Err(e) => {
            let mut t = lines::transcode(bytes, delimiter, e.valid_up_to());
            (std::mem::take(&mut t.text), Some(t))
        }
    };
    let mut parsed = parse_text(text, delimiter, at_eof, max_records);
    if let Some(t) = transcoded {
        // What was consumed of the text, in the bytes, and only the lines
        // it holds (the header is parsed alone from a whole block).
        parsed.consumed = t.byte_position(parsed.consumed);
        let consumed = parsed.consumed;
        parsed.bad = t.within(consumed);
    }
    parsed
}

/// Parses UTF-8 text with the csv-core reader of this thread.
fn parse_text(text: String, delimiter: u8, at_eof: bool, max_records: usize) -> Parsed {
    CORE.with_borrow_mut(|cores| {
        let core = match cores.iter_mut().find(|(d, _)| *d == delimiter) {
            Some((_, core)) => core,
            None => {
                let core = ReaderBuilder::new().delimiter(delimiter).build();
                cores.push((delimiter, core));
                &mut cores.last_mut().expect("just pushed").1
            }
        };
        core.reset();
        parse_with(core, delimiter, text, at_eof, max_records)
    })
}

thread_local! {
    /// csv-core readers by delimiter: building one (its DFA) costs a
    /// quarter of a million instructions, more than parsing a piece's
    /// first thousand rows.
    static CORE: std::cell::RefCell<Vec<(u8, csv_core::Reader)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How the record at a position is read.
enum Next {
    /// A line with no quote, up to `end` (its line break, or the end of
    /// the file).
    Plain(usize),
    /// A line with a quote, up to `end` as above: read in place when its
    /// quotes are simple, else by csv-core.
    Quoted(usize),
    /// A quote with no line break after it in the stretch: csv-core's.
    Open,
    /// The stretch ends inside the record.
    Unfinished,
}

/// How the record starting at `pos` is read.
fn next_record(bytes: &[u8], pos: usize, at_eof: bool) -> Next {
    let line_end = |from: usize| memchr::memchr2(b'\r', b'\n', &bytes[from..]).map(|i| from + i);
    match memchr::memchr3(b'\r', b'\n', b'"', &bytes[pos..]) {
        Some(i) if bytes[pos + i] == b'"' => match line_end(pos + i) {
            Some(end) => Next::Quoted(end),
            None if at_eof => Next::Quoted(bytes.len()),
            None => Next::Open,
        },
        Some(i) => Next::Plain(pos + i),
        None if at_eof => Next::Plain(bytes.len()),
        None => Next::Unfinished,
    }
}

fn parse_with(
    core: &mut csv_core::Reader,
    delimiter: u8,
    text: String,
    at_eof: bool,
    max_records: usize,
) -> Parsed {
    let bytes = text.as_bytes();
    let mut unquoter = Unquoter::new();
    let mut bounds: Vec<u32> = Vec::with_capacity(bytes.len() / 4);
    let mut spans = Vec::with_capacity(bytes.len() / 128);
    // Where the delimiters and quotes of a quoted line are.
    let mut marks: Vec<u32> = Vec::new();
    let mut pos = 0;
    let (mut counted, mut breaks) = (0, 0);
    let mut complete = true;
    let mut unclosed = None;

    while spans.len() < max_records {
        while pos < bytes.len() && matches!(bytes[pos], b'\r' | b'\n') {
            pos += 1;
        }
        if pos == bytes.len() {
            break;
        }
        breaks += count_breaks(bytes, counted..pos);
        counted = pos;
        let first = bounds.len();
        // In place: a line without quotes, or quoted the simple way.
        let read = match next_record(bytes, pos, at_eof) {
            Next::Unfinished => {
                complete = false;
                break;
            }
            Next::Plain(end) => {
                push_field_bounds(&bytes[pos..end], delimiter, &mut bounds);
                Some(end)
            }
            Next::Quoted(end) => {
                split_quoted(&bytes[pos..end], delimiter, &mut bounds, &mut marks).then_some(end)
            }
            Next::Open => None,
        };
        if let Some(end) = read {
            let line = pos..end;
            if !fields_are_blank(&bytes[line.clone()], &bounds[first..]) {
                spans.push(Span {
                    line: breaks + 1,
                    text: line,
                    in_place: true,
                    bounds: first..bounds.len(),
                });
            } else {
                bounds.truncate(first);
            }
            // The line break that ends it, as csv-core takes it (of a
            // CRLF, the CR; the LF is skipped as a blank line).
            pos = (end + 1).min(bytes.len());
            continue;
        }
        // Otherwise csv-core's.
        bounds.truncate(first);
        let read = unquoter.read(core, bytes, &mut pos, at_eof, breaks + 1, delimiter);
        let (text, ends, open) = match read {
            CoreRead::Record {
                text,
                ends,
                unclosed,
            } => (text, ends, unclosed),
            CoreRead::Stop {
                finished,
                unclosed: u,
            } => {
                complete &= finished;
                unclosed = u.or(unclosed);
                break;
            }
        };
        let mut start = 0;
        for &end in &unquoter.ends[..ends] {
            bounds.extend([offset(start), offset(end)]);
            start = end;
        }
        if fields_are_blank(&unquoter.out[text.clone()], &bounds[first..]) {
            // A quote never closed over nothing but blanks loses nothing.
            bounds.truncate(first);
            unquoter.len = text.start;
            continue;
        }
        unclosed = open.or(unclosed);
        spans.push(Span {
            line: breaks + 1,
            text,
            in_place: false,
            bounds: first..bounds.len(),
        });
    }
    breaks += count_breaks(bytes, counted..pos);
    Parsed {
        unquoted: unquoter.into_text(),
        text,
        bounds,
        spans,
        breaks,
        consumed: pos,
        complete,
        bad: Vec::new(),
        unclosed: unclosed.filter(|_| complete),
        undecided: false,
    }
}

/// What csv-core made of the record at a position.
enum CoreRead {
    /// A record: its unquoted fields at `text` in the unquoter's buffer,
    /// their ends the first `ends` of its `ends`.
    Record {
        text: Range<usize>,
        ends: usize,
        unclosed: Option<lines::Unclosed>,
    },
    /// No record: the stretch has none left (`finished`), or ends inside
    /// one (not `finished`: parse it again from a longer stretch).
    Stop {
        finished: bool,
        unclosed: Option<lines::Unclosed>,
    },
}

/// csv-core's side of a stretch: the fields of the records it reads,
/// unquoted, one after the other in one buffer that grows (doubling) when
/// csv-core fills it and is never zeroed twice.
struct Unquoter {
    out: Vec<u8>,
    /// Bytes of `out` in use.
    len: usize,
    /// One record's field ends, as csv-core writes them.
    ends: Vec<usize>,
    first_call: bool,
}

impl Unquoter {
    fn new() -> Unquoter {
        Unquoter {
            out: Vec::new(),
            len: 0,
            ends: vec![0; 64],
            first_call: true,
        }
    }

    /// Reads the record at `*pos` (on line `line`) with csv-core, moving
    /// `*pos` past it.
    fn read(
        &mut self,
        core: &mut csv_core::Reader,
        bytes: &[u8],
        pos: &mut usize,
        at_eof: bool,
        line: u64,
        delimiter: u8,
    ) -> CoreRead {
        let rec_start = *pos;
        let rec_out = self.len;
        let mut ends_len = 0;
        let mut unclosed = None;
        let done = loop {
            if self.len == self.out.len() {
                self.out.resize(self.out.len() * 2 + 16, 0);
            }
            if ends_len == self.ends.len() {
                self.ends.resize(self.ends.len() * 2, 0);
            }
            // csv-core drops a UTF-8 BOM at the very start of what it is
            // first given; a record here is never the start of the file
            // (the BOM was decoded away already), so its first call gets
            // one byte and a BOM-like start stays data.
            let limit = if self.first_call {
                *pos + 1
            } else {
                bytes.len()
            };
            self.first_call = false;
            let (res, nin, nout, nend) = core.read_record(
                &bytes[*pos..limit],
                &mut self.out[self.len..],
                &mut self.ends[ends_len..],
            );
            *pos += nin;
            self.len += nout;
            ends_len += nend;
            match res {
                ReadRecordResult::Record => break Ok(()),
                ReadRecordResult::End => break Err(true),
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::InputEmpty if *pos < bytes.len() => {}
                ReadRecordResult::InputEmpty if at_eof => {
                    // The end of the file closes the open record; when that
                    // is inside quotes, the rules say where they opened (a
                    // rare path: the last record of a file only).
                    unclosed = lines::unclosed(bytes, rec_start, line, delimiter);
                    if ends_len == self.ends.len() {
                        self.ends.resize(self.ends.len() * 2, 0);
                    }
                    let (res, _, nout, nend) = core.read_record(
                        &[],
                        &mut self.out[self.len..],
                        &mut self.ends[ends_len..],
                    );
                    self.len += nout;
                    ends_len += nend;
                    break if res == ReadRecordResult::Record {
                        Ok(())
                    } else {
                        Err(true)
                    };
                }
                ReadRecordResult::InputEmpty => break Err(false),
            }
        };
        match done {
            Ok(()) => CoreRead::Record {
                text: rec_out..self.len,
                ends: ends_len,
                unclosed,
            },
            Err(finished) => {
                self.len = rec_out;
                CoreRead::Stop { finished, unclosed }
            }
        }
    }

    /// The unquoted text of every record read. csv-core only takes ASCII
    /// quotes out of UTF-8 text: what is left is UTF-8.
    fn into_text(mut self) -> String {
        self.out.truncate(self.len);
        match simdutf8::basic::from_utf8(&self.out) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(&self.out).into_owned(),
        }
    }
}

/// The delimiters and quotes of `line`, eight bytes at a time: a word's
/// bytes that equal one of them, exactly, as the high bit of each byte.
/// memchr's per-call setup cost more than the search on the few dozen
/// bytes between two delimiters (about 940 instructions a generated record
/// with memchr_iter, about 300 this way).
fn for_each_mark(line: &[u8], targets: &[u8], mut each: impl FnMut(u32)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // A zero byte of `x` is a match; adding 0x7f to each byte's low seven
    // bits carries into its high bit unless they are zero, and never into
    // the next byte.
    let zeros = |x: u64| !(((x & LOW7) + LOW7) | x | LOW7);
    let words = line.chunks_exact(8);
    let tail = words.remainder();
    let mut base = 0u32;
    for w in words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let mut found = targets
            .iter()
            .fold(0, |m, &t| m | zeros(x ^ (ONES * u64::from(t))));
        while found != 0 {
            each(base + found.trailing_zeros() / 8);
            found &= found - 1;
        }
        base += 8;
    }
    for (i, b) in (base..).zip(tail) {
        if targets.contains(b) {
            each(i);
        }
    }
}

/// Appends the bounds of the fields of a line without quotes: each
/// delimiter ends one field and starts the next.
fn push_field_bounds(line: &[u8], delimiter: u8, bounds: &mut Vec<u32>) {
    bounds.push(0);
    for_each_mark(line, &[delimiter], |d| bounds.extend([d, d + 1]));
    bounds.push(offset(line.len()));
}

/// Appends the bounds of the fields of `line` (up to its line break) when
/// its quotes are the simple kind csv-core would only remove: a field that
/// starts with a quote and ends with the next one, right before a delimiter
/// or the end of the line. Anything else (a doubled quote, a quote inside
/// a field, a quoted line break) is left to csv-core: `false`, with
/// `bounds` as it was.
fn split_quoted(line: &[u8], delimiter: u8, bounds: &mut Vec<u32>, marks: &mut Vec<u32>) -> bool {
    marks.clear();
    for_each_mark(line, &[delimiter, b'"'], |m| marks.push(m));
    let first = bounds.len();
    let mut marks = marks.iter().map(|&m| (m, line[m as usize]));
    let mut start = 0u32;
    let ok = loop {
        let quoted = line.get(start as usize) == Some(&b'"');
        let end = if quoted {
            // The opening quote, then the next quote closes the field.
            if marks.next() != Some((start, b'"')) {
                break false;
            }
            let Some((close, _)) = marks.by_ref().find(|&(_, b)| b == b'"') else {
                break false;
            };
            bounds.extend([start + 1, close]);
            close + 1
        } else {
            // Up to the next mark; when that is a quote inside the field,
            // the match below leaves the line to csv-core.
            let end = marks.next().map_or(offset(line.len()), |(m, _)| m);
            bounds.extend([start, end]);
            end
        };
        match line.get(end as usize) {
            None => break true,
            Some(&b) if b == delimiter => {
                if quoted && marks.next() != Some((end, delimiter)) {
                    break false;
                }
                start = end + 1;
            }
            // A quote inside an unquoted field, or right after a closing
            // one (a doubled quote), or text after a closing quote.
            Some(_) => break false,
        }
    };
    if !ok {
        bounds.truncate(first);
    }
    ok
}

/// Whether every field of a record trims to nothing (`text` and `bounds`
/// as in [`Fields`]).
fn fields_are_blank(line: &[u8], bounds: &[u32]) -> bool {
    // Nearly every record has a letter in its first byte.
    if line.first().is_some_and(|&b| {
        b.is_ascii_alphanumeric() || b == b'"' && line.get(1).is_some_and(u8::is_ascii_alphanumeric)
    }) {
        return false;
    }
    bounds.chunks_exact(2).all(|b| {
        line.get(b[0] as usize..b[1] as usize)
            .and_then(|f| std::str::from_utf8(f).ok())
            .is_some_and(|f| f.trim().is_empty())
    })
}

/// A field end as stored (no record comes near 4 GB).
fn offset(end: usize) -> u32 {
    u32::try_from(end).unwrap_or(u32::MAX)
}

/// Line breaks in `bytes[range]`; a CR counts when no LF follows it in
/// `bytes` (so a CRLF counts once, at its LF).
pub fn count_breaks(bytes: &[u8], range: Range<usize>) -> u64 {
    let start = range.start;
    memchr::memchr2_iter(b'\n', b'\r', &bytes[range])
        .filter(|&i| {
            let i = start + i;
            bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n')
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &str) -> Vec<(u64, Vec<String>)> {
        let p = parse(data.as_bytes(), b',', true, usize::MAX);
        assert!(p.complete);
        p.iter()
            .map(|(line, f)| (line, f.iter().map(str::to_string).collect()))
            .collect()
    }

    fn lines(data: &str) -> Vec<u64> {
        records(data).into_iter().map(|(l, _)| l).collect()
    }

    #[test]
    fn physical_lines_with_quotes_and_blank_lines() {
        assert_eq!(
            lines("h1,h2\r\n\"a\nb\",x\r\n\r\nc,d\r\ne,f\n\ng,h\n"),
            vec![1, 2, 5, 6, 8]
        );
        assert_eq!(lines("\n\nh\na\n"), vec![3, 4]);
        assert_eq!(lines("h\r\n\"x\r\ny\r\nz\"\r\nlast"), vec![1, 2, 5]);
        // CR alone ends a line too.
        assert_eq!(lines("h1,h2\r\"a\rb\",x\r\rc,d\re,f"), vec![1, 2, 5, 6]);
        assert_eq!(lines("h\ra\r\nb\nc\r"), vec![1, 2, 3, 4]);
    }

    #[test]
    fn fields_as_the_csv_crate_reads_them() {
        let data = "a,\"b,\"\"c\"\"\",,d\n\"x\ny\",z\n,,\n  ,\t\nlast";
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data.as_bytes());
        let expected: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .filter(|r: &Vec<String>| r.iter().any(|c| !c.trim().is_empty()))
            .collect();
        let got: Vec<Vec<String>> = records(data).into_iter().map(|(_, f)| f).collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn a_stretch_ending_inside_quotes_is_incomplete() {
        let p = parse(b"a,b\n\"open\n", b',', false, usize::MAX);
        assert!(!p.complete);
        assert_eq!(p.len(), 1);
        let p = parse(b"a,b\n\"closed\"\n", b',', false, usize::MAX);
        assert!(p.complete);
        assert_eq!(p.len(), 2);
        // At the end of the file, the open quote runs to the end.
        let p = parse(b"a,b\n\"open\n", b',', true, usize::MAX);
        assert!(p.complete);
        assert_eq!(p.get(1).unwrap().1.get(0), Some("open\n"));
    }

    #[test]
    fn lines_that_are_not_utf8_are_decoded_and_reported() {
        let bytes = b"h1,h2\r\nJos\xE9,x\r\n\"a\nb\xFC\",y\r\nZo\xC3\xAB,z\r\n";
        let p = parse(bytes, b',', true, usize::MAX);
        let fields: Vec<Vec<&str>> = p.iter().map(|(_, f)| f.iter().collect()).collect();
        assert_eq!(fields[1], ["José", "x"]);
        assert_eq!(fields[2], ["a\nbü", "y"]);
        assert_eq!(fields[3], ["Zoë", "z"]);
        let bad: Vec<(u64, u64, u8, u64)> = p
            .bad_lines()
            .iter()
            .map(|b| (b.line, b.record_line, b.first.byte, b.first.char))
            .collect();
        assert_eq!(bad, [(2, 2, 0xE9, 4), (4, 3, 0xFC, 2)]);
        assert_eq!(p.consumed, bytes.len());
        // Parsed one record at a time, what was consumed is counted in the
        // bytes, and only its lines are reported.
        let p = parse(&bytes[7..], b',', false, 1);
        assert_eq!(p.consumed, b"Jos\xE9,x\r".len());
        assert_eq!(p.bad_lines().len(), 1);
    }

    #[test]
    fn the_end_of_the_file_inside_quotes_is_reported() {
        let p = parse(b"a,b\r\nc,\"d\r\ne,f\r\n\r\n", b',', true, usize::MAX);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p.unclosed(),
            Some(Unclosed {
                record_line: 2,
                line: 2,
                field: 1,
                last_line: 3
            })
        );
        // Not at the end of the file: incomplete, nothing reported yet.
        let p = parse(b"a,b\r\nc,\"d\r\n", b',', false, usize::MAX);
        assert!(!p.complete);
        assert_eq!(p.unclosed(), None);
        // Closed at the end, or a blank value: nothing to report.
        assert_eq!(parse(b"a,\"b\"", b',', true, usize::MAX).unclosed(), None);
        assert_eq!(
            parse(b"a\r\n\"\r\n", b',', true, usize::MAX).unclosed(),
            None
        );
    }

    #[test]
    fn a_bom_inside_the_text_is_data() {
        let p = parse("\u{feff}a,b\n".as_bytes(), b',', true, usize::MAX);
        assert_eq!(p.get(0).unwrap().1.get(0), Some("\u{feff}a"));
    }

    #[test]
    fn stops_after_max_records() {
        let p = parse(b"\n\nh1,h2\r\na,b\r\n", b',', false, 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p.get(0).unwrap().0, 3);
        // Up to the CR that ended it; the LF is left for the next record.
        assert_eq!(p.consumed, 8);
    }

    /// The records of `text` as the csv crate reads them, blank ones
    /// dropped as `parse` drops them.
    fn csv_crate_records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        let mut rec = csv::StringRecord::new();
        while rdr.read_record(&mut rec).unwrap() {
            let fields: Vec<String> = rec.iter().map(str::to_string).collect();
            if fields.iter().any(|c| !c.trim().is_empty()) {
                out.push(fields);
            }
        }
        out
    }

    /// The records of a text without quotes, with their physical lines,
    /// the plain way: split into lines at CRLF, CR or LF, then at the
    /// delimiter.
    fn plain_records(text: &str, delimiter: char) -> Vec<(u64, Vec<String>)> {
        text.replace("\r\n", "\n")
            .split(['\r', '\n'])
            .zip(1..)
            .map(|(line, n)| (n, line.split(delimiter).map(str::to_string).collect()))
            .filter(|(_, f): &(u64, Vec<String>)| f.iter().any(|c| !c.trim().is_empty()))
            .collect()
    }

    /// A field as a spreadsheet might write it: plain, or quoted with
    /// delimiters, doubled quotes or line breaks inside, or a quote in the
    /// middle, or text after the closing quote.
    fn field() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[a é]{0,6}",
            "[a é,;\\t]{0,6}".prop_map(|s| format!("\"{s}\"")),
            "[a,\"\r\n]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
            "[a]{0,3}\"[a]{0,3}",
            "[a]{0,3}".prop_map(|s| format!("\"{s}\"x")),
        ]
    }

    proptest::proptest! {
        /// Records made of such fields read as the csv crate reads them.
        #[test]
        fn spreadsheet_records_are_the_csv_crates(
            rows in proptest::collection::vec(proptest::collection::vec(field(), 1..5), 0..6),
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
            crlf in proptest::bool::ANY,
        ) {
            let d = char::from(delimiter).to_string();
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = rows.iter().map(|r| r.join(&d) + end).collect();
            let p = parse(text.as_bytes(), delimiter, true, usize::MAX);
            let got: Vec<Vec<String>> =
                p.iter().map(|(_, f)| f.iter().map(str::to_string).collect()).collect();
            proptest::prop_assert_eq!(got, csv_crate_records(&text, delimiter));
        }
    }

    proptest::proptest! {
        /// Records read in place and records read by csv-core are the
        /// records the csv crate reads, on text full of delimiters,
        /// quotes and every kind of line break; without quotes, they are
        /// on the lines a plain split finds.
        #[test]
        fn records_are_the_csv_crates(
            text in "[ab é,;\t\"\r\n]{0,60}",
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
        ) {
            let p = parse(text.as_bytes(), delimiter, true, usize::MAX);
            proptest::prop_assert!(p.complete);
            let got: Vec<(u64, Vec<String>)> = p
                .iter()
                .map(|(line, f)| (line, f.iter().map(str::to_string).collect()))
                .collect();
            let fields: Vec<Vec<String>> = got.iter().map(|(_, f)| f.clone()).collect();
            proptest::prop_assert_eq!(fields, csv_crate_records(&text, delimiter));
            if !text.contains('"') {
                proptest::prop_assert_eq!(got, plain_records(&text, char::from(delimiter)));
            }
        }
    }

    #[test]
    fn lines_with_no_or_simple_quotes_are_read_in_place() {
        let text = "a,,b c,\r\n\"q, r\",s,\"\"\n\"x\"\"y\",z\n";
        let p = parse(text.as_bytes(), b',', true, usize::MAX);
        let (_, f) = p.get(0).unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), ["a", "", "b c", ""]);
        assert_eq!(f.text(), "a,,b c,");
        assert_eq!(f.get(2), Some("b c"));
        assert_eq!(f.get(4), None);
        let (_, f) = p.get(1).unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), ["q, r", "s", ""]);
        assert_eq!(f.text(), "\"q, r\",s,\"\"");
        // A doubled quote: csv-core's, into a buffer of its own.
        let (_, f) = p.get(2).unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), ["x\"y", "z"]);
        assert_eq!(f.text(), "x\"yz");
    }

    #[test]
    fn delimiters_are_found_in_every_lane_next_to_every_byte() {
        for delimiter in [b',', b';', b'\t'] {
            for other in 0..=255u8 {
                for len in 0..20 {
                    let line: Vec<u8> = (0..len)
                        .map(|i| {
                            if (i * 7 + usize::from(other)) % 3 == 0 {
                                delimiter
                            } else {
                                other
                            }
                        })
                        .collect();
                    let mut got = Vec::new();
                    for_each_mark(&line, &[delimiter], |m| got.push(m));
                    let want: Vec<u32> = (0..)
                        .zip(&line)
                        .filter(|&(_, &b)| b == delimiter)
                        .map(|(i, _)| i)
                        .collect();
                    assert_eq!(got, want, "{delimiter} {other} {len}");
                }
            }
        }
    }
}
