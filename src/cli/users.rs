//! `onboard users list | delete | restore | reset-password` (SPEC §9).
//!
//! Users deleted more than 30 days ago are purged by the commands that
//! write (delete, restore, reset-password, commit) inside their own
//! transaction. `users list` only reads: it purges too when there is
//! something to purge and no other command holds the write lock, and
//! otherwise lists without waiting (SPEC §13: reading commands never wait
//! for the write lock). Delete and restore take several names: an unknown
//! name is an error for that name only, the others proceed, and the exit
//! status is 1 when any name failed.

use serde::Serialize;

use super::Ctx;
use super::batch::check_recipients;
use super::output::{Page, emit_page};
use crate::cli::{Format, UserStatus, UsersCommand};
use crate::error::{Error, Exit, Result};
use crate::notify::{self, Credentials, Templates, TenantInfo, transport};
use crate::password;
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
            pages,
        } => {
            let t = store.tenant(&tenant)?;
            store.purge_unless_busy(&t.id)?;
            let filter = match status {
                UserStatus::Active => StatusFilter::Active,
                UserStatus::Deleted => StatusFilter::Deleted,
                UserStatus::All => StatusFilter::All,
            };
            let found =
                store.list_users(&t.id, filter, search.as_deref(), pages.page, pages.per_page)?;
            let rows: Vec<Vec<String>> = found
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
            let page = Page {
                items: found.users,
                total: found.total,
                page: found.page,
                pages: found.pages,
                per_page: found.per_page,
            };
            let headers = ["Display Name", "User Name", "Status", "Assigned"];
            if ctx.format == Format::Text {
                // The users list always says where it is.
                let mut text = Vec::new();
                super::output::table(&mut text, &headers, &rows)
                    .map_err(|e| Error::io("<stdout>", e))?;
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
        UsersCommand::Delete { tenant, upns } => {
            let t = store.tenant(&tenant)?;
            let changes = store.delete_users(&t.id, &qualify(&t, &upns))?;
            report(
                ctx,
                &t,
                "delete",
                &changes,
                "deleted (restorable for 30 days; seats freed)",
            )
        }
        UsersCommand::Restore { tenant, upns } => {
            let t = store.tenant(&tenant)?;
            let changes = store.restore_users(&t.id, &qualify(&t, &upns))?;
            report(ctx, &t, "restore", &changes, "restored")
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
            let force = match (force_change_password, no_force_change_password) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let reset = Reset {
                tenant,
                upn,
                email_to,
                force,
                templates,
                smtp,
            };
            reset_password(ctx, &mut store, reset)
        }
    }
}

/// What `users reset-password` was asked to do.
struct Reset {
    tenant: String,
    upn: String,
    email_to: Vec<String>,
    /// `None`: the user's force-change flag stays as it is.
    force: Option<bool>,
    templates: Option<std::path::PathBuf>,
    smtp: Option<String>,
}

/// What `users reset-password --format json` prints.
#[derive(Debug, Serialize)]
struct ResetReport<'a> {
    tenant: &'a str,
    user: &'a str,
    password: &'a str,
    force_change_password: bool,
    messages_queued: usize,
    messages_sent: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

fn reset_password(ctx: &Ctx, store: &mut Store, r: Reset) -> Result<Exit> {
    let t = store.tenant(&r.tenant)?;
    check_recipients(&r.email_to)?;
    let templates = Templates::load(r.templates.as_deref())?;
    let transport = transport::from_options(r.smtp.as_deref(), &ctx.db)?;
    let upn = qualify(&t, std::slice::from_ref(&r.upn)).remove(0);
    let Some(user) = store.find_user(&t.id, &upn)? else {
        return Err(Error::NotFound(format!(
            "{upn}: no such user in tenant {}",
            t.id
        )));
    };
    let secret = password::generate(upn.split('@').next().unwrap_or_default());
    let hash = password::hash_all(
        super::hashing_cost()?,
        &[&secret],
        &indicatif::ProgressBar::hidden(),
    )?
    .remove(0);
    // The message says what the flag will be.
    let will_force = r.force.unwrap_or(user.force_change_password);
    let mut messages = Vec::new();
    if !r.email_to.is_empty() {
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
        let rendered = templates.reset(&info, &creds, will_force)?;
        messages = r
            .email_to
            .iter()
            .map(|to| notify::queue::message("reset", to, &rendered))
            .collect();
    }
    let (user, forced) = match store.reset_password(&t.id, &upn, &hash, r.force, &messages)? {
        Ok(done) => done,
        Err(reason) => return Err(Error::NotFound(format!("{upn}: {reason}"))),
    };
    let mut report = ResetReport {
        tenant: &t.id,
        user: &user.upn,
        password: secret.expose(),
        force_change_password: forced,
        messages_queued: messages.len(),
        messages_sent: 0,
        error: None,
    };
    let mut undelivered = Vec::new();
    if !messages.is_empty() {
        // Only this reset's messages: anything else queued waits for
        // `outbox send`.
        let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        match notify::deliver::deliver(
            store,
            transport.as_ref(),
            Scope::Messages(&ids),
            &indicatif::ProgressBar::hidden(),
        ) {
            Ok(d) => {
                report.messages_sent = d.sent;
                undelivered.extend(d.errors.iter().map(|(to, e)| format!("to {to}: {e}")));
            }
            Err(e) => undelivered.push(e.to_string()),
        }
    }
    let failure = (!undelivered.is_empty()).then(|| {
        format!(
            "the password of {} was reset, but its email was not delivered ({}); it stays \
             queued: run `onboard outbox send`",
            user.upn,
            undelivered.join("; ")
        )
    });
    report.error = failure.as_ref().map(
        |m| serde_json::json!({ "code": "committed", "message": m, "exit": Exit::Partial as u8 }),
    );
    if ctx.json() {
        ctx.out.json(&report)?;
    } else {
        ctx.out.line(&format!(
            "new temporary password for {}: {}",
            user.upn,
            secret.expose()
        ))?;
        eprintln!(
            "{}",
            if forced {
                "the user must choose a new password at next sign-in"
            } else {
                "the user may keep this password after signing in"
            }
        );
    }
    match failure {
        Some(m) => {
            eprintln!("onboard: {m}");
            Ok(Exit::Partial)
        }
        None => Ok(Exit::Success),
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

/// One named user's outcome, for `--format json`.
#[derive(Debug, Serialize)]
struct Outcome<'a> {
    user: &'a str,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    warnings: &'a [String],
}

/// What `users delete|restore --format json` prints.
#[derive(Debug, Serialize)]
struct ChangeReport<'a> {
    tenant: &'a str,
    action: &'a str,
    changed: usize,
    failed: usize,
    users: Vec<Outcome<'a>>,
}

fn report(ctx: &Ctx, t: &Tenant, action: &str, changes: &[Change], done: &str) -> Result<Exit> {
    let users: Vec<Outcome> = changes
        .iter()
        .map(|c| match c {
            Change::Done { upn, warnings } => Outcome {
                user: upn,
                done: true,
                error: None,
                warnings,
            },
            Change::Failed { upn, reason } => Outcome {
                user: upn,
                done: false,
                error: Some(reason),
                warnings: &[],
            },
        })
        .collect();
    let failed = users.iter().filter(|u| !u.done).count();
    for u in &users {
        for w in u.warnings {
            eprintln!("warning: {}: {w}", u.user);
        }
        if let Some(e) = u.error {
            eprintln!("error: {}: {e}", u.user);
        }
    }
    if ctx.json() {
        ctx.out.json(&ChangeReport {
            tenant: &t.id,
            action,
            changed: users.len() - failed,
            failed,
            users,
        })?;
    } else {
        let text: String = users
            .iter()
            .filter(|u| u.done)
            .map(|u| format!("{}: {done}\n", u.user))
            .collect();
        ctx.out.text(&text)?;
    }
    Ok(if failed > 0 {
        Exit::Invalid
    } else {
        Exit::Success
    })
}
