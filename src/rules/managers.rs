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
//! The index keeps no Manager values: a million of them would be tens of
//! megabytes held to the end of the file for the few rows that get a late
//! finding. Those findings come without their value, and [`fill_values`]
//! reads the file again for them (only when there are any, so a file
//! whose managers are fine is read once).
//!
//! Each row has at most one manager, so the graph is a forest of chains
//! that may end in a cycle: every row is visited once with an explicit
//! stack (a chain of a million rows needs no recursion), and the work and
//! memory are linear in the number of rows.

use super::row::Row;
use super::tenant::TenantView;
use super::text::quoted;
use super::upn_index::{Existing, UpnKey};
use super::username::alias_problem;
use crate::columns::Column;
use crate::error::Result;
use crate::finding::{Code, Finding};
use crate::ingest::CsvInput;

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

/// Whether `f` is a late finding whose value (and, for `unknown_manager`,
/// message) is still to be given by [`fill_values`].
pub fn needs_value(f: &Finding) -> bool {
    f.column == Some(Column::Manager)
        && f.value.is_none()
        && matches!(
            f.code,
            Code::UnknownManager | Code::ManagerCycle | Code::InvalidManagerRow
        )
}

/// Gives the late findings of `findings` (in file order) their rows'
/// Manager values, read from `input` (the file from its start again), and
/// `unknown_manager` its message, which quotes the value.
pub fn fill_values(input: &mut CsvInput, findings: &mut [Finding]) -> Result<()> {
    let header = input.header.clone();
    let mut wanted = findings.iter_mut().filter(|f| needs_value(f)).peekable();
    while wanted.peek().is_some() {
        let Some(pieces) = input.next_pieces()? else {
            break;
        };
        for rec in pieces.iter().flat_map(|p| p.records()) {
            while let Some(f) = wanted.next_if(|f| f.record <= rec.record) {
                if f.record != rec.record {
                    continue;
                }
                let row = Row::new(rec.line, rec.record, rec.fields, &header);
                let value = row.get(Column::Manager);
                if f.code == Code::UnknownManager {
                    f.message = unknown_message(value);
                }
                let filled = std::mem::replace(f, Finding::error(f.code, 0, 0, None));
                *f = filled.value(value);
            }
        }
    }
    Ok(())
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

/// What the reporting thread keeps about every row, for the checks that
/// need the whole file: the manager graph as it is learnt (9 bytes a row,
/// and the row's line, which the name index keeps); a manager not found by
/// the end of the row's block (a later row, mostly) keeps its key until
/// the end (24 bytes more).
#[derive(Debug)]
pub struct Index {
    /// The line of each record (record `r` at `r - 1`); given to
    /// [`Index::resolve`].
    lines: Vec<u64>,
    /// The manager graph: `next[r]` is record r's manager's record
    /// ([`NONE`]: none, or not known yet).
    next: Vec<u64>,
    /// Each record's errors of its own, and then the walk's marks.
    marks: Vec<Mark>,
    /// Rows whose manager is to be found in the file.
    managers: u64,
    /// The record and the manager's key of each row whose manager was not
    /// found by the end of its block.
    unresolved: Vec<u64>,
    unresolved_keys: Vec<UpnKey>,
}

impl Default for Index {
    fn default() -> Index {
        // Records are numbered from 1: the graph's entry 0 is no row.
        Index {
            lines: Vec::new(),
            next: vec![NONE],
            marks: vec![Mark::of(Why::Valid)],
            managers: 0,
            unresolved: Vec::new(),
            unresolved_keys: Vec::new(),
        }
    }
}

/// The findings resolution adds to one row. The finding has no value yet
/// (see [`fill_values`]).
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

/// The rows of one piece whose manager is to be found in the file,
/// gathered while the piece is checked (beside its rows, which stay as
/// small as they were).
#[derive(Debug, Default)]
pub struct PieceManagers {
    pub rows: Vec<PieceManager>,
}

/// One row of a piece whose manager is to be found in the file.
#[derive(Debug, Clone, Copy)]
pub struct PieceManager {
    /// The row's place in its piece.
    pub row: u32,
    pub key: UpnKey,
    /// The manager's record once the name index has it (0 until then).
    pub found: u64,
}

impl PieceManagers {
    /// Room for the managers of a piece of `rows` rows: most files with a
    /// Manager column fill it on most rows, and growing these a row at a
    /// time would copy them several times over.
    pub fn with_capacity(rows: usize) -> PieceManagers {
        PieceManagers {
            rows: Vec::with_capacity(rows),
        }
    }

    /// Keeps the manager of the piece's row `row`.
    pub fn keep(&mut self, row: u32, key: UpnKey) {
        self.rows.push(PieceManager {
            row,
            key,
            found: NONE,
        });
    }
}

impl Index {
    /// Takes the next piece's managers, in file order; `rows` sees each
    /// row of the piece (whether it has errors), and the records of the
    /// piece follow `record_base`.
    pub fn add_piece(
        &mut self,
        piece: PieceManagers,
        record_base: u64,
        rows: impl Iterator<Item = bool>,
    ) {
        debug_assert_eq!(record_base + 1, self.next.len() as u64);
        let (own, valid) = (Mark::of(Why::Own).with_own_errors(), Mark::of(Why::Valid));
        self.marks
            .extend(rows.map(|bad| if bad { own } else { valid }));
        let first = self.next.len();
        self.next.resize(self.marks.len(), NONE);
        self.managers += piece.rows.len() as u64;
        for m in piece.rows {
            let record = first + m.row as usize;
            self.next[record] = m.found;
            if m.found == NONE {
                self.unresolved.push(record as u64);
                self.unresolved_keys.push(m.key);
            }
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
    pub fn wanted(&self) -> &[UpnKey] {
        &self.unresolved_keys
    }

    /// The late findings and (with `keep`) the valid in-file managers.
    /// `lines` holds the line of every record (record `r` at `r - 1`);
    /// `found` is, for each key of [`Index::wanted`] in its order, the
    /// record that holds the name first (0 when no row has it).
    pub fn resolve(mut self, lines: Vec<u64>, found: &[u64], keep: bool) -> Resolved {
        // A Manager column without a manager to find in the file.
        if self.managers == 0 {
            return Resolved::default();
        }
        self.lines = lines;
        let mut late: Vec<(u64, Kind)> = Vec::new();
        for (&r, &m) in self.unresolved.iter().zip(found) {
            match m {
                NONE => {
                    late.push((r, Kind::Unknown));
                    self.marks[r as usize].set_why(Why::Own);
                }
                m => self.next[r as usize] = m,
            }
        }
        let (next, marks) = (&self.next, &mut self.marks);
        let cycles = walk(next, marks, &mut late);
        late.sort_unstable_by_key(|&(r, _)| r);

        let mut in_file = Vec::new();
        if keep {
            for (r, &m) in self.next.iter().enumerate() {
                if m != NONE && self.marks[r].why() == Why::Valid {
                    in_file.push((r as u64, m));
                }
            }
        }
        let invalidated = late
            .iter()
            .map(|&(r, _)| r)
            .filter(|&r| !self.marks[r as usize].has_own_errors())
            .collect();
        let mut findings = Vec::with_capacity(late.len());
        for (record, kind) in late {
            let line = self.line(record);
            let at = Finding::error(kind.code(), line, record, Some(Column::Manager));
            let manager = self.next[record as usize];
            let message = match kind {
                // Made once the value is known (fill_values).
                Kind::Unknown => String::new(),
                Kind::Cycle(c, at) => cycle_message(&cycles[c], at, &self.lines),
                Kind::Chain => {
                    let m_line = self.line(manager);
                    match self.marks[manager as usize].why() {
                        Why::Cycle => format!(
                            "the manager is the row on line {m_line}, which is in a cycle of \
                             managers; fix that cycle first"
                        ),
                        Why::Chain => format!(
                            "the manager is the row on line {m_line}, which is invalid through \
                             its own manager (line {}); fix that chain first",
                            self.line(self.next[manager as usize])
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
                finding: at.message(message),
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

/// A row's mark during the walk: why it is invalid, whether the walk has
/// seen it, and whether the row has errors of its own, in one byte (the
/// walk reaches rows in a random order, and one byte a row is one cache
/// miss, not three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark(u8);

impl Mark {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    const OWN_ERRORS: u8 = 0x10;

    fn of(why: Why) -> Mark {
        Mark((why as u8) << 2)
    }

    fn with_own_errors(self) -> Mark {
        Mark(self.0 | Mark::OWN_ERRORS)
    }

    fn has_own_errors(self) -> bool {
        self.0 & Mark::OWN_ERRORS != 0
    }

    fn why(self) -> Why {
        match (self.0 >> 2) & 3 {
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
        self.0 = (self.0 & !(3 << 2)) | ((why as u8) << 2);
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
                        let mark = &mut marks[u as usize];
                        mark.set_why(Why::Cycle);
                        mark.set_state(Mark::DONE);
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
        let mut piece = PieceManagers::default();
        let mut found = Vec::new();
        for &(r, m) in managers {
            piece.keep(r as u32 - 1, UpnKey::of(&format!("m{r}")));
            // Managers before their row are found as the rows go by; the
            // others at the end.
            match m != NONE && m < r {
                true => piece.rows.last_mut().unwrap().found = m,
                false => found.push(m),
            }
        }
        index.add_piece(piece, 0, (1..=n).map(|r| bad.contains(&r)));
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
