//! The verification pass: every record through every rule, on all cores,
//! with findings kept in file order.
//!
//! One thread reads the file a block at a time and has its pieces parsed
//! and checked by the per-row rules, which are pure, on all cores (rayon);
//! the existing users of the tenant are looked up there too. The calling
//! thread takes the checked blocks in file order and finds the repeats in
//! the file, block by block, in many small shards of the name index, also
//! on all cores: each shard sees its names in file order, so "the first
//! line" of a duplicate is always the earliest one. Then it counts and
//! reports the block, while the next block is already being parsed.
//!
//! What reading found (lines that are not UTF-8, a quote never closed) and
//! the line-break findings become findings there too, once the block's
//! lines are numbered, since their messages name lines
//! ([`super::reading`]). A file that is Windows-1252 as a whole gets one
//! warning and errors only for bytes Windows-1252 does not define; in any
//! other file each line that is not UTF-8 is an error.
//!
//! A file with a Manager column keeps, on the reporting thread, a compact
//! index of its rows (see [`managers`]); once the file is read, the
//! managers to be found among its rows are looked up in the name index's
//! shards, the manager graph is walked once, and the findings that makes
//! are merged into the log in file order. Those rows were already handed to
//! `on_row` by then: [`Outcome::late_findings`] says how many findings it
//! did not see.

use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::checked::{ManagerRef, NewUser};
use super::managers::{self, Manager, PieceManagers};
use super::row::Row;
use super::tenant::TenantView;
use super::upn_index::{DuplicateIndex, Existing, UpnKey};
use super::{contact, groups, location, password, reading, sign_in, text, username};
use crate::columns::{Column, ColumnNames};
use crate::error::Result;
use crate::finding::{Code, Finding, Severity};
use crate::ingest::{CsvInput, HeaderMap, Piece, Record, TextEncoding};

/// The verification log's data (SPEC §6). Its JSON names each finding's
/// column as the file names it ([`Named`]).
#[derive(Debug, Clone)]
pub struct Verification {
    pub file: String,
    pub encoding: &'static str,
    pub delimiter: &'static str,
    pub dialect: &'static str,
    pub rows: u64,
    pub valid_rows: u64,
    pub invalid_rows: u64,
    pub errors: u64,
    pub warnings: u64,
    pub findings: Vec<Finding>,
    /// How the file names its columns: a finding's `column` in every form
    /// of the log (SPEC §13).
    pub columns: ColumnNames,
}

impl Serialize for Verification {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Verification", 10)?;
        m.serialize_field("file", &self.file)?;
        m.serialize_field("encoding", self.encoding)?;
        m.serialize_field("delimiter", self.delimiter)?;
        m.serialize_field("dialect", self.dialect)?;
        m.serialize_field("rows", &self.rows)?;
        m.serialize_field("valid_rows", &self.valid_rows)?;
        m.serialize_field("invalid_rows", &self.invalid_rows)?;
        m.serialize_field("errors", &self.errors)?;
        m.serialize_field("warnings", &self.warnings)?;
        m.serialize_field("findings", &self.named_findings())?;
        m.end()
    }
}

impl Verification {
    /// The findings, each with its column as the file names it: what the
    /// JSON log and the commit's document hold.
    pub fn named_findings(&self) -> Named<'_> {
        Named {
            findings: &self.findings,
            names: &self.columns,
        }
    }

    /// The name of a finding's column in this file.
    pub fn column_name(&self, f: &Finding) -> Option<&str> {
        self.columns.of(f.column)
    }
}

/// Findings serialized with their columns named as one file names them.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub findings: &'a [Finding],
    pub names: &'a ColumnNames,
}

impl Serialize for Named<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.findings.len()))?;
        for f in self.findings {
            seq.serialize_element(&NamedFinding {
                line: f.line,
                record: f.record,
                column: self.names.of(f.column),
                severity: f.severity,
                code: f.code,
                message: &f.message,
                value: f.value.as_deref(),
            })?;
        }
        seq.end()
    }
}

/// A [`Finding`]'s fields with its column by name (a unit test checks
/// that it has every field of a finding, in order).
#[derive(Serialize)]
struct NamedFinding<'a> {
    line: u64,
    record: u64,
    column: Option<&'a str>,
    severity: Severity,
    code: Code,
    message: &'a str,
    value: Option<&'a str>,
}

impl Verification {
    /// Adds a finding about the whole batch (seats, for example).
    pub fn push_batch_finding(&mut self, f: Finding) {
        match f.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.findings.push(f);
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }
}

/// The log plus, when asked for, the users of the valid rows.
#[derive(Debug)]
pub struct Outcome {
    pub log: Verification,
    pub users: Vec<NewUser>,
    /// Findings the Manager checks made once the whole file was read,
    /// after their rows went to `on_row`: an annotated copy written there
    /// lacks them, and is to be written again from the log.
    pub late_findings: u64,
}

/// A block's pieces with the rows' checks, piece by piece.
type Checked = (Vec<Piece>, Vec<CheckedPiece>);

/// What one piece's checks produced.
struct CheckedPiece {
    rows: Vec<CheckedRow>,
    /// Findings are to be made or finished once the piece is numbered:
    /// it has lines that are not UTF-8, or a quote never closed, or (found
    /// as the rows are numbered) a line-break finding (see [`reading`]).
    pending: bool,
    /// Each column without a header that has a value in the piece: its
    /// position, and the (relative) line of the first.
    unnamed: Vec<(usize, u64)>,
    /// The rows whose manager is to be found in the file.
    managers: PieceManagers,
}

/// What one row's checks produced.
struct CheckedRow {
    line: u64,
    findings: Vec<Finding>,
    /// Findings before this index are about the User Name; cross-row
    /// findings go there so a row's findings stay in column order.
    user_name_end: usize,
    key: Option<UpnKey>,
    /// The tenant already has a user of this name.
    existing: Option<Existing>,
    /// Boxed: most rows of a verify carry none, and rows move between
    /// threads by the thousand.
    user: Option<Box<NewUser>>,
}

impl CheckedRow {
    /// Moves the row's numbers on by the lines and records before its
    /// piece; sets `pending` when a finding's message is still to be
    /// written (it names lines: [`add_reading_findings`]).
    fn rebase(&mut self, lines: u64, records: u64, pending: &mut bool) {
        self.line += lines;
        for f in &mut self.findings {
            f.line += lines;
            f.record += records;
            *pending |= text::is_pending(f);
        }
        if let Some(u) = &mut self.user {
            u.line += lines;
            u.record += records;
        }
    }

    /// A record that no rule reads: the one a quote never closed, reported
    /// with that finding only.
    fn unread(line: u64) -> CheckedRow {
        CheckedRow {
            line,
            findings: Vec::new(),
            user_name_end: 0,
            key: None,
            existing: None,
            user: None,
        }
    }
}

/// The checks of one piece, on the core that parsed it.
fn check_piece(
    p: &Piece,
    header: &HeaderMap,
    tenant: &TenantView,
    keep: bool,
    unnamed: &[usize],
) -> CheckedPiece {
    let unclosed = p.unclosed().map(|u| u.record_line);
    let mut managers = match header.position(Column::Manager) {
        Some(_) => PieceManagers::with_capacity(p.len()),
        None => PieceManagers::default(),
    };
    let mut check = |(i, rec): (usize, Record<'_>)| {
        let at = u32::try_from(i).unwrap_or(u32::MAX);
        check_row(&rec, header, tenant, keep, (at, &mut managers))
    };
    let rows: Vec<CheckedRow> = match unclosed {
        None => p.records().enumerate().map(&mut check).collect(),
        // The last record of the file; the others as always.
        Some(line) => p
            .records()
            .enumerate()
            .map(|(i, rec)| match rec.line == line {
                true => CheckedRow::unread(rec.line),
                false => check((i, rec)),
            })
            .collect(),
    };
    // Line-break findings are found when the rows are numbered
    // ([`CheckedRow::rebase`]), which looks at each finding anyway.
    let pending = unclosed.is_some() || p.has_bad_lines();
    let mut with_values = Vec::new();
    if !unnamed.is_empty() {
        for rec in p.records() {
            // A ragged row's values are not under the header's cells.
            if rec.fields.len() != header.width() || unclosed == Some(rec.line) {
                continue;
            }
            for &i in unnamed {
                let has_value = rec.fields.get(i).is_some_and(|v| !v.trim().is_empty());
                if has_value && !with_values.iter().any(|&(j, _)| j == i) {
                    with_values.push((i, rec.line));
                }
            }
            if with_values.len() == unnamed.len() {
                break;
            }
        }
    }
    CheckedPiece {
        rows,
        pending,
        unnamed: with_values,
        managers,
    }
}

/// The checks of one row that need no other row: every rule, and whether
/// the tenant has the name already. A row's Manager to be found among the
/// file's rows goes to `managers`, with the row's place in its piece.
fn check_row(
    rec: &Record<'_>,
    header: &HeaderMap,
    tenant: &TenantView,
    keep: bool,
    (at, managers): (u32, &mut PieceManagers),
) -> CheckedRow {
    // A Google file's Display Name, made of the first and last names.
    let built: String;
    let mut row = Row::new(rec.line, rec.record, rec.fields, header);
    let mut findings = Vec::new();
    if !row.width_matches() {
        findings.push(
            Finding::error(Code::FieldCount, rec.line, rec.record, None).message(format!(
                "the row has {} fields but the header has {}; check for a missing or extra \
                 delimiter, or a quote that is not closed",
                row.width(),
                header.width()
            )),
        );
        return CheckedRow {
            findings,
            ..CheckedRow::unread(rec.line)
        };
    }
    if header.builds_display_name {
        built = display_name(row.get(Column::FirstName), row.get(Column::LastName));
        row.set(Column::DisplayName, &built);
    }
    let upn = username::check(&row, tenant, &mut findings);
    let user_name_end = findings.len();
    text::check(&row, &mut findings);
    contact::check(&row, &mut findings);
    if tenant.welcome && row.get(Column::AlternateEmail).is_empty() {
        findings.push(
            row.warning(Code::NoWelcomeAddress, Column::AlternateEmail)
                .message(
                    "no Alternate email address: this user gets no welcome email (--welcome); \
                     hand the password over from the results file",
                ),
        );
    }
    let loc = location::check(&row, &mut findings);
    let settings = sign_in::check(&row, &mut findings);
    password::check(&row, upn.as_ref().map_or("", |u| u.alias), &mut findings);
    let groups = groups::check(&row, tenant, &mut findings);

    let key = upn.as_ref().map(|u| UpnKey::of_parts(u.alias, &u.domain));
    let manager = managers::check(&row, key, tenant, &mut findings);
    let existing = key.and_then(|k| tenant.existing.get(k));
    let user = match (&upn, keep) {
        (Some(u), true) if existing.is_none() && !findings.iter().any(Finding::is_error) => {
            let name = match manager {
                Manager::None => String::new(),
                _ => managers::user_name(row.get(Column::Manager), tenant),
            };
            let reference = match manager {
                Manager::None => ManagerRef::None,
                Manager::Tenant => ManagerRef::Tenant,
                // The row is known once the whole file is read.
                Manager::InFile(_) => ManagerRef::InFile(0),
            };
            Some(Box::new(NewUser::from_row(
                &row,
                u,
                loc,
                settings,
                groups,
                (reference, &name),
            )))
        }
        _ => None,
    };
    if let Manager::InFile(k) = manager {
        managers.keep(at, k);
    }
    CheckedRow {
        line: rec.line,
        findings,
        user_name_end,
        key,
        existing,
        user,
    }
}

/// A Display Name made of a first and a last name, either of which may be
/// empty.
fn display_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_string(),
        _ => last.to_string(),
    }
}

/// Verifies every record of `input`. `on_row` sees each record with its
/// findings, in order (the annotated writer). With `keep_users`, the valid
/// rows come back as users.
pub fn run(
    input: &mut CsvInput,
    tenant: &TenantView,
    keep_users: bool,
    on_row: impl FnMut(&Record<'_>, &[Finding]) -> Result<()>,
) -> Result<Outcome> {
    run_with(input, tenant, keep_users, Some(on_row))
}

/// [`run`] when no one looks at the records as they go (no annotated
/// copy): the reporting thread then never touches their text.
pub fn run_quietly(input: &mut CsvInput, tenant: &TenantView, keep_users: bool) -> Result<Outcome> {
    run_with(
        input,
        tenant,
        keep_users,
        None::<fn(&Record<'_>, &[Finding]) -> Result<()>>,
    )
}

fn run_with(
    input: &mut CsvInput,
    tenant: &TenantView,
    keep_users: bool,
    mut on_row: Option<impl FnMut(&Record<'_>, &[Finding]) -> Result<()>>,
) -> Result<Outcome> {
    let mut log = empty_log(input);
    let windows_1252 = input.encoding == TextEncoding::Windows1252;
    if let Some((line, byte)) = input.windows_1252_from {
        log.push_batch_finding(reading::windows_1252(line, byte));
    }
    for f in input.notices.drain(..) {
        log.push_batch_finding(f);
    }
    let header_line = input.header_line;
    for bad in std::mem::take(&mut input.header_bad_lines) {
        if let Some(f) = reading::bad_line(&bad, None, &input.header, header_line, windows_1252) {
            log.push_batch_finding(f);
        }
    }
    // The file-level findings end here; the warnings about columns with
    // values and no header go here too, once the whole file is read.
    let file_level = log.findings.len();
    let mut unnamed_first: Vec<(usize, u64)> = Vec::new();
    let mut users = Vec::new();
    let header = input.header.clone();
    let unnamed = header.unnamed();
    // The Manager checks that need the whole file, when it has the column.
    let mut managers = header
        .position(Column::Manager)
        .map(|_| managers::Index::default());
    let mut repeats = Repeats::new(managers.is_some());
    let again = input.again();

    // The reader stays at most one block ahead of the thread that counts
    // and writes, so memory holds about three blocks whatever the size of
    // the file.
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<Result<Checked>>(1);
        let header = &header;
        let unnamed = &unnamed;
        scope.spawn(move || {
            loop {
                // Each piece is checked by the core that parsed it.
                let check = |p: &Piece| check_piece(p, header, tenant, keep_users, unnamed);
                let (pieces, rows): (Vec<Piece>, Vec<CheckedPiece>) =
                    match input.next_checked(check) {
                        Ok(Some(checked)) => checked.into_iter().unzip(),
                        Ok(None) => break,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            break;
                        }
                    };
                if tx.send(Ok((pieces, rows))).is_err() {
                    // The caller stopped (an error writing the annotated copy).
                    break;
                }
            }
        });
        // The repeats of a block are found here (on all cores, in shards)
        // while the reading thread goes on with the next block.
        for block in rx {
            let (pieces, mut rows) = block?;
            repeats.check(&pieces, &mut rows, header);
            for (piece, checked) in pieces.iter().zip(rows.iter_mut()) {
                if checked.pending {
                    add_reading_findings(piece, &mut checked.rows, header, windows_1252);
                }
                for &(i, line) in &checked.unnamed {
                    if !unnamed_first.iter().any(|&(j, _)| j == i) {
                        unnamed_first.push((i, line + piece.line_base()));
                    }
                }
            }
            for (piece, checked) in pieces.iter().zip(rows) {
                let CheckedPiece {
                    rows, managers: pm, ..
                } = checked;
                if let Some(on_row) = on_row.as_mut() {
                    for (rec, c) in piece.records().zip(&rows) {
                        on_row(&rec, &c.findings)?;
                    }
                }
                if let Some(m) = managers.as_mut() {
                    let bad = rows
                        .iter()
                        .map(|c| c.findings.iter().any(Finding::is_error));
                    m.add_piece(pm, piece.record_base(), bad);
                }
                for mut c in rows {
                    count(&mut log, &c.findings);
                    log.findings.append(&mut c.findings);
                    users.extend(c.user.map(|u| *u));
                }
            }
        }
        Ok(())
    })?;
    let mut late_findings = 0;
    if let Some(index) = managers {
        let found = repeats.find_all(index.wanted());
        let lines = std::mem::take(&mut repeats.lines);
        let resolved = index.resolve(lines, &found, keep_users);
        late_findings = resolved.findings.len() as u64;
        add_late_findings(&mut log, file_level, resolved, &mut users);
        // Their values, from a second reading: only a file with such
        // findings is read twice.
        if late_findings > 0 {
            managers::fill_values(&mut again.open()?, &mut log.findings[file_level..])?;
        }
    }
    // Once each, in the order of the columns.
    unnamed_first.sort_unstable();
    let warnings: Vec<Finding> = unnamed_first
        .into_iter()
        .map(|(i, line)| reading::unnamed_column(&header, i, line, header_line))
        .collect();
    log.warnings += warnings.len() as u64;
    log.findings.splice(file_level..file_level, warnings);
    Ok(Outcome {
        log,
        users,
        late_findings,
    })
}

/// Puts the findings of the Manager checks that needed the whole file in
/// their rows' places (after each row's own findings, the Manager column
/// being the template's last), moves the counts, drops the users of the
/// rows they invalidate, and tells the others which row their manager is.
fn add_late_findings(
    log: &mut Verification,
    rows_from: usize,
    resolved: managers::Resolved,
    users: &mut Vec<NewUser>,
) {
    let managers::Resolved {
        findings: late,
        in_file,
        invalidated,
    } = resolved;
    if !late.is_empty() {
        log.errors += late.len() as u64;
        log.valid_rows -= invalidated.len() as u64;
        log.invalid_rows += invalidated.len() as u64;
        let old = std::mem::take(&mut log.findings);
        let mut merged = Vec::with_capacity(old.len() + late.len());
        let mut late = late.into_iter().peekable();
        for (i, f) in old.into_iter().enumerate() {
            if i >= rows_from {
                while let Some(l) = late.next_if(|l| l.record < f.record) {
                    merged.push(l.finding);
                }
            }
            merged.push(f);
        }
        merged.extend(late.map(|l| l.finding));
        log.findings = merged;
    }
    if users.is_empty() {
        return;
    }
    // Both lists and the users are in file order.
    let mut invalidated = invalidated.into_iter().peekable();
    users.retain(|u| {
        while invalidated.next_if(|&r| r < u.record).is_some() {}
        invalidated.peek() != Some(&u.record)
    });
    let mut in_file = in_file.into_iter().peekable();
    for u in users.iter_mut() {
        while in_file.next_if(|&(r, _)| r < u.record).is_some() {}
        if let Some(&(_, manager)) = in_file.peek().filter(|&&(r, _)| r == u.record) {
            u.manager = ManagerRef::InFile(manager);
        }
    }
}

/// The findings of a numbered piece about how it read: each record a quote
/// never closed gets that finding alone; a record with lines that are not
/// UTF-8 gets theirs first; line-break findings get their messages.
fn add_reading_findings(
    piece: &Piece,
    rows: &mut [CheckedRow],
    header: &HeaderMap,
    windows_1252: bool,
) {
    let unclosed = piece.unclosed();
    let mut bad = piece.bad_lines().peekable();
    for (rec, c) in piece.records().zip(rows.iter_mut()) {
        let mut found = Vec::new();
        // Lines of blank records, which are skipped, are passed over.
        while let Some(b) = bad.next_if(|b| b.record_line <= rec.line) {
            if b.record_line == rec.line {
                found.extend(reading::bad_line(&b, Some(&rec), header, 0, windows_1252));
            }
        }
        if let Some(open) = unclosed.filter(|u| u.record_line == rec.line) {
            c.findings = vec![reading::unclosed_quote(&open, &rec, header)];
            c.user = None;
            continue;
        }
        for f in c.findings.iter_mut().filter(|f| text::is_pending(f)) {
            f.message = match f.column {
                Some(col) => reading::line_break(&rec, header, col),
                None => "a value contains a line break inside quotes; put it on one line".into(),
            };
        }
        if !found.is_empty() {
            c.user = None;
            c.findings.splice(0..0, found);
        }
    }
}

/// The log of `input` before any record.
fn empty_log(input: &CsvInput) -> Verification {
    Verification {
        columns: input.header.names.clone(),
        file: input.name.clone(),
        encoding: input.encoding.name(),
        delimiter: input.dialect.delimiter_name(),
        dialect: input.dialect.style.name(),
        rows: 0,
        valid_rows: 0,
        invalid_rows: 0,
        errors: 0,
        warnings: 0,
        findings: Vec::new(),
    }
}

/// Shards of the name index. A million names in one hash table miss the
/// cache on nearly every lookup (a third of a second of the whole run);
/// in 64 shards each stays small enough for a core's cache, and a block's
/// names are handed to each shard together.
const SHARDS: usize = 64;

/// (piece, row, the line or record found) of a row of a block.
type Found = (usize, usize, u64);

/// The user names seen so far in the file, sharded by key.
struct Repeats {
    shards: Vec<DuplicateIndex>,
    /// With the Manager checks, the shards keep each name's first record
    /// (to find a manager's row), and this the line of every record, for
    /// the messages; without, they keep its first line.
    by_record: bool,
    lines: Vec<u64>,
}

impl Repeats {
    fn new(by_record: bool) -> Repeats {
        Repeats {
            shards: (0..SHARDS).map(|_| DuplicateIndex::default()).collect(),
            by_record,
            lines: Vec::new(),
        }
    }

    /// Adds the cross-row findings (repeats in the file, existing users of
    /// the tenant) to the rows of one block, the next in file order.
    fn check(&mut self, pieces: &[Piece], rows: &mut [CheckedPiece], header: &HeaderMap) {
        // (piece, row, key, line or record) of each name, by shard, in
        // file order; on the way, the rows' numbers move on from their
        // piece's start to the file's.
        let mut by_shard: Vec<Vec<(usize, usize, UpnKey, u64)>> = vec![Vec::new(); SHARDS];
        for (p, (piece, rows)) in pieces.iter().zip(rows.iter_mut()).enumerate() {
            let (lines, records) = (piece.line_base(), piece.record_base());
            for (r, c) in rows.rows.iter_mut().enumerate() {
                c.rebase(lines, records, &mut rows.pending);
                if self.by_record {
                    self.lines.push(c.line);
                }
                if let Some(key) = c.key {
                    let at = match self.by_record {
                        true => records + r as u64 + 1,
                        false => c.line,
                    };
                    by_shard[key.shard(SHARDS)].push((p, r, key, at));
                }
            }
        }
        // (piece, row, first line or record) of every repeat.
        let mut repeats: Vec<Found> = self
            .shards
            .par_iter_mut()
            .zip(by_shard)
            .flat_map_iter(|(index, names)| {
                names
                    .into_iter()
                    .filter_map(|(p, r, key, at)| {
                        index.first_seen(key, at).map(|first| (p, r, first))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        // The names of this block and the ones before it are in the shards
        // now: most managers are found here, while the next block is read
        // (the others once the whole file is).
        if rows.iter().any(|r| !r.managers.rows.is_empty()) {
            let shards = &self.shards;
            rows.par_iter_mut().for_each(|piece| {
                for m in &mut piece.managers.rows {
                    m.found = shards[m.key.shard(SHARDS)].get(m.key).unwrap_or(0);
                }
            });
        }
        repeats.sort_unstable();
        let mut repeats = repeats.into_iter().peekable();
        for (p, (piece, rows)) in pieces.iter().zip(rows.iter_mut()).enumerate() {
            let has_repeats = repeats.peek().is_some_and(|&(rp, _, _)| rp == p);
            if !has_repeats && rows.rows.iter().all(|c| c.existing.is_none()) {
                continue;
            }
            for (r, (rec, c)) in piece.records().zip(rows.rows.iter_mut()).enumerate() {
                let first = repeats
                    .next_if(|&(rp, rr, _)| (rp, rr) == (p, r))
                    .map(|(_, _, first)| self.first_line(first));
                if first.is_some() || c.existing.is_some() {
                    add_cross_findings(&rec, header, first, c);
                }
            }
        }
    }

    /// The line a shard's entry names.
    fn first_line(&self, at: u64) -> u64 {
        match self.by_record {
            true => self.lines.get(at as usize - 1).copied().unwrap_or(0),
            false => at,
        }
    }

    /// The first record of each name of `wanted`, in its order (0 for a
    /// name no row has), looked up on all cores.
    fn find_all(&self, wanted: &[UpnKey]) -> Vec<u64> {
        wanted
            .par_iter()
            .map(|&key| self.shards[key.shard(SHARDS)].get(key).unwrap_or(0))
            .collect()
    }
}

/// Puts the findings about other rows and the tenant's users after the
/// row's User Name findings.
fn add_cross_findings(
    rec: &Record<'_>,
    header: &HeaderMap,
    first: Option<u64>,
    c: &mut CheckedRow,
) {
    let mut cross = Vec::new();
    let shown = Row::new(rec.line, rec.record, rec.fields, header).get(Column::UserName);
    let at = |code| Finding::error(code, rec.line, rec.record, Some(Column::UserName)).value(shown);
    if let Some(first) = first {
        cross.push(at(Code::DuplicateInFile).message(format!(
            "this user name is already on line {first} of the file (user names are not case-sensitive)"
        )));
    }
    match c.existing {
        Some(Existing::Active) => cross.push(
            at(Code::AlreadyExists).message("a user with this name already exists in the tenant"),
        ),
        Some(Existing::Deleted) => cross.push(at(Code::DeletedUserExists).message(
            "a deleted user has this name; restore them with `onboard users restore` instead of \
             creating a new one",
        )),
        None => {}
    }
    c.user = None;
    c.findings.splice(c.user_name_end..c.user_name_end, cross);
}

/// Adds one row's findings to the log's counts.
fn count(log: &mut Verification, findings: &[Finding]) {
    let errors = findings.iter().filter(|f| f.is_error()).count() as u64;
    log.errors += errors;
    log.warnings += findings.len() as u64 - errors;
    log.rows += 1;
    if errors > 0 {
        log.invalid_rows += 1;
    } else {
        log.valid_rows += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log's findings have every field of a finding, in its order,
    /// and only the column's name differs between files.
    #[test]
    fn named_findings_are_findings_with_their_columns_named() {
        let f = Finding::error(Code::TooLong, 3, 2, Some(Column::UserName))
            .message("m")
            .value("v");
        let plain = serde_json::to_string(&f).unwrap();
        let mut names = ColumnNames::default();
        let named = |names: &ColumnNames| {
            serde_json::to_string(&Named {
                findings: std::slice::from_ref(&f),
                names,
            })
            .unwrap()
        };
        assert_eq!(named(&names), format!("[{plain}]"));
        names.set(Column::UserName, "Email Address [Required]");
        assert_eq!(
            named(&names),
            format!(
                "[{}]",
                plain.replace("User Name", "Email Address [Required]")
            )
        );
    }
}
