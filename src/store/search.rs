//! Search segments: how `users list` counts and searches a tenant's users
//! without reading an index entry per user (SPEC §9; migration 0003).
//!
//! A user's search key is the display name and the user name, lower-cased
//! with Unicode rules ("zoë ångström zoe@contoso.com"); a search matches the
//! users whose key contains the lower-cased term. The keys of a tenant's
//! users are also kept packed in `search_segments` rows, one row per block
//! of up to [`BLOCK_BYTES`] for one (tenant, state, tail):
//!
//! - the *tail* is the key from its last '@' on ("@contoso.com"), stored
//!   once per block; the *entry* is the rest ("zoë ångström zoe");
//! - `body` is 0xFF, then each entry followed by 0xFF. 0xFF never occurs
//!   in UTF-8, so a term never matches across entries, and an entry can be
//!   found exactly as 0xFF, entry, 0xFF.
//!
//! A search reads the tenant's blocks and scans each body with
//! `memchr::memmem`. A term found in the tail matches every entry of the
//! block without a scan (a search for the tenant's domain costs a row read
//! per block); a term holding an '@' can also straddle the end of an entry
//! and the start of the tail. The count is exact; the matches, when they
//! are few (up to [`KEEP_MATCHES`]), come back with their keys, which the
//! caller orders in memory for the page. When there are more, they are
//! dense, and the caller reads the page from the ordered index instead,
//! which then stops early.
//!
//! Writes keep the blocks in step with the users in the same transaction:
//! a commit appends its users to the tenant's last block for each tail and
//! to new blocks (a block rewrite per batch, not per user); delete,
//! restore and purge move entries between blocks ([`Moves`]), each user
//! row remembering its block in `users.segment`.
//!
//! Measured on a 1M-user tenant from the pipeline bench's generator (2
//! shared cores, whole process, 5 runs): `--search smith` (30,925 users)
//! 25-32 ms, `zz-no-such-name` 17-20 ms, `bigcorp` (every user, by the
//! tail) 21-29 ms, the list without a search 8-11 ms. Before, with the
//! index walk and instr(): 0.31-0.60 s, 0.30-0.38 s, 0.37-0.48 s and
//! 0.10-0.15 s. An FTS5 trigram index had made commits 4x slower; these
//! blocks cost a commit one block rewrite per tail. In a store of 32 KiB
//! pages (new stores since 2026-12), where a block spans three pages, not
//! seventeen: 14-16 ms, 9 ms, 15 ms and 4-5 ms (two bench runs).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::ops::Range;

use memchr::{memchr, memmem, memrchr};
use rusqlite::{Connection, OptionalExtension, params};

/// A block takes no more appends once its body is this large; a new block
/// starts. 64 KiB keeps the rewrite of a block by a small commit or a
/// delete cheap, while a 1M-user tenant still has only about 500 blocks.
pub const BLOCK_BYTES: usize = 64 * 1024;

/// Up to this many matches come back with their keys, to be ordered in
/// memory; beyond it the matches are dense and the page is read from the
/// index in display order, which finds it early.
pub const KEEP_MATCHES: usize = 50_000;

/// What `users list --search` looks in: the display name and the user
/// name, lower-cased with Unicode rules, display name first so the key
/// also sorts the list.
pub fn key(display_name: &str, upn: &str) -> String {
    let mut key = String::with_capacity(display_name.len() + 1 + upn.len());
    push_lowercase(&mut key, display_name);
    key.push(' ');
    push_lowercase(&mut key, upn);
    key
}

/// Appends `s` lower-cased: byte by byte when it is ASCII (user names
/// always are, display names mostly), else by Unicode's rules.
fn push_lowercase(out: &mut String, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.push_str(&s.to_lowercase());
    }
}

const SEP: u8 = 0xFF;

/// A search key split into the entry a block holds and the tail the
/// block's entries share: at the last '@' (a domain holds none).
pub fn split_key(key: &str) -> (&str, &str) {
    match key.rfind('@') {
        Some(at) => key.split_at(at),
        None => (key, ""),
    }
}

/// An error for blocks that do not hold what the users say: the
/// transaction rolls back rather than leave the search wrong.
fn out_of_step(what: &str) -> Error {
    Error::Internal(format!(
        "the search segments are out of step with the users: {what}; nothing was changed"
    ))
}

/// A block being filled.
struct Block {
    id: Option<i64>,
    entries: i64,
    body: Vec<u8>,
    /// Its size limit (the store's `search_block_bytes`).
    limit: usize,
}

impl Block {
    fn empty(limit: usize) -> Block {
        Block {
            id: None,
            entries: 0,
            body: vec![SEP],
            limit,
        }
    }

    fn has_room_for(&self, entry: &str) -> bool {
        // The entry and its 0xFF.
        self.entries == 0 || self.body.len() + entry.len() < self.limit
    }

    fn push(&mut self, entry: &str) {
        self.body.extend_from_slice(entry.as_bytes());
        self.body.push(SEP);
        self.entries += 1;
    }

    /// Writes the block; returns its id.
    fn save(
        &self,
        tx: &Connection,
        tenant: &str,
        state: &str,
        tail: &str,
    ) -> rusqlite::Result<i64> {
        match self.id {
            Some(id) => {
                tx.prepare_cached(
                    "UPDATE search_segments SET entries = ?2, body = ?3 WHERE id = ?1",
                )?
                .execute(params![id, self.entries, self.body])?;
                Ok(id)
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO search_segments (tenant_id, state, tail, entries, body)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![tenant, state, tail, self.entries, self.body])?;
                Ok(tx.last_insert_rowid())
            }
        }
    }
}

/// The last block of (tenant, state, tail), when it still has room.
fn open_block(
    tx: &Connection,
    tenant: &str,
    state: &str,
    tail: &str,
    limit: usize,
) -> rusqlite::Result<Block> {
    let last = tx
        .prepare_cached(
            "SELECT id, entries, body FROM search_segments
             WHERE tenant_id = ?1 AND state = ?2 AND tail = ?3 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![tenant, state, tail], |r| {
            Ok(Block {
                id: Some(r.get(0)?),
                entries: r.get(1)?,
                body: r.get(2)?,
                limit,
            })
        })
        .optional()?;
    Ok(match last {
        Some(b) if b.body.len() < limit => b,
        _ => Block::empty(limit),
    })
}

/// Adds the search keys of users entering `state` to the tenant's blocks;
/// returns the block of each key, in order. One read and one write per
/// block touched, whatever the number of keys.
pub fn add(
    tx: &Connection,
    tenant: &str,
    state: &str,
    keys: &[&str],
    limit: usize,
) -> rusqlite::Result<Vec<i64>> {
    let mut by_tail: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        by_tail.entry(split_key(key).1).or_default().push(i);
    }
    let mut blocks = vec![0; keys.len()];
    for (tail, members) in by_tail {
        let mut block = open_block(tx, tenant, state, tail, limit)?;
        let mut waiting: Vec<usize> = Vec::new();
        for i in members {
            let entry = split_key(keys[i]).0;
            if !block.has_room_for(entry) {
                let id = block.save(tx, tenant, state, tail)?;
                waiting.drain(..).for_each(|w| blocks[w] = id);
                block = Block::empty(limit);
            }
            block.push(entry);
            waiting.push(i);
        }
        let id = block.save(tx, tenant, state, tail)?;
        waiting.drain(..).for_each(|w| blocks[w] = id);
    }
    Ok(blocks)
}

/// Takes search keys out of their blocks, given as (block, key); a block
/// left empty is deleted.
pub fn remove(tx: &Connection, tenant: &str, items: &[(i64, &str)]) -> Result<()> {
    let mut by_block: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for &(block, key) in items {
        by_block.entry(block).or_default().push(key);
    }
    for (id, keys) in by_block {
        let (tail, mut entries, mut body): (String, i64, Vec<u8>) = tx
            .prepare_cached(
                "SELECT tail, entries, body FROM search_segments WHERE id = ?1 AND tenant_id = ?2",
            )?
            .query_row(params![id, tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?
            .ok_or_else(|| out_of_step(&format!("block {id} is missing")))?;
        for key in keys {
            let (entry, key_tail) = split_key(key);
            let at = (key_tail == tail)
                .then(|| find_entry(&body, entry))
                .flatten()
                .ok_or_else(|| out_of_step(&format!("block {id} lacks an entry")))?;
            body.drain(at..at + entry.len() + 1);
            entries -= 1;
        }
        if entries == 0 {
            tx.prepare_cached("DELETE FROM search_segments WHERE id = ?1")?
                .execute([id])?;
        } else {
            tx.prepare_cached("UPDATE search_segments SET entries = ?2, body = ?3 WHERE id = ?1")?
                .execute(params![id, entries, body])?;
        }
    }
    Ok(())
}

/// Where `entry` starts in `body`, as a whole entry.
fn find_entry(body: &[u8], entry: &str) -> Option<usize> {
    let mut needle = Vec::with_capacity(entry.len() + 2);
    needle.push(SEP);
    needle.extend_from_slice(entry.as_bytes());
    needle.push(SEP);
    memmem::find(body, &needle).map(|at| at + 1)
}

/// One user moving between states (or out, for a purge).
#[derive(Debug, Clone)]
struct Moved {
    user: i64,
    segment: i64,
    key: String,
}

/// Users changing state in one transaction, their blocks changed once at
/// the end ([`Moves::apply`]) rather than once per user.
#[derive(Debug)]
pub struct Moves {
    /// The state they enter; `None` for users purged.
    to: Option<&'static str>,
    moved: Vec<Moved>,
}

impl Moves {
    pub fn to(state: &'static str) -> Moves {
        Moves {
            to: Some(state),
            moved: Vec::new(),
        }
    }

    pub fn purged() -> Moves {
        Moves {
            to: None,
            moved: Vec::new(),
        }
    }

    /// The user `user` (its key), whose entry is in block `segment`.
    pub fn push(&mut self, user: i64, segment: i64, search_key: &str) {
        self.moved.push(Moved {
            user,
            segment,
            key: search_key.to_string(),
        });
    }

    /// Moves the entries and records each user's new block.
    pub fn apply(&self, tx: &Connection, tenant: &str, limit: usize) -> Result<()> {
        if self.moved.is_empty() {
            return Ok(());
        }
        let out: Vec<(i64, &str)> = self
            .moved
            .iter()
            .map(|m| (m.segment, m.key.as_str()))
            .collect();
        remove(tx, tenant, &out)?;
        let Some(state) = self.to else {
            return Ok(());
        };
        let keys: Vec<&str> = self.moved.iter().map(|m| m.key.as_str()).collect();
        let blocks = add(tx, tenant, state, &keys, limit)?;
        let mut set =
            tx.prepare_cached("UPDATE users SET segment = ?3 WHERE key = ?1 AND tenant_id = ?2")?;
        for (m, block) in self.moved.iter().zip(blocks) {
            set.execute(params![m.user, tenant, block])?;
        }
        Ok(())
    }
}

/// How many users of the tenant are in `states`, from the block counts.
pub fn count(conn: &Connection, tenant: &str, states: &[&str]) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(sum(entries), 0) FROM search_segments WHERE tenant_id = ?1 AND state = ?2",
    )?;
    let mut total = 0u64;
    for state in states {
        total += stmt.query_row(params![tenant, state], |r| r.get::<_, u64>(0))?;
    }
    Ok(total)
}

/// A match kept for ordering: the whole search key and its user's state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub key: Vec<u8>,
    pub state: &'static str,
}

impl Hit {
    fn new(entry: &[u8], tail: &str, state: &'static str) -> Hit {
        Hit {
            key: [entry, tail.as_bytes()].concat(),
            state,
        }
    }
}

/// What a search found: the exact count, and the matches themselves when
/// there are at most `keep` of them.
#[derive(Debug)]
pub struct Found {
    pub total: u64,
    pub hits: Option<Vec<Hit>>,
}

/// A lower-cased, non-empty search term, ready to scan blocks with.
pub struct Term<'a> {
    text: &'a str,
    finder: memmem::Finder<'a>,
    /// For each '@' of the term (not first): the part before it followed
    /// by 0xFF (an entry ending with it), and the part from the '@' on,
    /// which the tail must start with.
    straddles: Vec<(memmem::Finder<'static>, &'a str)>,
}

impl<'a> Term<'a> {
    pub fn new(text: &'a str) -> Term<'a> {
        let straddles = text
            .match_indices('@')
            .filter(|&(at, _)| at > 0)
            .map(|(at, _)| {
                let mut head = text.as_bytes()[..at].to_vec();
                head.push(SEP);
                (memmem::Finder::new(&head).into_owned(), &text[at..])
            })
            .collect();
        Term {
            text,
            finder: memmem::Finder::new(text.as_bytes()),
            straddles,
        }
    }

    /// Whether the term is in `tail`, so in every key of its block.
    fn in_tail(&self, tail: &str) -> bool {
        tail.contains(self.text)
    }

    /// The byte ranges of the entries of `body` whose key (entry + `tail`)
    /// contains the term, in body order, for a tail without the term.
    fn matches(&self, body: &[u8], tail: &str, out: &mut Vec<Range<usize>>) {
        out.clear();
        let mut at = 0;
        while let Some(found) = self.finder.find(&body[at..]) {
            let entry = entry_around(body, at + found);
            at = entry.end;
            out.push(entry);
        }
        let mut straddled = false;
        for (head, rest) in &self.straddles {
            if tail.starts_with(rest) {
                for found in head.find_iter(body) {
                    out.push(entry_around(body, found));
                    straddled = true;
                }
            }
        }
        if straddled {
            out.sort_unstable_by_key(|r| r.start);
            out.dedup();
        }
    }
}

/// The entry of `body` that byte `at` belongs to (without its 0xFFs).
fn entry_around(body: &[u8], at: usize) -> Range<usize> {
    let start = memrchr(SEP, &body[..at]).map_or(0, |s| s + 1);
    let end = memchr(SEP, &body[at..]).map_or(body.len(), |e| at + e);
    start..end
}

/// The entries of `body`, without their 0xFFs.
fn all_entries(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == SEP).filter(|e| !e.is_empty())
}

/// Counts the tenant's users in `states` whose search key contains `term`
/// (lower-cased, not empty), keeping the matches when at most `keep`.
pub fn search(
    conn: &Connection,
    tenant: &str,
    states: &[&'static str],
    term: &str,
    keep: usize,
) -> rusqlite::Result<Found> {
    let term = Term::new(term);
    let mut stmt = conn.prepare_cached(
        "SELECT tail, entries, body FROM search_segments WHERE tenant_id = ?1 AND state = ?2",
    )?;
    let mut total = 0u64;
    let mut hits = Some(Vec::new());
    let mut ranges = Vec::new();
    for &state in states {
        let mut rows = stmt.query(params![tenant, state])?;
        while let Some(row) = rows.next()? {
            let tail = row.get_ref(0)?.as_str()?;
            let entries: u64 = row.get(1)?;
            if term.in_tail(tail) {
                total += entries;
                // The body is read only to keep its entries: with the
                // term in the tail, counting needs the count alone.
                match hits.as_mut() {
                    Some(kept) if kept.len() as u64 + entries <= keep as u64 => {
                        let body = row.get_ref(2)?.as_blob()?;
                        kept.extend(all_entries(body).map(|e| Hit::new(e, tail, state)));
                    }
                    _ => hits = None,
                }
                continue;
            }
            let body = row.get_ref(2)?.as_blob()?;
            term.matches(body, tail, &mut ranges);
            total += ranges.len() as u64;
            match hits.as_mut() {
                Some(kept) if kept.len() + ranges.len() <= keep => kept.extend(
                    ranges
                        .iter()
                        .map(|r| Hit::new(&body[r.clone()], tail, state)),
                ),
                _ => hits = None,
            }
        }
    }
    Ok(Found { total, hits })
}

/// What is wrong with the tenant's blocks, compared with its users (empty
/// when they agree): each user's entry is in the block its row names, of
/// its state and tail; each block's count is its number of entries; no
/// entry is held twice. For tests and for diagnosing a store.
pub fn problems(conn: &Connection, tenant: &str) -> rusqlite::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut held: BTreeMap<i64, (String, String, Vec<Vec<u8>>)> = BTreeMap::new();
    let mut blocks = conn.prepare(
        "SELECT id, state, tail, entries, body FROM search_segments WHERE tenant_id = ?1",
    )?;
    let mut rows = blocks.query([tenant])?;
    while let Some(r) = rows.next()? {
        let (id, state, tail, entries): (i64, String, String, usize) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let body = r.get_ref(4)?.as_blob()?;
        let mut list: Vec<Vec<u8>> = all_entries(body).map(<[u8]>::to_vec).collect();
        if body.first() != Some(&SEP) || body.last() != Some(&SEP) || list.len() != entries {
            problems.push(format!(
                "block {id}: {entries} entries counted, {} held",
                list.len()
            ));
        }
        list.sort();
        held.insert(id, (state, tail, list));
    }
    let mut users =
        conn.prepare("SELECT upn, state, search_key, segment FROM users WHERE tenant_id = ?1")?;
    let mut rows = users.query([tenant])?;
    let mut found = 0usize;
    while let Some(r) = rows.next()? {
        let (upn, state, key, segment): (String, String, String, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let (entry, tail) = split_key(&key);
        let ok = held.get(&segment).is_some_and(|(s, t, list)| {
            *s == state && t == tail && list.binary_search(&entry.as_bytes().to_vec()).is_ok()
        });
        if ok {
            found += 1;
        } else {
            problems.push(format!("{upn}: not in its block {segment}"));
        }
    }
    let total: usize = held.values().map(|(_, _, l)| l.len()).sum();
    if total != found {
        problems.push(format!("{total} entries held for {found} users"));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(entries: &[&str]) -> Vec<u8> {
        let mut b = Block::empty(BLOCK_BYTES);
        entries.iter().for_each(|e| b.push(e));
        b.body
    }

    fn found(term: &str, entries: &[&str], tail: &str) -> Option<Vec<String>> {
        let body = body(entries);
        let mut out = Vec::new();
        let term = Term::new(term);
        if term.in_tail(tail) {
            return None;
        }
        term.matches(&body, tail, &mut out);
        Some(
            out.iter()
                .map(|r| String::from_utf8(body[r.clone()].to_vec()).unwrap())
                .collect(),
        )
    }

    #[test]
    fn keys_split_at_the_last_at_sign() {
        assert_eq!(split_key("a@b c@d.com"), ("a@b c", "@d.com"));
        assert_eq!(split_key("no tail"), ("no tail", ""));
    }

    #[test]
    fn a_term_matches_whole_entries_once_each() {
        let e = ["ann smith ann.smith", "bob jones bob", "smith smith smith"];
        assert_eq!(
            found("smith", &e, "@x.com").unwrap(),
            ["ann smith ann.smith", "smith smith smith"]
        );
        assert_eq!(found("zz", &e, "@x.com").unwrap(), Vec::<String>::new());
        // Never across two entries.
        assert_eq!(
            found("bobsmith", &e, "@x.com").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_term_in_the_tail_matches_every_entry() {
        assert!(found("x.co", &["a", "b"], "@x.com").is_none());
        assert!(found("@x", &["a", "b"], "@x.com").is_none());
    }

    #[test]
    fn a_term_can_straddle_the_end_of_an_entry_and_the_tail() {
        let e = ["ann smith ann.smith", "bob jones bob", "x@y bob"];
        assert_eq!(
            found("bob@x.c", &e, "@x.com").unwrap(),
            ["bob jones bob", "x@y bob"]
        );
        assert_eq!(found("bob@y", &e, "@x.com").unwrap(), Vec::<String>::new());
        // Inside the entry, and across into the tail, counted once.
        assert_eq!(found("y bob", &e, "@x.com").unwrap(), ["x@y bob"]);
        assert_eq!(found("x@y bob@x", &e, "@x.com").unwrap(), ["x@y bob"]);
        assert_eq!(found("@y", &e, "@x.com").unwrap(), ["x@y bob"]);
    }

    #[test]
    fn an_entry_is_found_whole() {
        let b = body(&["ann", "an", "anna"]);
        assert_eq!(find_entry(&b, "an"), Some(5));
        assert_eq!(find_entry(&b, "a"), None);
    }
}
