//! Country or Region (a name or code we recognise, else a warning) and
//! Usage Location (ISO 3166-1 alpha-2, required to assign licences).
//!
//! Country data comes from the `celes` crate rather than a hand-typed table.

use std::str::FromStr;

use std::sync::OnceLock;

use celes::Country;

use super::row::Row;
use crate::columns::Column;
use crate::finding::{Code, Finding};

/// The ISO 3166-1 alpha-2 code for `code`, upper case, if it is one.
pub fn usage_location(code: &str) -> Option<&'static str> {
    let &[a, b] = code.as_bytes() else {
        return None;
    };
    if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
        return None;
    }
    // Every row has one: a table of the 676 letter pairs beats hashing.
    static CODES: OnceLock<[Option<&'static str>; 26 * 26]> = OnceLock::new();
    let codes = CODES.get_or_init(|| {
        let mut t = [None; 26 * 26];
        for c in Country::get_countries() {
            if let &[x, y] = c.alpha2.as_bytes() {
                t[pair(x, y)] = Some(c.alpha2);
            }
        }
        t
    });
    codes[pair(a, b)]
}

/// Index of a pair of ASCII letters, either case.
fn pair(a: u8, b: u8) -> usize {
    let letter = |x: u8| usize::from(x.to_ascii_uppercase().wrapping_sub(b'A')) % 26;
    letter(a) * 26 + letter(b)
}

/// Recognises a country by name, alias, alpha-2, alpha-3 or numeric code,
/// ignoring case, spaces and punctuation ("United States", "usa", "DE").
pub fn country(value: &str) -> Option<Country> {
    // The common case, an ASCII name, is keyed on the stack: this runs for
    // every row of a file.
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in value.bytes() {
        if !b.is_ascii() || n == buf.len() {
            return country_slow(value);
        }
        if b.is_ascii_alphanumeric() {
            buf[n] = b;
            n += 1;
        }
    }
    let key = std::str::from_utf8(&buf[..n]).ok()?;
    if key.is_empty() {
        return None;
    }
    Country::from_str(key).ok()
}

fn country_slow(value: &str) -> Option<Country> {
    let key: String = value.chars().filter(|c| c.is_alphanumeric()).collect();
    if key.is_empty() {
        return None;
    }
    Country::from_str(&key).ok()
}

/// How many country values a thread remembers: a file names a handful of
/// countries, over and over.
const REMEMBERED: usize = 32;

thread_local! {
    /// Country values this thread has looked up, and whether each is known.
    static KNOWN_COUNTRIES: std::cell::RefCell<Vec<(Box<str>, bool)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `value` names a country, remembering recent answers.
fn known_country(value: &str) -> bool {
    KNOWN_COUNTRIES.with_borrow_mut(|seen| {
        if let Some((_, known)) = seen.iter().find(|(v, _)| **v == *value) {
            return *known;
        }
        let known = country(value).is_some();
        if seen.len() == REMEMBERED {
            seen.remove(0);
        }
        seen.push((value.into(), known));
        known
    })
}

/// Checks both columns; returns the row's usage location when it has a
/// valid one.
pub fn check(row: &Row, out: &mut Vec<Finding>) -> Option<&'static str> {
    let c = row.get(Column::Country);
    if !c.is_empty() && !known_country(c) {
        out.push(
            row.warning(Code::UnknownCountry, Column::Country)
                .message("country or region not recognised; it is kept as written")
                .value(c),
        );
    }
    let u = row.get(Column::UsageLocation);
    if u.is_empty() {
        return None;
    }
    let found = usage_location(u);
    if found.is_none() {
        out.push(
            row.error(Code::InvalidLocation, Column::UsageLocation)
                .message("Usage Location must be a two-letter ISO 3166-1 country code such as US, GB or DE")
                .value(u),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(usage_location("us"), Some("US"));
        assert_eq!(usage_location("GB"), Some("GB"));
        assert_eq!(usage_location("XX"), None);
        assert_eq!(usage_location("USA"), None);
        assert_eq!(usage_location("de"), Some("DE"));
        assert_eq!(usage_location("1A"), None);
        // The table agrees with celes on every pair of letters.
        for a in b'A'..=b'Z' {
            for b in b'a'..=b'z' {
                let code = String::from_utf8(vec![a, b]).unwrap();
                let expected = Country::from_alpha2(&code).ok().map(|c| c.alpha2);
                assert_eq!(usage_location(&code), expected, "{code}");
            }
        }
    }

    #[test]
    fn countries() {
        for ok in [
            "United States",
            "usa",
            "DE",
            "Germany",
            "United Kingdom",
            "france",
        ] {
            assert!(country(ok).is_some(), "{ok}");
        }
        assert!(country("Narnia").is_none());
        assert!(country("--").is_none());
    }
}
