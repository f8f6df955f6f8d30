//! `onboard audit list` (`ops::history::audit`): who changed what, newest
//! first. Text shows times for a person (`2025-03-01 09:30:00 UTC`); JSON
//! and CSV in RFC 3339 UTC. An entry written before actors were recorded
//! shows `(not recorded)` in text, an empty cell in CSV, `null` in JSON.

use super::Ctx;
use super::batch::NOT_RECORDED;
use super::output::emit_page;
use crate::cli::{AuditCommand, Format};
use crate::error::{Exit, Result};
use crate::ops::history::{self, AuditQuery};
use crate::time;

pub fn run(ctx: &Ctx, cmd: AuditCommand) -> Result<Exit> {
    let AuditCommand::List {
        tenant,
        since,
        user,
        pages,
    } = cmd;
    let query = AuditQuery {
        tenant,
        since,
        user,
    };
    let page = history::audit(&ctx.config, &query, pages.into())?;
    let csv = ctx.format == Format::Csv;
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|e| {
            let mut row = vec![
                if csv {
                    time::rfc3339(e.at)
                } else {
                    time::readable(e.at)
                },
                e.tenant.clone(),
                match (&e.actor, csv) {
                    (Some(a), _) => a.clone(),
                    (None, true) => String::new(),
                    (None, false) => NOT_RECORDED.into(),
                },
                e.action.clone(),
                e.subject.clone(),
                e.detail.clone(),
            ];
            if csv {
                row.insert(0, e.id.to_string());
            }
            row
        })
        .collect();
    let mut headers = vec!["Time", "Tenant", "Actor", "Action", "Subject", "Detail"];
    if csv {
        headers.insert(0, "ID");
    }
    emit_page(
        ctx.out,
        ctx.format,
        &headers,
        &rows,
        &page,
        ("entry", "entries"),
    )?;
    Ok(Exit::Success)
}
