//! `onboard users list | delete | restore | reset-password` (SPEC §9): the
//! operations are `ops::users`; this prints what they did and picks the
//! exit status (1 when a named user could not be changed, 4 when a reset's
//! email was not delivered).

use super::Ctx;
use super::output::{emit_page, table};
use crate::cli::{Format, UserStatus, UsersCommand};
use crate::error::{Error, Exit, Result};
use crate::ops::users::{self, Changed, ResetOptions};
use crate::store::users::StatusFilter;

pub fn run(ctx: &Ctx, cmd: UsersCommand) -> Result<Exit> {
    let cfg = &ctx.config;
    match cmd {
        UsersCommand::List {
            tenant,
            status,
            search,
            pages,
        } => {
            let filter = match status {
                UserStatus::Active => StatusFilter::Active,
                UserStatus::Deleted => StatusFilter::Deleted,
                UserStatus::All => StatusFilter::All,
            };
            let page = users::list(cfg, &tenant.id, filter, search.as_deref(), pages.into())?;
            let rows: Vec<Vec<String>> = page
                .items
                .iter()
                .map(|u| {
                    vec![
                        u.display_name.clone(),
                        u.user_name.clone(),
                        u.status.clone(),
                        u.assigned.to_string(),
                    ]
                })
                .collect();
            let headers = ["Display Name", "User Name", "Status", "Assigned"];
            if ctx.format == Format::Text {
                // The users list always says where it is.
                let mut text = Vec::new();
                table(&mut text, &headers, &rows).map_err(|e| Error::io("<stdout>", e))?;
                ctx.out.text(&String::from_utf8_lossy(&text))?;
                ctx.out.line(&page.footer("user", "users"))?;
            } else {
                emit_page(
                    ctx.out,
                    ctx.format,
                    &headers,
                    &rows,
                    &page,
                    ("user", "users"),
                )?;
            }
            Ok(Exit::Success)
        }
        UsersCommand::Delete { tenant, upns } => report(
            ctx,
            &users::delete(cfg, &tenant.id, &upns)?,
            "deleted (restorable for 30 days; seats freed)",
        ),
        UsersCommand::Restore { tenant, upns } => {
            report(ctx, &users::restore(cfg, &tenant.id, &upns)?, "restored")
        }
        UsersCommand::ResetPassword {
            tenant,
            upn,
            email_to,
            force_change_password,
            no_force_change_password,
            templates,
            smtp,
        } => {
            let opts = ResetOptions {
                tenant: tenant.id,
                user: upn,
                email_to,
                force_change_password: match (force_change_password, no_force_change_password) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                templates,
                smtp: smtp.url,
            };
            super::warn_weak_cost(cfg);
            let reset = users::reset_password(cfg, &opts)?;
            if ctx.json() {
                let mut doc =
                    serde_json::to_value(&reset).map_err(|e| Error::io("<stdout>", e.into()))?;
                if let Some(m) = &reset.undelivered {
                    doc["error"] = serde_json::json!({
                        "code": "committed", "message": m, "exit": Exit::Partial as u8,
                    });
                }
                ctx.out.json(&doc)?;
            } else {
                ctx.out.line(&format!(
                    "new temporary password for {}: {}",
                    reset.user, reset.password
                ))?;
                eprintln!(
                    "{}",
                    if reset.force_change_password {
                        "the user must choose a new password at next sign-in"
                    } else {
                        "the user may keep this password after signing in"
                    }
                );
            }
            match &reset.undelivered {
                Some(m) => {
                    eprintln!("onboard: {m}");
                    Ok(Exit::Partial)
                }
                None => Ok(Exit::Success),
            }
        }
    }
}

/// Prints a delete's or restore's outcome; exit 1 when any name failed.
fn report(ctx: &Ctx, changed: &Changed, done: &str) -> Result<Exit> {
    for u in &changed.users {
        for w in &u.warnings {
            eprintln!("warning: {}: {w}", u.user);
        }
        if let Some(e) = &u.error {
            eprintln!("error: {}: {e}", u.user);
        }
    }
    if ctx.json() {
        ctx.out.json(changed)?;
    } else {
        let text: String = changed
            .users
            .iter()
            .filter(|u| u.done)
            .map(|u| format!("{}: {done}\n", u.user))
            .collect();
        ctx.out.text(&text)?;
    }
    Ok(if changed.failed > 0 {
        Exit::Invalid
    } else {
        Exit::Success
    })
}
