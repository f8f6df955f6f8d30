//! The verification log in each of its forms (SPEC §6): a terminal table, a
//! spreadsheet-safe CSV, JSON for scripts, and the input annotated row by row.
//!
//! Writers take a [`Verification`] and never see a password: findings hold
//! `(hidden)` in its place, and the annotated copy blanks the column.

pub mod annotated;
pub mod csv_log;
pub mod json;
pub mod text;

use std::io::Write;
use std::path::Path;

pub use annotated::AnnotatedWriter;

use crate::rules::Verification;

/// The form of a log file, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Csv,
    Json,
}

impl LogFormat {
    pub fn for_path(path: &Path) -> LogFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => LogFormat::Csv,
            Some("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// Writes `log` in `format`.
pub fn write(log: &Verification, format: LogFormat, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        LogFormat::Text => text::write(log, out),
        LogFormat::Csv => csv_log::write(log, out),
        LogFormat::Json => json::write(log, out),
    }
}

/// Makes a cell safe to open in a spreadsheet: a leading `= + - @`, tab or
/// CR would make Excel run it as a formula, so it gets a `'` in front.
pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(formula_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(formula_safe("+1 425"), "'+1 425");
        assert_eq!(formula_safe("-2"), "'-2");
        assert_eq!(formula_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(formula_safe("\tx"), "'\tx");
        assert_eq!(formula_safe("John"), "John");
        assert_eq!(formula_safe(""), "");
    }

    #[test]
    fn format_by_extension() {
        assert_eq!(LogFormat::for_path(Path::new("a.CSV")), LogFormat::Csv);
        assert_eq!(LogFormat::for_path(Path::new("a.json")), LogFormat::Json);
        assert_eq!(LogFormat::for_path(Path::new("a.log")), LogFormat::Text);
    }
}
