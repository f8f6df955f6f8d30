//! The `users` commands that change users (SPEC §2, §13): delete, restore,
//! licence assign and revoke, block and unblock, roles. Each is one
//! transaction, all or nothing:
//!
//! 1. every name is looked up; an unknown name, or one whose user is not in
//!    the state the change needs (restore: deleted less than 30 days ago;
//!    every other change: active), is a [`Refusal`], and with any refusal
//!    the transaction is rolled back and every refusal is returned;
//! 2. then the seats, for an assignment (exit 3 when short);
//! 3. then each user changes. A change that changes nothing for a user (a
//!    licence already held, a blocked user blocked) is no error and writes
//!    no audit entry; every user changed gets one.

use rusqlite::{Transaction, params};
use serde::Serialize;

use super::Store;
use super::audit::audit;
use super::begin_write;
use super::licenses::subscriptions;
use super::search::Moves;
use super::users::{FoundUser, RESTORE_WINDOW_SECS, find, purge_expired};
use crate::error::{Error, Result};

/// A change to some users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    Delete,
    Restore,
    Assign(&'a str),
    Revoke(&'a str),
    Block,
    Unblock,
    /// The roles the users hold afterwards (`user` alone: no admin role).
    Roles(&'a [&'a str]),
}

impl Action<'_> {
    /// The stable name of the change, as `--format json` and the audit
    /// log give it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Delete => "user.delete",
            Action::Restore => "user.restore",
            Action::Assign(_) => "license.assign",
            Action::Revoke(_) => "license.revoke",
            Action::Block => "user.block",
            Action::Unblock => "user.unblock",
            Action::Roles(_) => "user.roles",
        }
    }
}

/// A name that cannot be changed, with its place in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The name as given, with the default domain added to a bare alias.
    pub user: String,
    /// Where it was given: the line of a `--file`, none on the command line.
    pub line: Option<u64>,
    /// `unknown_user`, `not_active`, `not_deleted`, `purged`.
    pub code: &'static str,
    pub message: String,
}

/// One user the change went through for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub user: String,
    /// False when there was nothing to change (already so).
    pub changed: bool,
    pub warnings: Vec<String>,
}

/// All changed, or nothing and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(Vec<Changed>),
    Refused(Vec<Refusal>),
}

/// A name to change, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub upn: String,
    pub line: Option<u64>,
}

impl Store {
    /// Applies `action` to every user of `names` in one transaction, or to
    /// none of them. `earlier` are refusals found before the store was
    /// asked (a row of a file without a name): with any, nothing changes
    /// either, and every refusal comes back, in the order of the input.
    pub fn change_users(
        &mut self,
        tenant: &str,
        names: &[Named],
        action: &Action,
        earlier: Vec<Refusal>,
    ) -> Result<Outcome> {
        let now = self.now();
        let block = self.settings.search_block_bytes;
        let actor = self.actor().to_string();
        let tx = begin_write(self)?;
        purge_expired(&tx, tenant, now, &actor, block)?;
        let (users, mut refused) = resolve(&tx, tenant, names, action, now)?;
        refused.extend(earlier);
        if !refused.is_empty() {
            // The command line's names first, then the file's by line.
            refused.sort_by_key(|r| (r.line.is_some(), r.line));
            return Ok(Outcome::Refused(refused));
        }
        if let Action::Assign(sku) = action {
            check_seats(&tx, tenant, sku, &users)?;
        }
        let mut moves = match action {
            Action::Delete => Moves::to("deleted"),
            Action::Restore => Moves::to("active"),
            _ => Moves::purged(),
        };
        let mut out = Vec::with_capacity(users.len());
        for u in &users {
            let (changed, warnings) = apply(&tx, tenant, u, action, now, &actor)?;
            if matches!(action, Action::Delete | Action::Restore) {
                moves.push(u.key, u.segment, &u.search_key);
            }
            out.push(Changed {
                user: u.upn.clone(),
                changed,
                warnings,
            });
        }
        if matches!(action, Action::Delete | Action::Restore) {
            moves.apply(&tx, tenant, block)?;
        }
        tx.commit()?;
        Ok(Outcome::Done(out))
    }
}

/// The users `names` name, each once, or why some cannot change.
fn resolve(
    tx: &Transaction,
    tenant: &str,
    names: &[Named],
    action: &Action,
    now: i64,
) -> Result<(Vec<FoundUser>, Vec<Refusal>)> {
    let mut users: Vec<FoundUser> = Vec::with_capacity(names.len());
    let mut refused = Vec::new();
    for n in names {
        let refuse = |code, message: String| Refusal {
            user: n.upn.clone(),
            line: n.line,
            code,
            message,
        };
        let found = find(tx, tenant, &n.upn)?;
        let problem = match (&found, action) {
            (None, _) if was_purged(tx, tenant, &n.upn)? => Some(refuse(
                "purged",
                "was deleted more than 30 days ago and has been purged; it can no longer be \
                 restored"
                    .into(),
            )),
            (None, _) => Some(refuse(
                "unknown_user",
                format!("no such user in tenant {tenant}"),
            )),
            (Some(u), Action::Restore) if u.state != "deleted" => {
                Some(refuse("not_deleted", "is not deleted".into()))
            }
            (Some(u), Action::Restore)
                if u.deleted_at
                    .is_some_and(|at| now - at > RESTORE_WINDOW_SECS) =>
            {
                Some(refuse(
                    "purged",
                    "was deleted more than 30 days ago and can no longer be restored".into(),
                ))
            }
            (Some(u), Action::Delete) if u.state != "active" => {
                Some(refuse("not_active", "is already deleted".into()))
            }
            (Some(u), a) if *a != Action::Restore && u.state != "active" => Some(refuse(
                "not_active",
                "is deleted; restore it first with `onboard users restore`".into(),
            )),
            _ => None,
        };
        match (problem, found) {
            (Some(r), _) => refused.push(r),
            (None, Some(u)) if !users.iter().any(|x| x.key == u.key) => users.push(u),
            (None, _) => {}
        }
    }
    Ok((users, refused))
}

fn was_purged(tx: &Transaction, tenant: &str, upn: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM audit_log WHERE tenant_id = ?1 AND action = 'user.purge'
         AND subject = ?2 COLLATE NOCASE",
    )?
    .exists(params![tenant, upn])
}

/// Seats for the users of `users` who do not hold `sku` yet: the whole
/// call fits, or it is refused (exit 3) before anything changes.
fn check_seats(tx: &Transaction, tenant: &str, sku: &str, users: &[FoundUser]) -> Result<()> {
    let sub = subscriptions(tx, tenant)?
        .into_iter()
        .find(|s| s.sku.eq_ignore_ascii_case(sku))
        .ok_or_else(|| Error::NotFound(format!("tenant {tenant} has no subscription {sku}")))?;
    let mut needed = 0u64;
    for u in users {
        if !holds(tx, u.key, &sub.sku)? {
            needed += 1;
        }
    }
    match sub.shortage(needed) {
        Some(short) => Err(Error::Refused(format!(
            "not enough seats: {short}; nothing was changed. Add seats with `onboard license \
             add --tenant {tenant} {} --seats {}`",
            sub.sku,
            needed - sub.available
        ))),
        None => Ok(()),
    }
}

fn holds(tx: &Transaction, key: i64, sku: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM license_assignments WHERE user_key = ?1 AND sku = ?2 AND state = 'assigned'",
    )?
    .exists(params![key, sku])
}

/// Changes one user; whether anything changed, and warnings.
fn apply(
    tx: &Transaction,
    tenant: &str,
    u: &FoundUser,
    action: &Action,
    now: i64,
    actor: &str,
) -> Result<(bool, Vec<String>)> {
    let (changed, detail, warnings) = match action {
        Action::Delete => {
            let freed = delete(tx, tenant, u, now)?;
            (true, format!("{freed} seats freed"), Vec::new())
        }
        Action::Restore => {
            let warnings = restore(tx, tenant, u, now)?;
            (true, warnings.join("; "), warnings)
        }
        Action::Assign(sku) => {
            let n = tx
                .prepare_cached(
                    "INSERT INTO license_assignments (user_key, tenant_id, sku, state, assigned_at)
                     SELECT ?1, ?2, s.sku, 'assigned', ?4 FROM subscriptions s
                     WHERE s.tenant_id = ?2 AND s.sku = ?3
                     ON CONFLICT (user_key, sku) DO UPDATE SET state = 'assigned',
                         assigned_at = excluded.assigned_at WHERE state <> 'assigned'",
                )?
                .execute(params![u.key, tenant, sku, now])?;
            (n > 0, sku.to_string(), Vec::new())
        }
        Action::Revoke(sku) => {
            let n = tx
                .prepare_cached(
                    "DELETE FROM license_assignments WHERE user_key = ?1 AND sku = ?2
                     AND state = 'assigned'",
                )?
                .execute(params![u.key, sku])?;
            (n > 0, sku.to_string(), Vec::new())
        }
        Action::Block | Action::Unblock => {
            let blocked = *action == Action::Block;
            let n = tx
                .prepare_cached(
                    "UPDATE users SET sign_in_blocked = ?2 WHERE key = ?1 AND sign_in_blocked <> ?2",
                )?
                .execute(params![u.key, blocked])?;
            (n > 0, String::new(), Vec::new())
        }
        Action::Roles(roles) => {
            let changed = set_roles(tx, u.key, roles)?;
            (changed, roles.join(";"), Vec::new())
        }
    };
    if changed {
        audit(tx, tenant, now, actor, action.name(), &u.upn, &detail)?;
    }
    Ok((changed, warnings))
}

/// Replaces the user's roles; whether they differ from before.
fn set_roles(tx: &Transaction, key: i64, roles: &[&str]) -> rusqlite::Result<bool> {
    let mut before: Vec<String> = tx
        .prepare_cached("SELECT role FROM role_assignments WHERE user_key = ?1 ORDER BY role")?
        .query_map([key], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    before.sort();
    let mut after: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    after.sort();
    after.dedup();
    if before == after {
        return Ok(false);
    }
    tx.prepare_cached("DELETE FROM role_assignments WHERE user_key = ?1")?
        .execute([key])?;
    let mut insert =
        tx.prepare_cached("INSERT INTO role_assignments (user_key, role) VALUES (?1, ?2)")?;
    for role in &after {
        insert.execute(params![key, role])?;
    }
    Ok(true)
}

/// Soft-deletes one user: marked deleted, its seats released (the rows
/// stay, so a restore knows what to give back). The seats freed.
fn delete(tx: &Transaction, tenant: &str, u: &FoundUser, now: i64) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE users SET state = 'deleted', deleted_at = ?3 WHERE key = ?1 AND tenant_id = ?2",
        params![u.key, tenant, now],
    )?;
    tx.execute(
        "UPDATE license_assignments SET state = 'released' WHERE user_key = ?1 AND state = 'assigned'",
        [u.key],
    )
}

/// Brings one deleted user back; their released licences come back where a
/// seat is free, and are dropped with a warning where none is (it can be
/// assigned later with `users license assign`).
fn restore(
    tx: &Transaction,
    tenant: &str,
    u: &FoundUser,
    now: i64,
) -> rusqlite::Result<Vec<String>> {
    tx.execute(
        "UPDATE users SET state = 'active', deleted_at = NULL WHERE key = ?1 AND tenant_id = ?2",
        params![u.key, tenant],
    )?;
    let released: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT sku FROM license_assignments WHERE user_key = ?1 AND state = 'released' ORDER BY sku",
        )?;
        stmt.query_map([u.key], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut warnings = Vec::new();
    for sku in released {
        let available = subscriptions(tx, tenant)?
            .into_iter()
            .find(|s| s.sku == sku)
            .map_or(0, |s| s.available);
        if available > 0 {
            tx.execute(
                "UPDATE license_assignments SET state = 'assigned', assigned_at = ?3 WHERE user_key = ?1 AND sku = ?2",
                params![u.key, sku, now],
            )?;
        } else {
            tx.execute(
                "DELETE FROM license_assignments WHERE user_key = ?1 AND sku = ?2",
                params![u.key, sku],
            )?;
            warnings.push(format!(
                "restored without {sku}: no seat of it is available (assign it later with \
                 `onboard users license assign`)"
            ));
        }
    }
    Ok(warnings)
}
