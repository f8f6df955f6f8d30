//! The decoded text in blocks of whole lines, and blocks cut into pieces
//! that parse on all cores.
//!
//! A block ends after a line break, so no line is split between two
//! blocks; what follows the last break waits for the next read. A line
//! break outside quotes ends a record, and one inside quotes does not, which
//! is only known by parsing from the start; so every cut is a guess that the
//! parse of the piece before it confirms ([`super::records::Parsed::complete`]).
//! A wrong guess (a quoted field with a line break in it, straddling the
//! cut) costs one sequential re-parse of the joined pieces.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes read per block: big enough to keep both cores busy between two
/// reads, small enough that three blocks in flight stay a few tens of MB.
pub const BLOCK: usize = 8 << 20;

/// Bytes per piece: a few thousand rows, so a block gives each core a
/// dozen pieces and the last one to finish leaves little idle time.
pub const PIECE: usize = 256 << 10;

/// Whole lines of text.
#[derive(Debug, Default)]
pub struct Block {
    pub bytes: Vec<u8>,
    /// The block reaches the end of the input.
    pub last: bool,
}

/// Reads a text stream block by block.
pub struct BlockReader {
    inner: Box<dyn Read + Send>,
    /// Bytes read but not yet handed out.
    carry: Vec<u8>,
    /// The buffers of blocks already parsed, to read the next blocks
    /// into. A new buffer is zeroed before the first read into it (the
    /// readers in front of the file take initialized slices) and its pages
    /// are new to the process; a used one is neither: 2.5 % of a
    /// verification's instructions, and page faults on the reading thread.
    spare: Option<Receiver<Vec<u8>>>,
}

impl BlockReader {
    pub fn new(inner: Box<dyn Read + Send>) -> Self {
        BlockReader {
            inner,
            carry: Vec::new(),
            spare: None,
        }
    }

    /// The next block: what was carried over plus at least `size` new
    /// bytes (or up to the end), cut after its last line break. `None` at
    /// the end of the input.
    pub fn next(&mut self, size: usize) -> io::Result<Option<Block>> {
        // A given-back buffer is initialized up to its length: only what
        // goes past that is zeroed.
        let mut bytes = match &self.spare {
            Some(spare) => spare.try_recv().unwrap_or_default(),
            None => Vec::new(),
        };
        let mut filled = self.carry.len();
        at_least(&mut bytes, filled);
        bytes[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        // Reading at least as much as is carried keeps the work linear when
        // one record spans many blocks (an unclosed quote, say).
        let mut want = size.max(filled);
        loop {
            at_least(&mut bytes, filled + want);
            let n = super::encoding::read_full(&mut self.inner, &mut bytes[filled..filled + want])?;
            filled += n;
            if n < want {
                bytes.truncate(filled);
                return Ok((!bytes.is_empty()).then_some(Block { bytes, last: true }));
            }
            if let Some(cut) = last_cut(&bytes[..filled]) {
                self.carry.extend_from_slice(&bytes[cut..filled]);
                bytes.truncate(cut);
                return Ok(Some(Block { bytes, last: false }));
            }
            want = filled;
        }
    }

    /// Puts `bytes` back in front of what is still unread: the end of a
    /// block that turned out to hold the start of a record only.
    pub fn unread(&mut self, bytes: &[u8]) {
        let mut carry = Vec::with_capacity(bytes.len() + self.carry.len());
        carry.extend_from_slice(bytes);
        carry.append(&mut self.carry);
        self.carry = carry;
    }
}

/// Makes `v` at least `len` bytes long (zeroing only what it adds).
fn at_least(v: &mut Vec<u8>, len: usize) {
    if v.len() < len {
        v.resize(len, 0);
    }
}

/// A [`BlockReader`] on a thread of its own, one block ahead, so that
/// reading (and decoding UTF-16 or Windows-1252) overlaps the parsing.
pub struct ReadAhead {
    rx: Receiver<io::Result<Option<Block>>>,
    /// Bytes given back, to go in front of the next block.
    front: Vec<u8>,
    /// Where the buffers of parsed blocks go back to the reader.
    spare: SyncSender<Vec<u8>>,
}

impl ReadAhead {
    pub fn start(mut blocks: BlockReader, size: usize) -> ReadAhead {
        let (tx, rx) = sync_channel(1);
        // One block is being read and one waits in the channel; two
        // buffers coming back are enough to keep every block in a used one.
        let (spare, spares) = sync_channel(2);
        blocks.spare = Some(spares);
        // Not scoped: the thread owns the reader and ends when the input
        // does, or when this side is dropped and its next send fails.
        std::thread::spawn(move || {
            loop {
                let next = blocks.next(size);
                let end = !matches!(next, Ok(Some(ref b)) if !b.last);
                if tx.send(next).is_err() || end {
                    break;
                }
            }
        });
        ReadAhead {
            rx,
            front: Vec::new(),
            spare,
        }
    }

    /// Gives the buffer of a parsed block back, to read another block
    /// into (dropped when the reader has enough).
    pub fn recycle(&self, bytes: Vec<u8>) {
        let _ = self.spare.try_send(bytes);
    }

    /// The next block, as [`BlockReader::next`] gives it.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        let carried = std::mem::take(&mut self.front);
        let mut block = match self.rx.recv() {
            Ok(Ok(Some(b))) => b,
            Ok(Err(e)) => return Err(e),
            // The end of the input.
            Ok(Ok(None)) | Err(_) => {
                return Ok((!carried.is_empty()).then_some(Block {
                    bytes: carried,
                    last: true,
                }));
            }
        };
        if carried.is_empty() {
            return Ok(Some(block));
        }
        // Taking at least as many new bytes as were carried keeps the work
        // linear when one record spans many blocks (an unclosed quote).
        let mut bytes = carried;
        let mut new = block.bytes.len();
        bytes.append(&mut block.bytes);
        while !block.last && new < bytes.len() - new {
            match self.rx.recv() {
                Ok(Ok(Some(mut b))) => {
                    new += b.bytes.len();
                    bytes.append(&mut b.bytes);
                    block.last = b.last;
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(None)) | Err(_) => block.last = true,
            }
        }
        Ok(Some(Block {
            bytes,
            last: block.last,
        }))
    }

    /// Puts `bytes` back in front of the next block.
    pub fn unread(&mut self, bytes: &[u8]) {
        let mut front = bytes.to_vec();
        front.append(&mut self.front);
        self.front = front;
    }
}

/// Ranges of `bytes` of about `size` bytes each, cut after line breaks.
pub fn pieces(bytes: &[u8], size: usize) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(bytes.len() / size.max(1) + 1);
    let mut start = 0;
    while start < bytes.len() {
        let end = match next_cut(bytes, start + size) {
            Some(cut) => cut,
            None => bytes.len(),
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// The first position at or after `from` that follows a line break, never
/// between the CR and LF of a CRLF.
fn next_cut(bytes: &[u8], from: usize) -> Option<usize> {
    let from = from.min(bytes.len());
    let i = from + memchr::memchr2(b'\n', b'\r', &bytes[from..])?;
    match (bytes[i], bytes.get(i + 1)) {
        (b'\n', _) => Some(i + 1),
        (_, Some(b'\n')) => Some(i + 2),
        (_, Some(_)) => Some(i + 1),
        // A CR as the last byte: an LF may follow in the next read.
        (_, None) => None,
    }
}

/// The last position in `bytes` that follows a line break (never between
/// a CR and an LF that may follow it).
fn last_cut(bytes: &[u8]) -> Option<usize> {
    for i in memchr::memrchr2_iter(b'\n', b'\r', bytes) {
        if bytes[i] == b'\n' || i + 1 < bytes.len() {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(data: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut r = BlockReader::new(Box::new(std::io::Cursor::new(data.to_vec())));
        let mut out = Vec::new();
        while let Some(b) = r.next(size).unwrap() {
            out.push(b.bytes);
        }
        out
    }

    #[test]
    fn blocks_end_after_line_breaks_and_lose_nothing() {
        let data = b"ab\ncd\r\nef\rgh\r\nij";
        for size in 1..data.len() + 2 {
            let got = blocks(data, size);
            assert_eq!(got.concat(), data, "size {size}");
            for (b, next) in got.iter().zip(&got[1..]) {
                assert!(matches!(b.last(), Some(b'\n' | b'\r')), "size {size}");
                // Never between CR and LF.
                assert!(
                    !(b.ends_with(b"\r") && next.starts_with(b"\n")),
                    "size {size}"
                );
            }
        }
    }

    #[test]
    fn a_block_without_a_line_break_grows() {
        let got = blocks(b"abcdefgh\nijklmnopqrstuvwxyz0123", 2);
        assert_eq!(
            got,
            vec![b"abcdefgh\n".to_vec(), b"ijklmnopqrstuvwxyz0123".to_vec()]
        );
    }

    #[test]
    fn read_ahead_gives_the_same_blocks() {
        let data = b"ab\ncd\r\nef\rgh\r\nij".to_vec();
        for size in 1..data.len() + 2 {
            let mut ahead = ReadAhead::start(
                BlockReader::new(Box::new(std::io::Cursor::new(data.clone()))),
                size,
            );
            let mut got = Vec::new();
            while let Some(b) = ahead.next_block().unwrap() {
                got.push(b.bytes.clone());
                // A used buffer, longer or shorter than the blocks, full
                // of other bytes: none of them may show in a later block.
                let mut used = b.bytes;
                used.resize(size * (got.len() % 3), b'x');
                used.fill(b'x');
                ahead.recycle(used);
            }
            assert_eq!(got, blocks(&data, size), "size {size}");
        }
        // Given-back bytes come first, joined to at least as many new ones.
        let mut ahead = ReadAhead::start(
            BlockReader::new(Box::new(std::io::Cursor::new(b"c\nd\ne\nf\n".to_vec()))),
            2,
        );
        ahead.unread(b"a\nb\n");
        let b = ahead.next_block().unwrap().unwrap();
        assert_eq!(b.bytes, b"a\nb\nc\nd\n");
        assert_eq!(ahead.next_block().unwrap().unwrap().bytes, b"e\n");
    }

    #[test]
    fn unread_bytes_come_first() {
        let mut r = BlockReader::new(Box::new(std::io::Cursor::new(b"c\nd\n".to_vec())));
        r.unread(b"a\nb\n");
        let b = r.next(1).unwrap().unwrap();
        assert!(b.bytes.starts_with(b"a\nb\n"));
    }

    #[test]
    fn pieces_cut_after_breaks() {
        let data = b"aaa\r\nbbb\rccc\nddd";
        let p = pieces(data, 2);
        assert_eq!(p, vec![0..5, 5..9, 9..13, 13..16]);
        assert!(pieces(b"", 4).is_empty());
        assert_eq!(pieces(b"abc", 100), vec![0..3]);
    }
}
