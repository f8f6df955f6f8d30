//! Printing a command's data on standard output: an aligned table for a
//! person, JSON or CSV for a script (SPEC §12). Messages go to standard
//! error instead.
//!
//! Every write goes through here so that a reader closing the pipe
//! (`onboard users list | head -1`) ends the command quietly with exit 0
//! ([`Error::ClosedStdout`]) instead of a panic in `println!`. Tables are
//! aligned by display width, so CJK names (two columns a character) and
//! combining accents (none) keep the columns straight.

use std::io::{self, Write};

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::cli::Format;
use crate::error::{Error, Result};
pub use crate::ops::Page;

/// Where a command's data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    Stdout,
    /// Nowhere: the steps of `demo --format json`, whose one document is
    /// the demo's own.
    Discard,
}

impl Out {
    /// Writes `text` as it is.
    pub fn text(self, text: &str) -> Result<()> {
        self.with(|w| w.write_all(text.as_bytes()))
    }

    /// Writes `line` and a line end.
    pub fn line(self, line: &str) -> Result<()> {
        self.with(|w| writeln!(w, "{line}"))
    }

    /// Writes `value` as one pretty-printed JSON document.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        self.with(|w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(io::Error::other)?;
            writeln!(w)
        })
    }

    /// Writes with `f` on the locked standard output and flushes it.
    pub fn with(self, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        match self {
            Out::Discard => Ok(()),
            Out::Stdout => {
                let mut out = io::stdout().lock();
                f(&mut out)
                    .and_then(|()| out.flush())
                    .map_err(Error::stdout)
            }
        }
    }
}

/// Prints a list: a table (with its page line when it has more than one
/// page, or is past its last), CSV, or the JSON page.
pub fn emit_page<T: Serialize>(
    out: Out,
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    page: &Page<T>,
    nouns: (&str, &str),
) -> Result<()> {
    match format {
        Format::Json => out.json(page),
        Format::Csv => out.with(|w| csv_rows(w, headers, rows)),
        Format::Text => out.with(|w| {
            table(w, headers, rows)?;
            if page.pages > 1 || page.page > page.pages || page.total == 0 {
                writeln!(w, "{}", page.footer(nouns.0, nouns.1))?;
            }
            Ok(())
        }),
    }
}

/// Prints `rows` under `headers` in `format`; `json` is what JSON prints.
pub fn emit<T: Serialize + ?Sized>(
    out: Out,
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    json: &T,
) -> Result<()> {
    match format {
        Format::Text => out.with(|w| table(w, headers, rows)),
        Format::Json => out.json(json),
        Format::Csv => out.with(|w| csv_rows(w, headers, rows)),
    }
}

/// An aligned plain-text table, columns padded to their display width.
pub fn table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            s.extend(std::iter::repeat_n(' ', w.saturating_sub(c.width())));
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(&mut headers.iter().copied()))?;
    for r in rows {
        writeln!(out, "{}", line(&mut r.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// Labelled values, one a line, the values aligned: the text of a command
/// that shows one thing (`batch show`, `tenant show`).
pub fn fields<L: AsRef<str>>(out: &mut dyn Write, fields: &[(L, String)]) -> io::Result<()> {
    let width = fields
        .iter()
        .map(|(l, _)| l.as_ref().width())
        .max()
        .unwrap_or(0);
    for (label, value) in fields {
        let label = label.as_ref();
        let pad = " ".repeat(width - label.width());
        let line = format!("{label}{pad}  {value}");
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn csv_rows(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(headers)?;
    for r in rows {
        w.write_record(
            r.iter()
                .map(|c| crate::report::formula_safe(c).into_owned()),
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_by_display_width() {
        let mut out = Vec::new();
        let rows = vec![
            vec!["山田太郎".to_string(), "a".to_string()],
            vec!["Zoe\u{308}".to_string(), "b".to_string()],
            vec!["Bob".to_string(), "c".to_string()],
        ];
        table(&mut out, &["Name", "X"], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let cols: Vec<usize> = text
            .lines()
            .map(|l| l[..l.rfind(' ').unwrap() + 1].width())
            .collect();
        assert_eq!(cols, vec![10, 10, 10, 10], "{text}");
    }
}
