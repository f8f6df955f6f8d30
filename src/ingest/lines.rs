//! The physical lines of a stretch of text that is not all UTF-8, and the
//! quote that a file's end left open.
//!
//! A file is read as UTF-8 unless it is Windows-1252 as a whole (SPEC §11,
//! "Mixed encodings"; the decision is [`super::encoding`]'s). Either way,
//! the stretches that validate as UTF-8, nearly all of them, never come
//! here. One that does not is taken line by line: its UTF-8 lines are kept
//! as they are, and each line that is not is decoded, its UTF-8 sequences
//! as UTF-8 and every other byte as Windows-1252, and reported as a
//! [`BadLine`]: which byte, at which character of the line, in which field
//! of its record. In a file that is Windows-1252 as a whole no line has a
//! UTF-8 sequence of more than one byte, so this decodes it exactly as a
//! Windows-1252 decoder would, except for the five bytes Windows-1252 leaves
//! undefined: they become U+FFFD rather than C1 controls, and the rules
//! report them as an encoding error, not as a control character.
//!
//! The field of a byte is counted the way csv-core reads a record (a quote
//! opens a quoted field only at the start of a field, a doubled quote
//! inside one is a quote, a line break inside one does not end the record),
//! by a small scanner (`Scan`) that also finds where a quote that the end
//! of the file closed was opened (`unclosed`).

use std::ops::Range;

/// A byte that is not UTF-8, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadByte {
    pub byte: u8,
    /// Its position in its line, counting characters from 1 as the line
    /// decodes (each byte that is not UTF-8 is one character).
    pub char: u64,
    /// The field of its record it falls in, from 0.
    pub field: usize,
}

/// A physical line that is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadLine {
    /// The line (1-based; relative to the stretch parsed until the piece
    /// that holds it is numbered).
    pub line: u64,
    /// The line where the record that holds it starts (the line itself,
    /// unless it continues a quoted field).
    pub record_line: u64,
    /// The first byte of the line that is not UTF-8.
    pub first: BadByte,
    /// The first of those that Windows-1252 does not define either.
    pub undefined: Option<BadByte>,
}

impl BadLine {
    /// The same line, `lines` lines further down the file.
    pub fn moved(self, lines: u64) -> BadLine {
        BadLine {
            line: self.line + lines,
            record_line: self.record_line + lines,
            ..self
        }
    }
}

/// A quoted field that was still open at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unclosed {
    /// The line where the record starts.
    pub record_line: u64,
    /// The line where the quote opened.
    pub line: u64,
    /// The field the quote opened, from 0.
    pub field: usize,
    /// The last line that holds text (a line break ends the file, or blank
    /// lines do, after it).
    pub last_line: u64,
}

impl Unclosed {
    /// The same quote, `lines` lines further down the file.
    pub fn moved(self, lines: u64) -> Unclosed {
        Unclosed {
            record_line: self.record_line + lines,
            line: self.line + lines,
            last_line: self.last_line + lines,
            ..self
        }
    }
}

/// The bytes Windows-1252 leaves undefined (encoding_rs maps them to the
/// C1 controls of the same number).
pub const UNDEFINED_IN_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// Windows-1252 from 0x80 to 0x9F; from 0xA0 on it is Latin-1. The bytes
/// it leaves undefined decode as U+FFFD.
const C1: [char; 32] = [
    '\u{20AC}', '\u{FFFD}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{FFFD}', '\u{017D}', '\u{FFFD}',
    '\u{FFFD}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{FFFD}', '\u{017E}', '\u{0178}',
];

/// Whether `bytes` hold a byte Windows-1252 leaves undefined.
pub fn has_undefined(bytes: &[u8]) -> bool {
    memchr::memchr3(0x81, 0x8D, 0x8F, bytes).is_some()
        || memchr::memchr2(0x90, 0x9D, bytes).is_some()
}

/// One byte as Windows-1252 reads it.
pub fn windows_1252(b: u8) -> char {
    match b {
        0x80..=0x9F => C1[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Where csv-core is in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records (blank lines are skipped here).
    StartRecord,
    StartField,
    InField,
    InQuoted,
    /// A quote inside a quoted field: the closing one, or the first of two.
    QuoteInQuoted,
}

/// Reads a stretch byte by byte as csv-core would, keeping its physical
/// line (line breaks counted as [`super::records::count_breaks`] counts
/// them), its record's first line and the field it is in. Only the rare
/// paths use it, so it is simple rather than fast.
#[derive(Debug, Clone)]
pub(super) struct Scan {
    delimiter: u8,
    state: State,
    /// Bytes read.
    pos: usize,
    line: u64,
    record_line: u64,
    field: usize,
    /// Where the quoted field being read opened (line, field).
    opened: (u64, usize),
    last_text_line: u64,
    after_cr: bool,
}

impl Scan {
    /// A scanner at the start of a stretch, which starts a record.
    pub(super) fn new(delimiter: u8) -> Scan {
        Scan {
            delimiter,
            state: State::StartRecord,
            pos: 0,
            line: 1,
            record_line: 1,
            field: 0,
            opened: (1, 0),
            last_text_line: 0,
            after_cr: false,
        }
    }

    /// Reads `bytes` on to `to` (from where it stopped).
    pub(super) fn advance(&mut self, bytes: &[u8], to: usize) {
        let to = to.min(bytes.len());
        for &b in bytes.get(self.pos..to).unwrap_or_default() {
            let brk = b == b'\n' || b == b'\r';
            if !brk {
                self.last_text_line = self.line;
            }
            if self.state == State::StartRecord && !brk {
                self.state = State::StartField;
                self.record_line = self.line;
                self.field = 0;
            }
            let d = self.delimiter;
            self.state = match self.state {
                State::StartRecord => State::StartRecord,
                State::StartField if b == b'"' => {
                    self.opened = (self.line, self.field);
                    State::InQuoted
                }
                State::InQuoted if b == b'"' => State::QuoteInQuoted,
                State::InQuoted => State::InQuoted,
                State::QuoteInQuoted if b == b'"' => State::InQuoted,
                State::StartField | State::InField | State::QuoteInQuoted if b == d => {
                    self.field += 1;
                    State::StartField
                }
                State::StartField | State::InField | State::QuoteInQuoted if brk => {
                    State::StartRecord
                }
                State::StartField | State::InField | State::QuoteInQuoted => State::InField,
            };
            // A CRLF is one line break, counted at its CR.
            if brk && !(b == b'\n' && self.after_cr) {
                self.line += 1;
            }
            self.after_cr = b == b'\r';
        }
        self.pos = self.pos.max(to);
    }

    /// The line of the next byte.
    fn line(&self) -> u64 {
        self.line
    }

    /// The first line of the record the next byte is in.
    fn record_line(&self) -> u64 {
        match self.state {
            State::StartRecord => self.line,
            _ => self.record_line,
        }
    }

    /// The field the next byte is in.
    fn field(&self) -> usize {
        match self.state {
            State::StartRecord => 0,
            _ => self.field,
        }
    }

    /// The quote the bytes read so far leave open, if any.
    pub(super) fn open_quote(&self) -> Option<Unclosed> {
        (self.state == State::InQuoted).then_some(Unclosed {
            record_line: self.record_line,
            line: self.opened.0,
            field: self.opened.1,
            last_line: self.last_text_line.max(self.opened.0),
        })
    }
}

/// Whether the record that starts at `bytes[start]` (line `line` of
/// `bytes`) and runs to the end of `bytes` ends inside a quoted field:
/// where that quote opened.
// Cold, and out of line: the parse loop it is called from is the hot path
// of every verification, and this is only for the last record of a file.
#[cold]
#[inline(never)]
pub(super) fn unclosed(bytes: &[u8], start: usize, line: u64, delimiter: u8) -> Option<Unclosed> {
    let rest = bytes.get(start..)?;
    let mut scan = Scan::new(delimiter);
    scan.advance(rest, rest.len());
    scan.open_quote().map(|u| u.moved(line - 1))
}

/// A stretch decoded line by line, with its lines that are not UTF-8.
#[derive(Debug, Default)]
pub(super) struct Transcoded {
    pub text: String,
    pub bad: Vec<BadLine>,
    /// Where each bad line's content ends, in the bytes and in the text
    /// (to map a position in the text back to the bytes).
    ends: Vec<(usize, usize)>,
}

impl Transcoded {
    /// The bad lines whose text ends before byte `consumed`.
    pub fn within(&self, consumed: usize) -> Vec<BadLine> {
        self.bad
            .iter()
            .zip(&self.ends)
            .filter(|(_, (byte_end, _))| *byte_end <= consumed)
            .map(|(b, _)| *b)
            .collect()
    }

    /// The position in the bytes of position `at` of the text, which is
    /// not inside the content of a line that was decoded.
    pub fn byte_position(&self, at: usize) -> usize {
        let i = self.ends.partition_point(|&(_, text_end)| text_end <= at);
        match i.checked_sub(1).and_then(|i| self.ends.get(i)) {
            Some(&(byte_end, text_end)) => byte_end + (at - text_end),
            None => at,
        }
    }
}

/// Decodes `bytes`, whose first byte that is not UTF-8 is at `first`,
/// line by line (see the module docs).
#[cold]
#[inline(never)]
pub(super) fn transcode(bytes: &[u8], delimiter: u8, first: usize) -> Transcoded {
    let mut out = Transcoded {
        text: String::with_capacity(bytes.len() + bytes.len() / 16),
        ..Transcoded::default()
    };
    let mut scan = Scan::new(delimiter);
    // Bytes moved to the text so far, and the next byte that is not UTF-8.
    let (mut done, mut bad) = (0, Some(first));
    while let Some(at) = bad {
        let line = line_around(bytes, at, done);
        push_valid(&mut out.text, &bytes[done..line.start]);
        scan.advance(bytes, line.start);
        decode_line(bytes, line.clone(), &mut scan, &mut out);
        done = line.end;
        bad = match simdutf8::compat::from_utf8(&bytes[done..]) {
            Ok(_) => None,
            Err(e) => Some(done + e.valid_up_to()),
        };
    }
    push_valid(&mut out.text, &bytes[done..]);
    out
}

/// The line (without its line break) that holds `bytes[at]`, not starting
/// before `from`.
fn line_around(bytes: &[u8], at: usize, from: usize) -> Range<usize> {
    let start = memchr::memrchr2(b'\n', b'\r', &bytes[from..at]).map_or(from, |i| from + i + 1);
    let end = memchr::memchr2(b'\n', b'\r', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    start..end
}

/// Appends bytes known to be UTF-8.
fn push_valid(text: &mut String, bytes: &[u8]) {
    // Validated already; the check costs nothing next to a line's decoding.
    text.push_str(&String::from_utf8_lossy(bytes));
}

/// Decodes one line that is not UTF-8 and records it.
fn decode_line(bytes: &[u8], line: Range<usize>, scan: &mut Scan, out: &mut Transcoded) {
    let (number, record_line) = (scan.line(), scan.record_line());
    let mut first = None;
    let mut undefined = None;
    let mut chars = 0u64;
    let mut pos = line.start;
    for chunk in bytes[line.clone()].utf8_chunks() {
        out.text.push_str(chunk.valid());
        chars += chunk.valid().chars().count() as u64;
        pos += chunk.valid().len();
        for &b in chunk.invalid() {
            chars += 1;
            let here = |scan: &mut Scan| {
                scan.advance(bytes, pos);
                BadByte {
                    byte: b,
                    char: chars,
                    field: scan.field(),
                }
            };
            if first.is_none() {
                first = Some(here(scan));
            }
            if undefined.is_none() && UNDEFINED_IN_1252.contains(&b) {
                undefined = Some(here(scan));
            }
            out.text.push(windows_1252(b));
            pos += 1;
        }
    }
    scan.advance(bytes, line.end);
    if let Some(first) = first {
        out.bad.push(BadLine {
            line: number,
            record_line,
            first,
            undefined,
        });
        out.ends.push((line.end, out.text.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_as_encoding_rs_decodes_it() {
        for b in 0x80..=0xFFu8 {
            let byte = [b];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            let want = match UNDEFINED_IN_1252.contains(&b) {
                true => '\u{FFFD}',
                false => text.chars().next().unwrap_or_default(),
            };
            assert_eq!(windows_1252(b), want, "{b:#x}");
        }
    }

    fn decoded(bytes: &[u8]) -> Transcoded {
        let first = std::str::from_utf8(bytes).unwrap_err().valid_up_to();
        transcode(bytes, b',', first)
    }

    #[test]
    fn only_the_lines_that_are_not_utf8_are_decoded() {
        let bytes = b"a,Zo\xC3\xAB\r\nb,Z\xF6e\r\nc,\"x\ny,\xEB\x81\",k\nd,\xC3\xA9";
        let t = decoded(bytes);
        assert_eq!(t.text, "a,Zoë\r\nb,Zöe\r\nc,\"x\ny,ë\u{FFFD}\",k\nd,é");
        assert_eq!(
            t.bad,
            vec![
                BadLine {
                    line: 2,
                    record_line: 2,
                    first: BadByte {
                        byte: 0xF6,
                        char: 4,
                        field: 1
                    },
                    undefined: None,
                },
                BadLine {
                    line: 4,
                    record_line: 3,
                    first: BadByte {
                        byte: 0xEB,
                        char: 3,
                        field: 1
                    },
                    undefined: Some(BadByte {
                        byte: 0x81,
                        char: 4,
                        field: 1
                    }),
                },
            ]
        );
        // Positions in the text map back to the bytes at line starts.
        let d = t.text.find("d,").unwrap();
        assert_eq!(t.byte_position(d), bytes.len() - 4);
        assert_eq!(t.byte_position(3), 3);
    }

    #[test]
    fn finds_the_quote_the_end_left_open() {
        let text = b"a,\"b\"\"c\",d\r\ne,f\r\n";
        assert_eq!(unclosed(text, 0, 1, b','), None);
        let text = b"a,b,\"c\r\nd,e\r\n\r\n";
        assert_eq!(
            unclosed(text, 0, 3, b','),
            Some(Unclosed {
                record_line: 3,
                line: 3,
                field: 2,
                last_line: 4
            })
        );
        // A quote inside an unquoted field is a character.
        assert_eq!(unclosed(b"a,b\"c", 0, 1, b','), None);
        assert_eq!(
            unclosed(b"\"x\"\"\r\n", 0, 1, b';'),
            Some(Unclosed {
                record_line: 1,
                line: 1,
                field: 0,
                last_line: 1
            })
        );
    }
}
