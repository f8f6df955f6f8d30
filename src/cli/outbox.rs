//! `onboard outbox list` and `onboard outbox send`.

use super::Ctx;
use super::output::{Page, emit_page};
use crate::cli::{OutboxCommand, OutboxStatus};
use crate::error::{Exit, Result};
use crate::notify::{deliver, transport};
use crate::store::outbox::Scope;
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, cmd: OutboxCommand) -> Result<Exit> {
    let mut store = Store::open(&ctx.config.db, Create::No)?;
    match cmd {
        OutboxCommand::List { status, pages } => {
            let filter = match status {
                OutboxStatus::Queued => Some("queued"),
                OutboxStatus::Sent => Some("sent"),
                OutboxStatus::All => None,
            };
            let messages = Page::of(store.outbox(filter)?, pages.into());
            let rows: Vec<Vec<String>> = messages
                .items
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        m.tenant.clone(),
                        m.kind.clone(),
                        m.recipient.clone(),
                        m.status.clone(),
                        m.attempts.to_string(),
                        if m.body_erased { "erased" } else { "held" }.into(),
                        m.last_error.clone().unwrap_or_default(),
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
                    "Attempts",
                    "Body",
                    "Last error",
                ],
                &rows,
                &messages,
                ("message", "messages"),
            )?;
            Ok(Exit::Success)
        }
        OutboxCommand::Send { smtp } => {
            let transport = transport::from_options(smtp.as_deref(), &ctx.config.db)?;
            let queued = store.queued_count()?;
            let bar = ctx.progress.items(queued, "sending");
            let report = deliver::deliver(&mut store, transport.as_ref(), Scope::All, &bar)?;
            bar.finish_and_clear();
            for (to, e) in &report.errors {
                eprintln!("not delivered to {to}: {e}");
            }
            if ctx.json() {
                ctx.out.json(&serde_json::json!({
                    "sent": report.sent,
                    "queued": report.failed,
                    "via": transport.describe(),
                }))?;
            } else {
                ctx.out.line(&format!(
                    "{} sent, {} still queued (via {})",
                    report.sent,
                    report.failed,
                    transport.describe()
                ))?;
            }
            Ok(if report.failed > 0 {
                Exit::Invalid
            } else {
                Exit::Success
            })
        }
    }
}
