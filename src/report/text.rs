//! The verification log for a person at a terminal: a summary line, then a
//! table of line, column, severity, code and message.

use std::io::{self, Write};

use crate::rules::Verification;

/// "verified 250 rows: 247 valid, 3 invalid; 5 errors, 2 warnings"
pub fn summary(log: &Verification) -> String {
    format!(
        "verified {} {}: {} valid, {} invalid; {} {}, {} {}",
        log.rows,
        plural(log.rows, "row", "rows"),
        log.valid_rows,
        log.invalid_rows,
        log.errors,
        plural(log.errors, "error", "errors"),
        log.warnings,
        plural(log.warnings, "warning", "warnings"),
    )
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

pub fn write(log: &Verification, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", summary(log))?;
    writeln!(
        out,
        "file: {} ({}, {}, {} header)",
        log.file, log.encoding, log.delimiter, log.dialect
    )?;
    if log.findings.is_empty() {
        return Ok(());
    }
    let col_w = log
        .findings
        .iter()
        .map(|f| log.column_name(f).map_or(1, str::len))
        .max()
        .unwrap_or(6)
        .max(6);
    let code_w = log
        .findings
        .iter()
        .map(|f| f.code.as_str().len())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(out)?;
    writeln!(
        out,
        "{:>7}  {:<col_w$}  {:<8}  {:<code_w$}  message",
        "line", "column", "severity", "code"
    )?;
    for f in &log.findings {
        let line = if f.line == 0 {
            "-".to_string()
        } else {
            f.line.to_string()
        };
        let column = log.column_name(f).unwrap_or("-");
        writeln!(
            out,
            "{line:>7}  {column:<col_w$}  {:<8}  {:<code_w$}  {}",
            f.severity.as_str(),
            f.code.as_str(),
            terminal_safe(&f.message)
        )?;
    }
    Ok(())
}

/// Messages quote values from the file; an escape sequence or line break in
/// one must not reach the terminal as such, so control characters are shown
/// escaped (`\u{1b}`).
fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let control = crate::rules::text::is_control;
    if !s.chars().any(control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if control(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(terminal_safe("plain"), "plain");
        assert_eq!(
            terminal_safe("\"a\u{1b}[31mred\nx\""),
            "\"a\\u{1b}[31mred\\nx\""
        );
    }
}
