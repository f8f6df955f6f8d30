//! Entra's per-row `Block sign in (Yes/No)` column. A value in the row wins
//! over the batch's `--sign-in`; an empty cell leaves the batch setting.

use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

/// `Some(true)` when the row asks to block sign-in, `Some(false)` to allow.
pub fn check(row: &Row, out: &mut Vec<Finding>) -> Option<bool> {
    let v = row.get(Column::BlockSignIn);
    if v.is_empty() {
        return None;
    }
    match v.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => {
            out.push(
                row.error(Code::InvalidValue, Column::BlockSignIn)
                    .message("Block sign in must be Yes or No")
                    .value(v),
            );
            None
        }
    }
}
