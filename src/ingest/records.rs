//! Records out of a stretch of UTF-8 text, each with the physical line it
//! starts on.
//!
//! A record whose first line has no quote character is a line split at
//! the delimiter: its fields are found with memchr and read in place, in a
//! copy of the stretch, with no per-byte work of ours. Every other record
//! (quotes, doubled quotes, line breaks inside quoted fields) is csv-core's,
//! the engine inside the csv crate, driven directly over the bytes from the
//! record's start, so that its fields land in one buffer and so that a
//! stretch can tell whether it ended between two records or inside a quoted
//! field. That second answer is what lets [`super::blocks`] cut a file at
//! line breaks and parse the pieces on all cores: a piece that ends inside
//! quotes is parsed again joined to the next one.
//!
//! csv-core reads a line without quotes exactly so: each delimiter ends a
//! field, the first CR or LF ends the record, nothing else is special (a
//! unit test and a property test compare the two on generated text). A
//! generated million-row file has quotes on a few lines in a thousand, and
//! csv-core's byte-at-a-time automaton was a quarter of `verify`'s time.
//!
//! A line break is an LF, a CR not followed by an LF (classic Mac line ends,
//! Excel's "CSV (Macintosh)"), or a CRLF; the line of a record is the number
//! of line breaks before its first byte, plus one. Blank lines, and records
//! whose every cell is blank (",,,"), are skipped and not counted.

use simdutf8::compat::Utf8Error;
use std::ops::Range;

use csv_core::{ReadRecordResult, ReaderBuilder};

/// One record's fields, borrowed from a parsed stretch.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// The record's text: its fields one after the other, with `gap`
    /// bytes (the delimiter, or nothing) between two of them.
    text: &'a str,
    /// Where each field ends in `text`.
    ends: &'a [u32],
    /// 1 for a record read in place (the delimiters are still there), 0
    /// for one csv-core unquoted into a buffer of its own.
    gap: u32,
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, as written (quotes removed).
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] + self.gap,
        };
        self.text.get(start as usize..end as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let (text, gap) = (self.text, self.gap);
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = text.get(start as usize..end as usize).unwrap_or("");
            start = end + gap;
            field
        })
    }

    /// The record's text, for whole-record scans: every field, and between
    /// two of them, when the record had no quotes, the delimiter.
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
    ends: Range<usize>,
}

/// The records of one stretch of text.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The stretch.
    text: String,
    /// The fields of the records that had quotes, as csv-core unquoted
    /// them.
    unquoted: String,
    /// Field ends, relative to their record's text (u32: half the memory
    /// of csv-core's usize, and no record comes near 4 GB).
    ends: Vec<u32>,
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

    fn record(&self, s: &Span) -> (u64, Fields<'_>) {
        let (text, gap) = match s.in_place {
            true => (&self.text, 1),
            false => (&self.unquoted, 0),
        };
        let fields = Fields {
            text: text.get(s.text.clone()).unwrap_or(""),
            ends: self.ends.get(s.ends.clone()).unwrap_or_default(),
            gap,
        };
        (s.line, fields)
    }
}

/// Parses the records of `bytes`, which must start at the start of a record
/// (or at line breaks before one) and be UTF-8. With `at_eof`, the end of
/// `bytes` is the end of the file and closes any open record, as the csv
/// crate does; otherwise a record still open there leaves the result
/// incomplete. Stops after `max_records` records.
pub fn parse(
    bytes: &[u8],
    delimiter: u8,
    at_eof: bool,
    max_records: usize,
) -> Result<Parsed, Utf8Error> {
    // Validated with SIMD, then copied: String::from_utf8 would validate
    // again, a byte at a time for text that is not ASCII.
    let text = simdutf8::compat::from_utf8(bytes)?.to_owned();
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
    /// In place: the record is `start..end`, a line with no quote; the
    /// next record starts at or after `end + 1`.
    InPlace(usize),
    /// By csv-core: the line has a quote.
    Quoted,
    /// The stretch ends inside the record.
    Open,
}

/// How the record starting at `pos` is read.
fn next_record(bytes: &[u8], pos: usize, at_eof: bool) -> Next {
    match memchr::memchr3(b'\r', b'\n', b'"', &bytes[pos..]) {
        Some(i) if bytes[pos + i] == b'"' => Next::Quoted,
        Some(i) => Next::InPlace(pos + i),
        None if at_eof => Next::InPlace(bytes.len()),
        None => Next::Open,
    }
}

fn parse_with(
    core: &mut csv_core::Reader,
    delimiter: u8,
    text: String,
    at_eof: bool,
    max_records: usize,
) -> Result<Parsed, Utf8Error> {
    let bytes = text.as_bytes();
    // What csv-core unquotes, `out_len` bytes of it so far; it grows
    // (doubling) when csv-core fills it, and is never zeroed twice.
    let mut out: Vec<u8> = Vec::new();
    let mut out_len = 0;
    // One record's field ends, as csv-core writes them.
    let mut rec_ends = vec![0usize; 64];
    let mut ends: Vec<u32> = Vec::with_capacity(bytes.len() / 8);
    let mut spans = Vec::with_capacity(bytes.len() / 128);
    let mut pos = 0;
    let (mut counted, mut breaks) = (0, 0);
    let mut complete = true;
    let mut first_call = true;

    while spans.len() < max_records {
        while pos < bytes.len() && matches!(bytes[pos], b'\r' | b'\n') {
            pos += 1;
        }
        if pos == bytes.len() {
            break;
        }
        breaks += count_breaks(bytes, counted..pos);
        counted = pos;
        match next_record(bytes, pos, at_eof) {
            Next::Open => {
                complete = false;
                break;
            }
            Next::InPlace(end) => {
                let line = &bytes[pos..end];
                if !is_blank_line(line, delimiter) {
                    let first_end = ends.len();
                    push_delimiters(line, delimiter, &mut ends);
                    ends.push(offset(line.len()));
                    spans.push(Span {
                        line: breaks + 1,
                        text: pos..end,
                        in_place: true,
                        ends: first_end..ends.len(),
                    });
                }
                // The line break that ends it, as csv-core takes it (of a
                // CRLF, the CR; the LF is skipped as a blank line).
                pos = (end + 1).min(bytes.len());
                continue;
            }
            Next::Quoted => {}
        }
        let rec_out = out_len;
        let mut ends_len = 0;
        let done = loop {
            if out_len == out.len() {
                out.resize(out.len() * 2 + 16, 0);
            }
            if ends_len == rec_ends.len() {
                rec_ends.resize(rec_ends.len() * 2, 0);
            }
            // csv-core drops a UTF-8 BOM at the very start of what it is
            // first given; a record here is never the start of the file
            // (the BOM was decoded away already), so its first call gets
            // one byte and a BOM-like start stays data.
            let limit = if first_call { pos + 1 } else { bytes.len() };
            first_call = false;
            let (res, nin, nout, nend) = core.read_record(
                &bytes[pos..limit],
                &mut out[out_len..],
                &mut rec_ends[ends_len..],
            );
            pos += nin;
            out_len += nout;
            ends_len += nend;
            match res {
                ReadRecordResult::Record => break true,
                ReadRecordResult::End => break false,
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::InputEmpty if pos < bytes.len() => {}
                ReadRecordResult::InputEmpty if at_eof => {
                    // The end of the file closes the open record.
                    if ends_len == rec_ends.len() {
                        rec_ends.resize(rec_ends.len() * 2, 0);
                    }
                    let (res, _, nout, nend) =
                        core.read_record(&[], &mut out[out_len..], &mut rec_ends[ends_len..]);
                    out_len += nout;
                    ends_len += nend;
                    break res == ReadRecordResult::Record;
                }
                ReadRecordResult::InputEmpty => {
                    complete = false;
                    break false;
                }
            }
        };
        if !done {
            out_len = rec_out;
            break;
        }
        if is_blank(&out[rec_out..out_len]) {
            out_len = rec_out;
            continue;
        }
        let first_end = ends.len();
        ends.extend(rec_ends[..ends_len].iter().map(|&e| offset(e)));
        spans.push(Span {
            line: breaks + 1,
            text: rec_out..out_len,
            in_place: false,
            ends: first_end..ends.len(),
        });
    }
    breaks += count_breaks(bytes, counted..pos);
    out.truncate(out_len);
    Ok(Parsed {
        unquoted: simdutf8::compat::from_utf8(&out)?.to_owned(),
        text,
        ends,
        spans,
        breaks,
        consumed: pos,
        complete,
    })
}

/// Appends where `delimiter` is in `line`, eight bytes at a time: a
/// word's bytes that equal it, exactly, as the high bit of each byte
/// (memchr's per-call setup cost more than the search on lines of a few
/// dozen bytes between delimiters: 940 instructions a generated record
/// with memchr_iter, about 300 this way).
fn push_delimiters(line: &[u8], delimiter: u8, ends: &mut Vec<u32>) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = ONES * u64::from(delimiter);
    let words = line.chunks_exact(8);
    let tail = words.remainder();
    let mut base = 0u32;
    for w in words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default()) ^ pattern;
        // A zero byte of `x` is a delimiter; adding 0x7f to each byte's
        // low seven bits carries into its high bit unless they are zero,
        // and never into the next byte.
        let mut zeros = !(((x & LOW7) + LOW7) | x | LOW7);
        while zeros != 0 {
            ends.push(base + zeros.trailing_zeros() / 8);
            zeros &= zeros - 1;
        }
        base += 8;
    }
    for (i, &b) in (base..).zip(tail) {
        if b == delimiter {
            ends.push(i);
        }
    }
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

/// Whether a line without quotes is blank: every cell trims to nothing.
fn is_blank_line(line: &[u8], delimiter: u8) -> bool {
    // Nearly every record has a letter in its first byte.
    if line
        .iter()
        .any(|&b| b < 0x80 && b != delimiter && !(b as char).is_whitespace())
    {
        return false;
    }
    std::str::from_utf8(line)
        .is_ok_and(|s| s.split(char::from(delimiter)).all(|c| c.trim().is_empty()))
}

/// Whether a record's text (every cell, concatenated) is blank: every cell
/// trims to nothing exactly when the concatenation does.
fn is_blank(text: &[u8]) -> bool {
    // Nearly every record has a letter in its first byte.
    if text
        .iter()
        .any(|&b| b < 0x80 && !(b as char).is_whitespace())
    {
        return false;
    }
    std::str::from_utf8(text).is_ok_and(|s| s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &str) -> Vec<(u64, Vec<String>)> {
        let p = parse(data.as_bytes(), b',', true, usize::MAX).unwrap();
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
        let p = parse(b"a,b\n\"open\n", b',', false, usize::MAX).unwrap();
        assert!(!p.complete);
        assert_eq!(p.len(), 1);
        let p = parse(b"a,b\n\"closed\"\n", b',', false, usize::MAX).unwrap();
        assert!(p.complete);
        assert_eq!(p.len(), 2);
        // At the end of the file, the open quote runs to the end.
        let p = parse(b"a,b\n\"open\n", b',', true, usize::MAX).unwrap();
        assert!(p.complete);
        assert_eq!(p.get(1).unwrap().1.get(0), Some("open\n"));
    }

    #[test]
    fn a_bom_inside_the_text_is_data() {
        let p = parse("\u{feff}a,b\n".as_bytes(), b',', true, usize::MAX).unwrap();
        assert_eq!(p.get(0).unwrap().1.get(0), Some("\u{feff}a"));
    }

    #[test]
    fn stops_after_max_records() {
        let p = parse(b"\n\nh1,h2\r\na,b\r\n", b',', false, 1).unwrap();
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
            let p = parse(text.as_bytes(), delimiter, true, usize::MAX).unwrap();
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
    fn a_line_without_quotes_is_read_in_place() {
        let p = parse(b"a,,b c,\r\nx;y\n\"q\",r\n", b',', true, usize::MAX).unwrap();
        let (_, f) = p.get(0).unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), ["a", "", "b c", ""]);
        assert_eq!(f.text(), "a,,b c,");
        assert_eq!(f.get(2), Some("b c"));
        assert_eq!(f.get(4), None);
        let (_, f) = p.get(2).unwrap();
        assert_eq!(f.text(), "qr");
        assert_eq!(f.iter().collect::<Vec<_>>(), ["q", "r"]);
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
                    push_delimiters(&line, delimiter, &mut got);
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
