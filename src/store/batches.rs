//! Applying a verified batch: one `BEGIN IMMEDIATE` transaction that inserts
//! the users, their licence seats and roles, the batch record, the audit
//! entries and the outgoing messages, or nothing at all (SPEC §7).
//!
//! Seats and user names were checked during verification, but another
//! commit may have run since; both are checked again inside the
//! transaction, where no other writer can interleave. Seats are re-counted
//! from the assignments; user names are guarded by the unique index; the
//! groups named and the managers that are users of the tenant are looked
//! up again (a manager deleted meanwhile refuses the batch).
//!
//! Each user's key is given before it is inserted (the largest key plus
//! one, in insert order), so a user whose manager is a later row of the
//! same batch gets that manager's key in its own insert.

use rayon::prelude::*;
use rusqlite::{ErrorCode, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::Store;
use super::audit::{audit, clamp};
use super::begin_write;
use super::licenses::{Subscription, subscriptions};
use super::outbox::{QueuedMessage, queue_message};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rules::NewUser;
#[cfg(doc)]
use crate::rules::checked::STORED;

/// The `batches` row.
#[derive(Debug)]
pub struct BatchRow<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    /// The file as given on the command line, `-` for standard input.
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    /// JSON of the shared settings.
    pub settings: &'a str,
    pub rows: u64,
    pub skipped: u64,
}

/// One user to insert, with everything decided but its GUID, which the
/// store gives in the order it inserts (see `insert_users`).
#[derive(Debug)]
pub struct UserRow<'a> {
    pub user: &'a NewUser,
    /// argon2id PHC string.
    pub password_hash: String,
    pub usage_location: &'a str,
    pub sign_in_blocked: bool,
    pub force_change_password: bool,
    pub manager: ManagerRow<'a>,
    /// Positions in [`BatchChanges::group_keys`].
    pub groups: &'a [u32],
}

/// Who a new user's manager is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerRow<'a> {
    None,
    /// An active user of the tenant, by user name.
    Existing(&'a str),
    /// Another user of the batch: its position in [`BatchChanges::users`].
    Batch(usize),
}

/// Everything one commit writes.
#[derive(Debug)]
pub struct BatchChanges<'a> {
    pub batch: BatchRow<'a>,
    pub users: Vec<UserRow<'a>>,
    /// SKUs as the store spells them; each user gets one seat of each.
    pub licenses: &'a [String],
    pub roles: &'a [&'a str],
    /// The store keys of the groups users name ([`UserRow::groups`]).
    pub group_keys: &'a [i64],
    pub messages: &'a [QueuedMessage],
}

/// What the transaction saw and did.
#[derive(Debug)]
pub struct Applied {
    /// The subscriptions after the batch (before it, for a dry run).
    pub subscriptions: Vec<Subscription>,
    pub committed: bool,
}

impl Store {
    /// Applies `c` in one transaction; rolls it back at the end when
    /// `dry_run`.
    ///
    /// SQLite's foreign-key enforcement is off for this one transaction
    /// (it can only be switched outside one) and on again after it, whether
    /// it committed or not. Every reference the batch writes is known to
    /// hold, and is checked once instead of per row: the tenant is read
    /// inside the transaction, the batch row is written first, the
    /// subscriptions are found inside the transaction, and the users' keys
    /// are checked to be the range just inserted. The per-row checks were
    /// five B-tree seeks a user, 11 % of the transaction's instructions
    /// (callgrind, 100k users: 6.07G with them, 5.37G without).
    pub fn apply_batch(
        &mut self,
        c: &BatchChanges,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<Applied> {
        let path = self.path().display().to_string();
        self.conn.pragma_update(None, "foreign_keys", false)?;
        let applied = self.apply_batch_inner(c, dry_run, progress);
        self.conn.pragma_update(None, "foreign_keys", true)?;
        applied.map_err(|e| match e {
            Error::Sql(e) if is_full(&e) => super::store_error(&path, e),
            e => e,
        })
    }

    fn apply_batch_inner(
        &mut self,
        c: &BatchChanges,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<Applied> {
        let now = self.now();
        // A big batch touches several indexes; a roomy page cache keeps the
        // transaction from spilling to the WAL page by page.
        self.conn.execute_batch("PRAGMA cache_size = -262144")?;
        let keyed = search_order(&c.users);
        let block = self.settings.search_block_bytes;
        let actor = self.actor().to_string();
        let tx = begin_write(self)?;
        let tenant = c.batch.tenant_id;
        let needed = c.users.len() as u64;
        let known: bool = tx
            .prepare_cached("SELECT 1 FROM tenants WHERE id = ?1")?
            .exists([tenant])?;
        if !known {
            return Err(Error::Refused(format!(
                "the tenant {tenant} was removed meanwhile; nothing was committed"
            )));
        }
        // Users deleted more than 30 days ago no longer hold their names.
        super::users::purge_expired(&tx, tenant, now, &actor, block)?;

        let before = subscriptions(&tx, tenant)?;
        for sku in c.licenses {
            let sub = before.iter().find(|s| &s.sku == sku).ok_or_else(|| {
                Error::Refused(format!(
                    "the subscription {sku} was removed meanwhile; nothing was committed"
                ))
            })?;
            if let Some(short) = sub.shortage(needed) {
                return Err(Error::Refused(format!(
                    "not enough seats: {short}; nothing was committed"
                )));
            }
        }

        tx.execute(
            "INSERT INTO batches (id, tenant_id, file_name, file_sha256, settings, rows, created, skipped,
                created_at, actor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                c.batch.id,
                tenant,
                c.batch.file_name,
                c.batch.file_sha256,
                c.batch.settings,
                c.batch.rows as i64,
                needed as i64,
                c.batch.skipped as i64,
                now,
                actor
            ],
        )?;
        insert_users(&tx, c, &keyed, now, &actor, block, progress)?;
        for m in c.messages {
            queue_message(&tx, tenant, Some(c.batch.id), m, now)?;
        }
        audit(
            &tx,
            tenant,
            now,
            &actor,
            "batch.commit",
            c.batch.id,
            &format!(
                "{} users from {} ({} rows skipped)",
                needed,
                match c.batch.file_name {
                    "-" => "standard input",
                    file => file,
                },
                c.batch.skipped
            ),
        )?;
        let after = subscriptions(&tx, tenant)?;
        // Ctrl-C before this point: the transaction rolls back on drop.
        if progress.cancelled() {
            return Err(Error::nothing_committed());
        }
        if dry_run {
            tx.rollback()?;
            return Ok(Applied {
                subscriptions: after,
                committed: false,
            });
        }
        tx.commit()?;
        Ok(Applied {
            subscriptions: after,
            committed: true,
        })
    }
}

/// A committed batch, as `batch list` and `batch show` show it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRecord {
    pub id: String,
    pub tenant: String,
    /// The file as given on the command line (`-` for standard input);
    /// batches committed before that was recorded hold the name without
    /// its folders (`<stdin>` for standard input).
    pub file: String,
    pub sha256: String,
    /// The shared settings: sign-in, usage location, licences, roles,
    /// force-change, recipients, welcome, skip-invalid.
    pub settings: serde_json::Value,
    /// Rows read from the file.
    pub rows: u64,
    pub created: u64,
    pub skipped: u64,
    /// `None` for batches committed before actors were recorded.
    pub actor: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub committed_at: i64,
}

const BATCH_COLUMNS: &str =
    "id, tenant_id, file_name, file_sha256, settings, rows, created, skipped, actor, created_at";

fn batch_record(r: &rusqlite::Row) -> rusqlite::Result<BatchRecord> {
    let settings: String = r.get(4)?;
    Ok(BatchRecord {
        id: r.get(0)?,
        tenant: r.get(1)?,
        file: r.get(2)?,
        sha256: r.get(3)?,
        // Written by the commit as JSON; kept as text if it ever is not.
        settings: serde_json::from_str(&settings).unwrap_or(serde_json::Value::String(settings)),
        rows: r.get(5)?,
        created: r.get(6)?,
        skipped: r.get(7)?,
        actor: r.get(8)?,
        committed_at: r.get(9)?,
    })
}

impl Store {
    /// The tenant's batches, newest first: `limit` of them from the
    /// `offset`th on, and how many there are in all.
    pub fn batches(
        &self,
        tenant: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<BatchRecord>)> {
        let total: u64 = self.conn.query_row(
            "SELECT count(*) FROM batches WHERE tenant_id = ?1",
            [tenant],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {BATCH_COLUMNS} FROM batches WHERE tenant_id = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let items = stmt
            .query_map(params![tenant, clamp(limit), clamp(offset)], batch_record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok((total, items))
    }

    /// The tenant's batch `id` (in any case: ids are lower-case GUIDs);
    /// `None` when the tenant has none of that id, even if another tenant
    /// has.
    pub fn batch(&self, tenant: &str, id: &str) -> Result<Option<BatchRecord>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE tenant_id = ?1 AND id = ?2"),
                params![tenant, id.trim().to_ascii_lowercase()],
                batch_record,
            )
            .optional()?)
    }
}

fn is_full(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull)
}

/// One user row. The values that are the same for the whole batch are
/// bound once, before the first row (bindings outlive `sqlite3_reset`);
/// the rest are bound per row, from `?4` on in this order (the user
/// values in [`STORED`] order).
///
/// One row per statement: a statement of several rows that may fail
/// half-way (the unique user names) keeps a statement journal of the
/// pages it changes, and consecutive statements change the same last
/// pages of each B-tree. Measured (2 cores, 100k users): 4 rows a
/// statement cut SQLite's instructions by 11 % but wrote 230k pages to
/// the temporary journal, and the transaction took 2.2 s against
/// 1.7-1.9 s with one row.
const INSERT_USER: &str = "INSERT INTO users (tenant_id, batch_id, created_at, key, id, upn,
    first_name, last_name, display_name, job_title, department, office_number, office_phone,
    mobile_phone, fax, alternate_email, address, city, state_or_province, postal_code, country,
    usage_location, sign_in_blocked, force_change_password, password_hash, manager_key,
    search_key, segment)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
        ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)";

/// Inserts the batch's users, their seats, roles, groups, search entries
/// and audit entries.
///
/// The users go in one [`INSERT_USER`] each; everything derived from them
/// goes in one `INSERT ... SELECT` per licence, per role and for the
/// audit, which keeps SQLite's cursors open across rows, so that rows
/// appended at the end of a B-tree do not cost a seek from its root each.
///
/// Users go in in search-key order: that key orders the list index, and
/// the user name (on which the name index is) mostly follows the display
/// name, so consecutive inserts land on the same index pages instead of
/// random ones. GUIDs are made here, time-ordered (v7) in insert order, and
/// the audit entries follow the same order.
fn insert_users(
    tx: &Transaction,
    c: &BatchChanges,
    keyed: &[(String, usize)],
    now: i64,
    actor: &str,
    block: usize,
    progress: &dyn Progress,
) -> Result<()> {
    let tenant = c.batch.tenant_id;
    let keys: Vec<&str> = keyed.iter().map(|(k, _)| k.as_str()).collect();
    let segments = super::search::add(tx, tenant, "active", &keys, block)?;
    let rows: Vec<(&str, &UserRow, i64)> = keyed
        .iter()
        .zip(segments)
        .map(|((key, i), segment)| (key.as_str(), &c.users[*i], segment))
        .collect();
    // The key of each user (by position in `c.users`): the largest key
    // plus one, in insert order. This transaction is the only writer.
    let next: i64 = tx.query_row("SELECT coalesce(max(key), 0) + 1 FROM users", [], |r| {
        r.get(0)
    })?;
    let mut user_key = vec![0i64; c.users.len()];
    for (k, (_, i)) in (next..).zip(keyed) {
        user_key[*i] = k;
    }
    let managers = existing_managers(tx, tenant, c)?;
    check_groups(tx, tenant, c)?;
    let keys = Keys {
        next,
        user_key: &user_key,
        managers: &managers,
    };
    let Some((first, last)) = insert_rows(tx, c, &rows, &keys, now, progress)? else {
        return Ok(());
    };
    // The batch's users are the keys from first to last. Checked, since
    // the licence and role rows rely on it.
    let in_range: i64 = tx.query_row(
        "SELECT count(*) FROM users WHERE key BETWEEN ?1 AND ?2",
        params![first, last],
        |r| r.get(0),
    )?;
    if in_range != rows.len() as i64 || last - first + 1 != in_range {
        return Err(Error::Internal(
            "the new users' keys are not consecutive; nothing was committed".into(),
        ));
    }
    per_user_rows(tx, c, &rows, next, first..=last, now, actor)
}

/// The keys the new users' rows take and point to.
struct Keys<'a> {
    /// The first new user's key; the others follow in insert order.
    next: i64,
    /// Each new user's key, by position in the batch.
    user_key: &'a [i64],
    /// The tenant's active users that are managers, by lower-cased name.
    managers: &'a std::collections::HashMap<String, i64>,
}

/// The users rows, in the order of `rows`; the first and last keys given
/// out, `None` for no row.
fn insert_rows(
    tx: &Transaction,
    c: &BatchChanges,
    rows: &[(&str, &UserRow, i64)],
    keys: &Keys,
    now: i64,
    progress: &dyn Progress,
) -> Result<Option<(i64, i64)>> {
    let tenant = c.batch.tenant_id;
    let mut range = None;
    // Kept for the whole loop: handing it back to the cache would free
    // its bound values' buffers.
    let mut insert = tx.prepare(INSERT_USER)?;
    insert.raw_bind_parameter(1, tenant)?;
    insert.raw_bind_parameter(2, c.batch.id)?;
    insert.raw_bind_parameter(3, now)?;
    let mut guid = uuid::Uuid::encode_buffer();
    for (&(key, r, segment), k) in rows.iter().zip(keys.next..) {
        if progress.cancelled() {
            return Err(Error::nothing_committed());
        }
        let u = r.user;
        let manager = match r.manager {
            ManagerRow::None => None,
            ManagerRow::Existing(upn) => keys.managers.get(&upn.to_ascii_lowercase()).copied(),
            ManagerRow::Batch(i) => keys.user_key.get(i).copied(),
        };
        let mut n = 3;
        let mut bind = |v: &dyn rusqlite::ToSql| {
            n += 1;
            insert.raw_bind_parameter(n, v)
        };
        bind(&k)?;
        bind(&&*uuid::Uuid::now_v7().hyphenated().encode_lower(&mut guid))?;
        for field in u.fields() {
            bind(&field)?;
        }
        bind(&r.usage_location)?;
        bind(&r.sign_in_blocked)?;
        bind(&r.force_change_password)?;
        bind(&r.password_hash)?;
        bind(&manager)?;
        bind(&key)?;
        bind(&segment)?;
        insert.raw_execute().map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
                taken_name(tx, tenant, r).unwrap_or(Error::Sql(e))
            }
            _ => Error::Sql(e),
        })?;
        let rowid = tx.last_insert_rowid();
        range.get_or_insert((rowid, rowid)).1 = rowid;
    }
    Ok(range)
}

/// What every user of the batch gets besides their row, one statement
/// each over the keys just given out: a seat of each licence, the roles,
/// the group memberships, the `user.create` audit entries.
fn per_user_rows(
    tx: &Transaction,
    c: &BatchChanges,
    rows: &[(&str, &UserRow, i64)],
    next: i64,
    keys: std::ops::RangeInclusive<i64>,
    now: i64,
    actor: &str,
) -> Result<()> {
    let tenant = c.batch.tenant_id;
    let (first, last) = (*keys.start(), *keys.end());
    for sku in c.licenses {
        tx.prepare_cached(
            "INSERT INTO license_assignments (user_key, tenant_id, sku, state, assigned_at)
             SELECT key, ?3, ?4, 'assigned', ?5 FROM users WHERE key BETWEEN ?1 AND ?2 ORDER BY key",
        )?
        .execute(params![first, last, tenant, sku, now])?;
    }
    for role in c.roles {
        tx.prepare_cached(
            "INSERT INTO role_assignments (user_key, role)
             SELECT key, ?3 FROM users WHERE key BETWEEN ?1 AND ?2 ORDER BY key",
        )?
        .execute(params![first, last, role])?;
    }
    // In key order, each at the end of the memberships' B-tree.
    let mut member =
        tx.prepare_cached("INSERT INTO group_members (user_key, group_key) VALUES (?1, ?2)")?;
    for (&(_, r, _), k) in rows.iter().zip(next..) {
        for &g in r.groups {
            member.execute(params![k, c.group_keys[g as usize]])?;
        }
    }
    tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, at, actor, action, subject, detail)
         SELECT ?3, ?4, ?6, 'user.create', upn, ?5 FROM users WHERE key BETWEEN ?1 AND ?2 ORDER BY key",
    )?
    .execute(params![first, last, tenant, now, c.batch.id, actor])?;
    Ok(())
}

/// The store keys of the active users of the tenant that the batch's
/// users have as managers, by lower-cased user name; a manager who is no
/// longer active (deleted since the file was verified) refuses the batch.
fn existing_managers(
    tx: &Transaction,
    tenant: &str,
    c: &BatchChanges,
) -> Result<std::collections::HashMap<String, i64>> {
    let mut keys = std::collections::HashMap::new();
    for r in &c.users {
        let ManagerRow::Existing(upn) = r.manager else {
            continue;
        };
        let name = upn.to_ascii_lowercase();
        if keys.contains_key(&name) {
            continue;
        }
        let key: Option<i64> = tx
            .prepare_cached(
                "SELECT key FROM users WHERE tenant_id = ?1 AND upn = ?2 AND state = 'active'",
            )?
            .query_row(params![tenant, upn], |row| row.get(0))
            .optional()?;
        let Some(key) = key else {
            return Err(Error::Refused(format!(
                "{upn}, the manager of {} (line {}), is no longer an active user of the tenant                  (deleted or purged after this file was verified); nothing was committed. Verify                  the file again",
                r.user.upn(),
                r.user.line
            )));
        };
        keys.insert(name, key);
    }
    Ok(keys)
}

/// Every group the batch's users name is still the tenant's.
fn check_groups(tx: &Transaction, tenant: &str, c: &BatchChanges) -> Result<()> {
    let mut used: Vec<u32> = c
        .users
        .iter()
        .flat_map(|r| r.groups.iter().copied())
        .collect();
    used.sort_unstable();
    used.dedup();
    for g in used {
        let key = c.group_keys.get(g as usize).copied().unwrap_or(0);
        let known = tx
            .prepare_cached("SELECT 1 FROM groups WHERE key = ?1 AND tenant_id = ?2")?
            .exists(params![key, tenant])?;
        if !known {
            return Err(Error::Refused(format!(
                "a group the file names was removed from tenant {tenant} after the file was                  verified; nothing was committed. Verify the file again"
            )));
        }
    }
    Ok(())
}

/// Each user's search key with the user's index in `users`, in key order:
/// the order [`insert_users`] takes. Made on all cores before the
/// transaction begins, so that the store is locked for less time.
fn search_order(users: &[UserRow]) -> Vec<(String, usize)> {
    let mut keyed: Vec<(String, usize)> = users
        .par_iter()
        .enumerate()
        .map(|(i, r)| (super::search::key(r.user.display_name(), r.user.upn()), i))
        .collect();
    keyed.par_sort_unstable();
    keyed
}

/// The refusal for a user whose insert broke the unique user names, when
/// another commit has created that name meanwhile.
fn taken_name(tx: &Transaction, tenant: &str, r: &UserRow) -> Option<Error> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM users WHERE tenant_id = ?1 AND upn = ?2")
        .ok()?
        .exists(params![tenant, r.user.upn()])
        .unwrap_or(false);
    exists.then(|| {
        Error::Refused(format!(
            "{} (line {}) was created by another commit after this file was verified; \
         nothing was committed. Verify the file again",
            r.user.upn(),
            r.user.line
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Create, Tenant};

    fn store_with_tenant(dir: &std::path::Path) -> Store {
        let mut store = Store::open(
            &dir.join("s.db"),
            Create::IfMissing,
            &super::super::Settings::default(),
        )
        .unwrap();
        store
            .add_tenant(&Tenant {
                id: "t".into(),
                name: "T".into(),
                default_domain: "t.onmicrosoft.com".into(),
                usage_location: "US".into(),
            })
            .unwrap();
        store.add_license("t", "SKU", 10, None).unwrap();
        store
    }

    fn changes<'a>(users: &'a [NewUser], tenant: &'a str) -> BatchChanges<'a> {
        BatchChanges {
            batch: BatchRow {
                id: "b1",
                tenant_id: tenant,
                file_name: "f.csv",
                file_sha256: "",
                settings: "{}",
                rows: users.len() as u64,
                skipped: 0,
            },
            users: users
                .iter()
                .map(|u| UserRow {
                    user: u,
                    password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
                    usage_location: "US",
                    sign_in_blocked: false,
                    force_change_password: true,
                    manager: ManagerRow::None,
                    groups: &[],
                })
                .collect(),
            licenses: &[],
            roles: &["user"],
            group_keys: &[],
            messages: &[],
        }
    }

    fn foreign_keys(store: &Store) -> bool {
        store
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_batch_keeps_every_reference_and_turns_checks_back_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_with_tenant(dir.path());
        let users = [
            NewUser::example("zoe", "t.onmicrosoft.com", "Zoë Z", 2),
            NewUser::example("adam", "t.onmicrosoft.com", "Adam A", 3),
        ];
        let skus = ["SKU".to_string()];
        let mut c = changes(&users, "t");
        c.licenses = &skus;
        let applied = store
            .apply_batch(&c, false, &crate::progress::Quiet)
            .unwrap();
        assert!(applied.committed);
        assert_eq!(applied.subscriptions[0].assigned, 2);
        assert!(foreign_keys(&store));
        let dangling: i64 = store
            .conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(dangling, 0);
        // Keys, seats, roles and audit entries follow the display names.
        let audit: Vec<String> = store
            .conn
            .prepare("SELECT subject FROM audit_log WHERE action = 'user.create' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(audit, ["adam@t.onmicrosoft.com", "zoe@t.onmicrosoft.com"]);
        // Each value in its column.
        let rows: Vec<(String, String, String)> = store
            .conn
            .prepare("SELECT upn, display_name, first_name FROM users ORDER BY key")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (
                    "adam@t.onmicrosoft.com".into(),
                    "Adam A".into(),
                    String::new()
                ),
                (
                    "zoe@t.onmicrosoft.com".into(),
                    "Zoë Z".into(),
                    String::new()
                )
            ]
        );
        let seats: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM license_assignments a JOIN users u ON u.key = a.user_key
                 WHERE u.tenant_id = 't'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(seats, 2);
    }

    #[test]
    fn managers_from_the_batch_and_the_tenant_and_one_deleted_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_with_tenant(dir.path());
        let boss = [NewUser::example("boss", "t.onmicrosoft.com", "Boss", 2)];
        store
            .apply_batch(&changes(&boss, "t"), false, &crate::progress::Quiet)
            .unwrap();
        // zoe reports to adam, a later row; adam to the tenant's boss.
        let users = [
            NewUser::example("zoe", "t.onmicrosoft.com", "Zoë Z", 2),
            NewUser::example("adam", "t.onmicrosoft.com", "Adam A", 3),
        ];
        let mut c = changes(&users, "t");
        c.batch.id = "b2";
        c.users[0].manager = ManagerRow::Batch(1);
        c.users[1].manager = ManagerRow::Existing("BOSS@t.onmicrosoft.com");
        store
            .apply_batch(&c, false, &crate::progress::Quiet)
            .unwrap();
        let pairs: Vec<(String, Option<String>)> = store
            .conn
            .prepare(
                "SELECT u.upn, m.upn FROM users u LEFT JOIN users m ON m.key = u.manager_key \
                 ORDER BY u.key",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let t = |a: &str| format!("{a}@t.onmicrosoft.com");
        assert_eq!(
            pairs,
            [
                (t("boss"), None),
                (t("adam"), Some(t("boss"))),
                (t("zoe"), Some(t("adam")))
            ]
        );
        // The boss is deleted after a file naming them was verified.
        store
            .conn
            .execute(
                "UPDATE users SET state = 'deleted', deleted_at = 0 WHERE upn = ?1",
                [t("boss")],
            )
            .unwrap();
        let late = [NewUser::example("eve", "t.onmicrosoft.com", "Eve", 2)];
        let mut c = changes(&late, "t");
        c.batch.id = "b3";
        c.users[0].manager = ManagerRow::Existing("boss@t.onmicrosoft.com");
        let before: i64 = store
            .conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        let err = store
            .apply_batch(&c, false, &crate::progress::Quiet)
            .unwrap_err();
        assert!(err.is_refused(), "{err}");
        assert!(
            err.to_string().contains("no longer an active user"),
            "{err}"
        );
        let after: i64 = store
            .conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn a_failed_batch_turns_checks_back_on_too() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_with_tenant(dir.path());
        let users = [NewUser::example("zoe", "x.onmicrosoft.com", "Zoë", 2)];
        let err = store
            .apply_batch(&changes(&users, "gone"), false, &crate::progress::Quiet)
            .unwrap_err();
        assert!(err.to_string().contains("removed meanwhile"), "{err}");
        assert!(foreign_keys(&store));
        let n: i64 = store
            .conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
