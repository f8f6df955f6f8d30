//! Printing a command's data on standard output: an aligned table for a
//! person, JSON or CSV for a script. Messages go to standard error instead.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::Format;
use crate::error::{Error, Result};

/// Prints `rows` under `headers` in `format`; `json` is what JSON prints.
pub fn emit<T: Serialize + ?Sized>(
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    json: &T,
) -> Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let res = match format {
        Format::Text => table(&mut out, headers, rows),
        Format::Json => serde_json::to_writer_pretty(&mut out, json)
            .map_err(io::Error::other)
            .and_then(|()| writeln!(out)),
        Format::Csv => csv_rows(&mut out, headers, rows),
    };
    res.map_err(|e| Error::io("<stdout>", e))
}

/// An aligned plain-text table.
pub fn table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let parts: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(&mut headers.iter().copied()))?;
    for r in rows {
        writeln!(out, "{}", line(&mut r.iter().map(String::as_str)))?;
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
