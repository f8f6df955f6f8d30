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
use super::search::{self, Hit, Moves};
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
    /// The row's key in the store.
    pub key: i64,
    /// The GUID.
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub state: String,
    pub deleted_at: Option<i64>,
    pub search_key: String,
    /// The search block holding the user's entry.
    pub segment: i64,
    pub force_change_password: bool,
}

fn find(tx: &rusqlite::Connection, tenant: &str, upn: &str) -> rusqlite::Result<Option<FoundUser>> {
    tx.prepare_cached(
        "SELECT key, id, upn, display_name, first_name, last_name, state, deleted_at,
            search_key, segment, force_change_password
         FROM users WHERE tenant_id = ?1 AND upn = ?2",
    )?
    .query_row(params![tenant, upn], |r| {
        Ok(FoundUser {
            key: r.get(0)?,
            id: r.get(1)?,
            upn: r.get(2)?,
            display_name: r.get(3)?,
            first_name: r.get(4)?,
            last_name: r.get(5)?,
            state: r.get(6)?,
            deleted_at: r.get(7)?,
            search_key: r.get(8)?,
            segment: r.get(9)?,
            force_change_password: r.get(10)?,
        })
    })
    .optional()
}

/// Removes users deleted more than 30 days before `now`, inside `tx`.
pub fn purge_expired(tx: &Transaction, tenant: &str, now: i64) -> rusqlite::Result<Vec<String>> {
    let cutoff = now - RESTORE_WINDOW_SECS;
    let expired: Vec<(i64, String, i64, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT key, upn, segment, search_key FROM users
             WHERE tenant_id = ?1 AND state = 'deleted' AND deleted_at < ?2",
        )?;
        stmt.query_map(params![tenant, cutoff], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut moves = Moves::purged();
    for (key, upn, segment, search_key) in &expired {
        tx.prepare_cached("DELETE FROM license_assignments WHERE user_key = ?1")?
            .execute([key])?;
        tx.prepare_cached("DELETE FROM group_members WHERE user_key = ?1")?
            .execute([key])?;
        // Its key may be given out again: nobody keeps it as a manager.
        tx.prepare_cached("UPDATE users SET manager_key = NULL WHERE manager_key = ?1")?
            .execute([key])?;
        tx.prepare_cached("DELETE FROM role_assignments WHERE user_key = ?1")?
            .execute([key])?;
        tx.prepare_cached("DELETE FROM users WHERE key = ?1 AND tenant_id = ?2")?
            .execute(params![key, tenant])?;
        moves.push(*key, *segment, search_key);
        audit(
            tx,
            tenant,
            now,
            "user.purge",
            upn,
            "deleted more than 30 days ago",
        )?;
    }
    moves.apply(tx, tenant)?;
    Ok(expired.into_iter().map(|(_, upn, _, _)| upn).collect())
}

/// What `users list --search` looks in: the display name and the user
/// name, lower-cased with Unicode rules, display name first so the key
/// also sorts the list.
pub fn search_key(display_name: &str, upn: &str) -> String {
    let mut key = String::with_capacity(display_name.len() + 1 + upn.len());
    push_lowercase(&mut key, display_name);
    key.push(' ');
    push_lowercase(&mut key, upn);
    key
}

/// Appends `s` lower-cased: byte by byte when it is ASCII (user names
/// always are, display names mostly), else by Unicode's rules.
fn push_lowercase(out: &mut String, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.push_str(&s.to_lowercase());
    }
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

    /// Purges the tenant's expired deletions in a transaction of its own,
    /// for a command that only reads: nothing is locked when there is
    /// nothing to purge, and when another command holds the write lock the
    /// purge is left to the next command that writes (they all purge first),
    /// so a reader never waits.
    pub fn purge_unless_busy(&mut self, tenant: &str) -> Result<Vec<String>> {
        let now = self.now();
        let expired: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM users
                 WHERE tenant_id = ?1 AND state = 'deleted' AND deleted_at < ?2)",
            )?
            .query_row(params![tenant, now - RESTORE_WINDOW_SECS], |r| r.get(0))?;
        if !expired {
            return Ok(Vec::new());
        }
        self.conn.busy_timeout(std::time::Duration::ZERO)?;
        let purged = (|| -> Result<Vec<String>> {
            let tx = begin_write(self)?;
            let purged = purge_expired(&tx, tenant, now)?;
            tx.commit()?;
            Ok(purged)
        })();
        self.conn.busy_timeout(super::busy_timeout())?;
        match purged {
            Err(e) if e.exit_code() == 3 => Ok(Vec::new()),
            other => other,
        }
    }

    /// One page of the tenant's users, ordered by display name (their
    /// search key), with the number of users listed in all.
    pub fn list_users(
        &self,
        tenant: &str,
        status: StatusFilter,
        search: Option<&str>,
        page: u64,
        per_page: u64,
    ) -> Result<UserPage> {
        let states: &[&'static str] = match status {
            StatusFilter::Active => &["active"],
            StatusFilter::Deleted => &["deleted"],
            StatusFilter::All => &["active", "deleted"],
        };
        let term = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        let per_page = per_page.max(1);
        // The blocks are read whole; mapping the file spares SQLite a
        // read() per page of them.
        self.conn
            .query_row("PRAGMA mmap_size = 1073741824", [], |_| Ok(()))
            .optional()?;
        let (total, found) = match &term {
            None => (search::count(&self.conn, tenant, states)?, None),
            Some(t) => {
                let found = search::search(&self.conn, tenant, states, t, search::keep_matches())?;
                (found.total, Some(found.hits))
            }
        };
        let pages = total.div_ceil(per_page).max(1);
        // A page past the last is empty and keeps its number (SPEC §12).
        let page = page.max(1);
        let first = (page - 1).saturating_mul(per_page).min(i64::MAX as u64);
        let keys = match found {
            // Few matches: ordered here, their page looked up by key.
            Some(Some(hits)) => page_of(hits, first as usize, per_page as usize)
                .iter()
                .map(|h| user_by_search_key(&self.conn, tenant, h))
                .collect::<rusqlite::Result<_>>()?,
            // No search, or dense matches: the index in display order
            // reaches the page early.
            _ => walk(&self.conn, tenant, states, term.as_deref(), first, per_page)?,
        };
        let users = keys
            .iter()
            .map(|&key| list_row(&self.conn, tenant, key))
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
        self.change_each(
            tenant,
            upns,
            Moves::to("deleted"),
            |tx, upn, found, now, moved| {
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
                        moved.push(u.key, u.segment, &u.search_key);
                        Change::Done {
                            upn: u.upn,
                            warnings: vec![],
                        }
                    }
                })
            },
        )
    }

    /// Restores each named user deleted less than 30 days ago, with the
    /// licences they had where seats are free.
    pub fn restore_users(&mut self, tenant: &str, upns: &[String]) -> Result<Vec<Change>> {
        self.change_each(
            tenant,
            upns,
            Moves::to("active"),
            |tx, upn, found, now, moved| {
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
                        moved.push(u.key, u.segment, &u.search_key);
                        Change::Done {
                            upn: u.upn,
                            warnings,
                        }
                    }
                })
            },
        )
    }

    /// One write transaction for several named users: purges expired
    /// deletions, then lets `apply` decide each name's change, recording
    /// the users it moves in `moves`; their search entries move once, at
    /// the end.
    fn change_each(
        &mut self,
        tenant: &str,
        upns: &[String],
        mut moves: Moves,
        mut apply: impl FnMut(
            &Transaction,
            &str,
            Option<FoundUser>,
            i64,
            &mut Moves,
        ) -> rusqlite::Result<Change>,
    ) -> Result<Vec<Change>> {
        let now = self.now();
        let tx = begin_write(self)?;
        purge_expired(&tx, tenant, now)?;
        let mut out = Vec::with_capacity(upns.len());
        for upn in upns {
            let found = find(&tx, tenant, upn)?;
            out.push(apply(&tx, upn, found, now, &mut moves)?);
        }
        moves.apply(&tx, tenant)?;
        tx.commit()?;
        Ok(out)
    }

    /// Replaces a user's password hash and, when `force_change` is given,
    /// the force-change flag (otherwise it stays as it was); queues
    /// `messages` in the same transaction. Returns the user and the flag
    /// it now has.
    pub fn reset_password(
        &mut self,
        tenant: &str,
        upn: &str,
        password_hash: &str,
        force_change: Option<bool>,
        messages: &[QueuedMessage],
    ) -> Result<std::result::Result<(FoundUser, bool), String>> {
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
        let force_change: bool = tx.query_row(
            "UPDATE users SET password_hash = ?3,
                force_change_password = coalesce(?4, force_change_password)
             WHERE key = ?1 AND tenant_id = ?2 RETURNING force_change_password",
            params![user.key, tenant, password_hash, force_change],
            |r| r.get(0),
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
        Ok(Ok((user, force_change)))
    }

    /// A user of the tenant by name, active or deleted.
    pub fn find_user(&self, tenant: &str, upn: &str) -> Result<Option<FoundUser>> {
        Ok(find(&self.conn, tenant, upn)?)
    }
}

/// The hits from `first` on, at most `n`, in display order: only the
/// page is fully sorted.
fn page_of(mut hits: Vec<Hit>, first: usize, n: usize) -> Vec<Hit> {
    if first >= hits.len() {
        return Vec::new();
    }
    if first > 0 {
        hits.select_nth_unstable(first);
    }
    let mut rest = hits.split_off(first);
    if n < rest.len() {
        rest.select_nth_unstable(n);
        rest.truncate(n);
    }
    rest.sort_unstable();
    rest
}

/// The key of the tenant's user with this search key and state.
fn user_by_search_key(
    conn: &rusqlite::Connection,
    tenant: &str,
    hit: &Hit,
) -> rusqlite::Result<i64> {
    let key = std::str::from_utf8(&hit.key).map_err(rusqlite::Error::Utf8Error)?;
    conn.prepare_cached(
        "SELECT key FROM users WHERE tenant_id = ?1 AND state = ?2 AND search_key = ?3",
    )?
    .query_row(params![tenant, hit.state, key], |r| r.get(0))
}

/// `n` users from the `first`th on, in display order, of the tenant's
/// users in `states` whose search key contains `term` (all without one):
/// a walk of the ordered index that stops at the page. For both states
/// the two ranges of the index are merged.
fn walk(
    conn: &rusqlite::Connection,
    tenant: &str,
    states: &[&str],
    term: Option<&str>,
    first: u64,
    n: u64,
) -> rusqlite::Result<Vec<i64>> {
    let sql = match states {
        [_] => {
            "SELECT key FROM users INDEXED BY users_search
             WHERE tenant_id = ?1 AND state = ?2 AND instr(search_key, ?4) > 0
             ORDER BY search_key LIMIT ?5 OFFSET ?6"
        }
        _ => {
            "SELECT key, search_key FROM users INDEXED BY users_search
             WHERE tenant_id = ?1 AND state = ?2 AND instr(search_key, ?4) > 0
             UNION ALL
             SELECT key, search_key FROM users INDEXED BY users_search
             WHERE tenant_id = ?1 AND state = ?3 AND instr(search_key, ?4) > 0
             ORDER BY 2 LIMIT ?5 OFFSET ?6"
        }
    };
    let first_state = states.first().copied().unwrap_or("active");
    let second_state = states.get(1).copied().unwrap_or(first_state);
    // instr() of an empty term is 1: every user.
    let term = term.unwrap_or("");
    conn.prepare_cached(sql)?
        .query_map(
            params![
                tenant,
                first_state,
                second_state,
                term,
                n as i64,
                first as i64
            ],
            |r| r.get(0),
        )?
        .collect()
}

/// One row of the list.
fn list_row(conn: &rusqlite::Connection, tenant: &str, key: i64) -> rusqlite::Result<UserListRow> {
    conn.prepare_cached(
        "SELECT u.display_name, u.upn, u.state,
            (SELECT count(*) FROM license_assignments a
              WHERE a.user_key = u.key AND a.state = 'assigned')
         FROM users u WHERE u.key = ?1 AND u.tenant_id = ?2",
    )?
    .query_row(params![key, tenant], |r| {
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
        "UPDATE users SET state = 'deleted', deleted_at = ?3 WHERE key = ?1 AND tenant_id = ?2",
        params![u.key, tenant, now],
    )?;
    let freed = tx.execute(
        "UPDATE license_assignments SET state = 'released' WHERE user_key = ?1 AND state = 'assigned'",
        [u.key],
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
        assert_eq!(
            search_key("ADELE Vance", "Adele.Vance@X.com"),
            "adele vance adele.vance@x.com"
        );
        // Σ at the end of a word lower-cases to ς, as str::to_lowercase does.
        assert_eq!(search_key("ΟΔΟΣ", "a@b.c"), "οδος a@b.c");
    }
}
