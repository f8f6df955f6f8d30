//! Groups: the tenant's groups as the rules see them, and the Groups column
//! (SPEC §3, §5).
//!
//! A cell holds group names separated by `;`. Names are trimmed; empty
//! items and repeats are ignored; each name must be a group of the tenant,
//! in any case (Unicode case: `ÉQUIPE` is `équipe`). A row may name at most
//! [`MAX_GROUPS`] distinct groups. The row's unknown names are one
//! `unknown_group` finding that lists them, so that a long cell of typos is
//! one line of the log.

use std::collections::HashMap;

use super::row::Row;
use super::tenant::TenantView;
use super::text::quoted;
use crate::columns::Column;
use crate::finding::{Code, Finding};

/// At most this many distinct groups a row.
pub const MAX_GROUPS: usize = 50;

/// The separator of group names in a cell.
pub const SEPARATOR: char = ';';

/// The key a group name is unique by in its tenant: trimmed, lower-cased
/// by Unicode's rules. The store keeps it beside the name.
pub fn group_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The tenant's groups, by name in any case.
#[derive(Debug, Default, Clone)]
pub struct GroupIndex {
    /// [`group_key`] → position in `groups`.
    by_key: HashMap<String, u32>,
    /// (store key, name as created), in the order added.
    groups: Vec<(i64, String)>,
}

impl GroupIndex {
    /// Adds the group `name` whose key in the store is `key`.
    pub fn insert(&mut self, key: i64, name: &str) {
        let at = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        if let std::collections::hash_map::Entry::Vacant(e) = self.by_key.entry(group_key(name)) {
            e.insert(at);
            self.groups.push((key, name.to_string()));
        }
    }

    /// The position of the group called `name` (trimmed), in any case.
    pub fn find(&self, name: &str) -> Option<u32> {
        let name = name.trim();
        // Most names are ASCII without capitals: looked up without a copy.
        if name.is_ascii() && !name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.by_key.get(name).copied();
        }
        self.by_key.get(&name.to_lowercase()).copied()
    }

    /// The store key of the group at `at`.
    pub fn key(&self, at: u32) -> i64 {
        self.groups.get(at as usize).map_or(0, |g| g.0)
    }

    /// The name (as created) of the group at `at`.
    pub fn name(&self, at: u32) -> &str {
        self.groups.get(at as usize).map_or("", |g| g.1.as_str())
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// Checks the row's Groups; returns the positions (in the tenant's
/// [`GroupIndex`]) of the groups it names, each once, in order.
pub fn check(row: &Row, tenant: &TenantView, out: &mut Vec<Finding>) -> Box<[u32]> {
    let cell = row.get(Column::Groups);
    if cell.is_empty() {
        return Box::default();
    }
    let mut found: Vec<u32> = Vec::new();
    let mut unknown: Vec<(String, &str)> = Vec::new();
    for name in cell
        .split(SEPARATOR)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match tenant.groups.find(name) {
            Some(at) => found.push(at),
            None => unknown.push((group_key(name), name)),
        }
    }
    found.sort_unstable();
    found.dedup();
    // The first spelling of each unknown name, in the cell's order.
    let mut seen: Vec<&str> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (key, name) in &unknown {
        if !keys.contains(&key.as_str()) {
            keys.push(key);
            seen.push(name);
        }
    }
    let distinct = found.len() + seen.len();
    if !seen.is_empty() {
        const SHOWN: usize = 5;
        let mut list: Vec<String> = seen
            .iter()
            .take(SHOWN)
            .map(|n| format!("\"{}\"", quoted(n)))
            .collect();
        if seen.len() > SHOWN {
            list.push(format!("{} more", seen.len() - SHOWN));
        }
        let (what, verb) = match seen.len() {
            1 => ("is not a group", "add it"),
            _ => ("are not groups", "add them"),
        };
        out.push(
            row.error(Code::UnknownGroup, Column::Groups)
                .message(format!(
                    "{} {what} of tenant {}; {verb} with `onboard group add --tenant {} NAME...`, \
                     or correct the names (separated by {SEPARATOR})",
                    join_and(&list),
                    tenant.id,
                    tenant.id
                ))
                .value(cell),
        );
    }
    if distinct > MAX_GROUPS {
        out.push(
            row.error(Code::TooManyGroups, Column::Groups)
                .message(format!(
                    "the row names {distinct} different groups; a user can be put in at most \
                     {MAX_GROUPS} by a file"
                ))
                .value(cell),
        );
    }
    found.into_boxed_slice()
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::HeaderMap;
    use crate::ingest::records::parse;

    fn run(cell: &str, groups: &[&str]) -> (Vec<u32>, Vec<Finding>) {
        let mut tenant = TenantView::new("contoso", "contoso.onmicrosoft.com");
        for (i, g) in groups.iter().enumerate() {
            tenant.groups.insert(100 + i as i64, g);
        }
        let (header, _) =
            HeaderMap::parse(&["User Name", "Display Name", "Groups"], false, 1).expect("header");
        let text = format!("a,A,\"{cell}\"");
        let p = parse(text.as_bytes(), b',', true, usize::MAX);
        let (line, fields) = p.get(0).expect("a record");
        let row = Row::new(line, 1, fields, &header);
        let mut out = Vec::new();
        let found = check(&row, &tenant, &mut out);
        (found.to_vec(), out)
    }

    #[test]
    fn names_in_any_case_trimmed_empty_items_and_repeats_ignored() {
        let (found, out) = run(" sales ;;ÉQUIPE Été; Sales;", &["Sales", "Équipe été"]);
        assert_eq!(found, vec![0, 1]);
        assert!(out.is_empty(), "{out:?}");
        let (found, out) = run("", &["Sales"]);
        assert!(found.is_empty() && out.is_empty());
    }

    #[test]
    fn unknown_names_are_one_finding_listing_them() {
        let (found, out) = run("Sales;Interns;interns;Temps", &["Sales"]);
        assert_eq!(found, vec![0]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, Code::UnknownGroup);
        assert!(
            out[0]
                .message
                .starts_with("\"Interns\" and \"Temps\" are not groups of tenant contoso"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn more_than_fifty_distinct_groups() {
        let names: Vec<String> = (0..60).map(|i| format!("g{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let cell = |n: usize| names[..n].join(";");
        let (_, out) = run(&cell(50), &refs);
        assert!(out.is_empty());
        // 51 names, one of them twice: still 51 distinct.
        let (_, out) = run(&format!("{};G0", cell(51)), &refs);
        let codes: Vec<Code> = out.iter().map(|f| f.code).collect();
        assert_eq!(codes, vec![Code::TooManyGroups]);
        assert!(out[0].message.contains("51"), "{}", out[0].message);
    }
}
