//! The users after their batch (SPEC §9): the list, soft delete, restore
//! within 30 days, password reset.
//!
//! Users deleted more than 30 days ago are purged by the operations that
//! write (delete, restore, reset-password, commit) inside their own
//! transaction. The list only reads: it purges too when there is something
//! to purge and nothing holds the write lock, and otherwise lists without
//! waiting (SPEC §13). Every change to users (delete, restore, licences,
//! sign-in, roles) is one transaction for all the users named, or for none
//! (`store::changes`).

use std::path::PathBuf;

use serde::Serialize;

use super::batch::Role;
use super::batch::check_recipients;
use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, Source};
use crate::notify::{self, Credentials, Templates, TenantInfo, transport};
use crate::password;
use crate::progress::Quiet;
use crate::store::changes::{self, Action, Named, Outcome, Refusal};
use crate::store::outbox::Scope;
use crate::store::users::{ListFilter, StatusFilter, UserDetail, UserListRow};
use crate::store::{Create, Tenant};

/// Lists the tenant's users in `status`, those matching `search` when given.
pub fn list(
    cfg: &Config,
    tenant: &str,
    status: StatusFilter,
    search: Option<&str>,
    filter: &ListFilter,
    req: PageRequest,
) -> Result<Page<UserListRow>> {
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    store.purge_unless_busy(&t.id)?;
    let mut filter = filter.clone();
    if let Some(sku) = &filter.license {
        let subs = store.subscriptions(&t.id)?;
        let found = subs.iter().find(|s| s.sku.eq_ignore_ascii_case(sku.trim()));
        filter.license = Some(found.map_or_else(|| sku.trim().to_string(), |s| s.sku.clone()));
    }
    let found = store.list_users(&t.id, status, search, &filter, req.page, req.per_page)?;
    Ok(Page {
        items: found.users,
        total: found.total,
        page: found.page,
        pages: found.pages,
        per_page: found.per_page,
    })
}

/// Every field of one user of the tenant; `None` for an unknown name.
pub fn show(cfg: &Config, tenant: &str, user: &str) -> Result<Option<UserDetail>> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let upn = qualify(&t, &[user.to_string()]).remove(0);
    store.user_detail(&t.id, &upn)
}

/// Which users a change names: on the command line, in a file
/// (`--file`, SPEC §2), or both, in that order.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub names: Vec<String>,
    pub file: Option<PathBuf>,
}

/// A change to users after their batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Delete,
    Restore,
    Assign {
        sku: String,
    },
    Revoke {
        sku: String,
    },
    Block,
    Unblock,
    /// The roles the users hold afterwards.
    Roles(Vec<Role>),
}

/// What a change did: every user changed, or none and why (`refused`,
/// like a verification log: each bad name with its line in the file).
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub tenant: String,
    pub action: &'static str,
    /// Users the change changed.
    pub changed: usize,
    /// Named users for whom there was nothing to change (already so).
    pub unchanged: usize,
    pub users: Vec<changes::Changed>,
    pub refused: Vec<Refusal>,
}

/// Applies `change` to every named user of the tenant, or to none: one
/// transaction; unknown or ineligible names are all reported and change
/// nothing (exit 1); too few seats for an assignment is a refusal of the
/// store (exit 3).
pub fn change(cfg: &Config, tenant: &str, names: &Names, change: &Change) -> Result<Changed> {
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let (named, mut refused) = gather(&t, names)?;
    let subs = store.subscriptions(&t.id)?;
    let sku_of = |sku: &str| -> Result<String> {
        subs.iter()
            .find(|s| s.sku.eq_ignore_ascii_case(sku.trim()))
            .map(|s| s.sku.clone())
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "tenant {} has no subscription {sku}; `onboard license list --tenant {}` \
                     shows them",
                    t.id, t.id
                ))
            })
    };
    let roles: Vec<&str>;
    let sku: String;
    let action = match change {
        Change::Delete => Action::Delete,
        Change::Restore => Action::Restore,
        Change::Assign { sku: s } => {
            sku = sku_of(s)?;
            Action::Assign(&sku)
        }
        Change::Revoke { sku: s } => {
            sku = sku_of(s)?;
            Action::Revoke(&sku)
        }
        Change::Block => Action::Block,
        Change::Unblock => Action::Unblock,
        Change::Roles(r) => {
            roles = held_roles(r);
            Action::Roles(&roles)
        }
    };
    let name = action.name();
    match store.change_users(&t.id, &named, &action, std::mem::take(&mut refused))? {
        Outcome::Refused(r) => {
            refused = r;
            Ok(refusal(t.id, name, refused))
        }
        Outcome::Done(users) => {
            let changed = users.iter().filter(|u| u.changed).count();
            Ok(Changed {
                tenant: t.id,
                action: name,
                changed,
                unchanged: users.len() - changed,
                users,
                refused: Vec::new(),
            })
        }
    }
}

fn refusal(tenant: String, action: &'static str, refused: Vec<Refusal>) -> Changed {
    Changed {
        tenant,
        action,
        changed: 0,
        unchanged: 0,
        users: Vec::new(),
        refused,
    }
}

/// The roles a user holds for `roles`: `user` means no admin role, and a
/// user with admin roles holds exactly those.
fn held_roles(roles: &[Role]) -> Vec<&'static str> {
    let mut admin: Vec<&'static str> = roles
        .iter()
        .filter(|r| **r != Role::User)
        .map(|r| r.as_str())
        .collect();
    admin.sort_unstable();
    admin.dedup();
    if admin.is_empty() {
        admin.push(Role::User.as_str());
    }
    admin
}

/// The names on the command line, then those of the file (with their
/// lines), qualified with the tenant's default domain; a row of the file
/// without a user name is refused.
fn gather(t: &Tenant, names: &Names) -> Result<(Vec<Named>, Vec<Refusal>)> {
    let mut named: Vec<Named> = qualify(t, &names.names)
        .into_iter()
        .map(|upn| Named { upn, line: None })
        .collect();
    let mut refused = Vec::new();
    if let Some(file) = &names.file {
        let source = Source::from_arg(file)?;
        for n in ingest::names::read(&source)? {
            if n.name.is_empty() {
                refused.push(Refusal {
                    user: String::new(),
                    line: Some(n.line),
                    code: "required",
                    message: "the row has no User Name".into(),
                });
                continue;
            }
            named.push(Named {
                upn: qualify(t, std::slice::from_ref(&n.name)).remove(0),
                line: Some(n.line),
            });
        }
    }
    if named.is_empty() && refused.is_empty() {
        return Err(Error::usage(
            "no users named: give user names, or --file with a User Name column",
        ));
    }
    Ok((named, refused))
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
            roles: "",
            sign_in: "",
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
    use crate::progress::Quiet;

    #[test]
    fn list_delete_restore_and_reset_through_the_operations() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::ops::testing::contoso(dir.path());
        let opts = CommitOptions {
            batch: crate::ops::batch::BatchOptions {
                file: crate::ops::testing::SAMPLE.into(),
                tenant: "contoso".into(),
                force_change_password: true,
                ..Default::default()
            },
            results: Some(dir.path().join("r.csv")),
            ..CommitOptions::default()
        };
        commit::commit(&cfg, &opts, &Quiet).unwrap();
        let all = PageRequest::default();
        let none = ListFilter::default();
        let page = list(
            &cfg,
            "contoso",
            StatusFilter::Active,
            Some("ADELE"),
            &none,
            all,
        )
        .unwrap();
        assert_eq!(page.total, 1);
        let names = |n: &[&str]| Names {
            names: n.iter().map(|s| s.to_string()).collect(),
            file: None,
        };
        // All or nothing: one unknown name, and nobody is deleted.
        let both = names(&["adele.vance", "nobody"]);
        let refused = change(&cfg, "CONTOSO", &both, &Change::Delete).unwrap();
        assert_eq!((refused.changed, refused.refused.len()), (0, 1));
        assert_eq!(refused.refused[0].code, "unknown_user");
        let deleted = || {
            list(&cfg, "contoso", StatusFilter::Deleted, None, &none, all)
                .unwrap()
                .total
        };
        assert_eq!(deleted(), 0);
        let adele = names(&["adele.vance"]);
        let gone = change(&cfg, "contoso", &adele, &Change::Delete).unwrap();
        assert_eq!((gone.changed, gone.refused.len()), (1, 0));
        assert_eq!(deleted(), 1);
        assert_eq!(
            change(&cfg, "contoso", &adele, &Change::Restore)
                .unwrap()
                .changed,
            1
        );
        let again = change(&cfg, "contoso", &adele, &Change::Restore).unwrap();
        assert_eq!(again.refused[0].code, "not_deleted");
        assert_eq!(
            change(&cfg, "contoso", &adele, &Change::Block)
                .unwrap()
                .changed,
            1
        );
        let twice = change(&cfg, "contoso", &adele, &Change::Block).unwrap();
        assert_eq!((twice.changed, twice.unchanged), (0, 1));

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
