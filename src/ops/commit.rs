//! Committing a batch (SPEC §7): verify again, then apply it in one
//! transaction, then publish the results file and deliver the queued
//! messages.
//!
//! Order matters for "never half-applied, never a lost password" (SPEC
//! §11): everything that can fail for a reason the administrator can fix
//! (paths, options, templates, the file's rows, seats) is checked before
//! the slow hashing; hashing and rendering happen before the transaction;
//! the results file is written in full and synced before the transaction
//! opens, so a full disk refuses the commit instead of losing passwords;
//! the transaction writes everything or nothing. Once it has committed,
//! nothing that fails afterwards (the results file's name, the log files,
//! the delivery) is reported as if nothing had happened: the outcome is
//! [`Status::Partial`] and its message starts `batch <id> was committed (N
//! users)`.
//!
//! [`commit`] runs the phases in order; each phase is a function of its
//! own. The [`Outcome`] has one shape whatever happened after the options
//! were checked ([`Report`]): `committed`, the verification's summary, the
//! findings when nothing was committed, and `error` when the store refused
//! or something failed after the transaction.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::batch::{self, Annotate, BatchOptions, BatchPlan, Delivery, Verified};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::files::{Name, Outputs};
use crate::notify::queue::Queue;
use crate::notify::{self, Credentials, Templates, TenantInfo};
use crate::password;
use crate::progress::Progress;
use crate::results::{self, ResultsFile};
use crate::rules::checked::ManagerRef;
use crate::rules::verify::Named;
use crate::rules::{NewUser, Verification};
use crate::secret::Secret;
use crate::store::batches::{BatchChanges, BatchRow, ManagerRow, UserRow};
use crate::store::outbox::QueuedMessage;
use crate::store::outbox::Scope;
use crate::store::{Create, Store, Subscription};

/// What `commit` is asked to do: the batch options plus its own.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    pub batch: BatchOptions,
    /// Commit the valid rows only; the invalid ones go to the annotated file.
    pub skip_invalid: bool,
    /// Do everything inside the transaction, then roll back; send nothing.
    pub dry_run: bool,
    /// The results file; `onboard-results-<batch id>.csv` when `None`.
    pub results: Option<PathBuf>,
}

/// Phase durations, reported in the summary.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Timings {
    pub read_ms: f64,
    pub verify_ms: f64,
    pub hash_ms: f64,
    /// Rendering the messages.
    pub render_ms: f64,
    /// Writing and syncing the results file (before the transaction).
    pub results_ms: f64,
    pub transaction_ms: f64,
    pub notify_ms: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// The verification's numbers, without its findings.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub file: String,
    pub encoding: &'static str,
    pub delimiter: &'static str,
    pub dialect: &'static str,
    pub rows: u64,
    pub valid_rows: u64,
    pub invalid_rows: u64,
    pub errors: u64,
    pub warnings: u64,
}

impl Checked {
    fn of(log: &Verification) -> Checked {
        Checked {
            file: log.file.clone(),
            encoding: log.encoding,
            delimiter: log.delimiter,
            dialect: log.dialect,
            rows: log.rows,
            valid_rows: log.valid_rows,
            invalid_rows: log.invalid_rows,
            errors: log.errors,
            warnings: log.warnings,
        }
    }
}

/// What a commit did, for people and scripts.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub committed: bool,
    pub dry_run: bool,
    pub batch_id: Option<String>,
    pub tenant: String,
    pub file: String,
    /// The input as given on the command line (`-` for standard input),
    /// as the batch records it (SPEC §13).
    #[serde(skip)]
    pub batch_file: String,
    pub sha256: String,
    pub verification: Checked,
    pub rows: u64,
    pub created: u64,
    pub skipped: u64,
    pub warnings: u64,
    pub licenses: Vec<Subscription>,
    /// The roles every user of the batch holds.
    pub roles: Vec<&'static str>,
    /// The batch's sign-in status (a row's own Entra or Google column may
    /// say otherwise for that row).
    pub sign_in: &'static str,
    pub results_file: Option<String>,
    pub annotated_file: Option<String>,
    pub messages_queued: usize,
    pub messages_sent: usize,
    pub timings: Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

/// How a commit that ran ended (SPEC §2's exit statuses 0, 1, 3, 4, 130).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Committed (or rolled back as asked by a dry run), or nothing to do.
    Done,
    /// The file has errors: nothing was committed.
    Invalid,
    /// The store refused: nothing was committed.
    Refused,
    /// Committed, but not all of it went through.
    Partial,
    /// Ctrl-C after the transaction committed.
    Interrupted,
}

/// A commit's outcome: its report, the verification log, and what to tell
/// the person (a sentence, for statuses other than `Done`).
#[derive(Debug)]
pub struct Outcome {
    pub status: Status,
    pub report: Report,
    pub log: Verification,
    pub message: Option<String>,
}

/// The one JSON document of a commit: the report, and the findings when
/// nothing was committed.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    #[serde(flatten)]
    pub report: &'a Report,
    /// Each with its column as the file names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Named<'a>>,
}

impl Outcome {
    pub fn document(&self) -> Document<'_> {
        let show = !self.report.committed && !self.report.dry_run;
        Document {
            report: &self.report,
            findings: show.then(|| self.log.named_findings()),
        }
    }
}

/// Verifies, hashes, commits and delivers the batch of `opts`.
pub fn commit(cfg: &Config, opts: &CommitOptions, progress: &dyn Progress) -> Result<Outcome> {
    let b = &opts.batch;
    let mut guard = batch::guard(cfg, b)?;
    guard.maybe_output("--results", opts.results.as_deref())?;
    if let Some(p) = &opts.results {
        results::check_new(p)?;
    }
    let mut store = super::open(cfg, Create::No)?;
    let plan = batch::plan(&store, b)?;
    let delivery = Delivery::prepare(cfg, b)?;

    let (mut verified, outputs) = verify(progress, opts, &plan)?;
    if progress.cancelled() {
        return Err(Error::nothing_committed());
    }
    let users = std::mem::take(&mut verified.outcome.users);
    let mut report = new_report(&plan, &verified, opts);
    let log = verified.outcome.log;

    if log.has_errors() && !opts.skip_invalid {
        let names = outputs.publish()?;
        report.annotated_file = annotated_name(b.annotated.as_deref(), &names);
        return Ok(ended(
            Status::Invalid,
            report,
            log,
            "nothing was committed: fix the errors above and run the commit again",
        ));
    }
    if users.is_empty() {
        let names = outputs.publish()?;
        report.annotated_file = annotated_name(annotated_path(opts).as_deref(), &names);
        let status = if log.has_errors() {
            Status::Invalid
        } else {
            Status::Done
        };
        return Ok(ended(
            status,
            report,
            log,
            "nothing was committed: the file has no valid rows",
        ));
    }
    if let Err(e) = check_seats(&plan.licenses, users.len() as u64) {
        return Ok(refused(report, log, e));
    }
    let queue = Queue {
        via: delivery.route.queue_as(),
        from: &cfg.mail_from,
    };
    let prepared = prepare(
        cfg,
        opts,
        &plan,
        &delivery.templates,
        queue,
        &users,
        progress,
        &mut report,
    )?;
    let applied = match transact(
        &mut store,
        opts,
        &plan,
        &users,
        prepared,
        progress,
        &mut report,
    ) {
        Ok(a) => a,
        Err(e) if e.is_refused() => return Ok(refused(report, log, e)),
        Err(e) => return Err(e),
    };
    Ok(after_commit(
        opts, &mut store, &delivery, outputs, applied, progress, report, log,
    ))
}

/// Reads and checks the file, with the annotated copy: with
/// `--skip-invalid` it holds only the rows left to fix, so that, once
/// fixed, it commits cleanly on its own (its default name is onboard's and
/// never replaces a file). The staged outputs come back unpublished.
fn verify(
    progress: &dyn Progress,
    opts: &CommitOptions,
    plan: &BatchPlan,
) -> Result<(Verified, Outputs)> {
    let b = &opts.batch;
    let default_annotated = annotated_path(opts).filter(|_| b.annotated.is_none());
    let annotate = match (&b.annotated, &default_annotated) {
        (Some(path), _) => Some(Annotate {
            path,
            invalid_only: opts.skip_invalid,
            name: Name::Replace,
        }),
        (None, Some(path)) => Some(Annotate {
            path,
            invalid_only: true,
            name: Name::Unique,
        }),
        (None, None) => None,
    };
    let mut verified = batch::verify_file(progress, b, plan, true, annotate)?;
    let mut outputs = Outputs::default();
    // The default rejects file only when there are rows to fix.
    let annotated = verified.annotated.take();
    if default_annotated.is_none() || verified.outcome.log.invalid_rows > 0 {
        outputs.add_all([annotated]);
    }
    outputs.add_all([batch::stage_log(b, &verified.outcome.log)?]);
    Ok((verified, outputs))
}

fn new_report(plan: &BatchPlan, v: &Verified, opts: &CommitOptions) -> Report {
    let log = &v.outcome.log;
    Report {
        committed: false,
        dry_run: opts.dry_run,
        batch_id: None,
        tenant: plan.tenant.id.clone(),
        file: v.source.name(),
        batch_file: opts.batch.file.display().to_string(),
        sha256: v.sniff.sha256.map(|d| hex(&d)).unwrap_or_default(),
        verification: Checked::of(log),
        rows: log.rows,
        created: 0,
        skipped: log.invalid_rows,
        warnings: log.warnings,
        licenses: plan.licenses.clone(),
        roles: plan.roles.iter().map(|r| r.as_str()).collect(),
        sign_in: if plan.sign_in_blocked {
            "blocked"
        } else {
            "allowed"
        },
        results_file: None,
        annotated_file: None,
        messages_queued: 0,
        messages_sent: 0,
        timings: Timings {
            read_ms: ms(v.read_time),
            verify_ms: ms(v.verify_time),
            ..Timings::default()
        },
        error: None,
    }
}

/// What the transaction needs, made before it opens.
struct Prepared {
    batch_id: String,
    hashes: Vec<String>,
    messages: Vec<QueuedMessage>,
    results: Option<ResultsFile>,
}

/// Generates and hashes the passwords, renders the messages, and writes
/// the results file in full (synced: if the disk is full, nothing is
/// committed, exit 2).
#[allow(clippy::too_many_arguments)]
fn prepare(
    cfg: &Config,
    opts: &CommitOptions,
    plan: &BatchPlan,
    templates: &Templates,
    queue: Queue,
    users: &[NewUser],
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Prepared> {
    let batch_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let passwords: Vec<Secret> = users
        .iter()
        .map(|u| {
            u.password
                .clone()
                .unwrap_or_else(|| password::generate(u.alias()))
        })
        .collect();
    let hashes = password::hash_all(cfg.argon2, &passwords.iter().collect::<Vec<_>>(), progress)?;
    report.timings.hash_ms = ms(started.elapsed());

    let started = Instant::now();
    let licenses_text = skus(plan).join(" ");
    let roles_text = plan
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let creds: Vec<Credentials> = users
        .iter()
        .zip(&passwords)
        .map(|(u, p)| Credentials {
            display_name: u.display_name(),
            first_name: u.first_name(),
            last_name: u.last_name(),
            upn: u.upn(),
            password: p.expose(),
            licenses: &licenses_text,
            roles: &roles_text,
            sign_in: match u.block_sign_in.unwrap_or(plan.sign_in_blocked) {
                true => "blocked",
                false => "allowed",
            },
        })
        .collect();
    let messages = messages(templates, plan, &batch_id, users, &creds, queue)?;
    report.timings.render_ms = ms(started.elapsed());

    let started = Instant::now();
    let results = match (opts.dry_run, &opts.results) {
        (true, _) => None,
        (false, path) => {
            let (dest, chosen) = match path {
                Some(p) => (p.clone(), false),
                None => (
                    PathBuf::from(format!("onboard-results-{batch_id}.csv")),
                    true,
                ),
            };
            let rows = creds.iter().map(Credentials::results_row);
            Some(ResultsFile::write(&dest, chosen, rows)?)
        }
    };
    report.timings.results_ms = ms(started.elapsed());
    Ok(Prepared {
        batch_id,
        hashes,
        messages,
        results,
    })
}

/// What the transaction left for after it.
struct Applied {
    batch_id: String,
    results: Option<ResultsFile>,
    messages: usize,
}

/// The one transaction: users, seats, roles, the batch, its audit entries
/// and its messages, all or nothing.
fn transact(
    store: &mut Store,
    opts: &CommitOptions,
    plan: &BatchPlan,
    users: &[NewUser],
    prepared: Prepared,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<Applied> {
    if progress.cancelled() {
        return Err(Error::nothing_committed());
    }
    let started = Instant::now();
    let settings = settings_json(plan, opts);
    let file_name = report.batch_file.clone();
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.as_str()).collect();
    let skus = skus(plan);
    let Prepared {
        batch_id,
        hashes,
        messages,
        results,
    } = prepared;
    let group_keys: Vec<i64> = (0..plan.view.groups.len())
        .map(|g| plan.view.groups.key(g as u32))
        .collect();
    let mut rows = Vec::with_capacity(users.len());
    for (u, h) in users.iter().zip(hashes) {
        rows.push(UserRow {
            user: u,
            password_hash: h,
            usage_location: u.usage_location.unwrap_or(plan.usage_location),
            sign_in_blocked: u.block_sign_in.unwrap_or(plan.sign_in_blocked),
            force_change_password: u
                .force_change_password
                .unwrap_or(plan.force_change_password),
            manager: manager_row(users, u)?,
            groups: &u.groups,
        });
    }
    let changes = BatchChanges {
        batch: BatchRow {
            id: &batch_id,
            tenant_id: &plan.tenant.id,
            file_name: &file_name,
            file_sha256: &report.sha256,
            settings: &settings,
            rows: report.rows,
            skipped: report.skipped,
        },
        users: rows,
        licenses: &skus,
        roles: &roles,
        group_keys: &group_keys,
        messages: &messages,
    };
    let applied = store.apply_batch(&changes, opts.dry_run, progress)?;
    report.timings.transaction_ms = ms(started.elapsed());
    report.committed = applied.committed;
    report.batch_id = Some(batch_id.clone());
    report.created = users.len() as u64;
    report.licenses = applied
        .subscriptions
        .into_iter()
        .filter(|s| skus.contains(&s.sku))
        .collect();
    report.messages_queued = if applied.committed { messages.len() } else { 0 };
    Ok(Applied {
        batch_id,
        results,
        messages: report.messages_queued,
    })
}

/// Who `u`'s manager is, for the store: a user of the tenant by name, or
/// another user of the batch by position (the users are in file order).
fn manager_row<'a>(users: &'a [NewUser], u: &'a NewUser) -> Result<ManagerRow<'a>> {
    Ok(match u.manager {
        ManagerRef::None => ManagerRow::None,
        ManagerRef::Tenant => ManagerRow::Existing(u.manager_name()),
        ManagerRef::InFile(record) => match users.binary_search_by_key(&record, |m| m.record) {
            Ok(i) => ManagerRow::Batch(i),
            // Verification only lets a row name a valid row as its
            // manager, and every valid row is a user here.
            Err(_) => {
                return Err(Error::Internal(format!(
                    "the manager of line {} (record {record}) is not among the users to create",
                    u.line
                )));
            }
        },
    })
}

/// Everything after the transaction: the results file's name, the log
/// files, the delivery, and how it ended. A failure here never hides that
/// the batch was committed.
#[allow(clippy::too_many_arguments)]
fn after_commit(
    opts: &CommitOptions,
    store: &mut Store,
    delivery: &Delivery,
    outputs: Outputs,
    applied: Applied,
    progress: &dyn Progress,
    mut report: Report,
    log: Verification,
) -> Outcome {
    let Applied {
        batch_id,
        results,
        messages,
    } = applied;
    let mut failed: Vec<String> = Vec::new();
    if let Some(results) = results {
        match results.publish() {
            Ok(path) => report.results_file = Some(path.display().to_string()),
            Err((e, kept)) => {
                failed.push(format!(
                    "the results file did not take its name ({e}); the passwords are in {}",
                    kept.display()
                ));
                report.results_file = Some(kept.display().to_string());
            }
        }
    }
    match outputs.publish() {
        Ok(names) => {
            report.annotated_file = annotated_name(annotated_path(opts).as_deref(), &names)
        }
        Err(e) => failed.push(format!("the log files were not written ({e})")),
    }
    let started = Instant::now();
    if report.committed && messages > 0 && !progress.cancelled() {
        let scope = Scope::Batch(&batch_id);
        deliver(
            store,
            delivery,
            scope,
            messages,
            progress,
            &mut report,
            &mut failed,
        );
    }
    report.timings.notify_ms = ms(started.elapsed());

    let created = report.created;
    let results = report
        .results_file
        .clone()
        .unwrap_or_else(|| "(no results file)".into());
    let end = |status, mut report: Report, error: Option<Error>| {
        let message = error.as_ref().map(|e| e.to_string());
        report.error = error.map(|e| e.to_json());
        Outcome {
            status,
            report,
            log,
            message,
        }
    };
    if report.committed && progress.cancelled() {
        let message = format!(
            "interrupted: the batch {} was committed ({created} users created); their \
             passwords are in {results}; {} of {} messages were sent, the rest stay queued: run \
             `onboard outbox send`",
            batch_id, report.messages_sent, messages
        );
        return end(
            Status::Interrupted,
            report,
            Some(Error::Interrupted(message)),
        );
    }
    if report.committed && report.skipped > 0 {
        let fix = report
            .annotated_file
            .clone()
            .unwrap_or_else(|| "the annotated file".into());
        failed.push(format!(
            "{} invalid rows were skipped (--skip-invalid); fix them in {fix} and commit that file",
            report.skipped
        ));
    }
    if failed.is_empty() || !report.committed {
        return end(Status::Done, report, None);
    }
    let e = Error::Committed {
        batch: batch_id,
        users: created,
        message: format!("{}; the passwords are in {results}", failed.join("; ")),
    };
    end(Status::Partial, report, Some(e))
}

/// Sends the batch's messages; what did not go stays queued, and `failed`
/// says so.
fn deliver(
    store: &mut Store,
    delivery: &Delivery,
    scope: Scope,
    messages: usize,
    progress: &dyn Progress,
    report: &mut Report,
    failed: &mut Vec<String>,
) {
    let sent = notify::deliver::deliver(store, &delivery.route, scope, progress);
    match sent {
        Ok(r) => {
            report.messages_sent = r.delivered();
            let errors: Vec<String> = r
                .errors
                .iter()
                .map(|(to, e)| format!("not delivered to {to}: {e}"))
                .collect();
            if r.queued > 0 {
                failed.push(format!(
                    "{} messages stay queued (of {messages}): run `onboard outbox send` to retry",
                    r.queued
                ));
            }
            if r.failed > 0 {
                failed.push(format!(
                    "{} messages were refused for good and are not retried: `onboard outbox \
                     list` shows the server's reply",
                    r.failed
                ));
            }
            failed.extend(errors);
        }
        Err(e) => failed.push(format!(
            "the delivery failed ({e}); the messages stay queued: run `onboard outbox send`"
        )),
    }
}

/// An outcome with nothing committed.
fn ended(status: Status, report: Report, log: Verification, message: &str) -> Outcome {
    Outcome {
        status,
        report,
        log,
        message: Some(message.to_string()),
    }
}

/// A refusal of the store (exit 3), in the commit's shape.
fn refused(mut report: Report, log: Verification, e: Error) -> Outcome {
    report.error = Some(e.to_json());
    Outcome {
        status: Status::Refused,
        report,
        log,
        message: Some(e.to_string()),
    }
}

/// The annotated file asked for, or the default rejects file of
/// `--skip-invalid`.
fn annotated_path(opts: &CommitOptions) -> Option<PathBuf> {
    let b = &opts.batch;
    b.annotated
        .clone()
        .or_else(|| opts.skip_invalid.then(|| invalid_rows_path(&b.file)))
}

/// The name the annotated file took among the published `names`.
fn annotated_name(wanted: Option<&Path>, names: &[PathBuf]) -> Option<String> {
    let wanted = wanted?;
    let stem = wanted.file_stem()?.to_string_lossy().into_owned();
    names
        .iter()
        .find(|n| {
            n.parent() == wanted.parent()
                && n.file_stem()
                    .is_some_and(|s| s.to_string_lossy().starts_with(&stem))
        })
        .map(|n| n.display().to_string())
}

/// The early seat check: refuse before the slow hashing. The transaction
/// checks again.
fn check_seats(licenses: &[Subscription], needed: u64) -> Result<()> {
    let short: Vec<String> = licenses.iter().filter_map(|s| s.shortage(needed)).collect();
    if short.is_empty() {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "not enough seats: {}; nothing was committed",
            short.join("; ")
        )))
    }
}

/// The default annotated copy for `--skip-invalid`: beside the input,
/// `<name>-invalid-rows.csv` (in the current folder for standard input).
fn invalid_rows_path(input: &Path) -> PathBuf {
    if input.as_os_str() == "-" {
        return PathBuf::from("stdin-invalid-rows.csv");
    }
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    input.with_file_name(format!("{stem}-invalid-rows.csv"))
}

fn skus(plan: &BatchPlan) -> Vec<String> {
    plan.licenses.iter().map(|s| s.sku.clone()).collect()
}

/// The outbox messages, queued as `queue` says: the results
/// message (in parts for a long list) for each recipient, one welcome
/// message per user with an alternate address when `--welcome`.
fn messages(
    templates: &Templates,
    plan: &BatchPlan,
    batch_id: &str,
    users: &[NewUser],
    creds: &[Credentials],
    queue: Queue,
) -> Result<Vec<QueuedMessage>> {
    let tenant = TenantInfo {
        id: plan.tenant.id.clone(),
        name: plan.tenant.name.clone(),
    };
    let mut out = Vec::new();
    if !plan.email_to.is_empty() {
        let parts =
            templates.results_messages(&tenant, batch_id, creds, plan.force_change_password)?;
        for to in &plan.email_to {
            for r in &parts {
                out.push(queue.message("results", to, r));
            }
        }
    }
    if plan.welcome {
        for (u, c) in users.iter().zip(creds) {
            if !u.alternate_email().is_empty() {
                let force = u
                    .force_change_password
                    .unwrap_or(plan.force_change_password);
                let r = templates.welcome(&tenant, c, force)?;
                out.push(queue.message("welcome", u.alternate_email(), &r));
            }
        }
    }
    Ok(out)
}

fn settings_json(plan: &BatchPlan, opts: &CommitOptions) -> String {
    serde_json::json!({
        "sign_in": if plan.sign_in_blocked { "blocked" } else { "allowed" },
        "usage_location": plan.usage_location,
        "licenses": plan.licenses.iter().map(|s| &s.sku).collect::<Vec<_>>(),
        "roles": plan.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "force_change_password": plan.force_change_password,
        "email_to": plan.email_to,
        "welcome": plan.welcome,
        "skip_invalid": opts.skip_invalid,
    })
    .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tenants;
    use crate::ops::testing::SAMPLE;
    use crate::progress::Quiet;

    /// The test tenant with `seats` seats of ENTERPRISEPACK.
    fn setup(dir: &Path, seats: u64) -> Config {
        let cfg = crate::ops::testing::contoso(dir);
        tenants::add_license(&cfg, "contoso", "ENTERPRISEPACK", seats, None).unwrap();
        cfg
    }

    fn opts(dir: &Path, results: &str) -> CommitOptions {
        CommitOptions {
            batch: BatchOptions {
                file: SAMPLE.into(),
                tenant: "contoso".into(),
                licenses: vec!["ENTERPRISEPACK".into()],
                ..BatchOptions::default()
            },
            results: Some(dir.join(results)),
            ..CommitOptions::default()
        }
    }

    #[test]
    fn a_commit_then_the_same_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = setup(dir.path(), 12);
        let done = commit(&cfg, &opts(dir.path(), "r1.csv"), &Quiet).unwrap();
        assert_eq!(done.status, Status::Done, "{:?}", done.message);
        assert!(done.report.committed);
        assert_eq!(done.report.created, 6);
        assert_eq!(done.report.licenses[0].assigned, 6);
        assert!(dir.path().join("r1.csv").exists());
        assert!(done.document().findings.is_none());

        let again = commit(&cfg, &opts(dir.path(), "r2.csv"), &Quiet).unwrap();
        assert_eq!(again.status, Status::Invalid);
        let codes: Vec<&str> = again.log.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["already_exists"; 6]);
        assert!(again.document().findings.is_some());
        assert!(!dir.path().join("r2.csv").exists());
    }

    #[test]
    fn too_few_seats_is_refused_with_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = setup(dir.path(), 3);
        let out = commit(&cfg, &opts(dir.path(), "r.csv"), &Quiet).unwrap();
        assert_eq!(out.status, Status::Refused);
        assert!(!out.report.committed);
        assert_eq!(out.report.error.as_ref().unwrap()["code"], "refused");
        assert!(
            out.message
                .unwrap()
                .contains("ENTERPRISEPACK: 3 available, 6 needed")
        );
        assert!(!dir.path().join("r.csv").exists());
    }

    /// Cancelled before the transaction: nothing committed, said so.
    #[test]
    fn a_cancelled_commit_commits_nothing() {
        struct Cancelled;
        impl Progress for Cancelled {
            fn meter(
                &self,
                _: &'static str,
                _: crate::progress::Unit,
                _: Option<u64>,
            ) -> crate::progress::Meter {
                crate::progress::Meter::hidden()
            }
            fn cancelled(&self) -> bool {
                true
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = setup(dir.path(), 12);
        let err = commit(&cfg, &opts(dir.path(), "r.csv"), &Cancelled).unwrap_err();
        assert_eq!(err.code(), "interrupted");
        let page = crate::ops::users::list(
            &cfg,
            "contoso",
            crate::store::users::StatusFilter::All,
            None,
            &crate::store::users::ListFilter::default(),
            crate::ops::PageRequest::default(),
        )
        .unwrap();
        assert_eq!(page.total, 0);
    }
}
