//! A view of one record through the header: values by [`Column`].

use crate::columns::Column;
use crate::ingest::{Fields, HeaderMap};

/// One data record, read by column.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub line: u64,
    pub record: u64,
    fields: Fields<'a>,
    header: &'a HeaderMap,
}

impl<'a> Row<'a> {
    pub fn new(line: u64, record: u64, fields: Fields<'a>, header: &'a HeaderMap) -> Self {
        Row {
            line,
            record,
            fields,
            header,
        }
    }

    /// The value as written; empty when the file has no such column.
    pub fn raw(&self, col: Column) -> &'a str {
        self.header
            .position(col)
            .and_then(|i| self.fields.get(i))
            .unwrap_or("")
    }

    /// The value with surrounding spaces trimmed (SPEC §4).
    pub fn get(&self, col: Column) -> &'a str {
        self.raw(col).trim()
    }

    /// Whether every byte of every field is printable ASCII (no control
    /// characters anywhere in the record).
    pub fn is_printable_ascii(&self) -> bool {
        // Branch-free over 16-byte chunks, so it vectorises.
        let bytes = self.fields.concatenated().as_bytes();
        let chunks = bytes.chunks_exact(16);
        let tail = chunks.remainder();
        chunks
            .map(|c| c.iter().fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b)))
            .fold(true, |ok, c| ok & c)
            && tail.iter().all(|b| (0x20..0x7f).contains(b))
    }

    /// Whether the record has as many fields as the header.
    pub fn width_matches(&self) -> bool {
        self.fields.len() == self.header.width()
    }

    pub fn width(&self) -> usize {
        self.fields.len()
    }

    /// A finding located on this row.
    pub fn error(&self, code: super::Code, col: Column) -> super::Finding {
        super::Finding::error(code, self.line, self.record, Some(col))
    }

    /// A warning located on this row.
    pub fn warning(&self, code: super::Code, col: Column) -> super::Finding {
        super::Finding::warning(code, self.line, self.record, Some(col))
    }
}
