//! The input written back with a `Verification` column holding each row's
//! findings, so an administrator can fix the file in Excel next to the
//! reasons, then verify the same file again (the column is ignored on read).
//!
//! The copy is UTF-8 with a BOM and CRLF line ends, in the input's delimiter,
//! so Excel in the administrator's locale opens it as it opened the input.
//! Passwords are not copied: the Password cells are emptied and the row says
//! so, because this file is a log and logs never hold passwords. An empty
//! Password means "generate one" on the next run. A row whose quote was
//! never closed holds the rest of the file, other rows' passwords with it,
//! from the cell where the quote opened: those cells are emptied too.
//!
//! An Entra file's `version:` first line is copied first, so every row
//! keeps its line number; findings name the columns as the file does.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::columns::{Column, ColumnNames};
use crate::error::{Error, Result};
use crate::ingest::{HeaderMap, Record};
use crate::rules::{Code, Finding};

/// Writes the annotated copy row by row during verification.
pub struct AnnotatedWriter {
    path: String,
    w: csv::Writer<BufWriter<File>>,
    /// The input's own Verification column, which is replaced, not copied.
    old: Option<usize>,
    password: Option<usize>,
    /// Fields in the header.
    width: usize,
    header: HeaderMap,
}

/// The text of a row's Verification cell, the columns named as `names`
/// says.
pub fn describe(findings: &[Finding], names: &ColumnNames, password_removed: bool) -> String {
    let mut parts: Vec<String> = findings
        .iter()
        .map(|f| match f.column {
            Some(c) => format!(
                "{} {} ({}): {}",
                f.severity.as_str(),
                f.code.as_str(),
                names.name(c),
                f.message
            ),
            None => format!("{} {}: {}", f.severity.as_str(), f.code.as_str(), f.message),
        })
        .collect();
    if parts.is_empty() {
        parts.push("OK".into());
    }
    if password_removed {
        parts.push("note: the password was removed from this copy; type it again, or leave it empty to generate one".into());
    }
    parts.join("; ")
}

impl AnnotatedWriter {
    /// Creates (or truncates) `path` and writes the header to it.
    pub fn create(path: &Path, header: &HeaderMap, delimiter: u8) -> Result<AnnotatedWriter> {
        let shown = path.display().to_string();
        let file = File::create(path).map_err(|e| Error::io(&shown, e))?;
        AnnotatedWriter::new(file, &shown, header, delimiter)
    }

    /// Writes the header to `file`, an empty file that messages call
    /// `shown`.
    pub fn new(
        mut file: File,
        shown: &str,
        header: &HeaderMap,
        delimiter: u8,
    ) -> Result<AnnotatedWriter> {
        let shown = shown.to_string();
        file.write_all(b"\xEF\xBB\xBF")
            .map_err(|e| Error::io(&shown, e))?;
        // Entra's first line, so that every line keeps its number.
        if let Some(version) = &header.version_line {
            file.write_all(version.as_bytes())
                .and_then(|()| file.write_all(b"\r\n"))
                .map_err(|e| Error::io(&shown, e))?;
        }
        let old = header.position(Column::Verification);
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(BufWriter::new(file));
        let mut cells: Vec<&str> = (0..header.width())
            .filter(|i| Some(*i) != old)
            .map(|i| header.cells[i].as_str())
            .collect();
        cells.push(Column::Verification.label());
        w.write_record(&cells)
            .map_err(|e| Error::io(&shown, e.into()))?;
        Ok(AnnotatedWriter {
            path: shown,
            w,
            old,
            password: header.position(Column::Password),
            width: header.width(),
            header: header.clone(),
        })
    }

    /// Appends one input record with its findings.
    pub fn row(&mut self, rec: &Record<'_>, findings: &[Finding]) -> Result<()> {
        let mut password_removed = false;
        let mut cells: Vec<&str> = Vec::with_capacity(rec.fields.len() + 1);
        // Ragged rows are copied as they are, field by field; in one, the
        // password may have moved by the difference in field count (an
        // unquoted comma before it, a missing cell), so every cell between
        // its column and where it may have moved to is emptied.
        let shift = rec.fields.len() as i64 - self.width as i64;
        let may_hold_password = |i: usize| {
            self.password.is_some_and(|p| {
                let (p, i) = (p as i64, i as i64);
                (p + shift.min(0)..=p + shift.max(0)).contains(&i)
            })
        };
        // Where a quote that was never closed opened (the first cell when
        // its column is not a template column).
        let unclosed = findings
            .iter()
            .find(|f| f.code == Code::UnclosedQuote)
            .map(|f| f.column.and_then(|c| self.header.position(c)).unwrap_or(0));
        let mut swallowed = false;
        for i in (0..rec.fields.len()).filter(|i| Some(*i) != self.old) {
            let v = rec.fields.get(i).unwrap_or("");
            if unclosed.is_some_and(|u| i >= u) && !v.trim().is_empty() {
                swallowed = true;
                cells.push("");
            } else if may_hold_password(i) && !v.trim().is_empty() {
                password_removed = true;
                cells.push("");
            } else {
                cells.push(v);
            }
        }
        let mut note = describe(findings, &self.header.names, password_removed);
        if swallowed {
            note.push_str(
                "; note: the text from the quote that is never closed on was removed from this \
                 copy (it holds the rest of the file, passwords with it); fix the quote in the \
                 original file",
            );
        }
        cells.push(&note);
        self.w
            .write_record(&cells)
            .map_err(|e| Error::io(&self.path, e.into()))
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(|e| Error::io(&self.path, e))
    }
}
