//! Which text encoding a file uses, and a reader that turns it into UTF-8.
//!
//! Excel writes CSV as UTF-8 (with or without BOM), as UTF-16 with a BOM
//! ("Unicode text"), or in the Windows code page (Windows-1252 on Western
//! systems). A BOM decides; without one, a file that is entirely valid UTF-8
//! is UTF-8, and anything else is read as Windows-1252 with a warning (SPEC
//! §4). Deciding needs the whole file. A verification does not wait for it:
//! it reads on the encoding the first bytes announce ([`guess`]) through a
//! [`SniffingReader`], which feeds every raw byte to a [`Sniffer`] (and the
//! SHA-256 of the batch record), and the answer is checked when the reading
//! ends; [`sniff`] is the same on a pass of its own.

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
    /// Where the first invalid UTF-8 byte was, when the file fell back to
    /// Windows-1252 (for the warning).
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
}

/// The encoding the first bytes of `source` announce: a BOM decides,
/// otherwise UTF-8, which only the full [`sniff`] can confirm.
pub fn guess(source: &Source) -> Result<TextEncoding, Error> {
    let mut head = [0u8; 3];
    let n = read_full(&mut source.open()?, &mut head).map_err(|e| Error::io(source.name(), e))?;
    Ok(announced(&head[..n]))
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

/// Reads the whole input once: BOM, UTF-8 validity, NUL bytes, and the
/// SHA-256 when `digest` is set.
pub fn sniff(source: &Source, digest: bool) -> Result<Sniff, Error> {
    let mut input = source.open()?;
    let mut buf = vec![0u8; CHUNK];
    let mut sniffer = Sniffer::new(digest);
    loop {
        let n = read_full(&mut input, &mut buf).map_err(|e| Error::io(source.name(), e))?;
        if n == 0 {
            break;
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
        if self.invalid_at.is_none() {
            self.invalid_at = check_utf8(&mut self.carry, body).map(|i| offset + i as u64);
        }
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
        if invalid_at.is_some() {
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

/// Validates `body` as the continuation of a UTF-8 stream whose last
/// incomplete sequence is in `carry`. Returns the offset (in `body`) of the
/// first invalid byte.
fn check_utf8(carry: &mut Vec<u8>, mut body: &[u8]) -> Option<usize> {
    let mut consumed = 0usize;
    if !carry.is_empty() {
        // Complete the sequence started in the previous chunk, byte by byte.
        while !body.is_empty() && carry.len() < 4 {
            carry.push(body[0]);
            body = &body[1..];
            consumed += 1;
            match std::str::from_utf8(carry) {
                Ok(_) => break,
                Err(e) if e.error_len().is_some() => return Some(0),
                Err(_) => {}
            }
        }
        if std::str::from_utf8(carry).is_err() {
            if body.is_empty() && carry.len() < 4 {
                return None;
            }
            return Some(0);
        }
        carry.clear();
    }
    // Every byte of every file goes through here: simdutf8 validates
    // several times faster than std, with the same error positions.
    match simdutf8::compat::from_utf8(body) {
        Ok(_) => None,
        Err(e) => match e.error_len() {
            Some(_) => Some(consumed + e.valid_up_to()),
            None => {
                carry.extend_from_slice(&body[e.valid_up_to()..]);
                None
            }
        },
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

/// A UTF-8 reader over `raw` (opened from its first byte), without any BOM.
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
        // A UTF-8 BOM in front of a file that is not valid UTF-8 is dropped
        // before the rest is decoded as Windows-1252.
        TextEncoding::Windows1252 => (
            Box::new(SkipPrefixIf {
                inner: raw,
                prefix: BOM_UTF8,
                checked: false,
            }),
            encoding_rs::WINDOWS_1252,
        ),
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

    fn decode(b: &[u8]) -> String {
        let s = sniff_bytes(b);
        let src = Source::from_bytes("t", b.to_vec());
        let mut out = String::new();
        utf8_reader(src.open().unwrap(), s.encoding)
            .read_to_string(&mut out)
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
    fn decodes_to_utf8_without_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), "a,b");
        assert_eq!(decode(b"\xFF\xFEa\0,\0\xE9\0"), "a,é");
        assert_eq!(decode(b"\xFE\xFF\0a\0,\0\xE9"), "a,é");
        assert_eq!(decode(b"Jos\xE9 \x80"), "José €");
        assert_eq!(decode(b"\xEF\xBB\xBFJos\xE9"), "José");
    }

    #[test]
    fn rejects_binary() {
        assert!(sniff(&Source::from_bytes("t", b"PK\x03\x04\0\0".to_vec()), false).is_err());
    }

    #[test]
    fn utf8_split_across_chunks_is_valid() {
        let mut carry = Vec::new();
        let e = "é".as_bytes();
        assert_eq!(check_utf8(&mut carry, &[b'a', e[0]]), None);
        assert_eq!(check_utf8(&mut carry, &[e[1], b'b']), None);
        assert!(carry.is_empty());
        let mut carry = Vec::new();
        assert_eq!(check_utf8(&mut carry, &[b'a', e[0]]), None);
        assert_eq!(check_utf8(&mut carry, b"b"), Some(0));
    }
}
