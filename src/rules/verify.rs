//! The verification pass: every record through every rule, in parallel
//! chunks, with findings kept in file order.
//!
//! Per-row rules are pure and run on all cores (rayon); the cross-row checks
//! (repeats in the file, existing users of the tenant) run in order on one
//! thread, so "the first line" of a duplicate is always the earliest one.

use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::checked::NewUser;
use super::finding::{Code, Finding, Severity};
use super::row::Row;
use super::tenant::TenantView;
use super::upn_index::{DuplicateIndex, Existing, UpnKey};
use super::{contact, location, password, sign_in, text, username};
use crate::columns::Column;
use crate::error::Result;
use crate::ingest::{Chunk, CsvInput, HeaderMap, Record};

/// Records per parallel chunk: big enough to amortise scheduling, small
/// enough to keep memory flat.
const CHUNK: usize = 16 * 1024;

/// The verification log's data (SPEC §6).
#[derive(Debug, Clone, Serialize)]
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
}

/// What one row's pure checks produced.
struct Checked {
    findings: Vec<Finding>,
    /// Findings before this index are about the User Name; cross-row
    /// findings go there so a row's findings stay in column order.
    user_name_end: usize,
    key: Option<UpnKey>,
    user: Option<NewUser>,
}

fn check_row(rec: &Record, header: &HeaderMap, tenant: &TenantView, keep: bool) -> Checked {
    let row = Row::new(rec.line, rec.record, &rec.fields, header);
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
        return Checked {
            findings,
            user_name_end: 0,
            key: None,
            user: None,
        };
    }
    let upn = username::check(&row, tenant, &mut findings);
    let user_name_end = findings.len();
    text::check(&row, &mut findings);
    contact::check(&row, &mut findings);
    let loc = location::check(&row, &mut findings);
    let block = sign_in::check(&row, &mut findings);
    password::check(&row, upn.as_ref().map_or("", |u| u.alias), &mut findings);

    let key = upn.as_ref().map(|u| UpnKey::of_parts(u.alias, &u.domain));
    let user = match (&upn, keep) {
        (Some(u), true) if !findings.iter().any(Finding::is_error) => {
            Some(NewUser::from_row(&row, u, loc, block))
        }
        _ => None,
    };
    Checked {
        findings,
        user_name_end,
        key,
        user,
    }
}

/// Verifies every record of `input`. `on_row` sees each record with its
/// findings, in order (the annotated writer). With `keep_users`, the valid
/// rows come back as users.
pub fn run(
    input: &mut CsvInput,
    tenant: &TenantView,
    keep_users: bool,
    mut on_row: impl FnMut(&Record, &[Finding]) -> Result<()>,
) -> Result<Outcome> {
    let mut log = Verification {
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
    };
    for f in input.notices.drain(..) {
        log.push_batch_finding(f);
    }
    let mut users = Vec::new();
    let mut dups = DuplicateIndex::default();
    let mut checked: Vec<Checked> = Vec::with_capacity(CHUNK);
    let header = input.header.clone();

    // Parsing runs on its own thread, one chunk ahead of the rules: while
    // the cores check chunk N, chunk N+1 is being read. Two chunks circulate
    // between the threads, so memory stays at two chunks whatever the size
    // of the file.
    std::thread::scope(|scope| -> Result<()> {
        let (full_tx, full_rx) = mpsc::sync_channel::<Result<Chunk>>(1);
        let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
        for _ in 0..2 {
            let _ = empty_tx.send(Chunk::default());
        }
        scope.spawn(move || {
            while let Ok(mut chunk) = empty_rx.recv() {
                match input.fill(&mut chunk, CHUNK) {
                    Ok(0) => break,
                    Ok(_) => {
                        if full_tx.send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        for chunk in full_rx {
            let chunk = chunk?;
            chunk
                .records()
                .par_iter()
                .map(|rec| check_row(rec, &header, tenant, keep_users))
                .collect_into_vec(&mut checked);
            for (rec, mut c) in chunk.records().iter().zip(checked.drain(..)) {
                cross_check(rec, &header, tenant, &mut dups, &mut c);
                count(&mut log, &c.findings);
                on_row(rec, &c.findings)?;
                log.findings.append(&mut c.findings);
                users.extend(c.user);
            }
            // The reader may have stopped already; then the chunk is dropped.
            let _ = empty_tx.send(chunk);
        }
        Ok(())
    })?;
    Ok(Outcome { log, users })
}

/// The checks that need the rows before this one (repeats in the file) or
/// the tenant's users; run in file order on one thread.
fn cross_check(
    rec: &Record,
    header: &HeaderMap,
    tenant: &TenantView,
    dups: &mut DuplicateIndex,
    c: &mut Checked,
) {
    let Some(key) = c.key else { return };
    let mut cross = Vec::new();
    let shown = Row::new(rec.line, rec.record, &rec.fields, header).get(Column::UserName);
    let at = |code| Finding::error(code, rec.line, rec.record, Some(Column::UserName)).value(shown);
    if let Some(first) = dups.first_seen(key, rec.line) {
        cross.push(at(Code::DuplicateInFile).message(format!(
            "this user name is already on line {first} of the file (user names are not case-sensitive)"
        )));
    }
    match tenant.existing.get(key) {
        Some(Existing::Active) => cross.push(
            at(Code::AlreadyExists).message("a user with this name already exists in the tenant"),
        ),
        Some(Existing::Deleted) => cross.push(at(Code::DeletedUserExists).message(
            "a deleted user has this name; restore them with `onboard users restore` instead of \
             creating a new one",
        )),
        None => {}
    }
    if !cross.is_empty() {
        c.user = None;
        c.findings.splice(c.user_name_end..c.user_name_end, cross);
    }
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
