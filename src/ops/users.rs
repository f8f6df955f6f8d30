//! The users after their batch (SPEC §9): the list, soft delete, restore
//! within 30 days, password reset.
//!
//! Users deleted more than 30 days ago are purged by the operations that
//! write (delete, restore, reset-password, commit) inside their own
//! transaction. The list only reads: it purges too when there is something
//! to purge and nothing holds the write lock, and otherwise lists without
//! waiting (SPEC §13). Delete and restore take several names: an unknown
//! name is an error for that name only, the others proceed.

use std::path::PathBuf;

use serde::Serialize;

use super::batch::check_recipients;
use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::notify::{self, Credentials, Templates, TenantInfo, transport};
use crate::password;
use crate::progress::Quiet;
use crate::store::outbox::Scope;
use crate::store::users::{Change, StatusFilter, UserListRow};
use crate::store::{Create, Tenant};

/// Lists the tenant's users in `status`, those matching `search` when given.
pub fn list(
    cfg: &Config,
    tenant: &str,
    status: StatusFilter,
    search: Option<&str>,
    req: PageRequest,
) -> Result<Page<UserListRow>> {
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    store.purge_unless_busy(&t.id)?;
    let found = store.list_users(&t.id, status, search, req.page, req.per_page)?;
    Ok(Page {
        items: found.users,
        total: found.total,
        page: found.page,
        pages: found.pages,
        per_page: found.per_page,
    })
}

/// One named user's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub user: String,
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

/// What a delete or restore did, name by name.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub tenant: String,
    pub action: &'static str,
    pub changed: usize,
    pub failed: usize,
    pub users: Vec<Outcome>,
}

/// Soft-deletes the named users (bare aliases get the default domain).
pub fn delete(cfg: &Config, tenant: &str, names: &[String]) -> Result<Changed> {
    change(cfg, tenant, names, "delete")
}

/// Restores the named users deleted less than 30 days ago.
pub fn restore(cfg: &Config, tenant: &str, names: &[String]) -> Result<Changed> {
    change(cfg, tenant, names, "restore")
}

fn change(cfg: &Config, tenant: &str, names: &[String], action: &'static str) -> Result<Changed> {
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let upns = qualify(&t, names);
    let changes = match action {
        "delete" => store.delete_users(&t.id, &upns)?,
        _ => store.restore_users(&t.id, &upns)?,
    };
    let users: Vec<Outcome> = changes
        .into_iter()
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
                warnings: Vec::new(),
            },
        })
        .collect();
    let failed = users.iter().filter(|u| !u.done).count();
    Ok(Changed {
        tenant: t.id,
        action,
        changed: users.len() - failed,
        failed,
        users,
    })
}

/// What a password reset is asked to do.
#[derive(Debug, Clone, Default)]
pub struct ResetOptions {
    pub tenant: String,
    pub user: String,
    pub email_to: Vec<String>,
    /// `None`: the user's force-change flag stays as it is.
    pub force_change_password: Option<bool>,
    pub templates: Option<PathBuf>,
    pub smtp: Option<String>,
}

/// What a reset did. The password is here because the person who asked
/// for the reset is shown it once.
#[derive(Debug, Serialize)]
pub struct Reset {
    pub tenant: String,
    pub user: String,
    pub password: String,
    pub force_change_password: bool,
    pub messages_queued: usize,
    pub messages_sent: usize,
    /// The reset is committed; this is what went wrong with its email.
    #[serde(skip)]
    pub undelivered: Option<String>,
}

/// Resets a user's password: a new generated one, hashed, emailed when
/// asked; the force-change flag as asked or as it was.
pub fn reset_password(cfg: &Config, opts: &ResetOptions) -> Result<Reset> {
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(&opts.tenant)?;
    check_recipients(&opts.email_to)?;
    let templates = Templates::load(opts.templates.as_deref())?;
    let route = transport::from_options(opts.smtp.as_deref(), &cfg.db)?;
    let upn = qualify(&t, std::slice::from_ref(&opts.user)).remove(0);
    let Some(user) = store.find_user(&t.id, &upn)? else {
        return Err(Error::NotFound(format!(
            "{upn}: no such user in tenant {}",
            t.id
        )));
    };
    let secret = password::generate(upn.split('@').next().unwrap_or_default());
    let hash = password::hash_all(cfg.argon2, &[&secret], &Quiet)?.remove(0);
    // The message says what the flag will be.
    let will_force = opts
        .force_change_password
        .unwrap_or(user.force_change_password);
    let mut messages = Vec::new();
    if !opts.email_to.is_empty() {
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
        messages = opts
            .email_to
            .iter()
            .map(|to| {
                notify::queue::message("reset", &cfg.mail_from, to, &rendered, route.queue_as())
            })
            .collect();
    }
    let (user, forced) =
        match store.reset_password(&t.id, &upn, &hash, opts.force_change_password, &messages)? {
            Ok(done) => done,
            Err(reason) => return Err(Error::NotFound(format!("{upn}: {reason}"))),
        };
    let mut reset = Reset {
        tenant: t.id.clone(),
        user: user.upn.clone(),
        password: secret.expose().to_string(),
        force_change_password: forced,
        messages_queued: messages.len(),
        messages_sent: 0,
        undelivered: None,
    };
    let mut problems = Vec::new();
    if !messages.is_empty() {
        // Only this reset's messages: anything else queued waits for
        // `outbox send`.
        let ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        match notify::deliver::deliver(&mut store, &route, Scope::Messages(&ids), &Quiet) {
            Ok(d) => {
                reset.messages_sent = d.delivered();
                problems.extend(d.errors.iter().map(|(to, e)| format!("to {to}: {e}")));
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        reset.undelivered = Some(format!(
            "the password of {} was reset, but its email was not delivered ({}); it stays \
             queued: run `onboard outbox send`",
            user.upn,
            problems.join("; ")
        ));
    }
    Ok(reset)
}

/// Bare aliases get the tenant's default domain.
fn qualify(t: &Tenant, names: &[String]) -> Vec<String> {
    names
        .iter()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::commit::{self, CommitOptions};
    use crate::ops::tenants::{self, NewTenant};
    use crate::progress::Quiet;

    #[test]
    fn list_delete_restore_and_reset_through_the_operations() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new(dir.path().join("s.db"));
        cfg.argon2 = crate::password::Cost::parse("m=8,t=1,p=1").unwrap();
        let new = NewTenant {
            id: "contoso".into(),
            domain: "contoso.onmicrosoft.com".into(),
            location: "US".into(),
            name: None,
        };
        tenants::add_tenant(&cfg, new).unwrap();
        tenants::add_domain(&cfg, "contoso", "contoso.com", false).unwrap();
        let opts = CommitOptions {
            batch: crate::ops::batch::BatchOptions {
                file: concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv").into(),
                tenant: "contoso".into(),
                force_change_password: true,
                ..Default::default()
            },
            results: Some(dir.path().join("r.csv")),
            ..CommitOptions::default()
        };
        commit::commit(&cfg, &opts, &Quiet).unwrap();
        let all = PageRequest::default();
        let page = list(&cfg, "contoso", StatusFilter::Active, Some("ADELE"), all).unwrap();
        assert_eq!(page.total, 1);
        let names = vec!["adele.vance".to_string(), "nobody".to_string()];
        let gone = delete(&cfg, "CONTOSO", &names).unwrap();
        assert_eq!((gone.changed, gone.failed), (1, 1));
        assert_eq!(
            list(&cfg, "contoso", StatusFilter::Deleted, None, all)
                .unwrap()
                .total,
            1
        );
        let back = restore(&cfg, "contoso", &names[..1]).unwrap();
        assert_eq!((back.changed, back.failed), (1, 0));

        let reset = |force| {
            let opts = ResetOptions {
                tenant: "contoso".into(),
                user: "adele.vance".into(),
                force_change_password: force,
                ..ResetOptions::default()
            };
            reset_password(&cfg, &opts).unwrap()
        };
        let r = reset(None);
        assert!(r.force_change_password, "the flag is kept");
        assert_eq!(r.password.len(), 16);
        assert!(!reset(Some(false)).force_change_password);
        assert!(!reset(None).force_change_password, "kept again");
    }
}
