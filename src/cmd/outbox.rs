//! `onboard outbox list` and `onboard outbox send`.
//!
//! `send` delivers every queued message it may: those queued without
//! `--smtp` as `.eml` files, those queued for SMTP through `--smtp` /
//! `ONBOARD_SMTP_URL`, or as files with `--eml`. Messages queued for SMTP
//! in a run without either stay queued, and the run says so and exits 2
//! once it has delivered the rest. It exits 1 when a message failed in
//! this run (for good, or for now: then it stays queued), else 0.

use serde::Serialize;

use super::Ctx;
use super::output::emit;
use crate::cli::{Format, OutboxCommand, OutboxStatus};
use crate::error::{Error, Exit, Result};
use crate::notify::deliver::{self, Report};
use crate::notify::transport;
use crate::store::outbox::{Envelope, Scope};
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, cmd: OutboxCommand) -> Result<Exit> {
    let mut store = Store::open(&ctx.db, Create::No)?;
    match cmd {
        OutboxCommand::List { status } => {
            let filter = match status {
                OutboxStatus::Queued => Some("queued"),
                OutboxStatus::Sent => Some("sent"),
                OutboxStatus::Written => Some("written"),
                OutboxStatus::Failed => Some("failed"),
                OutboxStatus::All => None,
            };
            let messages = store.outbox(filter)?;
            let now = store.now();
            let rows: Vec<Vec<String>> = messages
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        m.tenant.clone(),
                        m.kind.clone(),
                        m.recipient.clone(),
                        m.status.clone(),
                        m.transport.map_or("-", |t| t.as_str()).into(),
                        m.attempts.to_string(),
                        if m.body_erased { "erased" } else { "held" }.into(),
                        detail(m, now),
                    ]
                })
                .collect();
            emit(
                ctx.format,
                &[
                    "ID",
                    "Tenant",
                    "Kind",
                    "Recipient",
                    "Status",
                    "Via",
                    "Attempts",
                    "Body",
                    "Reply, file or last error",
                ],
                &rows,
                &messages,
            )?;
            Ok(Exit::Success)
        }
        OutboxCommand::Send { smtp, eml } => {
            let route = transport::for_outbox_send(smtp.as_deref(), eml, &ctx.db)?;
            let queued = store.queued_count()?;
            let bar = ctx.progress.items(queued, "sending");
            let report = deliver::deliver(&mut store, &route, Scope::All, &bar)?;
            bar.finish_and_clear();
            for (to, e) in &report.errors {
                eprintln!("not delivered to {to}: {e}");
            }
            if report.claimed_elsewhere > 0 {
                eprintln!(
                    "{} queued messages are being delivered by another run right now; \
                     `onboard outbox list` shows until when they are held",
                    report.claimed_elsewhere
                );
            }
            if report.waiting_for_smtp > 0 {
                return Err(Error::usage(format!(
                    "{}; {} messages were queued for SMTP and stay queued: this run has no SMTP \
                     server. Send them with `onboard outbox send --smtp URL` (or set \
                     ONBOARD_SMTP_URL), or write them as .eml files with `onboard outbox send --eml`",
                    counts(&report),
                    report.waiting_for_smtp
                )));
            }
            if ctx.format == Format::Json {
                print_json(&report)?;
            } else {
                println!("{} (via {})", counts(&report), route.describe());
            }
            Ok(if report.failed + report.retry > 0 {
                Exit::Invalid
            } else {
                Exit::Success
            })
        }
    }
}

/// What `outbox list` says beside a message's status.
fn detail(m: &Envelope, now: i64) -> String {
    let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
    match m.status.as_str() {
        "sent" => or_empty(&m.reply),
        "written" => or_empty(&m.path),
        "failed" => match (&m.reply, &m.last_error) {
            (Some(reply), _) => reply.clone(),
            (None, e) => or_empty(e),
        },
        _ => {
            let mut d = or_empty(&m.last_error);
            if let Some(until) = m.claimed_until {
                let held = format!(
                    "being delivered by a run (held for {} s more)",
                    (until - now).max(0)
                );
                d = if d.is_empty() {
                    held
                } else {
                    format!("{held}; {d}")
                };
            }
            d
        }
    }
}

/// "3 sent, 2 written, 1 failed, 0 still queued".
fn counts(r: &Report) -> String {
    let mut s = format!("{} sent", r.sent);
    if r.written > 0 {
        s.push_str(&format!(", {} written", r.written));
    }
    if r.failed > 0 {
        s.push_str(&format!(", {} failed", r.failed));
    }
    s.push_str(&format!(", {} still queued", r.queued));
    s
}

fn print_json(r: &Report) -> Result<()> {
    #[derive(Serialize)]
    struct NotDelivered<'a> {
        recipient: &'a str,
        error: &'a str,
    }
    #[derive(Serialize)]
    struct Json<'a> {
        sent: usize,
        written: usize,
        failed: usize,
        queued: u64,
        claimed_elsewhere: u64,
        errors: Vec<NotDelivered<'a>>,
    }
    let json = Json {
        sent: r.sent,
        written: r.written,
        failed: r.failed,
        queued: r.queued,
        claimed_elsewhere: r.claimed_elsewhere,
        errors: r
            .errors
            .iter()
            .map(|(recipient, error)| NotDelivered { recipient, error })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&json).map_err(|e| Error::io("<stdout>", e.into()))?;
    println!("{text}");
    Ok(())
}
