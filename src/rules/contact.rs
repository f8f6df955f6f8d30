//! Phone numbers and the alternate email address.

use validator::ValidateEmail;

use super::byteset::ByteSet;
use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

const PHONE: ByteSet = ByteSet::new(false, b"0123456789 +-().");
const EMAIL_USER: ByteSet = ByteSet::new(true, b"!#$%&'*+/=?^_`{|}~.-");
const LABEL: ByteSet = ByteSet::new(true, b"-");

/// Digits, spaces and `+ - ( ) .`, at least one digit, and an optional
/// extension `x123` at the end.
pub fn is_phone(value: &str) -> bool {
    // One pass over the bytes (every allowed character is ASCII): the
    // number up to an `x`, then the extension's digits.
    let v = value.as_bytes();
    let mut digits = false;
    let mut i = 0;
    while i < v.len() {
        let b = v[i];
        if b == b'x' || b == b'X' {
            let ext = v[i + 1..].trim_ascii_start();
            return digits && !ext.is_empty() && ext.iter().all(u8::is_ascii_digit);
        }
        if !PHONE.contains(b) {
            return false;
        }
        digits |= b.is_ascii_digit();
        i += 1;
    }
    digits
}

/// A deliverable address: valid syntax (the validator crate) and a domain
/// with a dot, since `name@intranet` cannot be reached from outside.
pub fn is_email(value: &str) -> bool {
    match plain_email(value) {
        // A plain address has a dot in its domain already.
        Some(ok) => ok,
        None => {
            value.validate_email() && value.rsplit_once('@').is_some_and(|(_, d)| d.contains('.'))
        }
    }
}

/// The validator crate's rules for the common case, without its regexes:
/// `Some(true)` for a plain ASCII address they accept whose domain has a
/// dot, `None` to ask the crate (IDN domains, address literals, anything
/// unusual). This runs for every row that has an alternate address.
fn plain_email(value: &str) -> Option<bool> {
    let at = memchr::memrchr(b'@', value.as_bytes())?;
    let (user, domain) = (&value.as_bytes()[..at], &value.as_bytes()[at + 1..]);
    let user_ok = !user.is_empty() && user.len() <= 64 && EMAIL_USER.all(user);
    let label_ok = |l: &[u8]| {
        !l.is_empty() && l.len() <= 63 && LABEL.all(l) && l[0] != b'-' && l[l.len() - 1] != b'-'
    };
    let domain_ok =
        domain.len() <= 255 && domain.contains(&b'.') && domain.split(|&b| b == b'.').all(label_ok);
    (user_ok && domain_ok).then_some(true)
}

pub fn check(row: &Row, out: &mut Vec<Finding>) {
    for col in [Column::OfficePhone, Column::MobilePhone, Column::Fax] {
        let value = row.get(col);
        if !value.is_empty() && !is_phone(value) {
            out.push(
                row.error(Code::InvalidPhone, col)
                    .message(format!(
                        "{col} is not a phone number; use digits, spaces and + - ( ) . \
                         with an optional extension such as x123"
                    ))
                    .value(value),
            );
        }
    }
    let email = row.get(Column::AlternateEmail);
    if !email.is_empty() && !is_email(email) {
        out.push(
            row.error(Code::InvalidEmail, Column::AlternateEmail)
                .message("not a valid email address (expected name@example.com)")
                .value(email),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("adele.vance@example.com"));
        assert!(!is_email("lidia@example"));
        assert!(!is_email("not an address"));
        assert!(!is_email("a@b@example.com"));
        assert!(!is_email("a@-example.com"));
        assert!(!is_email("a b@example.com"));
        assert!(is_email("o'neil+tag@mail.example.co.uk"));
        assert!(
            is_email("user@bücher.example"),
            "IDN domains go to the crate"
        );
        for v in [
            "a@example.com",
            "a.b-c@x-y.example.org",
            "x@e.c",
            "@x.com",
            "a@",
            "a@x..com",
        ] {
            assert_eq!(
                plain_email(v).unwrap_or_else(|| v.validate_email()),
                v.validate_email(),
                "{v}"
            );
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "+1 (425) 555-0100",
            "425.555.0100",
            "+44 20 7946 0958 x123",
            "555-0100x7",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in [
            "call me",
            "+1 425 555 0100 ext",
            "x123",
            "555-0100 x12a",
            "()",
            "555/0100",
        ] {
            assert!(!is_phone(bad), "{bad}");
        }
    }
}
