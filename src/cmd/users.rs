//! `onboard users list | delete | restore | reset-password` (SPEC §9).
//!
//! Every subcommand first purges the tenant's users deleted more than 30
//! days ago (recorded in the audit log). Delete and restore take several
//! names: an unknown name is an error for that name only, the others
//! proceed, and the exit status is 1 when any name failed.

use super::Ctx;
use super::batch::MAX_RECIPIENTS;
use super::output::{emit, table};
use crate::cli::{Format, UserStatus, UsersCommand};
use crate::error::{Error, Exit, Result};
use crate::notify::{self, Credentials, Templates, TenantInfo, transport};
use crate::password::{self, Cost};
use crate::rules::contact::is_email;
use crate::store::outbox::Scope;
use crate::store::users::{Change, StatusFilter};
use crate::store::{Create, Store, Tenant};

pub fn run(ctx: &Ctx, cmd: UsersCommand) -> Result<Exit> {
    let mut store = Store::open(&ctx.db, Create::No)?;
    match cmd {
        UsersCommand::List {
            tenant,
            status,
            search,
            page,
            per_page,
        } => {
            let t = store.tenant(&tenant)?;
            store.purge(&t.id)?;
            let filter = match status {
                UserStatus::Active => StatusFilter::Active,
                UserStatus::Deleted => StatusFilter::Deleted,
                UserStatus::All => StatusFilter::All,
            };
            let page = store.list_users(&t.id, filter, search.as_deref(), page, per_page)?;
            let rows: Vec<Vec<String>> = page
                .users
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
                let mut out = std::io::stdout().lock();
                table(&mut out, &headers, &rows).map_err(|e| Error::io("<stdout>", e))?;
                let noun = if page.total == 1 { "user" } else { "users" };
                println!(
                    "page {} of {} ({} {noun})",
                    page.page, page.pages, page.total
                );
            } else {
                emit(ctx.format, &headers, &rows, &page)?;
            }
            Ok(Exit::Success)
        }
        UsersCommand::Delete { tenant, upns } => {
            let t = store.tenant(&tenant)?;
            let changes = store.delete_users(&t.id, &qualify(&t, &upns))?;
            Ok(report(
                &changes,
                "deleted (restorable for 30 days; seats freed)",
            ))
        }
        UsersCommand::Restore { tenant, upns } => {
            let t = store.tenant(&tenant)?;
            let changes = store.restore_users(&t.id, &qualify(&t, &upns))?;
            Ok(report(&changes, "restored"))
        }
        UsersCommand::ResetPassword {
            tenant,
            upn,
            email_to,
            force_change_password,
            templates,
            smtp,
        } => {
            let t = store.tenant(&tenant)?;
            if email_to.len() > MAX_RECIPIENTS {
                return Err(Error::usage(format!(
                    "--email-to: at most {MAX_RECIPIENTS} recipients"
                )));
            }
            if let Some(bad) = email_to.iter().find(|a| !is_email(a)) {
                return Err(Error::usage(format!(
                    "--email-to \"{bad}\" is not a valid email address"
                )));
            }
            let templates = Templates::load(templates.as_deref())?;
            let transport = transport::from_options(smtp.as_deref(), &ctx.db)?;
            let upn = qualify(&t, std::slice::from_ref(&upn)).remove(0);
            let Some(user) = store.find_user(&t.id, &upn)? else {
                return Err(Error::NotFound(format!(
                    "{upn}: no such user in tenant {}",
                    t.id
                )));
            };
            let secret = password::generate(upn.split('@').next().unwrap_or_default());
            let hash = password::hash_all(
                Cost::from_env()?,
                &[&secret],
                &indicatif::ProgressBar::hidden(),
            )?
            .remove(0);
            let mut messages = Vec::new();
            if !email_to.is_empty() {
                let info = TenantInfo {
                    id: t.id.clone(),
                    name: t.name.clone(),
                };
                let creds = Credentials {
                    display_name: &user.display_name,
                    first_name: &user.first_name,
                    last_name: &user.last_name,
                    upn: &user.upn,
                    password: secret.expose(),
                    licenses: "",
                };
                let r = templates.reset(&info, &creds, force_change_password)?;
                messages = email_to
                    .iter()
                    .map(|to| notify::queue::message("reset", to, &r, transport.queue_as()))
                    .collect();
            }
            let user =
                match store.reset_password(&t.id, &upn, &hash, force_change_password, &messages)? {
                    Ok(u) => u,
                    Err(reason) => return Err(Error::NotFound(format!("{upn}: {reason}"))),
                };
            println!(
                "new temporary password for {}: {}",
                user.upn,
                secret.expose()
            );
            if force_change_password {
                eprintln!("the user must choose a new password at next sign-in");
            }
            if !messages.is_empty() {
                // Only this reset's messages: anything else queued waits for
                // `outbox send`.
                let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
                let r = notify::deliver::deliver(
                    &mut store,
                    &transport,
                    Scope::Messages(&ids),
                    &indicatif::ProgressBar::hidden(),
                )?;
                for (to, e) in &r.errors {
                    eprintln!("not delivered to {to}: {e}");
                }
                if r.queued > 0 {
                    eprintln!(
                        "{} messages stay queued: run `onboard outbox send`",
                        r.queued
                    );
                }
            }
            Ok(Exit::Success)
        }
    }
}

/// Bare aliases get the tenant's default domain.
fn qualify(t: &Tenant, upns: &[String]) -> Vec<String> {
    upns.iter()
        .map(|u| {
            let u = u.trim();
            if u.contains('@') {
                u.to_string()
            } else {
                format!("{u}@{}", t.default_domain)
            }
        })
        .collect()
}

fn report(changes: &[Change], done: &str) -> Exit {
    let mut failed = false;
    for c in changes {
        match c {
            Change::Done { upn, warnings } => {
                println!("{upn}: {done}");
                for w in warnings {
                    eprintln!("warning: {upn}: {w}");
                }
            }
            Change::Failed { upn, reason } => {
                failed = true;
                eprintln!("error: {upn}: {reason}");
            }
        }
    }
    if failed { Exit::Invalid } else { Exit::Success }
}
