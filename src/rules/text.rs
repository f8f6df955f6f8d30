//! Free-text columns: required Display Name, length limits, and no control
//! characters (a CR or LF in a name could reach an email header).

use super::row::Row;
use crate::columns::{Column, TEMPLATE};
use crate::finding::{Code, Finding};

/// Whether `c` is a control character we refuse: C0, DEL, C1, and the
/// Unicode line and paragraph separators.
pub fn is_control(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// The columns checked here: the template's, less User Name, Password,
/// Groups and Manager (their own rules refuse any value that is not a
/// user name or a group of the tenant, control characters with it).
const CHECKED: [Column; 16] = {
    let mut out = [Column::DisplayName; 16];
    let (mut i, mut n) = (0, 0);
    while i < TEMPLATE.len() {
        if !matches!(
            TEMPLATE[i],
            Column::UserName | Column::Password | Column::Groups | Column::Manager
        ) {
            out[n] = TEMPLATE[i];
            n += 1;
        }
        i += 1;
    }
    out
};

/// How many of them have a length limit.
const LIMITED_COUNT: usize = {
    let (mut i, mut n) = (0, 0);
    while i < CHECKED.len() {
        if CHECKED[i].max_len().is_some() {
            n += 1;
        }
        i += 1;
    }
    n
};

/// Those of them with a length limit, and the limit.
const LIMITED: [(Column, usize); LIMITED_COUNT] = {
    let mut out = [(Column::DisplayName, 0); LIMITED_COUNT];
    let (mut i, mut n) = (0, 0);
    while i < CHECKED.len() {
        if let Some(max) = CHECKED[i].max_len() {
            out[n] = (CHECKED[i], max);
            n += 1;
        }
        i += 1;
    }
    out
};

/// Display Name plus the length and control-character rules of every text
/// column except User Name, Usage Location and Password (their own rules
/// cover them).
pub fn check(row: &Row, out: &mut Vec<Finding>) {
    if row.get(Column::DisplayName).is_empty() {
        out.push(
            row.error(Code::Required, Column::DisplayName)
                .message("Display Name is required"),
        );
    }
    // Nearly every record is free of control characters from end to end:
    // one scan of the record proves it, and then only the fields whose
    // bytes exceed a limit need a closer look (a character is at least a
    // byte).
    if row.is_free_of_control_chars() && LIMITED.iter().all(|&(col, max)| row.raw(col).len() <= max)
    {
        return;
    }
    for col in CHECKED {
        let value = row.get(col);
        if !value.is_empty() {
            check_value(row, col, value, out);
        }
    }
}

/// A value as a message quotes it: shortened, its control characters
/// escaped (`\n`), so that a message is one line and never carries a
/// terminal's escape sequence or a header's line break.
pub fn quoted(value: &str) -> String {
    let short = crate::finding::shorten(value);
    if !short.chars().any(is_control) {
        return short;
    }
    short
        .chars()
        .map(|c| match is_control(c) {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// Whether `f` is a line-break finding whose message is still to be
/// written (after the piece is numbered).
pub fn is_pending(f: &Finding) -> bool {
    f.code == Code::ControlChars && f.message.is_empty()
}

fn check_value(row: &Row, col: Column, value: &str, out: &mut Vec<Finding>) {
    if let Some(max) = col.max_len() {
        // Fast path: byte length bounds character count from above.
        if value.len() > max {
            let n = value.chars().count();
            if n > max {
                out.push(
                    row.error(Code::TooLong, col)
                        .message(format!("{col} has {n} characters; at most {max}"))
                        .value(value),
                );
            }
        }
    }
    // Fast path: printable ASCII has no control characters.
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b));
    let control = if plain {
        None
    } else {
        value.chars().find(|&c| is_control(c))
    };
    if control.is_some() && value.contains(['\r', '\n']) {
        // A line break (it can only be inside quotes) is described in
        // words with the lines the value spans, which are only known once
        // the piece is numbered: the message is left to
        // `reading::line_break` (see `is_pending`).
        out.push(row.error(Code::ControlChars, col).value(value));
    } else if let Some(c) = control {
        out.push(
            row.error(Code::ControlChars, col)
                .message(format!(
                    "{col} contains a control character ({}); remove line breaks and tabs",
                    c.escape_unicode()
                ))
                .value(value),
        );
    }
}
