//! The per-row settings a file may carry, which win over the batch's
//! options for their row; an empty cell leaves the batch setting.
//!
//! - sign-in: Entra's `Block sign in (Yes/No)` (Yes blocks), Entra's bare
//!   `accountEnabled` property (what Entra means by it: `true` allows,
//!   `false` blocks, in any case, `TRUE` as Excel writes it), Google's
//!   `New Status [UPLOAD ONLY]` (`Suspended` blocks, `Active` allows);
//! - force-change: Google's `Change Password at Next Sign-In` (`TRUE` /
//!   `FALSE`).

use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

/// What a row says about its own settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowSettings {
    /// `Some(true)` when the row blocks sign-in, `Some(false)` when it
    /// allows it.
    pub block_sign_in: Option<bool>,
    /// `Some(true)` when the user must change the password at first
    /// sign-in.
    pub force_change_password: Option<bool>,
}

/// Reads the row's settings; a value none of them understands is an
/// `invalid_value` error.
pub fn check(row: &Row, out: &mut Vec<Finding>) -> RowSettings {
    let mut settings = RowSettings::default();
    let block = row.get(Column::BlockSignIn);
    if !block.is_empty() {
        settings.block_sign_in = match block.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Some(true),
            "no" | "n" | "false" | "0" => Some(false),
            _ => invalid(row, Column::BlockSignIn, "must be Yes or No", block, out),
        };
    }
    let enabled = row.get(Column::AccountEnabled);
    if !enabled.is_empty() && settings.block_sign_in.is_none() {
        settings.block_sign_in = match boolean(enabled) {
            Some(enabled) => Some(!enabled),
            None => invalid(
                row,
                Column::AccountEnabled,
                "must be true (sign-in allowed) or false (blocked)",
                enabled,
                out,
            ),
        };
    }
    // In the order of Google's columns: Change Password at Next Sign-In,
    // then New Status.
    let change = row.get(Column::ChangePassword);
    if !change.is_empty() {
        settings.force_change_password = boolean(change).or_else(|| {
            invalid(
                row,
                Column::ChangePassword,
                "must be TRUE or FALSE",
                change,
                out,
            )
        });
    }
    let status = row.get(Column::NewStatus);
    if !status.is_empty() && settings.block_sign_in.is_none() {
        settings.block_sign_in = match status.to_ascii_lowercase().as_str() {
            "suspended" => Some(true),
            "active" => Some(false),
            _ => invalid(
                row,
                Column::NewStatus,
                "must be Active or Suspended",
                status,
                out,
            ),
        };
    }
    settings
}

/// `true` or `false` in any case.
fn boolean(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn invalid(
    row: &Row,
    col: Column,
    must: &str,
    value: &str,
    out: &mut Vec<Finding>,
) -> Option<bool> {
    out.push(
        row.error(Code::InvalidValue, col)
            .message(format!("{} {must}", label(col)))
            .value(value),
    );
    None
}

/// How messages call a column (its label without Entra's `(Yes/No)` or
/// Google's `[UPLOAD ONLY]`).
fn label(col: Column) -> &'static str {
    match col {
        Column::BlockSignIn => "Block sign in",
        Column::NewStatus => "New Status",
        other => other.label(),
    }
}
