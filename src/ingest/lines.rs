//! Physical line numbers for records.
//!
//! The csv crate reports where a record starts as a byte offset that may
//! point at the previous record's line terminator or at blank lines before
//! it, and its own line counter lags behind. So the decoded stream passes
//! through [`LineIndex`], which remembers where every CR and LF is; the line
//! of a record is then the number of LFs before its first byte that is not
//! a line break, plus one. Offsets are forgotten once passed, so memory stays
//! bounded by the read-ahead buffers.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that indexes the line breaks of what passes through it.
pub struct LineIndex<R> {
    inner: R,
    offset: u64,
    breaks: VecDeque<(u64, u8)>,
    lf_passed: u64,
}

impl<R: Read> LineIndex<R> {
    pub fn new(inner: R) -> Self {
        LineIndex {
            inner,
            offset: 0,
            breaks: VecDeque::new(),
            lf_passed: 0,
        }
    }

    /// The 1-based line of the first non-break byte at or after `start`.
    /// Calls must come with non-decreasing `start`.
    pub fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(at, _)) = self.breaks.front() {
            if at >= start {
                break;
            }
            self.pass_break();
        }
        let mut pos = start;
        while let Some(&(at, _)) = self.breaks.front() {
            if at != pos {
                break;
            }
            self.pass_break();
            pos += 1;
        }
        self.lf_passed + 1
    }

    /// Forgets the first break, counting the line it ends: an LF, or a CR
    /// not followed by an LF (classic Mac line ends, Excel's "CSV
    /// (Macintosh)"). The byte after a CR has always been read by then: it
    /// is at or before the start of the record being numbered.
    fn pass_break(&mut self) {
        if let Some((at, b)) = self.breaks.pop_front() {
            let crlf = b == b'\r' && self.breaks.front() == Some(&(at + 1, b'\n'));
            self.lf_passed += u64::from(b == b'\n' || (b == b'\r' && !crlf));
        }
    }
}

impl<R: Read> Read for LineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for i in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            self.breaks.push_back((self.offset + i as u64, buf[i]));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line of each record, the way the reader computes it.
    fn lines(data: &str) -> Vec<u64> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineIndex::new(data.as_bytes()));
        let mut rec = csv::StringRecord::new();
        let mut out = Vec::new();
        while r.read_record(&mut rec).unwrap() {
            let start = rec.position().unwrap().byte();
            out.push(r.get_mut().line_at(start));
        }
        out
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
}
