//! User Name: `alias` or `alias@domain` (SPEC §5).
//!
//! The alias rules are Microsoft 365's: 1–64 characters of
//! `A-Z a-z 0-9 ' . - _ ! # ^ ~`, no dot at either end or twice in a row.
//! A bare alias gets the tenant's default domain. The domain must be one of
//! the tenant's, and not federated (those users are created on premises).

use std::borrow::Cow;

use super::byteset::ByteSet;
use super::row::Row;
use super::tenant::TenantView;
use crate::columns::Column;
use crate::finding::{Code, Finding};

const MAX_ALIAS: usize = 64;
const MAX_DOMAIN: usize = 48;
const MAX_UPN: usize = 113;

/// The bytes an alias may hold (see [`alias_char`]).
const ALIAS: ByteSet = ByteSet::new(true, b"'.-_!#^~");

/// A syntactically valid user name, with the domain resolved. It borrows
/// from the row and the tenant: this is built for every row of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upn<'a> {
    pub alias: &'a str,
    /// The domain as the tenant spells it (lower case when unknown).
    pub domain: Cow<'a, str>,
}

/// Whether `c` may appear in an alias.
pub fn alias_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '\'' | '.' | '-' | '_' | '!' | '#' | '^' | '~')
}

/// Checks the alias alone; the message says what is wrong.
pub fn alias_problem(alias: &str) -> Option<String> {
    // The common case in one pass over the bytes; anything else takes the
    // slow path below, which says what is wrong.
    let b = alias.as_bytes();
    let plain = !b.is_empty()
        && b.len() <= MAX_ALIAS
        && ALIAS.all(b)
        && b[0] != b'.'
        && b[b.len() - 1] != b'.'
        && !b.windows(2).any(|w| w == b"..");
    if plain {
        return None;
    }
    if alias.is_empty() {
        return Some("the part before @ is empty".into());
    }
    if alias.chars().count() > MAX_ALIAS {
        return Some(format!(
            "the part before @ has {} characters; at most {MAX_ALIAS}",
            alias.chars().count()
        ));
    }
    if let Some(bad) = alias.chars().find(|&c| !alias_char(c)) {
        return Some(format!(
            "\"{}\" is not allowed in a user name; use letters, digits and ' . - _ ! # ^ ~",
            bad.escape_debug()
        ));
    }
    if alias.starts_with('.') || alias.ends_with('.') {
        return Some("a user name cannot start or end with a dot".into());
    }
    if alias.contains("..") {
        return Some("a user name cannot contain two dots in a row".into());
    }
    None
}

/// Checks the User Name of `row`, pushing findings; returns the UPN when it
/// is well-formed (even if its domain is unknown, so duplicates still show).
pub fn check<'a>(row: &Row<'a>, tenant: &'a TenantView, out: &mut Vec<Finding>) -> Option<Upn<'a>> {
    let col = Column::UserName;
    let raw = row.raw(col);
    let value = raw.trim();
    if value.is_empty() {
        out.push(
            row.error(Code::Required, col)
                .message("User Name is required"),
        );
        return None;
    }
    if value.len() != raw.len() {
        out.push(
            row.warning(Code::TrimmedSpaces, col)
                .message("spaces around the user name were removed")
                .value(raw),
        );
    }
    let (alias, domain) = match value.split_once('@') {
        Some((a, d)) => (a, Some(d)),
        None => (value, None),
    };
    if let Some(problem) = alias_problem(alias) {
        out.push(
            row.error(Code::InvalidUsername, col)
                .message(problem)
                .value(value),
        );
        return None;
    }
    let domain =
        match domain {
            None => Cow::Borrowed(tenant.default_domain.as_str()),
            Some(d) if d.contains('@') => {
                out.push(
                    row.error(Code::InvalidUsername, col)
                        .message("a user name has one @ at most")
                        .value(value),
                );
                return None;
            }
            // Bytes bound characters from above: count only when needed.
            Some(d) if d.len() > MAX_DOMAIN && d.chars().count() > MAX_DOMAIN => {
                out.push(
                    row.error(Code::UnknownDomain, col)
                        .message(format!("the domain is longer than {MAX_DOMAIN} characters"))
                        .value(value),
                );
                return None;
            }
            Some(d) => {
                match tenant.domain(d) {
                    Some(known) if known.federated => {
                        out.push(row.error(Code::FederatedDomain, col).value(value).message(format!(
                    "{} is a federated domain: its users are created in the on-premises \
                     directory; use a managed domain such as {}",
                    known.name, tenant.default_domain
                )));
                        Cow::Borrowed(known.name.as_str())
                    }
                    Some(known) => Cow::Borrowed(known.name.as_str()),
                    None => {
                        out.push(row.error(Code::UnknownDomain, col).value(value).message(
                            format!(
                                "\"{d}\" is not a domain of this tenant; use one of: {}",
                                tenant.managed_domains_hint()
                            ),
                        ));
                        Cow::Owned(d.to_ascii_lowercase())
                    }
                }
            }
        };
    let upn = Upn { alias, domain };
    let bytes = alias.len() + 1 + upn.domain.len();
    let len = match bytes > MAX_UPN {
        true => alias.chars().count() + 1 + upn.domain.chars().count(),
        false => bytes,
    };
    if len > MAX_UPN {
        out.push(
            row.error(Code::TooLong, col)
                .message(format!(
                    "the user name has {len} characters with its domain; at most {MAX_UPN}"
                ))
                .value(value),
        );
    }
    Some(upn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert_eq!(alias_problem("john.smith"), None);
        assert_eq!(alias_problem("o'neil-_!#^~9"), None);
        assert!(alias_problem("").is_some());
        assert!(alias_problem(".john").is_some());
        assert!(alias_problem("john.").is_some());
        assert!(alias_problem("jo..hn").is_some());
        assert!(alias_problem("jo hn").is_some());
        assert!(alias_problem("jöhn").is_some());
        assert!(alias_problem(&"a".repeat(64)).is_none());
        assert!(alias_problem(&"a".repeat(65)).is_some());
    }
}
