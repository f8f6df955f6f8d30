//! `onboard outbox list` and `onboard outbox send` (`ops::outbox`): exit 0
//! when everything went, 4 when a message failed in this run (for now, so it
//! stays queued, or for good), 2 when messages queued for SMTP stay queued
//! for want of `--smtp` or `--eml`.

use super::Ctx;
use super::output::emit_page;
use crate::cli::{OutboxCommand, OutboxStatus};
use crate::error::{Exit, Result};
use crate::ops::outbox;

pub fn run(ctx: &Ctx, cmd: OutboxCommand) -> Result<Exit> {
    match cmd {
        OutboxCommand::List { status, pages } => {
            let filter = match status {
                OutboxStatus::Queued => Some("queued"),
                OutboxStatus::Sent => Some("sent"),
                OutboxStatus::Written => Some("written"),
                OutboxStatus::Failed => Some("failed"),
                OutboxStatus::All => None,
            };
            let page = outbox::list(&ctx.config, filter, pages.into())?;
            let rows: Vec<Vec<String>> = page
                .items
                .iter()
                .map(|l| {
                    let m = &l.envelope;
                    vec![
                        m.id.to_string(),
                        m.tenant.clone(),
                        m.kind.clone(),
                        m.recipient.clone(),
                        m.status.clone(),
                        m.transport.map_or("-", |t| t.as_str()).into(),
                        m.attempts.to_string(),
                        if m.body_erased { "erased" } else { "held" }.into(),
                        l.detail.clone(),
                    ]
                })
                .collect();
            emit_page(
                ctx.out,
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
                &page,
                ("message", "messages"),
            )?;
            Ok(Exit::Success)
        }
        OutboxCommand::Send { smtp, eml } => {
            let sent = outbox::send(&ctx.config, smtp.url.as_deref(), eml, &ctx.progress)?;
            for e in &sent.errors {
                eprintln!("not delivered to {}: {}", e.recipient, e.error);
            }
            if sent.claimed_elsewhere > 0 {
                eprintln!(
                    "{} queued messages are being delivered by another run right now; \
                     `onboard outbox list` shows until when they are held",
                    sent.claimed_elsewhere
                );
            }
            if ctx.json() {
                ctx.out.json(&sent)?;
            } else {
                ctx.out
                    .line(&format!("{} (via {})", sent.counts(), sent.via))?;
            }
            Ok(if sent.failed + sent.retry > 0 {
                Exit::Partial
            } else {
                Exit::Success
            })
        }
    }
}
