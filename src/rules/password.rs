//! The password policy (SPEC §5), the same one Microsoft 365 applies: 8–256
//! characters from a fixed set, with an uppercase letter, a digit and a
//! symbol, not containing the alias.
//!
//! Findings about a password never show it. The policy is also what the
//! generator in `crate::password` is tested against.

use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;

/// The symbols a password may use (besides letters, digits and space).
pub const SYMBOLS: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<>";

/// Aliases shorter than this are not searched for in the password: every
/// password would "contain" a one-letter alias.
const MIN_ALIAS_SEARCH: usize = 3;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || SYMBOLS.contains(c)
}

/// Every policy rule `password` breaks, with a message that does not quote it.
pub fn problems(password: &str, alias: &str) -> Vec<(Code, String)> {
    let mut out = Vec::new();
    let n = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        out.push((
            Code::PasswordLength,
            format!("the password has {n} characters; use {MIN_LEN} to {MAX_LEN}"),
        ));
    }
    if password.chars().any(|c| !allowed(c)) {
        out.push((
            Code::PasswordChars,
            "the password has a character that is not allowed; use A-Z a-z 0-9, space and \
             @ # $ % ^ & * - _ ! + = [ ] { } | \\ : ' , . ? / ` ~ \" ( ) ; < >"
                .into(),
        ));
    }
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        out.push((
            Code::PasswordUppercase,
            "the password needs at least one uppercase letter".into(),
        ));
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        out.push((
            Code::PasswordDigit,
            "the password needs at least one digit".into(),
        ));
    }
    if !password.chars().any(|c| SYMBOLS.contains(c)) {
        out.push((
            Code::PasswordSymbol,
            "the password needs at least one symbol such as ! or #".into(),
        ));
    }
    if alias.len() >= MIN_ALIAS_SEARCH
        && password
            .to_ascii_lowercase()
            .contains(&alias.to_ascii_lowercase())
    {
        out.push((
            Code::PasswordContainsUsername,
            "the password must not contain the user name".into(),
        ));
    }
    out
}

/// Checks the row's Password, if it has one. In a Google file a row may
/// say its Password cell is a hash (`Password Hash Function [UPLOAD
/// ONLY]`): a hash is never used as a password, so that row gets
/// `password_hashed` and nothing about the hash itself.
pub fn check(row: &Row, alias: &str, out: &mut Vec<Finding>) {
    let function = row.get(Column::PasswordHashFunction);
    if !function.is_empty() {
        out.push(
            row.error(Code::PasswordHashed, Column::PasswordHashFunction)
                .message(format!(
                    "the password of this row is a {} hash, and onboard never uses a hash as a \
                     password; clear this cell and type a temporary password in the password \
                     column, or leave both empty to generate one",
                    super::text::quoted(function)
                ))
                .value(function),
        );
        return;
    }
    let value = row.get(Column::Password);
    if value.is_empty() {
        return;
    }
    for (code, message) in problems(value, alias) {
        out.push(
            row.error(code, Column::Password)
                .message(message)
                .value(value),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(p: &str, alias: &str) -> Vec<Code> {
        problems(p, alias).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn policy() {
        assert!(codes("Welcome-2026", "jsmith").is_empty());
        assert_eq!(codes("W-1", ""), vec![Code::PasswordLength]);
        assert_eq!(codes("welcome-2026", ""), vec![Code::PasswordUppercase]);
        assert_eq!(codes("Welcome-xyz", ""), vec![Code::PasswordDigit]);
        assert_eq!(codes("Welcome2026", ""), vec![Code::PasswordSymbol]);
        assert_eq!(codes("Welcome-2026é", ""), vec![Code::PasswordChars]);
        assert_eq!(
            codes("JSmith-2026", "jsmith"),
            vec![Code::PasswordContainsUsername]
        );
        assert_eq!(codes("Ab-2026xx", "ab"), Vec::<Code>::new());
        assert_eq!(
            codes(&format!("A1-{}", "x".repeat(254)), ""),
            vec![Code::PasswordLength]
        );
    }

    #[test]
    fn messages_never_quote_the_password() {
        let p = "sEcret";
        for (_, m) in problems(p, "") {
            assert!(!m.contains(p));
        }
    }
}
