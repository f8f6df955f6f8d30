//! Phone numbers and the alternate email address.
//!
//! One address rule serves verification (`invalid_email`), the
//! `--email-to` checks and delivery, so that what verification accepts the
//! mail transport can send to (SPEC §5): delivery builds its recipient
//! from [`email_on_the_wire`], never from a second parser's opinion.
//!
//! An address is `local@domain` where
//! - the local part is a dot-atom of ASCII (RFC 5322 §3.2.3): 1 to 64 of
//!   `A-Z a-z 0-9 ! # $ % & ' * + / = ? ^ _ \` { | } ~ - .`, without a
//!   leading, trailing or doubled dot (`john..smith@example.com` is
//!   refused). No quoted local parts and no non-ASCII ones: an SMTP server
//!   without SMTPUTF8 cannot take them, and no administrator's user list
//!   needs them;
//! - the domain is a host name of at least two labels (`name@intranet` is
//!   refused: messages to it leave the organisation), each 1 to 63 of
//!   `A-Z a-z 0-9 -`, not starting or ending with `-`, 253 characters in
//!   all; an internationalised domain (`bücher.example`) counts in its
//!   ASCII form (`xn--bcher-kva.example`, IDNA), which is what delivery
//!   sends to. No address literals (`[192.0.2.1]`);
//! - 254 characters in all (RFC 5321's path limit).
//!
//! Every address this accepts, lettre's `Address` accepts too (a property
//! test checks it: `tests::every_accepted_address_is_one_lettre_accepts`).

use std::borrow::Cow;

use super::byteset::ByteSet;
use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

const PHONE: ByteSet = ByteSet::new(false, b"0123456789 +-().");
/// RFC 5322 `atext` (ASCII), plus the dot of a dot-atom.
const EMAIL_LOCAL: ByteSet = ByteSet::new(true, b"!#$%&'*+/=?^_`{|}~.-");
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

/// Whether `value` is an address by the rule above. This runs for every
/// row that has an alternate address: an ASCII address is checked in one
/// pass over its bytes, without allocating.
pub fn is_email(value: &str) -> bool {
    email_on_the_wire(value).is_some()
}

/// The address as delivery sends it: `value` itself when it is ASCII, the
/// domain in its IDNA form when not; `None` when the rule refuses it.
pub fn email_on_the_wire(value: &str) -> Option<Cow<'_, str>> {
    let at = memchr::memrchr(b'@', value.as_bytes())?;
    let (local, domain) = (&value[..at], &value[at + 1..]);
    if !local_part_ok(local.as_bytes()) {
        return None;
    }
    if domain.is_ascii() {
        (domain_ok(domain.as_bytes()) && value.len() <= 254).then_some(Cow::Borrowed(value))
    } else {
        let ascii = idna::domain_to_ascii(domain).ok()?;
        (domain_ok(ascii.as_bytes()) && local.len() + 1 + ascii.len() <= 254)
            .then(|| Cow::Owned(format!("{local}@{ascii}")))
    }
}

/// A dot-atom of ASCII `atext`, 1 to 64 bytes.
fn local_part_ok(l: &[u8]) -> bool {
    !l.is_empty()
        && l.len() <= 64
        && EMAIL_LOCAL.all(l)
        && l[0] != b'.'
        && l[l.len() - 1] != b'.'
        && memchr::memmem::find(l, b"..").is_none()
}

/// A host name of two labels or more, 253 bytes at most.
fn domain_ok(d: &[u8]) -> bool {
    let label_ok = |l: &[u8]| {
        !l.is_empty() && l.len() <= 63 && LABEL.all(l) && l[0] != b'-' && l[l.len() - 1] != b'-'
    };
    d.len() <= 253 && d.contains(&b'.') && d.split(|&b| b == b'.').all(label_ok)
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
        for ok in [
            "adele.vance@example.com",
            "o'neil+tag@mail.example.co.uk",
            "a.b-c@x-y.example.org",
            "x@e.c",
            "ADELE@EXAMPLE.COM",
            "!#$%&'*+/=?^_`{|}~-@example.com",
            "user@bücher.example",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "john..smith@example.com",
            ".john@example.com",
            "john.@example.com",
            "lidia@example",
            "not an address",
            "a@b@example.com",
            "a@-example.com",
            "a@example-.com",
            "a@x..com",
            "a@.example.com",
            "a@example.com.",
            "a b@example.com",
            "@x.com",
            "a@",
            "a",
            "\"john smith\"@example.com",
            "zoë@example.com",
            "a@[192.0.2.1]",
            "a@under_score.example.com",
            "it@example.com\r\nBcc: x@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(!is_email(&long_local));
        let label = "a".repeat(63);
        let long_domain = format!("x@{label}.{label}.{label}.{label}.com");
        assert!(long_domain.len() > 254 && !is_email(&long_domain));
        assert_eq!(
            email_on_the_wire("user@bücher.example").as_deref(),
            Some("user@xn--bcher-kva.example")
        );
        assert!(matches!(
            email_on_the_wire("a@example.com"),
            Some(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn verification_and_lettre_agree_on_the_issue_examples() {
        // What verification refuses, delivery's parser refuses too...
        assert!(!is_email("john..smith@example.com"));
        assert!(
            "john..smith@example.com"
                .parse::<lettre::Address>()
                .is_err()
        );
        // ...and what it accepts, delivery can send to.
        for ok in ["adele.vance@example.com", "user@bücher.example"] {
            let wire = email_on_the_wire(ok).unwrap();
            assert!(wire.parse::<lettre::Address>().is_ok(), "{ok}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Addresses built from the characters at the rule's edges: every
        /// one the rule accepts, lettre accepts in its on-the-wire form.
        #[test]
        fn every_accepted_address_is_one_lettre_accepts(
            s in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~@ü\\[\\]\"-]{1,20}@[a-zA-Z0-9.ü_-]{1,20}"
        ) {
            if let Some(wire) = email_on_the_wire(&s) {
                proptest::prop_assert!(
                    wire.parse::<lettre::Address>().is_ok(),
                    "accepted {} but lettre refuses {}", s, wire
                );
            }
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
