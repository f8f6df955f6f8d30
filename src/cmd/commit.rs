//! `onboard commit`: verify again, then apply the batch in one transaction,
//! then write the results file and deliver the queued messages (SPEC §7).
//!
//! Order matters for "never half-applied, never a lost password":
//! everything that can fail for a reason the administrator can fix (options,
//! templates, the file's rows, seats, the results path) is checked before
//! the slow hashing; hashing and rendering happen before the transaction;
//! the transaction writes everything or nothing; the results file was
//! created (empty, 0600) before the transaction, so the passwords always
//! have somewhere to go once it commits.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Ctx;
use super::batch::{self, Annotate, BatchPlan, LogTo};
use crate::cli::CommitArgs;
use crate::error::{Error, Exit, Result};
use crate::interrupt;
use crate::notify::{self, Credentials, Templates, TenantInfo};
use crate::password::{self, Cost};
use crate::results::ResultsFile;
use crate::rules::NewUser;
use crate::secret::Secret;
use crate::store::batches::{BatchChanges, BatchRow, QueuedMessage, UserRow};
use crate::store::outbox::{Scope, Via};
use crate::store::{Create, Store, Subscription};

/// Phase durations, reported in the summary.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    pub read_ms: f64,
    pub verify_ms: f64,
    pub hash_ms: f64,
    /// Rendering the messages (and their attachments), before the
    /// transaction.
    pub render_ms: f64,
    pub transaction_ms: f64,
    /// Writing the results file.
    pub results_ms: f64,
    pub notify_ms: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

/// What a commit did, for people and scripts.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub batch_id: String,
    pub tenant: String,
    pub dry_run: bool,
    pub file: String,
    pub sha256: String,
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
}

pub fn run(ctx: &Ctx, args: &CommitArgs) -> Result<Exit> {
    let b = &args.batch;
    // From here on Ctrl-C is a request, answered at safe points with what
    // was kept (src/interrupt.rs).
    interrupt::watch()?;
    let mut store = Store::open(&ctx.db, Create::No)?;
    let plan = batch::plan(&store, b)?;
    let templates = Templates::load(b.templates.as_deref())?;
    let cost = Cost::from_env()?;
    let transport = notify::transport::from_options(b.smtp.as_deref(), &ctx.db)?;

    // With --skip-invalid the annotated copy holds only the rows left to fix,
    // so that, once fixed, it commits cleanly on its own.
    let default_annotated =
        (args.skip_invalid && b.annotated.is_none()).then(|| invalid_rows_path(&b.file));
    let annotated_path = b.annotated.clone().or(default_annotated.clone());
    let annotate = annotated_path.as_deref().map(|path| Annotate {
        path,
        invalid_only: args.skip_invalid,
    });
    let verified = batch::verify_file(ctx, b, &plan, true, annotate)?;
    interrupt::check()?;
    let log = &verified.outcome.log;
    let mut timings = Timings {
        read_ms: ms(verified.read_time),
        verify_ms: ms(verified.verify_time),
        ..Timings::default()
    };

    if log.has_errors() && !args.skip_invalid {
        batch::publish(ctx, b, log, LogTo::Stdout)?;
        eprintln!("nothing was committed: fix the errors above and run the commit again");
        return Ok(Exit::Invalid);
    }
    if !log.findings.is_empty() {
        batch::publish(ctx, b, log, LogTo::Stderr)?;
    } else if let Some(path) = &b.log {
        crate::report::write_file(log, path)?;
    }
    let annotated_file = match (&annotated_path, log.invalid_rows) {
        (Some(p), 0) if default_annotated.is_some() => {
            let _ = std::fs::remove_file(p);
            None
        }
        (Some(p), _) => Some(p.display().to_string()),
        (None, _) => None,
    };

    let users = &verified.outcome.users;
    if users.is_empty() {
        eprintln!("nothing to commit: the file has no valid rows");
        return Ok(if log.has_errors() {
            Exit::Invalid
        } else {
            Exit::Success
        });
    }
    check_seats(&plan.licenses, users.len() as u64)?;

    let batch_id = uuid::Uuid::new_v4().to_string();
    let results = match (args.dry_run, &args.results) {
        (true, _) => None,
        (false, Some(p)) => Some(ResultsFile::create(p)?),
        (false, None) => Some(ResultsFile::create(Path::new(&format!(
            "onboard-results-{batch_id}.csv"
        )))?),
    };

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
    timings.hash_ms = ms(started.elapsed());

    let skus: Vec<String> = plan.licenses.iter().map(|s| s.sku.clone()).collect();
    let licenses_text = skus.join(" ");
    let started = Instant::now();
    let messages = messages(
        &templates,
        &plan,
        &batch_id,
        users,
        &passwords,
        &licenses_text,
        transport.queue_as(),
    )?;
    timings.render_ms = ms(started.elapsed());

    interrupt::check()?;
    let started = Instant::now();
    let settings = settings_json(&plan, args);
    let sha = verified.sniff.sha256.map(|d| hex(&d)).unwrap_or_default();
    let file_name = verified.source.file_name();
    let roles: Vec<&str> = plan.roles.iter().map(|r| r.as_str()).collect();
    let changes = BatchChanges {
        batch: BatchRow {
            id: &batch_id,
            tenant_id: &plan.tenant.id,
            file_name: &file_name,
            file_sha256: &sha,
            settings: &settings,
            rows: log.rows,
            skipped: log.invalid_rows,
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
    let applied = store.apply_batch(&changes, args.dry_run)?;
    timings.transaction_ms = ms(started.elapsed());

    let started = Instant::now();
    let results_file = match results {
        Some(r) => {
            let path = r.write(users.iter().zip(&passwords).map(|(u, p)| {
                [
                    u.upn(),
                    u.display_name(),
                    p.expose(),
                    licenses_text.as_str(),
                ]
            }))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    timings.results_ms = ms(started.elapsed());

    let started = Instant::now();
    let sent = if applied.committed && !messages.is_empty() && !interrupt::requested() {
        let bar = ctx.progress.items(messages.len() as u64, "sending");
        let report =
            notify::deliver::deliver(&mut store, &transport, Scope::Batch(&batch_id), &bar)?;
        bar.finish_and_clear();
        for (to, e) in &report.errors {
            eprintln!("not delivered to {to}: {e}");
        }
        if report.queued > 0 {
            eprintln!(
                "{} messages stay queued (the batch is committed); run `onboard outbox send` to retry",
                report.queued
            );
        }
        if report.failed > 0 {
            eprintln!(
                "{} messages were refused for good and are not retried (the batch is committed); \
                 `onboard outbox list` shows the server's reply",
                report.failed
            );
        }
        report.delivered()
    } else {
        0
    };
    timings.notify_ms = ms(started.elapsed());
    if applied.committed && interrupt::requested() {
        return Err(Error::Interrupted(format!(
            "interrupted: the batch {batch_id} was committed ({} users created); \
             their passwords are in {}; {} of {} messages were sent, the rest stay queued: \
             run `onboard outbox send`",
            users.len(),
            results_file.as_deref().unwrap_or("(no results file)"),
            sent,
            messages.len()
        )));
    }

    let summary = Summary {
        batch_id,
        tenant: plan.tenant.id.clone(),
        dry_run: args.dry_run,
        file: verified.source.name(),
        sha256: sha,
        rows: log.rows,
        created: users.len() as u64,
        skipped: log.invalid_rows,
        warnings: log.warnings,
        licenses: applied
            .subscriptions
            .into_iter()
            .filter(|s| skus.contains(&s.sku))
            .collect(),
        results_file,
        annotated_file,
        messages_queued: messages.len(),
        messages_sent: sent,
        timings,
    };
    print_summary(ctx, &summary)?;
    Ok(if log.has_errors() {
        Exit::Invalid
    } else {
        Exit::Success
    })
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
    via: Via,
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
        let parts =
            templates.results_messages(&tenant, batch_id, &creds, plan.force_change_password)?;
        for to in &plan.email_to {
            for r in &parts {
                out.push(notify::queue::message("results", to, r, via));
            }
        }
    }
    if plan.welcome {
        for (u, c) in users.iter().zip(&creds) {
            if !u.alternate_email().is_empty() {
                let r = templates.welcome(&tenant, c, plan.force_change_password)?;
                out.push(notify::queue::message(
                    "welcome",
                    u.alternate_email(),
                    &r,
                    via,
                ));
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

fn print_summary(ctx: &Ctx, s: &Summary) -> Result<()> {
    if ctx.format == crate::cli::Format::Json {
        let text = serde_json::to_string_pretty(s).map_err(|e| Error::io("<stdout>", e.into()))?;
        println!("{text}");
    } else {
        let verb = if s.dry_run {
            "dry run, rolled back: would create"
        } else {
            "created"
        };
        println!(
            "batch {} for tenant {}: {verb} {} users from {} ({} rows, {} skipped as invalid)",
            s.batch_id, s.tenant, s.created, s.file, s.rows, s.skipped
        );
        for l in &s.licenses {
            println!(
                "  {}: {} of {} seats assigned, {} available",
                l.sku, l.assigned, l.total, l.available
            );
        }
        if let Some(a) = &s.annotated_file {
            println!("  rows to fix: {a}");
        }
        if s.messages_queued > 0 {
            println!(
                "  messages: {} queued, {} sent",
                s.messages_queued, s.messages_sent
            );
        }
        let t = &s.timings;
        println!(
            "  timings: read {:.0} ms, verify {:.0} ms, hash {:.0} ms, render {:.0} ms, \
             transaction {:.0} ms, results {:.0} ms, notify {:.0} ms",
            t.read_ms,
            t.verify_ms,
            t.hash_ms,
            t.render_ms,
            t.transaction_ms,
            t.results_ms,
            t.notify_ms
        );
    }
    if let Some(r) = &s.results_file {
        eprintln!(
            "warning: {r} holds the temporary passwords in clear (mode 0600); hand them out, then delete it"
        );
    }
    Ok(())
}
