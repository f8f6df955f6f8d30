//! Which text encoding a file uses, and a reader that turns it into UTF-8.
//!
//! Excel writes CSV as UTF-8 (with or without BOM), as UTF-16 with a BOM
//! ("Unicode text"), or in the Windows code page (Windows-1252 on Western
//! systems). A UTF-16 BOM decides. Otherwise the decision is about the
//! bytes that are not ASCII (SPEC §11, "Mixed encodings"):
//!
//! - all of them UTF-8: the file is UTF-8;
//! - some of them UTF-8 sequences of more than one byte, some not: the file
//!   is UTF-8 with lines that are not (each one an `encoding` error on its
//!   line; [`super::lines`] finds and decodes them);
//! - none of them UTF-8: the file is Windows-1252 as a whole (a warning
//!   naming the first line that needed it, [`line_at`]).
//!
//! A UTF-8 BOM does not by itself count as UTF-8 here: a file that starts
//! with one and has no other UTF-8 is still Windows-1252. Until this
//! decision, a file whose first bytes are a workbook, an archive or an
//! image is refused for what it is ([`guess`], [`what_it_is`]).
//!
//! Deciding needs the whole file. A verification does not wait for it:
//! it reads on the encoding the first bytes announce ([`guess`]) through a
//! [`SniffingReader`], which feeds every raw byte to a [`Sniffer`] (and the
//! SHA-256 of the batch record), and the answer is checked when the reading
//! ends; [`sniff`] is the same on a pass of its own. A file read as UTF-8
//! and a mixed one read the same way, so only one that is Windows-1252 as
//! a whole is read again.

use std::io::{self, Read};

use encoding_rs_io::DecodeReaderBytesBuilder;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::source::Source;
use crate::error::Error;

/// The encodings we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// What one pass over the raw bytes tells.
#[derive(Debug, Clone)]
pub struct Sniff {
    pub encoding: TextEncoding,
    /// Where the first byte that is not UTF-8 is (counting from the first
    /// byte of the file, BOM included): in a file read as UTF-8, the first
    /// line that is an `encoding` error holds it; in one read as
    /// Windows-1252, the first line that needed it.
    pub invalid_utf8_at: Option<u64>,
    /// Only computed when asked for (a commit records it with the batch).
    pub sha256: Option<[u8; 32]>,
    pub bytes: u64,
}

impl Sniff {
    /// What a file is taken to be before its whole sniff is known: the
    /// encoding its first bytes (a BOM) say, UTF-8 without one.
    pub fn assumed(encoding: TextEncoding) -> Sniff {
        Sniff {
            encoding,
            invalid_utf8_at: None,
            sha256: None,
            bytes: 0,
        }
    }

    /// Whether the file is read as UTF-8 though some of its lines are not.
    pub fn is_mixed(&self) -> bool {
        self.invalid_utf8_at.is_some()
            && matches!(self.encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom)
    }
}

/// The encoding the first bytes of `source` announce: a BOM decides,
/// otherwise UTF-8, which only the full [`sniff`] can confirm. A file that
/// is not text at all (a workbook, an archive, an image) is refused here,
/// named for what it is, before anything else reads it.
pub fn guess(source: &Source) -> Result<TextEncoding, Error> {
    let mut head = vec![0u8; HEAD];
    let n = read_full(&mut source.open()?, &mut head).map_err(|e| Error::io(source.name(), e))?;
    let head = &head[..n];
    if let Some(what) = what_it_is(head) {
        return Err(Error::input(source.name(), what));
    }
    Ok(announced(head))
}

/// How much of a file [`what_it_is`] looks at.
const HEAD: usize = 64 << 10;

/// What a file that is not text is, from its first bytes, as a message
/// that says what to do instead; `None` for anything else (a binary file
/// not named here is still refused, for its NUL bytes, by the sniff).
pub fn what_it_is(head: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    let what = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        // A ZIP archive; Office and OpenDocument files are ZIP archives
        // whose first entries name what they are.
        if has(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet") {
            "this is an OpenDocument spreadsheet (.ods): save it as CSV UTF-8 (in LibreOffice: \
             File > Save As > \"Text CSV\", character set Unicode (UTF-8))"
        } else if has(b"word/") {
            "this is a Word document (.docx), not a CSV file: export the users from Excel as CSV UTF-8"
        } else if has(b"ppt/") {
            "this is a PowerPoint presentation (.pptx), not a CSV file: export the users from \
             Excel as CSV UTF-8"
        } else if has(b"xl/") || has(b"[Content_Types].xml") {
            "this is an Excel workbook (.xlsx): save it as CSV UTF-8 (in Excel: File > Save As > \
             \"CSV UTF-8 (Comma delimited)\")"
        } else {
            "this is a ZIP archive, not a CSV file: extract the CSV file from it and verify that"
        }
    } else if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        if has(b"W\0o\0r\0k\0b\0o\0o\0k\0") || has(b"B\0o\0o\0k\0") {
            "this is an Excel 97-2003 workbook (.xls): save it as CSV UTF-8 (in Excel: File > \
             Save As > \"CSV UTF-8 (Comma delimited)\")"
        } else {
            "this is an Office 97-2003 file (such as .xls or .doc), not a CSV file: save the \
             users from Excel as CSV UTF-8"
        }
    } else if head.starts_with(b"\x1F\x8B") {
        "this is a gzip-compressed file (.gz), not a CSV file: decompress it and verify the CSV file"
    } else if head.starts_with(b"7z\xBC\xAF\x27\x1C") {
        "this is a 7-Zip archive (.7z), not a CSV file: extract the CSV file from it and verify that"
    } else if head.starts_with(b"Rar!\x1A\x07") {
        "this is a RAR archive (.rar), not a CSV file: extract the CSV file from it and verify that"
    } else if head.starts_with(b"\xFD7zXZ\0") {
        "this is an xz-compressed file (.xz), not a CSV file: decompress it and verify the CSV file"
    } else if head.starts_with(b"\x89PNG\r\n\x1A\n") {
        "this is a PNG image, not a CSV file: export the users from Excel as CSV UTF-8"
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        "this is a JPEG image, not a CSV file: export the users from Excel as CSV UTF-8"
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        "this is a GIF image, not a CSV file: export the users from Excel as CSV UTF-8"
    } else if head.starts_with(b"%PDF-") {
        "this is a PDF document, not a CSV file: export the users from Excel as CSV UTF-8"
    } else {
        return None;
    };
    Some(what)
}

/// The encoding a file's first bytes announce with a BOM; UTF-8 without.
fn announced(head: &[u8]) -> TextEncoding {
    if head.starts_with(b"\xFF\xFE") {
        TextEncoding::Utf16Le
    } else if head.starts_with(b"\xFE\xFF") {
        TextEncoding::Utf16Be
    } else if head.starts_with(BOM_UTF8) {
        TextEncoding::Utf8Bom
    } else {
        TextEncoding::Utf8
    }
}

const BOM_UTF8: &[u8] = b"\xEF\xBB\xBF";
const CHUNK: usize = 4 << 20;

/// Reads the whole input once: what it is ([`what_it_is`]), BOM, UTF-8
/// validity, NUL bytes, and the SHA-256 when `digest` is set.
pub fn sniff(source: &Source, digest: bool) -> Result<Sniff, Error> {
    let mut input = source.open()?;
    let mut buf = vec![0u8; CHUNK];
    let mut sniffer = Sniffer::new(digest);
    let mut first = true;
    loop {
        let n = read_full(&mut input, &mut buf).map_err(|e| Error::io(source.name(), e))?;
        if n == 0 {
            break;
        }
        if std::mem::take(&mut first)
            && let Some(what) = what_it_is(&buf[..n.min(HEAD)])
        {
            return Err(Error::input(source.name(), what));
        }
        sniffer.update(&buf[..n]);
    }
    sniffer.finish(&source.name())
}

/// The sniff, fed as the bytes go by: by [`sniff`], or by a
/// [`SniffingReader`] under the reader of a verification that assumed the
/// encoding, so that the file is read once.
pub struct Sniffer {
    digest: Option<Sha256>,
    total: u64,
    /// The first bytes, until there are enough to look for a BOM.
    head: Vec<u8>,
    encoding: Option<TextEncoding>,
    /// Bytes of an incomplete UTF-8 sequence carried over a chunk boundary.
    carry: Vec<u8>,
    invalid_at: Option<u64>,
    /// A UTF-8 sequence of more than one byte was seen: with bytes that are
    /// not UTF-8, the file is mixed, not Windows-1252.
    multibyte: bool,
    nul_at: Option<u64>,
}

impl Sniffer {
    pub fn new(digest: bool) -> Self {
        Sniffer {
            digest: digest.then(Sha256::new),
            total: 0,
            head: Vec::new(),
            encoding: None,
            carry: Vec::with_capacity(4),
            invalid_at: None,
            multibyte: false,
            nul_at: None,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        if self.encoding.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() >= BOM_UTF8.len() {
                self.decide();
            }
            return;
        }
        self.scan(chunk);
    }

    /// Decides the encoding from the first bytes, then scans them.
    fn decide(&mut self) {
        let head = std::mem::take(&mut self.head);
        self.encoding = Some(announced(&head));
        self.scan(&head);
    }

    fn scan(&mut self, chunk: &[u8]) {
        if let Some(h) = &mut self.digest {
            h.update(chunk);
        }
        let start = self.total;
        self.total += chunk.len() as u64;
        let mut body = chunk;
        if start == 0 && self.encoding == Some(TextEncoding::Utf8Bom) {
            body = &chunk[BOM_UTF8.len()..];
        }
        if matches!(
            self.encoding,
            Some(TextEncoding::Utf16Le | TextEncoding::Utf16Be)
        ) {
            return;
        }
        let offset = start + (chunk.len() - body.len()) as u64;
        if self.nul_at.is_none()
            && let Some(i) = memchr::memchr(0, body)
        {
            self.nul_at = Some(offset + i as u64);
        }
        self.check_text(body, offset);
    }

    /// Follows the UTF-8 of the text, `body` starting at `offset` of the
    /// file: where the first byte that is not UTF-8 is, and whether any
    /// sequence of more than one byte is UTF-8.
    fn check_text(&mut self, mut body: &[u8], mut offset: u64) {
        if self.invalid_at.is_some() && self.multibyte {
            // Mixed: nothing more to learn.
            return;
        }
        if !self.carry.is_empty() {
            let taken = self.complete_carried(body, offset);
            body = &body[taken..];
            offset += taken as u64;
            if !self.carry.is_empty() {
                return;
            }
        }
        if self.invalid_at.is_none() {
            // Every byte of every file goes through here: simdutf8
            // validates several times faster than std, with the same error
            // positions.
            match simdutf8::compat::from_utf8(body) {
                Ok(_) => return self.note_valid(body),
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.note_valid(&body[..valid]);
                    let Some(len) = e.error_len() else {
                        self.carry.extend_from_slice(&body[valid..]);
                        return;
                    };
                    self.invalid_at = Some(offset + valid as u64);
                    body = &body[valid + len..];
                }
            }
        }
        // Past the first byte that is not UTF-8 (the rare path) only one
        // question is left: is any sequence of more than one byte UTF-8?
        while !self.multibyte {
            match std::str::from_utf8(body) {
                Ok(_) => return self.note_valid(body),
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.note_valid(&body[..valid]);
                    let Some(len) = e.error_len() else {
                        self.carry.extend_from_slice(&body[valid..]);
                        return;
                    };
                    body = &body[valid + len..];
                }
            }
        }
    }

    /// Notes UTF-8 text: any byte of it that is not ASCII belongs to a
    /// sequence of more than one byte.
    fn note_valid(&mut self, text: &[u8]) {
        // Stops at the first such byte, and is only asked until one is
        // seen: in a file with accented names, once near its start.
        if !self.multibyte && !text.is_ascii() {
            self.multibyte = true;
        }
    }

    /// Completes the sequence carried over from the previous chunk (which
    /// started `carry.len()` bytes before `offset`) with the first bytes of
    /// `body`; the number of them it took.
    fn complete_carried(&mut self, body: &[u8], offset: u64) -> usize {
        let had = self.carry.len();
        let start = offset.saturating_sub(had as u64);
        // No sequence is longer than four bytes.
        let take = body.len().min(4usize.saturating_sub(had));
        self.carry.extend_from_slice(&body[..take]);
        let taken = match std::str::from_utf8(&self.carry) {
            Err(e) if e.valid_up_to() == 0 => match e.error_len() {
                // Not UTF-8: the carried bytes and any that continued them.
                Some(len) => {
                    self.invalid_at.get_or_insert(start);
                    len.saturating_sub(had)
                }
                // Still incomplete: `body` is all taken and carried.
                None if take == body.len() => return take,
                // (Four bytes always complete a sequence or refuse it.)
                None => {
                    self.invalid_at.get_or_insert(start);
                    0
                }
            },
            // The first sequence is complete (what follows it in the
            // window is read again with the rest of `body`).
            _ => {
                self.multibyte = true;
                sequence_len(self.carry[0]).saturating_sub(had)
            }
        };
        self.carry.clear();
        taken.min(body.len())
    }

    /// What the bytes seen say; a NUL byte refuses the file (`name` is
    /// how messages name it).
    pub fn finish(mut self, name: &str) -> Result<Sniff, Error> {
        if self.encoding.is_none() {
            self.decide();
        }
        let mut invalid_at = self.invalid_at;
        if invalid_at.is_none() && !self.carry.is_empty() {
            // The file ends inside a multi-byte sequence.
            invalid_at = Some(self.total - self.carry.len() as u64);
        }
        let mixed = self.multibyte;
        if let Some(at) = self.nul_at {
            return Err(Error::input(
                name,
                format!(
                    "is not a text file (a NUL byte at offset {at}); save it from Excel as \
                     \"CSV UTF-8 (Comma delimited)\", or as \"Unicode Text\", which starts with a BOM"
                ),
            ));
        }
        let mut encoding = self.encoding.unwrap_or(TextEncoding::Utf8);
        // Bytes that are not UTF-8 and no UTF-8 sequence of more than one
        // byte: Windows-1252 as a whole, whatever BOM it has. With some
        // such sequence, the file stays UTF-8 (mixed).
        if invalid_at.is_some() && !mixed {
            encoding = TextEncoding::Windows1252;
        }
        Ok(Sniff {
            encoding,
            invalid_utf8_at: invalid_at,
            sha256: self.digest.map(|h| h.finalize().into()),
            bytes: self.total,
        })
    }
}

/// Where a [`SniffingReader`] leaves its sniff when the input ends.
pub type SniffSlot = std::sync::Arc<std::sync::Mutex<Option<Result<Sniff, Error>>>>;

/// A reader that sniffs what passes through it; at the end of the input
/// the sniff is left in its slot.
pub struct SniffingReader<R> {
    inner: R,
    sniffer: Option<Sniffer>,
    name: String,
    slot: SniffSlot,
}

impl<R: Read> SniffingReader<R> {
    pub fn new(inner: R, digest: bool, name: String, slot: SniffSlot) -> Self {
        SniffingReader {
            inner,
            sniffer: Some(Sniffer::new(digest)),
            name,
            slot,
        }
    }
}

impl<R: Read> Read for SniffingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match (n, self.sniffer.take()) {
            (0, Some(sniffer)) if !buf.is_empty() => {
                let sniff = sniffer.finish(&self.name);
                if let Ok(mut slot) = self.slot.lock() {
                    *slot = Some(sniff);
                }
            }
            (_, Some(mut sniffer)) => {
                sniffer.update(&buf[..n]);
                self.sniffer = Some(sniffer);
            }
            (_, None) => {}
        }
        Ok(n)
    }
}

/// The length of the UTF-8 sequence `lead` starts (a lead byte of one
/// that may be valid: the first byte of an incomplete sequence).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

/// The line (from 1, as [`super::records::count_breaks`] counts them)
/// that holds byte `offset` of `source`, and that byte. A second look at a
/// file that is Windows-1252 as a whole, only as far as its first byte
/// that is not UTF-8, to name the first line that needed it.
pub fn line_at(source: &Source, offset: u64) -> Result<(u64, u8), Error> {
    let mut input = source.open()?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut line, mut left, mut after_cr) = (1u64, offset, false);
    loop {
        let n = read_full(&mut input, &mut buf).map_err(|e| Error::io(source.name(), e))?;
        let chunk = &buf[..n];
        let here = usize::try_from(left).map_or(n, |l| l.min(n));
        // A CRLF is one line break, counted at its CR.
        for i in memchr::memchr2_iter(b'\n', b'\r', &chunk[..here]) {
            let cr_before = match i {
                0 => after_cr,
                _ => chunk[i - 1] == b'\r',
            };
            if chunk[i] == b'\r' || !cr_before {
                line += 1;
            }
        }
        if here < n || n == 0 {
            return Ok((line, chunk.get(here).copied().unwrap_or(0)));
        }
        after_cr = chunk.last() == Some(&b'\r');
        left -= n as u64;
    }
}

/// Reads until `buf` is full or the input ends; the bytes read.
pub(super) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader over `raw` (opened from its first byte), without any BOM:
/// UTF-16 decoded to UTF-8; UTF-8 and Windows-1252 as they are, because
/// their lines that are not UTF-8 are decoded one by one where they are
/// parsed ([`super::lines`]), and reported.
pub fn utf8_reader(raw: Box<dyn Read + Send>, encoding: TextEncoding) -> Box<dyn Read + Send> {
    let (raw, enc): (Box<dyn Read + Send>, _) = match encoding {
        TextEncoding::Utf8 => return raw,
        TextEncoding::Utf8Bom => {
            return Box::new(SkipPrefix {
                inner: raw,
                skip: BOM_UTF8.len(),
            });
        }
        TextEncoding::Utf16Le => (
            Box::new(SkipPrefix {
                inner: raw,
                skip: 2,
            }),
            encoding_rs::UTF_16LE,
        ),
        TextEncoding::Utf16Be => (
            Box::new(SkipPrefix {
                inner: raw,
                skip: 2,
            }),
            encoding_rs::UTF_16BE,
        ),
        // A UTF-8 BOM in front of a file that is Windows-1252 is dropped.
        TextEncoding::Windows1252 => {
            return Box::new(SkipPrefixIf {
                inner: raw,
                prefix: BOM_UTF8,
                checked: false,
            });
        }
    };
    Box::new(
        DecodeReaderBytesBuilder::new()
            .encoding(Some(enc))
            .bom_override(false)
            .bom_sniffing(false)
            .build(raw),
    )
}

/// Drops the first `skip` bytes (a BOM known to be there).
struct SkipPrefix {
    inner: Box<dyn Read + Send>,
    skip: usize,
}

impl Read for SkipPrefix {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.skip > 0 {
            let mut tmp = [0u8; 4];
            let n = self.inner.read(&mut tmp[..self.skip.min(4)])?;
            if n == 0 {
                self.skip = 0;
                return Ok(0);
            }
            self.skip -= n;
        }
        self.inner.read(buf)
    }
}

/// Drops `prefix` if the stream starts with it.
struct SkipPrefixIf {
    inner: Box<dyn Read + Send>,
    prefix: &'static [u8],
    checked: bool,
}

impl Read for SkipPrefixIf {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.checked {
            return self.inner.read(buf);
        }
        self.checked = true;
        let mut head = vec![0u8; self.prefix.len()];
        let n = read_full(&mut self.inner, &mut head)?;
        head.truncate(n);
        if head == self.prefix {
            return self.inner.read(buf);
        }
        let take = head.len().min(buf.len());
        buf[..take].copy_from_slice(&head[..take]);
        if take < head.len() {
            // The caller's buffer is smaller than the prefix: keep the rest.
            let rest = head[take..].to_vec();
            let inner = std::mem::replace(&mut self.inner, Box::new(io::empty()));
            self.inner = Box::new(io::Cursor::new(rest).chain(inner));
        }
        Ok(take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_bytes(b: &[u8]) -> Sniff {
        sniff(&Source::from_bytes("t", b.to_vec()), false).unwrap()
    }

    fn decode(b: &[u8]) -> Vec<u8> {
        let s = sniff_bytes(b);
        let src = Source::from_bytes("t", b.to_vec());
        let mut out = Vec::new();
        utf8_reader(src.open().unwrap(), s.encoding)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Fed a byte at a time (a reader may return that little), the sniffer
    /// says what one pass over the whole file says.
    #[test]
    fn byte_at_a_time_sniffs_the_same() {
        let inputs: [&[u8]; 8] = [
            b"a,b\r\nJos\xC3\xA9,x\r\n",
            b"\xEF\xBB\xBFa,b",
            b"\xEF\xBB",
            b"\xFF\xFEa\0b\0",
            b"Jos\xE9",
            b"a\0b",
            b"caf\xC3",
            b"",
        ];
        for input in inputs {
            let whole = sniff(&Source::from_bytes("t", input.to_vec()), true);
            let mut sniffer = Sniffer::new(true);
            for b in input {
                sniffer.update(std::slice::from_ref(b));
            }
            let bytewise = sniffer.finish("t");
            match (whole, bytewise) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.encoding, b.encoding, "{input:?}");
                    assert_eq!(a.invalid_utf8_at, b.invalid_utf8_at, "{input:?}");
                    assert_eq!(a.sha256, b.sha256, "{input:?}");
                    assert_eq!(a.bytes, b.bytes, "{input:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{input:?}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn detects_each_encoding() {
        assert_eq!(sniff_bytes(b"a,b").encoding, TextEncoding::Utf8);
        assert_eq!(
            sniff_bytes(b"\xEF\xBB\xBFa,b").encoding,
            TextEncoding::Utf8Bom
        );
        assert_eq!(sniff_bytes(b"\xFF\xFEa\0").encoding, TextEncoding::Utf16Le);
        assert_eq!(sniff_bytes(b"\xFE\xFF\0a").encoding, TextEncoding::Utf16Be);
        assert_eq!(sniff_bytes(b"Jos\xE9").encoding, TextEncoding::Windows1252);
        assert_eq!(sniff_bytes("José".as_bytes()).encoding, TextEncoding::Utf8);
    }

    #[test]
    fn decodes_utf16_and_drops_the_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), b"a,b");
        assert_eq!(decode(b"\xFF\xFEa\0,\0\xE9\0"), "a,é".as_bytes());
        assert_eq!(decode(b"\xFE\xFF\0a\0,\0\xE9"), "a,é".as_bytes());
        // Windows-1252 is decoded line by line where it is parsed.
        assert_eq!(decode(b"Jos\xE9 \x80"), b"Jos\xE9 \x80");
        assert_eq!(decode(b"\xEF\xBB\xBFJos\xE9"), b"Jos\xE9");
    }

    #[test]
    fn rejects_binary() {
        assert!(sniff(&Source::from_bytes("t", b"PK\x03\x04\0\0".to_vec()), false).is_err());
    }

    /// The decision of SPEC §11: all UTF-8, mixed (read as UTF-8), or
    /// Windows-1252 as a whole; a UTF-8 BOM is no evidence by itself.
    #[test]
    fn mixed_files_stay_utf8() {
        let mixed = sniff_bytes(b"a,Zo\xC3\xAB\r\nb,M\xFCller\r\n");
        assert_eq!(mixed.encoding, TextEncoding::Utf8);
        assert!(mixed.is_mixed());
        assert_eq!(mixed.invalid_utf8_at, Some(11));
        // The UTF-8 may come after the first byte that is not.
        let late = sniff_bytes(b"b,M\xFCller\r\na,Zo\xC3\xAB\r\n");
        assert_eq!(
            (late.encoding, late.invalid_utf8_at),
            (TextEncoding::Utf8, Some(3))
        );
        let bom = sniff_bytes(b"\xEF\xBB\xBFb,M\xFCller\r\na,Zo\xC3\xAB");
        assert_eq!(bom.encoding, TextEncoding::Utf8Bom);
        assert!(bom.is_mixed());
        // None of it UTF-8: Windows-1252, BOM or not.
        let whole = sniff_bytes(b"\xEF\xBB\xBFb,M\xFCller\r\na,Zo\xEB");
        assert_eq!(whole.encoding, TextEncoding::Windows1252);
        assert!(!whole.is_mixed());
        // A sequence cut short by the end of the file is not UTF-8.
        assert_eq!(sniff_bytes(b"caf\xC3").encoding, TextEncoding::Windows1252);
        assert_eq!(sniff_bytes("café".as_bytes()).encoding, TextEncoding::Utf8);
    }

    /// Split at every place, by chunks of every size, the sniff of a text
    /// is that of one pass.
    #[test]
    fn chunks_of_every_size_sniff_the_same() {
        let inputs: [&[u8]; 6] = [
            "a,Zoë €\r\n😀,b".as_bytes(),
            b"x\xF0\x9F\x98y\xC3\xA9",
            b"\xE2\x82,\xE2\x82\xAC",
            b"\xF0\x9F\x98\x80\xFF",
            b"\xC3\xC3\xA9\xE9",
            b"ab\xF4\x90\x80\x80c",
        ];
        for input in inputs {
            let whole = sniff(&Source::from_bytes("t", input.to_vec()), false).unwrap();
            for size in 1..input.len() {
                let mut sniffer = Sniffer::new(false);
                for chunk in input.chunks(size) {
                    sniffer.update(chunk);
                }
                let cut = sniffer.finish("t").unwrap();
                assert_eq!(
                    (cut.encoding, cut.invalid_utf8_at),
                    (whole.encoding, whole.invalid_utf8_at),
                    "{input:?} by {size}"
                );
            }
        }
    }

    #[test]
    fn names_what_is_not_text() {
        let xlsx = b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml";
        assert!(
            what_it_is(xlsx)
                .unwrap()
                .starts_with("this is an Excel workbook (.xlsx)")
        );
        assert!(
            what_it_is(b"PK\x03\x04\x14\0users.csv")
                .unwrap()
                .contains("ZIP archive")
        );
        assert!(
            what_it_is(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0W\0o\0r\0k\0b\0o\0o\0k\0")
                .unwrap()
                .contains("(.xls)")
        );
        assert!(
            what_it_is(b"\x89PNG\r\n\x1A\n\0")
                .unwrap()
                .contains("PNG image")
        );
        assert!(what_it_is(b"%PDF-1.7").unwrap().contains("PDF"));
        assert_eq!(what_it_is(b"User Name,Display Name\r\n"), None);
        assert_eq!(what_it_is(b"\xFF\xFEU\0"), None);
    }

    #[test]
    fn line_at_counts_breaks_as_the_records_do() {
        let bytes = b"a\r\nb\rc\n\nd\xE9";
        let at = bytes.len() as u64 - 1;
        assert_eq!(
            line_at(&Source::from_bytes("t", bytes.to_vec()), at).unwrap(),
            (5, 0xE9)
        );
        assert_eq!(
            super::super::records::count_breaks(bytes, 0..bytes.len()) + 1,
            5
        );
    }
}
