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
use super::audit::audit;
use super::begin_write;
use super::outbox::{QueuedMessage, queue_message};
use super::search::{self, Hit, Moves};
use crate::error::Result;
use crate::rules::{Existing, ExistingUsers};

/// How long a deleted user can be restored.
pub const RESTORE_WINDOW_SECS: i64 = 30 * 24 * 3600;

/// One row of `users list`.
#[derive(Debug, Clone, Serialize)]
pub struct UserListRow {
    /// The GUID.
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    /// `active` or `deleted`.
    pub status: String,
    /// Licences held.
    pub assigned: u32,
    pub licenses: Vec<String>,
    /// `allowed` or `blocked`.
    pub sign_in: String,
    pub roles: Vec<String>,
    /// Unix seconds; RFC 3339 in JSON.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub deleted_at: Option<i64>,
    /// Days left to restore a deleted user: 30 right after the deletion, 1
    /// during its last day (SPEC §13).
    pub days_left: Option<i64>,
}

/// What a users list shows besides a status and a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only users holding this licence.
    pub license: Option<String>,
    /// Only users holding no licence.
    pub unlicensed: bool,
    /// Only users whose sign-in is blocked (`Some(true)`) or allowed.
    pub sign_in_blocked: Option<bool>,
}

impl ListFilter {
    fn is_empty(&self) -> bool {
        *self == ListFilter::default()
    }
}

/// Days left to restore a user deleted at `deleted_at`, at `now`.
pub fn days_left(deleted_at: i64, now: i64) -> i64 {
    let whole_days = (now - deleted_at).max(0) / 86_400;
    (RESTORE_WINDOW_SECS / 86_400 - whole_days).max(0)
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

pub(super) fn find(
    tx: &rusqlite::Connection,
    tenant: &str,
    upn: &str,
) -> rusqlite::Result<Option<FoundUser>> {
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

/// Removes users deleted more than 30 days before `now`, inside `tx`
/// (`block` is the store's search block size); the audit entries name
/// `actor`, who ran the command that purged.
pub(super) fn purge_expired(
    tx: &Transaction,
    tenant: &str,
    now: i64,
    actor: &str,
    block: usize,
) -> Result<Vec<String>> {
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
            actor,
            "user.purge",
            upn,
            "deleted more than 30 days ago",
        )?;
    }
    moves.apply(tx, tenant, block)?;
    Ok(expired.into_iter().map(|(_, upn, _, _)| upn).collect())
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
        let block = self.settings.search_block_bytes;
        let actor = self.actor().to_string();
        self.conn.busy_timeout(std::time::Duration::ZERO)?;
        let purged = (|| -> Result<Vec<String>> {
            let tx = begin_write(self)?;
            let purged = purge_expired(&tx, tenant, now, &actor, block)?;
            tx.commit()?;
            Ok(purged)
        })();
        self.conn.busy_timeout(self.settings.busy_timeout)?;
        match purged {
            Err(e) if e.is_refused() => Ok(Vec::new()),
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
        filter: &ListFilter,
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
        let page = page.max(1);
        let first = (page - 1).saturating_mul(per_page).min(i64::MAX as u64);
        let now = self.now();
        if !filter.is_empty() {
            // Licences and sign-in are not in the search blocks: one query,
            // in display order.
            let (total, keys) = filtered(
                &self.conn,
                tenant,
                states,
                term.as_deref(),
                filter,
                first,
                per_page,
            )?;
            let users = keys
                .iter()
                .map(|&key| list_row(&self.conn, tenant, key, now))
                .collect::<rusqlite::Result<_>>()?;
            return Ok(UserPage {
                page,
                pages: total.div_ceil(per_page).max(1),
                per_page,
                total,
                users,
            });
        }
        // The blocks are read whole; mapping the file spares SQLite a
        // read() per page of them.
        self.conn
            .query_row("PRAGMA mmap_size = 1073741824", [], |_| Ok(()))
            .optional()?;
        let (total, found) = match &term {
            None => (search::count(&self.conn, tenant, states)?, None),
            Some(t) => {
                let found =
                    search::search(&self.conn, tenant, states, t, self.settings.search_keep)?;
                (found.total, Some(found.hits))
            }
        };
        // A page past the last is empty and keeps its number (SPEC §12).
        let pages = total.div_ceil(per_page).max(1);
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
            .map(|&key| list_row(&self.conn, tenant, key, now))
            .collect::<rusqlite::Result<_>>()?;
        Ok(UserPage {
            page,
            pages,
            per_page,
            total,
            users,
        })
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
        let block = self.settings.search_block_bytes;
        let actor = self.actor().to_string();
        let tx = begin_write(self)?;
        purge_expired(&tx, tenant, now, &actor, block)?;
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
            queue_message(&tx, tenant, None, m, now)?;
        }
        audit(
            &tx,
            tenant,
            now,
            &actor,
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

/// Every field of one user (SPEC §13 `users show`).
#[derive(Debug, Clone, Serialize)]
pub struct UserDetail {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub department: String,
    pub office_number: String,
    pub office_phone: String,
    pub mobile_phone: String,
    pub fax: String,
    pub alternate_email: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub usage_location: String,
    /// `active` or `deleted`.
    pub status: String,
    /// `allowed` or `blocked`.
    pub sign_in: String,
    pub force_change_password: bool,
    pub licenses: Vec<String>,
    pub roles: Vec<String>,
    /// The batch that created the user.
    pub batch: Option<String>,
    /// Unix seconds; RFC 3339 in JSON.
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub deleted_at: Option<i64>,
    pub days_left: Option<i64>,
}

impl Store {
    /// One user of the tenant by name, every field.
    pub fn user_detail(&self, tenant: &str, upn: &str) -> Result<Option<UserDetail>> {
        let Some(found) = find(&self.conn, tenant, upn)? else {
            return Ok(None);
        };
        let row = list_row(&self.conn, tenant, found.key, self.now())?;
        let detail = self
            .conn
            .prepare_cached(
                "SELECT first_name, last_name, job_title, department, office_number,
                    office_phone, mobile_phone, fax, alternate_email, address, city,
                    state_or_province, postal_code, country, usage_location,
                    force_change_password, batch_id, created_at
                 FROM users WHERE key = ?1 AND tenant_id = ?2",
            )?
            .query_row(params![found.key, tenant], |r| {
                Ok(UserDetail {
                    id: row.id.clone(),
                    user_name: row.user_name.clone(),
                    display_name: row.display_name.clone(),
                    first_name: r.get(0)?,
                    last_name: r.get(1)?,
                    job_title: r.get(2)?,
                    department: r.get(3)?,
                    office_number: r.get(4)?,
                    office_phone: r.get(5)?,
                    mobile_phone: r.get(6)?,
                    fax: r.get(7)?,
                    alternate_email: r.get(8)?,
                    address: r.get(9)?,
                    city: r.get(10)?,
                    state: r.get(11)?,
                    postal_code: r.get(12)?,
                    country: r.get(13)?,
                    usage_location: r.get(14)?,
                    status: row.status.clone(),
                    sign_in: row.sign_in.clone(),
                    force_change_password: r.get(15)?,
                    licenses: row.licenses.clone(),
                    roles: row.roles.clone(),
                    batch: r.get(16)?,
                    created_at: r.get(17)?,
                    deleted_at: row.deleted_at,
                    days_left: row.days_left,
                })
            })?;
        Ok(Some(detail))
    }
}

/// The keys of one page of users in `states` passing `filter` (and
/// containing `term`), in display order, and how many pass in all.
fn filtered(
    conn: &rusqlite::Connection,
    tenant: &str,
    states: &[&str],
    term: Option<&str>,
    filter: &ListFilter,
    first: u64,
    n: u64,
) -> rusqlite::Result<(u64, Vec<i64>)> {
    const WHERE: &str = "FROM users u WHERE u.tenant_id = ?1 AND u.state IN (?2, ?3)
        AND instr(u.search_key, ?4) > 0
        AND (?5 IS NULL OR u.sign_in_blocked = ?5)
        AND (?6 IS NULL OR EXISTS (SELECT 1 FROM license_assignments a
             WHERE a.user_key = u.key AND a.sku = ?6 AND a.state = 'assigned'))
        AND (?7 = 0 OR NOT EXISTS (SELECT 1 FROM license_assignments a
             WHERE a.user_key = u.key AND a.state = 'assigned'))";
    let first_state = states.first().copied().unwrap_or("active");
    let second_state = states.get(1).copied().unwrap_or(first_state);
    let args = params![
        tenant,
        first_state,
        second_state,
        term.unwrap_or(""),
        filter.sign_in_blocked,
        filter.license,
        filter.unlicensed,
    ];
    let total: u64 = conn
        .prepare_cached(&format!("SELECT count(*) {WHERE}"))?
        .query_row(args, |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT u.key {WHERE} ORDER BY u.search_key LIMIT ?8 OFFSET ?9"
    ))?;
    let keys = stmt
        .query_map(
            params![
                tenant,
                first_state,
                second_state,
                term.unwrap_or(""),
                filter.sign_in_blocked,
                filter.license,
                filter.unlicensed,
                n as i64,
                first as i64
            ],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok((total, keys))
}

/// One row of the list.
fn list_row(
    conn: &rusqlite::Connection,
    tenant: &str,
    key: i64,
    now: i64,
) -> rusqlite::Result<UserListRow> {
    let licenses: Vec<String> = conn
        .prepare_cached(
            "SELECT sku FROM license_assignments WHERE user_key = ?1 AND state = 'assigned'
             ORDER BY sku",
        )?
        .query_map([key], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let roles: Vec<String> = conn
        .prepare_cached("SELECT role FROM role_assignments WHERE user_key = ?1 ORDER BY role")?
        .query_map([key], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached(
        "SELECT u.id, u.display_name, u.upn, u.state, u.sign_in_blocked, u.deleted_at
         FROM users u WHERE u.key = ?1 AND u.tenant_id = ?2",
    )?
    .query_row(params![key, tenant], |r| {
        let deleted_at: Option<i64> = r.get(5)?;
        let blocked: bool = r.get(4)?;
        Ok(UserListRow {
            id: r.get(0)?,
            display_name: r.get(1)?,
            user_name: r.get(2)?,
            status: r.get(3)?,
            assigned: licenses.len() as u32,
            licenses,
            sign_in: if blocked { "blocked" } else { "allowed" }.into(),
            roles,
            days_left: deleted_at.map(|at| days_left(at, now)),
            deleted_at,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_fold_unicode_case() {
        assert_eq!(
            search::key("Zoë ÅNGSTRÖM", "Zoe@Contoso.com"),
            "zoë ångström zoe@contoso.com"
        );
        assert_eq!(
            search::key("ADELE Vance", "Adele.Vance@X.com"),
            "adele vance adele.vance@x.com"
        );
        // Σ at the end of a word lower-cases to ς, as str::to_lowercase does.
        assert_eq!(search::key("ΟΔΟΣ", "a@b.c"), "οδος a@b.c");
    }
}
