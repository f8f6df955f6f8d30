//! Manager (SPEC §3, §5): the user name (or bare alias) of the person's
//! manager, an active user of the tenant or else another row of the file,
//! in any order.
//!
//! What one row can tell alone is checked with the row's other rules, on
//! the core that parsed it ([`check`]): the value is a user name, it is
//! not the row's own (`self_manager`), it is not a deleted user of the
//! tenant (`unknown_manager`, restore them first), and whether an active
//! user of the tenant has it (then the row is done, even when a row of the
//! file has the name too). Everything else needs the whole file: the
//! reporting thread keeps a compact index as the rows go by ([`Index`]:
//! each row's line and whether it has errors, and for each row whose
//! manager is to be found in the file, the manager's key), and once the
//! file is read [`Index::resolve`] finds each manager's row through the
//! file's name index, walks the manager graph once, iteratively, and
//! returns the findings in file order:
//!
//! - `unknown_manager`: no row of the file has the name;
//! - `manager_cycle`: the row is on a cycle of managers (only that
//!   finding), the message listing the cycle's lines;
//! - `invalid_manager_row`: the manager's row has errors or is on a cycle,
//!   or is itself invalid for its manager, and so on down a chain; the
//!   message names that line.
//!
//! Each row has at most one manager, so the graph is a forest of chains
//! that may end in a cycle: every row is visited once with an explicit
//! stack (a chain of a million rows needs no recursion), and the work and
//! memory are linear in the number of rows.

use super::finding::{Code, Finding};
use super::row::Row;
use super::tenant::TenantView;
use super::text::quoted;
use super::upn_index::{Existing, UpnKey};
use super::username::alias_problem;
use crate::columns::Column;

/// What a row's Manager says, as far as the row alone can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// No manager, or a value that is already a finding.
    None,
    /// An active user of the tenant.
    Tenant,
    /// To be found among the file's rows, by this key.
    InFile(UpnKey),
}

/// Checks the row's Manager. `own` is the key of the row's own user name,
/// when it is well-formed.
pub fn check(
    row: &Row,
    own: Option<UpnKey>,
    tenant: &TenantView,
    out: &mut Vec<Finding>,
) -> Manager {
    let value = row.get(Column::Manager);
    if value.is_empty() {
        return Manager::None;
    }
    // Whether the value is a well-formed user name is only asked once no
    // row has it (`unknown_message`): a name the tenant or a row has is
    // well-formed, and this runs for every row.
    let key = key_of(value, tenant);
    if own == Some(key) {
        out.push(
            row.error(Code::SelfManager, Column::Manager)
                .message(
                    "a user cannot be their own manager; leave Manager empty or name another user",
                )
                .value(value),
        );
        return Manager::None;
    }
    match tenant.existing.get(key) {
        Some(Existing::Active) => Manager::Tenant,
        Some(Existing::Deleted) => {
            out.push(
                row.error(Code::UnknownManager, Column::Manager)
                    .message(format!(
                        "{} is a deleted user of this tenant, and a deleted user cannot be a \
                         manager; restore them first (`onboard users restore --tenant {} {}`)",
                        quoted(value),
                        tenant.id,
                        quoted(value)
                    ))
                    .value(value),
            );
            Manager::None
        }
        None => Manager::InFile(key),
    }
}

/// The key of a manager's user name: `alias@domain`, or a bare alias with
/// the tenant's default domain. A value that is not a user name gets the
/// key of no user and no row.
pub fn key_of(value: &str, tenant: &TenantView) -> UpnKey {
    match memchr::memchr(b'@', value.as_bytes()) {
        Some(at) => UpnKey::of_parts(&value[..at], &value[at + 1..]),
        None => UpnKey::of_parts(value, &tenant.default_domain),
    }
}

/// The message of `unknown_manager` for `value`, a name no user of the
/// tenant and no row of the file has.
fn unknown_message(value: &str) -> String {
    let (alias, domain) = value.split_once('@').unwrap_or((value, "x"));
    if alias_problem(alias).is_some() || domain.is_empty() || domain.contains('@') {
        return format!(
            "\"{}\" is not a user name, so it names no user of the tenant and no row of this \
             file; write the manager's user name (or alias)",
            quoted(value)
        );
    }
    format!(
        "no active user of the tenant and no row of this file has the user name \"{}\"; check \
         the spelling, or add that person to the file",
        quoted(value)
    )
}

/// The manager's user name as a user row stores the reference:
/// `alias@domain`, the bare alias given the default domain.
pub fn user_name(value: &str, tenant: &TenantView) -> String {
    match value.contains('@') {
        true => value.to_string(),
        false => format!("{value}@{}", tenant.default_domain),
    }
}

/// No row (records are numbered from 1).
const NONE: u64 = 0;

/// A row whose manager is to be found in the file.
#[derive(Debug, Clone, Copy)]
struct Pending {
    record: u64,
    /// The manager's record, once known ([`NONE`] until then).
    found: u64,
    /// Where the value as written is in `Index::texts`: block, start, end.
    text: (u32, u32, u32),
}

/// What the reporting thread keeps about every row, for the checks that
/// need the whole file: a byte a row (and the row's line, which the name
/// index keeps), and 28 more for a row whose manager is to be found in the
/// file, plus its value's text; a manager not found by the end of the
/// row's block (a later row, mostly) keeps its key until the end (20 more).
#[derive(Debug, Default)]
pub struct Index {
    /// The line of each record (record `r` at `r - 1`); given to
    /// [`Index::resolve`].
    lines: Vec<u64>,
    /// Whether the record has errors of its own.
    bad: Vec<bool>,
    pending: Vec<Pending>,
    /// (position in `pending`, key) of each manager not found yet.
    unresolved: Vec<(usize, UpnKey)>,
    /// The Manager values of the pending rows, a string a piece.
    texts: Vec<String>,
}

/// The findings resolution adds to one row.
#[derive(Debug)]
pub struct Late {
    pub record: u64,
    pub finding: Finding,
}

/// What [`Index::resolve`] found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The findings, in file order, one at most a row.
    pub findings: Vec<Late>,
    /// (record, manager's record) of each row whose manager is a valid row
    /// of the file, in file order.
    pub in_file: Vec<(u64, u64)>,
    /// The rows that were valid and are not, in file order.
    pub invalidated: Vec<u64>,
}

/// A piece's Manager values, gathered while the piece is checked.
#[derive(Debug, Default)]
pub struct PieceTexts {
    text: String,
}

impl PieceTexts {
    /// Keeps `value`; its range in the piece's text.
    pub fn keep(&mut self, value: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(value);
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        (at(start), at(self.text.len()))
    }
}

impl Index {
    /// The next piece's Manager values; the rows of the piece refer to
    /// them by the number this returns.
    pub fn add_texts(&mut self, texts: PieceTexts) -> u32 {
        self.texts.push(texts.text);
        u32::try_from(self.texts.len() - 1).unwrap_or(u32::MAX)
    }

    /// Records the next row, in file order: whether it has errors, and its
    /// manager to find in the file: the key, the value's range in the
    /// texts of piece `texts`, and the manager's record when the name
    /// index had it already (0 when not).
    pub fn row(
        &mut self,
        record: u64,
        bad: bool,
        manager: Option<(UpnKey, (u32, u32))>,
        found: u64,
        texts: u32,
    ) {
        debug_assert_eq!(record, self.bad.len() as u64 + 1);
        self.bad.push(bad);
        if let Some((key, (start, end))) = manager {
            if found == NONE {
                self.unresolved.push((self.pending.len(), key));
            }
            self.pending.push(Pending {
                record,
                found,
                text: (texts, start, end),
            });
        }
    }

    /// The line of `record`.
    fn line(&self, record: u64) -> u64 {
        self.lines
            .get((record as usize).wrapping_sub(1))
            .copied()
            .unwrap_or(0)
    }

    /// The keys still to look up once the whole file is read: the key of
    /// each pending row whose manager was not found by the end of
    /// its block, in file order.
    pub fn wanted(&self) -> impl Iterator<Item = UpnKey> + '_ {
        self.unresolved.iter().map(|&(_, key)| key)
    }

    fn text(&self, p: &Pending) -> &str {
        let (block, start, end) = p.text;
        self.texts
            .get(block as usize)
            .and_then(|t| t.get(start as usize..end as usize))
            .unwrap_or("")
    }

    /// The late findings and (with `keep`) the valid in-file managers.
    /// `lines` holds the line of every record (record `r` at `r - 1`);
    /// `found` is, for each key of [`Index::wanted`] in its order, the
    /// record that holds the name first (0 when no row has it).
    pub fn resolve(mut self, lines: Vec<u64>, found: &[u64], keep: bool) -> Resolved {
        self.lines = lines;
        let n = self.bad.len();
        // The manager graph: next[r] is record r's manager's record.
        let mut next = vec![NONE; n + 1];
        // Why a row is invalid: its own errors, a manager no row has, a
        // cycle, or its manager's row.
        let mut marks = vec![Mark::of(Why::Valid); n + 1];
        for (r, &bad) in self.bad.iter().enumerate() {
            if bad {
                marks[r + 1] = Mark::of(Why::Own);
            }
        }
        let mut unknown = Vec::new();
        for (&(i, _), &m) in self.unresolved.iter().zip(found) {
            self.pending[i].found = m;
        }
        for p in &self.pending {
            match p.found {
                NONE => unknown.push(p.record),
                m => next[p.record as usize] = m,
            }
        }
        let mut late: Vec<(u64, Kind)> = Vec::new();
        for &r in &unknown {
            late.push((r, Kind::Unknown));
            marks[r as usize] = Mark::of(Why::Own);
        }
        let cycles = walk(&next, &mut marks, &mut late);
        late.sort_unstable_by_key(|&(r, _)| r);

        let mut in_file = Vec::new();
        if keep {
            for p in &self.pending {
                let r = p.record as usize;
                if next[r] != NONE && marks[r].why() == Why::Valid {
                    in_file.push((p.record, next[r]));
                }
            }
        }
        let invalidated = late
            .iter()
            .map(|&(r, _)| r)
            .filter(|&r| !self.bad[r as usize - 1])
            .collect();
        let mut pending = self.pending.iter().peekable();
        let mut findings = Vec::with_capacity(late.len());
        for (record, kind) in late {
            // Every late finding is about a pending row.
            while pending.next_if(|p| p.record < record).is_some() {}
            let value = pending
                .peek()
                .filter(|p| p.record == record)
                .map_or("", |p| self.text(p));
            let line = self.line(record);
            let at = Finding::error(kind.code(), line, record, Some(Column::Manager));
            let manager = next[record as usize];
            let message = match kind {
                Kind::Unknown => unknown_message(value),
                Kind::Cycle(c, at) => cycle_message(&cycles[c], at, &self.lines),
                Kind::Chain => {
                    let m_line = self.line(manager);
                    match marks[manager as usize].why() {
                        Why::Cycle => format!(
                            "the manager is the row on line {m_line}, which is in a cycle of \
                             managers; fix that cycle first"
                        ),
                        Why::Chain => format!(
                            "the manager is the row on line {m_line}, which is invalid through \
                             its own manager (line {}); fix that chain first",
                            self.line(next[manager as usize])
                        ),
                        _ => format!(
                            "the manager is the row on line {m_line}, which has errors; fix that \
                             row first (its user cannot be created, so it cannot be a manager)"
                        ),
                    }
                }
            };
            findings.push(Late {
                record,
                finding: at.message(message).value(value),
            });
        }
        Resolved {
            findings,
            in_file,
            invalidated,
        }
    }
}

/// Why a row is invalid, as far as its manager goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    Valid,
    /// Errors of its own (or a manager that no row has).
    Own,
    /// On a cycle of managers.
    Cycle,
    /// Its manager's row is invalid.
    Chain,
}

/// A row's mark during the walk: why it is invalid, and whether the walk
/// has seen it, in one byte (the walk reaches rows in a random order, and
/// one byte a row is one cache miss, not two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark(u8);

impl Mark {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;

    fn of(why: Why) -> Mark {
        Mark((why as u8) << 2)
    }

    fn why(self) -> Why {
        match self.0 >> 2 {
            0 => Why::Valid,
            1 => Why::Own,
            2 => Why::Cycle,
            _ => Why::Chain,
        }
    }

    fn state(self) -> u8 {
        self.0 & 3
    }

    fn set_why(&mut self, why: Why) {
        self.0 = (self.0 & 3) | ((why as u8) << 2);
    }

    fn set_state(&mut self, state: u8) {
        self.0 = (self.0 & !3) | state;
    }
}

/// A late finding, before its message.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Unknown,
    /// On a cycle: which of the cycles found, and where on it.
    Cycle(usize, usize),
    Chain,
}

impl Kind {
    fn code(self) -> Code {
        match self {
            Kind::Unknown => Code::UnknownManager,
            Kind::Cycle(..) => Code::ManagerCycle,
            Kind::Chain => Code::InvalidManagerRow,
        }
    }
}

/// Walks the manager graph once: marks the rows on cycles and the rows
/// invalid through their manager, with their late findings; returns the
/// cycles, each as its records in manager order.
fn walk(next: &[u64], marks: &mut [Mark], late: &mut Vec<(u64, Kind)>) -> Vec<Vec<u64>> {
    let mut cycles: Vec<Vec<u64>> = Vec::new();
    let mut path: Vec<u64> = Vec::new();
    for start in 1..next.len() as u64 {
        if marks[start as usize].state() != Mark::NEW || next[start as usize] == NONE {
            continue;
        }
        // Follow managers until a row already judged, a row without a
        // manager in the file, or a row of this path: a cycle.
        path.clear();
        let mut v = start;
        loop {
            let mark = &mut marks[v as usize];
            match mark.state() {
                Mark::DONE => break,
                Mark::ON_PATH => {
                    let from = path.iter().rposition(|&u| u == v).unwrap_or(0);
                    let cycle = path.split_off(from);
                    for (at, &u) in cycle.iter().enumerate() {
                        marks[u as usize] = Mark(Mark::of(Why::Cycle).0 | Mark::DONE);
                        late.push((u, Kind::Cycle(cycles.len(), at)));
                    }
                    cycles.push(cycle);
                    break;
                }
                _ => {
                    mark.set_state(Mark::ON_PATH);
                    path.push(v);
                    match next[v as usize] {
                        NONE => break,
                        m => v = m,
                    }
                }
            }
        }
        // Back down the path: a row whose manager's row is invalid is
        // invalid too, unless it is already for its own errors.
        while let Some(u) = path.pop() {
            let m = next[u as usize];
            let spoilt = m != NONE && marks[m as usize].why() != Why::Valid;
            let mark = &mut marks[u as usize];
            mark.set_state(Mark::DONE);
            if spoilt {
                late.push((u, Kind::Chain));
                if mark.why() == Why::Valid {
                    mark.set_why(Why::Chain);
                }
            }
        }
    }
    cycles
}

/// "this row is in a cycle of managers: lines 5 → 9 → 12 → 5; ...", from
/// the line of the row at `at` on the cycle; a long cycle is shown by the
/// rows after it and the one before it.
fn cycle_message(cycle: &[u64], at: usize, lines: &[u64]) -> String {
    const SHOWN: usize = 8;
    let line = |r: u64| lines.get(r as usize - 1).copied().unwrap_or(0);
    let len = cycle.len();
    let record = cycle[at];
    let from_here = |k: usize| cycle[(at + k) % len];
    let mut shown: Vec<String> = Vec::new();
    if len <= SHOWN + 2 {
        shown.extend((0..len).map(|k| line(from_here(k)).to_string()));
    } else {
        shown.extend((0..SHOWN).map(|k| line(from_here(k)).to_string()));
        shown.push("…".into());
        shown.push(line(from_here(len - 1)).to_string());
    }
    shown.push(line(record).to_string());
    let size = match len > SHOWN + 2 {
        true => format!(" ({len} rows)"),
        false => String::new(),
    };
    format!(
        "this row is in a cycle of managers: lines {}{size}; give one of them a manager outside \
         the cycle, or none",
        shown.join(" → ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves a file of `n` rows: `bad` rows with errors of their own,
    /// `managers` (record, manager's record or NONE for a name no row
    /// has).
    fn resolve(n: u64, bad: &[u64], managers: &[(u64, u64)]) -> Resolved {
        let mut index = Index::default();
        let block = index.add_texts(PieceTexts::default());
        let mut with = managers.iter().peekable();
        let mut found = Vec::new();
        for r in 1..=n {
            let m = with.next_if(|(x, _)| *x == r);
            // Managers before their row are found as the rows go by; the
            // others at the end.
            let now = m.map_or(NONE, |&(_, m)| if m < r { m } else { NONE });
            if let Some(&(_, m)) = m.filter(|_| now == NONE) {
                found.push(m);
            }
            let m = m.map(|_| (UpnKey::of(&format!("m{r}")), (0, 0)));
            index.row(r, bad.contains(&r), m, now, block);
        }
        // Lines: a header, then one line a record.
        let lines = (1..=n).map(|r| r + 1).collect();
        index.resolve(lines, &found, true)
    }

    fn codes(r: &Resolved) -> Vec<(u64, &'static str)> {
        r.findings
            .iter()
            .map(|l| (l.record, l.finding.code.as_str()))
            .collect()
    }

    #[test]
    fn a_cycle_of_three_and_the_rows_below_it() {
        // 1 → 2 → 3 → 1, 4 → 1, 5 → 4, 6 valid with manager 7.
        let r = resolve(7, &[], &[(1, 2), (2, 3), (3, 1), (4, 1), (5, 4), (6, 7)]);
        assert_eq!(
            codes(&r),
            vec![
                (1, "manager_cycle"),
                (2, "manager_cycle"),
                (3, "manager_cycle"),
                (4, "invalid_manager_row"),
                (5, "invalid_manager_row"),
            ]
        );
        assert!(
            r.findings[1]
                .finding
                .message
                .contains("lines 3 → 4 → 2 → 3"),
            "{}",
            r.findings[1].finding.message
        );
        assert!(r.findings[3].finding.message.contains("line 2,"));
        assert!(
            r.findings[4]
                .finding
                .message
                .contains("own manager (line 2)")
        );
        assert_eq!(r.in_file, vec![(6, 7)]);
    }

    #[test]
    fn unknown_names_and_rows_with_errors_spoil_their_chains() {
        let r = resolve(5, &[3], &[(1, NONE), (2, 1), (4, 3), (5, 4)]);
        assert_eq!(
            codes(&r),
            vec![
                (1, "unknown_manager"),
                (2, "invalid_manager_row"),
                (4, "invalid_manager_row"),
                (5, "invalid_manager_row"),
            ]
        );
        assert!(r.findings[2].finding.message.contains("has errors"));
        assert!(r.in_file.is_empty());
    }

    #[test]
    fn a_chain_of_a_million_rows_needs_no_recursion() {
        let n = 1_000_000;
        // Each row's manager is the next row; the last has errors.
        let managers: Vec<(u64, u64)> = (1..n).map(|r| (r, r + 1)).collect();
        let r = resolve(n, &[n], &managers);
        assert_eq!(r.findings.len() as u64, n - 1);
        // And the same chain closed into one cycle.
        let mut managers = managers;
        managers.push((n, 1));
        let r = resolve(n, &[], &managers);
        assert_eq!(r.findings.len() as u64, n);
        assert!(
            r.findings[0]
                .finding
                .message
                .contains(&format!("({n} rows)"))
        );
    }
}
