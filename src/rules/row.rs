//! A view of one record through the header: values by [`Column`].

use csv::StringRecord;

use crate::columns::Column;
use crate::ingest::HeaderMap;

/// One data record, read by column.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub line: u64,
    pub record: u64,
    fields: &'a StringRecord,
    header: &'a HeaderMap,
}

impl<'a> Row<'a> {
    pub fn new(line: u64, record: u64, fields: &'a StringRecord, header: &'a HeaderMap) -> Self {
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
        self.fields
            .as_slice()
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b))
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
