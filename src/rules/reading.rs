//! Findings about how the file read (SPEC §11): lines that are not UTF-8,
//! a quote never closed, a line break inside quotes, a column with values
//! and no header.
//!
//! `ingest` reports these as plain data ([`BadLine`], [`Unclosed`], the
//! header's empty cells); their messages name lines, which are only known
//! once the pieces before them are numbered, so [`super::verify`] makes
//! them there, after the per-row rules.

use crate::columns::Column;
use crate::finding::{Code, Finding};
use crate::ingest::{BadByte, BadLine, HeaderMap, Record, Unclosed, records};

/// How messages name field `field`: its template column, or its position.
fn field_name(header: &HeaderMap, field: usize) -> String {
    match header.by_position().get(field).copied().flatten() {
        Some(col) => col.label().to_string(),
        None => format!("column {}", field + 1),
    }
}

fn column_of(header: &HeaderMap, field: usize) -> Option<Column> {
    header.by_position().get(field).copied().flatten()
}

/// The `encoding` finding of a line that is not UTF-8, on the record
/// `rec` that holds it (`None` when the header is the record). In a file
/// read as UTF-8, every such line is an error; in one that is
/// Windows-1252 as a whole, only a line with a byte Windows-1252 does not
/// define either.
pub fn bad_line(
    bad: &BadLine,
    rec: Option<&Record<'_>>,
    header: &HeaderMap,
    header_line: u64,
    windows_1252: bool,
) -> Option<Finding> {
    let (byte, message) = match (windows_1252, bad.undefined) {
        (false, _) => (
            bad.first,
            "is not UTF-8 ({at}), though the rest of the file is; save it as CSV UTF-8",
        ),
        (true, Some(undefined)) => (
            undefined,
            "has a byte that Windows-1252 does not define ({at}); save it as CSV UTF-8",
        ),
        (true, None) => return None,
    };
    let BadByte { byte, char, field } = byte;
    let at = format!(
        "byte 0x{byte:02X}, character {char}, in {}",
        field_name(header, field)
    );
    let message = format!("line {} {}", bad.line, message.replace("{at}", &at));
    let column = column_of(header, field);
    let (line, record) = rec.map_or((header_line, 0), |r| (r.line, r.record));
    let f = Finding::error(Code::Encoding, line, record, column).message(message);
    // The value as it decoded, unless the record is ragged (a password
    // may then sit in any field; Finding::value hides the Password column).
    let value = rec
        .filter(|r| r.fields.len() == header.width())
        .and_then(|r| r.fields.get(field));
    Some(match value {
        Some(v) if column.is_some() => f.value(v.trim()),
        _ => f,
    })
}

/// The `unclosed_quote` error of the record `rec` that the end of the file
/// closed inside quotes; the record's only finding. It has no value: the
/// value is the rest of the file, other rows' passwords included.
pub fn unclosed_quote(open: &Unclosed, rec: &Record<'_>, header: &HeaderMap) -> Finding {
    let read = match open.last_line > open.line {
        true => format!(
            "lines {}–{} were read as one value",
            open.line, open.last_line
        ),
        false => format!("the rest of line {} was read as one value", open.line),
    };
    Finding::error(
        Code::UnclosedQuote,
        rec.line,
        rec.record,
        column_of(header, open.field),
    )
    .message(format!(
        "the quote opened on line {} ({}) is never closed; {read}",
        open.line,
        field_name(header, open.field)
    ))
}

/// The message of a `control_chars` finding on a value of column `col`
/// that holds a line break (inside quotes, the only place one can be):
/// which lines the value spans.
pub fn line_break(rec: &Record<'_>, header: &HeaderMap, col: Column) -> String {
    let Some(pos) = header.position(col) else {
        return format!("{col} contains a line break inside quotes; put the value on one line");
    };
    let breaks = |s: &str| records::count_breaks(s.as_bytes(), 0..s.len());
    let before: u64 = rec.fields.iter().take(pos).map(breaks).sum();
    let raw = rec.fields.get(pos).unwrap_or("");
    // The lines of the value as checked: its spaces trimmed.
    let lead = &raw[..raw.len() - raw.trim_start().len()];
    let first = rec.line + before + breaks(lead);
    let last = first + breaks(raw.trim());
    format!(
        "{col} contains a line break inside quotes (lines {first}–{last}); put the value on one \
         line"
    )
}

/// The `unknown_column` warning of a column onboard ignores that holds
/// values (field `field`, the first on line `first`): a header cell that
/// is empty, or a column of a Google file that onboard does not read.
pub fn unnamed_column(header: &HeaderMap, field: usize, first: u64, header_line: u64) -> Finding {
    let name = header.cells.get(field).map_or("", String::as_str);
    let f = Finding::warning(Code::UnknownColumn, header_line, 0, None);
    if name.is_empty() {
        return f.message(format!(
            "column {} has no header but holds values (the first on line {first}); its values \
             are ignored: name the column, or delete it",
            field + 1
        ));
    }
    f.message(format!(
        "column {} \"{}\" is not a column onboard reads, and it holds values (the first on line \
         {first}); its values are ignored",
        field + 1,
        super::text::quoted(name)
    ))
    .value(name)
}

/// The warning of a file read as Windows-1252 as a whole: `line` is the
/// first that needed it, `byte` its first byte that is not UTF-8.
pub fn windows_1252(line: u64, byte: u8) -> Finding {
    Finding::warning(Code::Encoding, 0, 0, None).message(format!(
        "the file is not UTF-8 (line {line} is the first that is not: byte 0x{byte:02X}); it was \
         read as Windows-1252. Check accented letters, or save it from Excel as \"CSV UTF-8\""
    ))
}
