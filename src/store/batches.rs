//! Applying a verified batch: one `BEGIN IMMEDIATE` transaction that inserts
//! the users, their licence seats and roles, the batch record, the audit
//! entries and the outgoing messages, or nothing at all (SPEC §7).
//!
//! Seats and user names were checked during verification, but another
//! commit may have run since; both are checked again inside the
//! transaction, where no other writer can interleave. Seats are re-counted
//! from the assignments; user names are guarded by the unique index.

use rusqlite::{ErrorCode, Transaction, TransactionBehavior, params};

use super::Store;
use super::licenses::{Subscription, subscriptions};
use super::tenants::audit;
use crate::error::{Error, Result, is_busy};
use crate::rules::NewUser;

/// The `batches` row.
#[derive(Debug)]
pub struct BatchRow<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    /// JSON of the shared settings.
    pub settings: &'a str,
    pub rows: u64,
    pub skipped: u64,
}

/// One user to insert, with everything decided.
#[derive(Debug)]
pub struct UserRow<'a> {
    pub id: String,
    pub user: &'a NewUser,
    /// argon2id PHC string.
    pub password_hash: String,
    pub usage_location: &'a str,
    pub sign_in_blocked: bool,
}

/// A message to queue in the outbox.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub message_id: String,
    pub kind: &'static str,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Everything one commit writes.
#[derive(Debug)]
pub struct BatchChanges<'a> {
    pub batch: BatchRow<'a>,
    pub users: Vec<UserRow<'a>>,
    /// SKUs as the store spells them; each user gets one seat of each.
    pub licenses: &'a [String],
    pub roles: &'a [&'a str],
    pub force_change_password: bool,
    pub messages: &'a [QueuedMessage],
}

/// What the transaction saw and did.
#[derive(Debug)]
pub struct Applied {
    /// The subscriptions after the batch (before it, for a dry run).
    pub subscriptions: Vec<Subscription>,
    pub committed: bool,
}

/// Opens a write transaction, waiting for other writers up to the busy
/// timeout; a timeout is a refusal (exit 3), not a crash.
pub fn begin_write(store: &mut Store) -> Result<Transaction<'_>> {
    let path = store.path().display().to_string();
    store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| {
            if is_busy(&e) {
                Error::Refused(format!(
                    "the store {path} is locked by another writer and stayed locked for {}; \
                 nothing was written. Try again when the other command has finished",
                    super::shown_secs(super::busy_timeout())
                ))
            } else {
                Error::Sql(e)
            }
        })
}

impl Store {
    /// Applies `c` in one transaction; rolls it back at the end when
    /// `dry_run`.
    pub fn apply_batch(&mut self, c: &BatchChanges, dry_run: bool) -> Result<Applied> {
        let path = self.path().display().to_string();
        self.apply_batch_inner(c, dry_run).map_err(|e| match e {
            Error::Sql(e) if is_full(&e) => super::store_error(&path, e),
            e => e,
        })
    }

    fn apply_batch_inner(&mut self, c: &BatchChanges, dry_run: bool) -> Result<Applied> {
        let now = self.now();
        // A big batch touches several indexes; a roomy page cache keeps the
        // transaction from spilling to the WAL page by page.
        self.conn.execute_batch("PRAGMA cache_size = -262144")?;
        let tx = begin_write(self)?;
        let tenant = c.batch.tenant_id;
        let needed = c.users.len() as u64;
        // Users deleted more than 30 days ago no longer hold their names.
        super::users::purge_expired(&tx, tenant, now)?;

        let before = subscriptions(&tx, tenant)?;
        for sku in c.licenses {
            let sub = before.iter().find(|s| &s.sku == sku).ok_or_else(|| {
                Error::Refused(format!(
                    "the subscription {sku} was removed meanwhile; nothing was committed"
                ))
            })?;
            if sub.available < needed {
                return Err(Error::Refused(format!(
                    "not enough seats: {}: {} available, {} needed; nothing was committed",
                    sub.sku, sub.available, needed
                )));
            }
        }

        tx.execute(
            "INSERT INTO batches (id, tenant_id, file_name, file_sha256, settings, rows, created, skipped, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.batch.id,
                tenant,
                c.batch.file_name,
                c.batch.file_sha256,
                c.batch.settings,
                c.batch.rows as i64,
                needed as i64,
                c.batch.skipped as i64,
                now
            ],
        )?;
        insert_users(&tx, c, now)?;
        for m in c.messages {
            queue_message(&tx, tenant, Some(c.batch.id), m, now)?;
        }
        audit(
            &tx,
            tenant,
            now,
            "batch.commit",
            c.batch.id,
            &format!(
                "{} users from {} ({} rows skipped)",
                needed, c.batch.file_name, c.batch.skipped
            ),
        )?;
        let after = subscriptions(&tx, tenant)?;
        // Ctrl-C before this point: the transaction rolls back on drop.
        crate::interrupt::check()?;
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

fn is_full(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull)
}

/// Inserts one outbox row inside the caller's transaction.
pub fn queue_message(
    tx: &rusqlite::Connection,
    tenant: &str,
    batch: Option<&str>,
    m: &QueuedMessage,
    now: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (message_id, tenant_id, batch_id, kind, sender, recipient, subject,
            body_text, body_html, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        m.message_id,
        tenant,
        batch,
        m.kind,
        m.sender,
        m.recipient,
        m.subject,
        m.text,
        m.html,
        now
    ])?;
    Ok(())
}

fn insert_users(tx: &Transaction, c: &BatchChanges, now: i64) -> Result<()> {
    let tenant = c.batch.tenant_id;
    let mut insert = tx.prepare_cached(
        "INSERT INTO users (id, tenant_id, upn, display_name, first_name, last_name, job_title,
            department, office_number, office_phone, mobile_phone, fax, alternate_email, address,
            city, state_or_province, postal_code, country, usage_location, sign_in_blocked,
            password_hash, force_change_password, batch_id, created_at, search_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
    )?;
    let mut seat = tx.prepare_cached(
        "INSERT INTO license_assignments (user_id, tenant_id, sku, state, assigned_at)
         VALUES (?1, ?2, ?3, 'assigned', ?4)",
    )?;
    let mut role =
        tx.prepare_cached("INSERT INTO role_assignments (user_id, role) VALUES (?1, ?2)")?;
    for r in &c.users {
        crate::interrupt::check()?;
        let u = r.user;
        insert
            .execute(params![
                r.id,
                tenant,
                u.upn,
                u.display_name,
                u.first_name,
                u.last_name,
                u.job_title,
                u.department,
                u.office_number,
                u.office_phone,
                u.mobile_phone,
                u.fax,
                u.alternate_email,
                u.address,
                u.city,
                u.state,
                u.postal_code,
                u.country,
                r.usage_location,
                r.sign_in_blocked,
                r.password_hash,
                c.force_change_password,
                c.batch.id,
                now,
                super::users::search_key(&u.display_name, &u.upn)
            ])
            .map_err(|e| match &e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == ErrorCode::ConstraintViolation =>
                {
                    Error::Refused(format!(
                        "{} (line {}) was created by another commit after this file was verified; \
                         nothing was committed. Verify the file again",
                        u.upn, u.line
                    ))
                }
                _ => Error::Sql(e),
            })?;
        for sku in c.licenses {
            seat.execute(params![r.id, tenant, sku, now])?;
        }
        for name in c.roles {
            role.execute(params![r.id, name])?;
        }
        audit(tx, tenant, now, "user.create", &u.upn, c.batch.id)?;
    }
    Ok(())
}
