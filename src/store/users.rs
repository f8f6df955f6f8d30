//! Users after their batch: the list, soft delete, restore within 30 days,
//! purge after that, password reset (SPEC §9).
//!
//! Every query names the tenant, so a command on tenant A never reads or
//! changes tenant B's users, even with B's user names. A deleted user's
//! licence rows stay, marked `released` (they hold no seat), so a restore
//! knows what to give back.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::Store;
use super::batches::{QueuedMessage, begin_write};
use super::licenses::subscriptions;
use super::tenants::audit;
use crate::error::Result;
use crate::rules::{Existing, ExistingUsers};

/// How long a deleted user can be restored.
pub const RESTORE_WINDOW_SECS: i64 = 30 * 24 * 3600;

/// One row of `users list`.
#[derive(Debug, Clone, Serialize)]
pub struct UserListRow {
    pub display_name: String,
    pub user_name: String,
    pub status: String,
    pub assigned: u32,
}

/// One page of `users list`.
#[derive(Debug, Clone, Serialize)]
pub struct UserPage {
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
    pub total: u64,
    pub users: Vec<UserListRow>,
}

/// Which users a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Deleted,
    All,
}

/// What happened to one named user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Done { upn: String, warnings: Vec<String> },
    Failed { upn: String, reason: String },
}

/// A user found by name.
#[derive(Debug, Clone)]
pub struct FoundUser {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub state: String,
    pub deleted_at: Option<i64>,
}

fn find(tx: &rusqlite::Connection, tenant: &str, upn: &str) -> rusqlite::Result<Option<FoundUser>> {
    tx.prepare_cached(
        "SELECT id, upn, display_name, first_name, last_name, state, deleted_at
         FROM users WHERE tenant_id = ?1 AND upn = ?2",
    )?
    .query_row(params![tenant, upn], |r| {
        Ok(FoundUser {
            id: r.get(0)?,
            upn: r.get(1)?,
            display_name: r.get(2)?,
            first_name: r.get(3)?,
            last_name: r.get(4)?,
            state: r.get(5)?,
            deleted_at: r.get(6)?,
        })
    })
    .optional()
}

/// Removes users deleted more than 30 days before `now`, inside `tx`.
pub fn purge_expired(tx: &Transaction, tenant: &str, now: i64) -> rusqlite::Result<Vec<String>> {
    let cutoff = now - RESTORE_WINDOW_SECS;
    let expired: Vec<(String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, upn FROM users WHERE tenant_id = ?1 AND state = 'deleted' AND deleted_at < ?2",
        )?;
        stmt.query_map(params![tenant, cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, upn) in &expired {
        tx.execute("DELETE FROM license_assignments WHERE user_id = ?1", [id])?;
        tx.execute("DELETE FROM role_assignments WHERE user_id = ?1", [id])?;
        tx.execute(
            "DELETE FROM users WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )?;
        audit(
            tx,
            tenant,
            now,
            "user.purge",
            upn,
            "deleted more than 30 days ago",
        )?;
    }
    Ok(expired.into_iter().map(|(_, upn)| upn).collect())
}

/// What `users list --search` looks in: the display name and the user
/// name, lower-cased with Unicode rules, display name first so the key
/// also sorts the list.
pub fn search_key(display_name: &str, upn: &str) -> String {
    format!("{} {}", display_name.to_lowercase(), upn.to_lowercase())
}

impl Store {
    /// Every user name of the tenant that blocks a new user of that name:
    /// active users, and deleted users still within their restore window.
    pub fn existing_users(&self, tenant: &str) -> Result<ExistingUsers> {
        let cutoff = self.now() - RESTORE_WINDOW_SECS;
        let mut out = ExistingUsers::default();
        let mut stmt = self.conn.prepare(
            "SELECT upn, state FROM users
             WHERE tenant_id = ?1 AND (state = 'active' OR deleted_at >= ?2)",
        )?;
        let mut rows = stmt.query(params![tenant, cutoff])?;
        while let Some(r) = rows.next()? {
            let upn: String = r.get(0)?;
            let state: String = r.get(1)?;
            let s = if state == "deleted" {
                Existing::Deleted
            } else {
                Existing::Active
            };
            out.insert(&upn, s);
        }
        Ok(out)
    }

    /// Purges the tenant's expired deletions in a transaction of its own.
    pub fn purge(&mut self, tenant: &str) -> Result<Vec<String>> {
        let now = self.now();
        let tx = begin_write(self)?;
        let purged = purge_expired(&tx, tenant, now)?;
        tx.commit()?;
        Ok(purged)
    }

    /// One page of the tenant's users, ordered by display name.
    pub fn list_users(
        &self,
        tenant: &str,
        status: StatusFilter,
        search: Option<&str>,
        page: u64,
        per_page: u64,
    ) -> Result<UserPage> {
        let state = match status {
            StatusFilter::Active => Some("active"),
            StatusFilter::Deleted => Some("deleted"),
            StatusFilter::All => None,
        };
        let term = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        // One pass over the tenant's entries of the covering index, in
        // display order (search_key starts with the lower-cased display
        // name): it counts the matches and yields the page's rows. With a
        // status the order comes from the index; for "all" SQLite sorts.
        let by_state = if state.is_some() {
            "state = ?2"
        } else {
            "?2 IS NULL"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid FROM users INDEXED BY users_search
             WHERE tenant_id = ?1 AND {by_state} AND instr(search_key, ?3) > 0
             ORDER BY search_key"
        ))?;
        let per_page = per_page.max(1);
        let (total, matches, page) = if term.is_none() {
            // Without a search SQLite counts the index entries itself and
            // reads only the page.
            let total: u64 = self.conn.query_row(
                &format!("SELECT count(*) FROM users WHERE tenant_id = ?1 AND {by_state}"),
                params![tenant, state],
                |r| r.get(0),
            )?;
            let page = page.clamp(1, total.div_ceil(per_page).max(1));
            let mut window = self.conn.prepare_cached(&format!(
                "SELECT rowid FROM users INDEXED BY users_search
                 WHERE tenant_id = ?1 AND {by_state} ORDER BY search_key LIMIT ?3 OFFSET ?4"
            ))?;
            let offset = ((page - 1) * per_page) as i64;
            let ids: Vec<i64> = window
                .query_map(params![tenant, state, per_page as i64, offset], |r| {
                    r.get(0)
                })?
                .collect::<rusqlite::Result<_>>()?;
            (total, ids, page)
        } else {
            let ids: Vec<i64> = stmt
                .query_map(params![tenant, state, term], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let total = ids.len() as u64;
            let page = page.clamp(1, total.div_ceil(per_page).max(1));
            let first = ((page - 1) * per_page) as usize;
            let ids = ids
                .into_iter()
                .skip(first)
                .take(per_page as usize)
                .collect();
            (total, ids, page)
        };
        let pages = total.div_ceil(per_page).max(1);
        let mut row = self.conn.prepare_cached(
            "SELECT u.display_name, u.upn, u.state,
                (SELECT count(*) FROM license_assignments a WHERE a.user_id = u.id AND a.state = 'assigned')
             FROM users u WHERE u.rowid = ?1",
        )?;
        let users = matches
            .iter()
            .map(|id| {
                row.query_row([id], |r| {
                    let state: String = r.get(2)?;
                    Ok(UserListRow {
                        display_name: r.get(0)?,
                        user_name: r.get(1)?,
                        status: if state == "deleted" {
                            "Deleted".into()
                        } else {
                            "Active".into()
                        },
                        assigned: r.get(3)?,
                    })
                })
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(UserPage {
            page,
            pages,
            per_page,
            total,
            users,
        })
    }

    /// Soft-deletes each named user and frees their seats.
    pub fn delete_users(&mut self, tenant: &str, upns: &[String]) -> Result<Vec<Change>> {
        self.change_each(tenant, upns, |tx, upn, found, now| {
            Ok(match found {
                None => Change::Failed {
                    upn: upn.into(),
                    reason: "no such user in this tenant".into(),
                },
                Some(u) if u.state == "deleted" => Change::Failed {
                    upn: u.upn,
                    reason: "is already deleted".into(),
                },
                Some(u) => {
                    delete_one(tx, tenant, &u, now)?;
                    Change::Done {
                        upn: u.upn,
                        warnings: vec![],
                    }
                }
            })
        })
    }

    /// Restores each named user deleted less than 30 days ago, with the
    /// licences they had where seats are free.
    pub fn restore_users(&mut self, tenant: &str, upns: &[String]) -> Result<Vec<Change>> {
        self.change_each(tenant, upns, |tx, upn, found, now| {
            Ok(match found {
                None => Change::Failed {
                    upn: upn.into(),
                    reason: not_found_reason(tx, tenant, upn)?,
                },
                Some(u) if u.state == "active" => Change::Failed {
                    upn: u.upn,
                    reason: "is not deleted".into(),
                },
                Some(u) => {
                    let warnings = restore_one(tx, tenant, &u, now)?;
                    Change::Done {
                        upn: u.upn,
                        warnings,
                    }
                }
            })
        })
    }

    /// One write transaction for several named users: purges expired
    /// deletions, then lets `apply` decide each name's change.
    fn change_each(
        &mut self,
        tenant: &str,
        upns: &[String],
        mut apply: impl FnMut(&Transaction, &str, Option<FoundUser>, i64) -> rusqlite::Result<Change>,
    ) -> Result<Vec<Change>> {
        let now = self.now();
        let tx = begin_write(self)?;
        purge_expired(&tx, tenant, now)?;
        let mut out = Vec::with_capacity(upns.len());
        for upn in upns {
            let found = find(&tx, tenant, upn)?;
            out.push(apply(&tx, upn, found, now)?);
        }
        tx.commit()?;
        Ok(out)
    }

    /// Replaces a user's password hash; queues `messages` in the same
    /// transaction. Returns the user.
    pub fn reset_password(
        &mut self,
        tenant: &str,
        upn: &str,
        password_hash: &str,
        force_change: bool,
        messages: &[QueuedMessage],
    ) -> Result<std::result::Result<FoundUser, String>> {
        let now = self.now();
        let tx = begin_write(self)?;
        purge_expired(&tx, tenant, now)?;
        let user = match find(&tx, tenant, upn)? {
            None => return Ok(Err("no such user in this tenant".into())),
            Some(u) if u.state == "deleted" => {
                return Ok(Err(
                    "is deleted; restore it first with `onboard users restore`".into(),
                ));
            }
            Some(u) => u,
        };
        tx.execute(
            "UPDATE users SET password_hash = ?3, force_change_password = ?4 WHERE id = ?1 AND tenant_id = ?2",
            params![user.id, tenant, password_hash, force_change],
        )?;
        for m in messages {
            super::batches::queue_message(&tx, tenant, None, m, now)?;
        }
        audit(
            &tx,
            tenant,
            now,
            "user.reset_password",
            &user.upn,
            if force_change { "force change" } else { "" },
        )?;
        tx.commit()?;
        Ok(Ok(user))
    }

    /// A user of the tenant by name, active or deleted.
    pub fn find_user(&self, tenant: &str, upn: &str) -> Result<Option<FoundUser>> {
        Ok(find(&self.conn, tenant, upn)?)
    }
}

/// Why a user name is not there: purged, or never existed.
fn not_found_reason(tx: &Transaction, tenant: &str, upn: &str) -> rusqlite::Result<String> {
    let purged: Option<i64> = tx
        .query_row(
            "SELECT max(at) FROM audit_log WHERE tenant_id = ?1 AND action = 'user.purge' AND subject = ?2 COLLATE NOCASE",
            params![tenant, upn],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(match purged {
        Some(_) => {
            "was deleted more than 30 days ago and has been purged; it can no longer be restored"
                .into()
        }
        None => "no such user in this tenant".into(),
    })
}

/// Soft-deletes one user: marked deleted, its seats released (the rows
/// stay, so a restore knows what to give back).
fn delete_one(tx: &Transaction, tenant: &str, u: &FoundUser, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE users SET state = 'deleted', deleted_at = ?3 WHERE id = ?1 AND tenant_id = ?2",
        params![u.id, tenant, now],
    )?;
    let freed = tx.execute(
        "UPDATE license_assignments SET state = 'released' WHERE user_id = ?1 AND state = 'assigned'",
        [&u.id],
    )?;
    audit(
        tx,
        tenant,
        now,
        "user.delete",
        &u.upn,
        &format!("{freed} seats freed"),
    )
}

/// Brings one deleted user back; their released licences come back where a
/// seat is free, and are dropped with a warning where none is.
fn restore_one(
    tx: &Transaction,
    tenant: &str,
    u: &FoundUser,
    now: i64,
) -> rusqlite::Result<Vec<String>> {
    tx.execute(
        "UPDATE users SET state = 'active', deleted_at = NULL WHERE id = ?1 AND tenant_id = ?2",
        params![u.id, tenant],
    )?;
    let released: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT sku FROM license_assignments WHERE user_id = ?1 AND state = 'released' ORDER BY sku",
        )?;
        stmt.query_map([&u.id], |r| r.get(0))?
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
                "UPDATE license_assignments SET state = 'assigned', assigned_at = ?3 WHERE user_id = ?1 AND sku = ?2",
                params![u.id, sku, now],
            )?;
        } else {
            tx.execute(
                "DELETE FROM license_assignments WHERE user_id = ?1 AND sku = ?2",
                params![u.id, sku],
            )?;
            warnings.push(format!(
                "restored without {sku}: no seat of it is available"
            ));
        }
    }
    audit(
        tx,
        tenant,
        now,
        "user.restore",
        &u.upn,
        &warnings.join("; "),
    )?;
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_fold_unicode_case() {
        assert_eq!(
            search_key("Zoë ÅNGSTRÖM", "Zoe@Contoso.com"),
            "zoë ångström zoe@contoso.com"
        );
    }
}
