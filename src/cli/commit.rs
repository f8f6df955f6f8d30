//! `onboard commit`: verify again, then apply the batch in one transaction,
//! then publish the results file and deliver the queued messages (SPEC §7).
//!
//! Order matters for "never half-applied, never a lost password" (SPEC
//! §11): everything that can fail for a reason the administrator can fix
//! (paths, options, templates, the file's rows, seats) is checked before
//! the slow hashing; hashing and rendering happen before the transaction;
//! the results file is written in full and synced before the transaction
//! opens, so a full disk refuses the commit instead of losing passwords;
//! the transaction writes everything or nothing. Once it has committed,
//! nothing that fails afterwards (the results file's name, the log files,
//! the delivery) is reported as if nothing had happened: the message starts
//! `batch <id> was committed (N users)` and the exit status is 4.
//!
//! With `--format json` a commit prints one document whatever happens
//! after its options are checked ([`Report`]): `committed`, the
//! verification's summary, the findings when nothing was committed, and
//! `error` when the store refused (exit 3) or something failed after the
//! transaction (exit 4).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Ctx;
use super::batch::{self, Annotate, BatchPlan, Delivery, LogTo, Verified};
use crate::cli::CommitArgs;
use crate::error::{Error, Exit, Result};
use crate::files::{Name, Outputs};
use crate::interrupt;
use crate::notify::{self, Credentials, Templates, TenantInfo};
use crate::password::{self, Cost};
use crate::results::{self, ResultsFile};
use crate::rules::{Finding, NewUser, Verification};
use crate::secret::Secret;
use crate::store::batches::{BatchChanges, BatchRow, QueuedMessage, UserRow};
use crate::store::outbox::Scope;
use crate::store::{Create, Store, Subscription};

/// Phase durations, reported in the summary.
#[derive(Debug, Default, Serialize)]
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
#[derive(Debug, Serialize)]
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

/// What a commit did, for people and scripts: one shape for exits 0, 1, 3
/// and 4.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub committed: bool,
    pub dry_run: bool,
    pub batch_id: Option<String>,
    pub tenant: String,
    pub file: String,
    pub sha256: String,
    pub verification: Checked,
    /// The findings, when nothing was committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<&'a [Finding]>,
    pub rows: u64,
    pub created: u64,
    pub skipped: u64,
    pub warnings: u64,
    pub licenses: Vec<Subscription>,
    pub results_file: Option<String>,
    pub annotated_file: Option<String>,
    pub messages_queued: usize,
    pub messages_sent: usize,
    pub timings: Timings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

impl<'a> Report<'a> {
    fn new(plan: &BatchPlan, v: &'a Verified, dry_run: bool) -> Report<'a> {
        let log = &v.outcome.log;
        Report {
            committed: false,
            dry_run,
            batch_id: None,
            tenant: plan.tenant.id.clone(),
            file: v.source.name(),
            sha256: v.sniff.sha256.map(|d| hex(&d)).unwrap_or_default(),
            verification: Checked::of(log),
            findings: Some(&log.findings),
            rows: log.rows,
            created: 0,
            skipped: log.invalid_rows,
            warnings: log.warnings,
            licenses: plan.licenses.clone(),
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
}

pub fn run(ctx: &Ctx, args: &CommitArgs) -> Result<Exit> {
    let b = &args.batch;
    // From here on Ctrl-C is a request, answered at safe points with what
    // was kept (src/interrupt.rs).
    interrupt::watch()?;
    let mut guard = batch::guard(ctx, b)?;
    guard.maybe_output("--results", args.results.as_deref())?;
    if let Some(p) = &args.results {
        results::check_new(p)?;
    }
    let mut store = Store::open(&ctx.db, Create::No)?;
    let plan = batch::plan(&store, b)?;
    let delivery = Delivery::prepare(ctx, b)?;
    let cost = super::hashing_cost()?;

    // With --skip-invalid the annotated copy holds only the rows left to fix,
    // so that, once fixed, it commits cleanly on its own.
    let default_annotated =
        (args.skip_invalid && b.annotated.is_none()).then(|| invalid_rows_path(&b.file));
    let annotate = match (&b.annotated, &default_annotated) {
        (Some(path), _) => Some(Annotate {
            path,
            invalid_only: args.skip_invalid,
            name: Name::Replace,
        }),
        (None, Some(path)) => Some(Annotate {
            path,
            invalid_only: true,
            name: Name::Unique,
        }),
        (None, None) => None,
    };
    let mut verified = batch::verify_file(ctx, b, &plan, true, annotate)?;
    interrupt::check()?;
    let mut outputs = Outputs::default();
    // The default rejects file only when there are rows to fix.
    let annotated = verified.annotated.take();
    if default_annotated.is_none() || verified.outcome.log.invalid_rows > 0 {
        outputs.add_all([annotated]);
    }
    outputs.add_all([batch::stage_log(b, &verified.outcome.log)?]);
    let users = std::mem::take(&mut verified.outcome.users);
    let mut report = Report::new(&plan, &verified, args.dry_run);
    let log = &verified.outcome.log;

    if log.has_errors() && !args.skip_invalid {
        let names = outputs.publish()?;
        report.annotated_file = annotated_name(b.annotated.as_deref(), &names);
        if ctx.json() {
            ctx.out.json(&report)?;
        } else {
            batch::print_log(ctx, log, LogTo::Stdout)?;
        }
        eprintln!("nothing was committed: fix the errors above and run the commit again");
        return Ok(Exit::Invalid);
    }
    if !log.findings.is_empty() {
        batch::print_log(ctx, log, LogTo::Stderr)?;
    }
    if users.is_empty() {
        let names = outputs.publish()?;
        report.annotated_file = annotated_name(annotate.map(|a| a.path), &names);
        print_report(ctx, &report)?;
        eprintln!("nothing was committed: the file has no valid rows");
        return Ok(if log.has_errors() {
            Exit::Invalid
        } else {
            Exit::Success
        });
    }
    if let Err(e) = check_seats(&plan.licenses, users.len() as u64) {
        return refused(ctx, &mut report, e);
    }
    let applied = apply(
        ctx,
        args,
        &plan,
        &delivery.templates,
        cost,
        &users,
        &mut store,
        &mut report,
    )?;
    let Some(applied) = applied else {
        return Ok(Exit::Refused);
    };
    after_commit(
        ctx, args, &mut store, &delivery, outputs, applied, &users, report,
    )
}

/// What the transaction left for after it.
struct Applied {
    batch_id: String,
    results: Option<ResultsFile>,
    messages: usize,
}

/// Hashes, renders, writes the results file and runs the transaction.
/// `None` when the store refused (already reported, exit 3).
#[allow(clippy::too_many_arguments)]
fn apply(
    ctx: &Ctx,
    args: &CommitArgs,
    plan: &BatchPlan,
    templates: &Templates,
    cost: Cost,
    users: &[NewUser],
    store: &mut Store,
    report: &mut Report,
) -> Result<Option<Applied>> {
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
    let bar = ctx.progress.items(users.len() as u64, "hashing");
    let hashes = password::hash_all(cost, &passwords.iter().collect::<Vec<_>>(), &bar)?;
    bar.finish_and_clear();
    report.timings.hash_ms = ms(started.elapsed());

    let started = Instant::now();
    let skus: Vec<String> = plan.licenses.iter().map(|s| s.sku.clone()).collect();
    let licenses_text = skus.join(" ");
    let messages = messages(
        templates,
        plan,
        &batch_id,
        users,
        &passwords,
        &licenses_text,
    )?;
    report.timings.render_ms = ms(started.elapsed());

    // Written in full and synced before the transaction: if the disk is
    // full, nothing is committed (exit 2).
    let started = Instant::now();
    let results = match (args.dry_run, &args.results) {
        (true, _) => None,
        (false, path) => {
            let (dest, chosen) = match path {
                Some(p) => (p.clone(), false),
                None => (
                    PathBuf::from(format!("onboard-results-{batch_id}.csv")),
                    true,
                ),
            };
            let rows = users.iter().zip(&passwords).map(|(u, p)| {
                [
                    u.upn(),
                    u.display_name(),
                    p.expose(),
                    licenses_text.as_str(),
                ]
            });
            Some(ResultsFile::write(&dest, chosen, rows)?)
        }
    };
    report.timings.results_ms = ms(started.elapsed());

    interrupt::check()?;
    let started = Instant::now();
    let settings = settings_json(plan, args);
    let file_name = report.file_name_for_batch();
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.as_str()).collect();
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
        users: users
            .iter()
            .zip(hashes)
            .map(|(u, h)| UserRow {
                user: u,
                password_hash: h,
                usage_location: u.usage_location.unwrap_or(plan.usage_location),
                sign_in_blocked: u.block_sign_in.unwrap_or(plan.sign_in_blocked),
            })
            .collect(),
        licenses: &skus,
        roles: &roles,
        force_change_password: plan.force_change_password,
        messages: &messages,
    };
    let applied = match store.apply_batch(&changes, args.dry_run) {
        Ok(a) => a,
        Err(e) if e.exit_code() == 3 => return refused(ctx, report, e).map(|_| None),
        Err(e) => return Err(e),
    };
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
    if applied.committed || args.dry_run {
        report.findings = None;
    }
    Ok(Some(Applied {
        batch_id,
        results,
        messages: report.messages_queued,
    }))
}

/// Everything after the transaction: the results file's name, the log
/// files, the delivery, the summary and the exit status. A failure here
/// never hides that the batch was committed.
#[allow(clippy::too_many_arguments)]
fn after_commit(
    ctx: &Ctx,
    args: &CommitArgs,
    store: &mut Store,
    delivery: &Delivery,
    outputs: Outputs,
    applied: Applied,
    users: &[NewUser],
    mut report: Report,
) -> Result<Exit> {
    let mut failed: Vec<String> = Vec::new();
    if let Some(results) = applied.results {
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
            let annotated = args.batch.annotated.clone().or_else(|| {
                args.skip_invalid
                    .then(|| invalid_rows_path(&args.batch.file))
            });
            report.annotated_file = annotated_name(annotated.as_deref(), &names);
        }
        Err(e) => failed.push(format!("the log files were not written ({e})")),
    }

    let started = Instant::now();
    if report.committed && applied.messages > 0 && !interrupt::requested() {
        let bar = ctx.progress.items(applied.messages as u64, "sending");
        let sent = notify::deliver::deliver(
            store,
            delivery.transport.as_ref(),
            Scope::Batch(&applied.batch_id),
            &bar,
        );
        bar.finish_and_clear();
        match sent {
            Ok(r) => {
                report.messages_sent = r.sent;
                for (to, e) in &r.errors {
                    eprintln!("not delivered to {to}: {e}");
                }
                if r.failed > 0 {
                    failed.push(format!(
                        "{} messages stay queued ({} of {} were not delivered): run `onboard \
                         outbox send` to retry",
                        r.failed, r.failed, applied.messages
                    ));
                }
            }
            Err(e) => failed.push(format!(
                "the delivery failed ({e}); the messages stay queued: run `onboard outbox send`"
            )),
        }
    }
    report.timings.notify_ms = ms(started.elapsed());

    let batch_id = applied.batch_id;
    let created = users.len();
    let results = report
        .results_file
        .clone()
        .unwrap_or_else(|| "(no results file)".into());
    if report.committed && interrupt::requested() {
        let message = format!(
            "interrupted: the batch {batch_id} was committed ({created} users created); their \
             passwords are in {results}; {} of {} messages were sent, the rest stay queued: run \
             `onboard outbox send`",
            report.messages_sent, applied.messages
        );
        report.error = Some(Error::Interrupted(message.clone()).to_json());
        print_report(ctx, &report)?;
        eprintln!("onboard: {message}");
        return Ok(Exit::Interrupted);
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
        print_report(ctx, &report)?;
        return Ok(Exit::Success);
    }
    let e = Error::Committed {
        batch: batch_id,
        users: created as u64,
        message: format!("{}; the passwords are in {results}", failed.join("; ")),
    };
    report.error = Some(e.to_json());
    print_report(ctx, &report)?;
    eprintln!("onboard: {e}");
    Ok(Exit::Partial)
}

/// Reports a refusal of the store (exit 3) in the commit's shape.
fn refused(ctx: &Ctx, report: &mut Report, e: Error) -> Result<Exit> {
    report.error = Some(e.to_json());
    if ctx.json() {
        ctx.out.json(report)?;
    }
    eprintln!("onboard: {e}");
    Ok(Exit::Refused)
}

impl Report<'_> {
    /// The file name recorded with the batch: the input's name without
    /// folders.
    fn file_name_for_batch(&self) -> String {
        Path::new(&self.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.clone())
    }
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
    let short: Vec<String> = licenses
        .iter()
        .filter(|s| s.available < needed)
        .map(|s| format!("{}: {} available, {} needed", s.sku, s.available, needed))
        .collect();
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

/// The outbox messages: one results message per recipient, one welcome
/// message per user with an alternate address when `--welcome`.
fn messages(
    templates: &Templates,
    plan: &BatchPlan,
    batch_id: &str,
    users: &[NewUser],
    passwords: &[Secret],
    licenses: &str,
) -> Result<Vec<QueuedMessage>> {
    let tenant = TenantInfo {
        id: plan.tenant.id.clone(),
        name: plan.tenant.name.clone(),
    };
    let creds: Vec<Credentials> = users
        .iter()
        .zip(passwords)
        .map(|(u, p)| Credentials {
            display_name: u.display_name(),
            first_name: u.first_name(),
            last_name: u.last_name(),
            upn: u.upn(),
            password: p.expose(),
            licenses,
        })
        .collect();
    let mut out = Vec::new();
    if !plan.email_to.is_empty() {
        let r = templates.results(&tenant, batch_id, &creds, plan.force_change_password)?;
        for to in &plan.email_to {
            out.push(notify::queue::message("results", to, &r));
        }
    }
    if plan.welcome {
        for (u, c) in users.iter().zip(&creds) {
            if !u.alternate_email().is_empty() {
                let r = templates.welcome(&tenant, c, plan.force_change_password)?;
                out.push(notify::queue::message("welcome", u.alternate_email(), &r));
            }
        }
    }
    Ok(out)
}

fn settings_json(plan: &BatchPlan, args: &CommitArgs) -> String {
    serde_json::json!({
        "sign_in": if plan.sign_in_blocked { "blocked" } else { "allowed" },
        "usage_location": plan.usage_location,
        "licenses": plan.licenses.iter().map(|s| &s.sku).collect::<Vec<_>>(),
        "roles": plan.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "force_change_password": plan.force_change_password,
        "email_to": plan.email_to,
        "welcome": plan.welcome,
        "skip_invalid": args.skip_invalid,
    })
    .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn print_report(ctx: &Ctx, s: &Report) -> Result<()> {
    if ctx.json() {
        ctx.out.json(s)?;
    } else if s.batch_id.is_some() {
        let verb = if s.dry_run {
            "dry run, rolled back: would create"
        } else {
            "created"
        };
        let mut text = format!(
            "batch {} for tenant {}: {verb} {} users from {} ({} rows, {} skipped as invalid)\n",
            s.batch_id.as_deref().unwrap_or_default(),
            s.tenant,
            s.created,
            s.file,
            s.rows,
            s.skipped
        );
        for l in &s.licenses {
            text.push_str(&format!(
                "  {}: {} of {} seats assigned, {} available\n",
                l.sku, l.assigned, l.total, l.available
            ));
        }
        if let Some(a) = &s.annotated_file {
            text.push_str(&format!("  rows to fix: {a}\n"));
        }
        if let Some(r) = &s.results_file {
            text.push_str(&format!("  results: {r}\n"));
        }
        if s.messages_queued > 0 {
            text.push_str(&format!(
                "  messages: {} queued, {} sent\n",
                s.messages_queued, s.messages_sent
            ));
        }
        let t = &s.timings;
        text.push_str(&format!(
            "  timings: read {:.0} ms, verify {:.0} ms, hash {:.0} ms, render {:.0} ms, results \
             {:.0} ms, transaction {:.0} ms, notify {:.0} ms\n",
            t.read_ms,
            t.verify_ms,
            t.hash_ms,
            t.render_ms,
            t.results_ms,
            t.transaction_ms,
            t.notify_ms
        ));
        ctx.out.text(&text)?;
    }
    if let Some(r) = &s.results_file {
        eprintln!(
            "warning: {r} holds the temporary passwords in clear (mode 0600); hand them out, then delete it"
        );
    }
    Ok(())
}
