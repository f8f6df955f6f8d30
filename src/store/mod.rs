//! The embedded store: one SQLite file (SPEC §1).
//!
//! Opening creates the file with mode 0600 (it holds password hashes and,
//! until delivery, queued messages with temporary passwords), turns on WAL,
//! `secure_delete` and foreign keys, and applies the numbered migrations in
//! `migrations/` that the file has not seen (tracked in `user_version`).
//! Write helpers take a `&Transaction`; a dropped transaction rolls back, so
//! an early `?` never leaves half a change.

pub mod audit;
pub mod batches;
pub mod changes;
pub mod groups;
pub mod licenses;
pub mod outbox;
pub mod search;
pub mod tenants;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

pub use licenses::Subscription;
pub use tenants::{Domain, Tenant};

/// Numbered migrations, applied in order; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_users_search.sql"),
    include_str!("migrations/0003_user_keys_search_segments.sql"),
    include_str!("migrations/0004_outbox_delivery.sql"),
    include_str!("migrations/0005_audit_actor.sql"),
    include_str!("migrations/0006_groups_managers.sql"),
];

/// The schema version of a store this binary has opened (`user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The page size of a new store, in bytes (SQLite's default is 4096).
///
/// A commit writes every page it changes twice: to the WAL, then, at the
/// checkpoint, to the store. Bigger pages mean fewer of them: fewer WAL
/// frames with their headers and checksums, fewer system calls, and
/// B-trees a level shallower. Measured on 2 cores, the transaction of a
/// 100k-user commit into a store that already holds a 10k-user tenant
/// (three runs each): 4 KiB 1.25-1.39 s, 16 KiB 1.06-1.16 s, 32 KiB
/// 0.93-1.01 s, 64 KiB 0.90-1.02 s. 32 KiB takes the gain and keeps the
/// WAL of a small change (a deleted user, a reset password: a few pages)
/// small. An existing store keeps the page size it was made with: SQLite
/// can change it only by rebuilding the whole file (`VACUUM`, outside WAL
/// mode), and both sizes work.
pub const PAGE_SIZE: u32 = 32768;

/// The actor of a store whose face named none: a library caller or a
/// test. The faces always name one (`cli::actor`, the web face's admin).
pub const DEFAULT_ACTOR: &str = "unknown";

/// How long a writer waits for another one before giving up (exit 3).
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a store behaves, given by the face's Config (the store reads no
/// environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How long a writer waits for another one before giving up (exit 3).
    pub busy_timeout: Duration,
    /// Seconds since the epoch to use as "now"; `None` reads the clock. A
    /// test hook: only test builds set it (to move through the 30-day
    /// rules without waiting).
    pub now: Option<i64>,
    /// A cap on the store's size in pages (SQLite `max_page_count`), so
    /// that "disk full" can be tested without filling a disk. A test hook.
    pub max_page_count: Option<u64>,
    /// The size of a search block ([`search::BLOCK_BYTES`]); tests set it
    /// low to spread a few users over many blocks.
    pub search_block_bytes: usize,
    /// The most matches ordered in memory ([`search::KEEP_MATCHES`]); tests
    /// set it low to take the dense path with a few users.
    pub search_keep: usize,
    /// Who acts: recorded with every audit entry and batch this store
    /// writes (SPEC §13).
    pub actor: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            now: None,
            max_page_count: None,
            search_block_bytes: search::BLOCK_BYTES,
            search_keep: search::KEEP_MATCHES,
            actor: DEFAULT_ACTOR.to_string(),
        }
    }
}

/// A duration for messages: "10 s", "0.25 s".
pub fn shown_secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// Opens a write transaction, waiting for other writers up to the busy
/// timeout; a timeout is a refusal (exit 3), not a crash.
pub fn begin_write(store: &mut Store) -> Result<Transaction<'_>> {
    let path = store.path().display().to_string();
    store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| {
            if crate::error::is_busy(&e) {
                Error::Refused(format!(
                    "the store {path} is locked by another writer and stayed locked for {}; \
                 nothing was written. Try again when the other command has finished",
                    shown_secs(store.settings.busy_timeout)
                ))
            } else {
                Error::Sql(e)
            }
        })
}

/// Whether opening may create a missing store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    IfMissing,
    No,
}

/// An open store. Its connection is its own: everything goes through its
/// methods.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    settings: Settings,
}

impl Store {
    pub fn open(path: &Path, create: Create, settings: &Settings) -> Result<Store> {
        let shown = path.display().to_string();
        if !path.exists() {
            if create == Create::No {
                return Err(Error::Store {
                    path: shown,
                    message: "no store here yet; create a tenant first with `onboard tenant add`, \
                              or point --db / ONBOARD_DB at your store"
                        .into(),
                });
            }
            // Another process may create it at the same moment: then both
            // open the one file.
            create_private_file(path)?;
        }
        let store = Store::connect(path, settings)?;
        retry_busy(settings.busy_timeout, || store.migrate()).map_err(|e| match e {
            Migrate::Newer => Error::Store {
                path: shown.clone(),
                message: "was written by a newer version of onboard; upgrade onboard to use it"
                    .into(),
            },
            Migrate::Sql(e) => store_error(&shown, e),
        })?;
        Ok(store)
    }

    /// Another connection to the same store, configured like the first
    /// (migrations were applied when the first was opened). Delivery
    /// threads each take one, so that claiming, sending and recording a
    /// message happen on one thread.
    pub fn reconnect(&self) -> Result<Store> {
        Store::connect(&self.path, &self.settings)
    }

    fn connect(path: &Path, settings: &Settings) -> Result<Store> {
        let shown = path.display().to_string();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| store_error(&shown, e))?;
        // SQLite falls back to read-only when the file cannot be opened for
        // writing; every command that opens the store may write to it.
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::Store {
                path: shown,
                message: "is read-only (check its permissions and attributes); nothing was changed"
                    .into(),
            });
        }
        conn.busy_timeout(settings.busy_timeout)
            .map_err(|e| store_error(&shown, e))?;
        // Every connection asks for the page size before its first access:
        // it decides only for the connection that writes the first page of
        // a new file, and is ignored for a file that has pages already (the
        // size in its header wins). So whichever of several processes
        // opening a new store at once writes first, the store gets
        // PAGE_SIZE, and no process needs to know whether it created the
        // file. (SQLite would apply a changed size at a VACUUM outside WAL
        // mode; onboard never runs one.)
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(|e| store_error(&shown, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            settings: settings.clone(),
        };
        retry_busy(settings.busy_timeout, || store.configure())
            .map_err(|e| store_error(&shown, e))?;
        Ok(store)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        // `journal_mode` returns a row, so it is queried, not executed.
        let _: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        self.conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;",
        )?;
        // The test hook's cap: SQLite then answers SQLITE_FULL.
        if let Some(pages) = self.settings.max_page_count {
            let _: i64 =
                self.conn
                    .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                        r.get(0)
                    })?;
        }
        Ok(())
    }

    /// Applies the migrations the store has not seen, each in its own
    /// `BEGIN IMMEDIATE` transaction. The version is read again inside
    /// that transaction, where no other writer can interleave: of several
    /// processes opening a new or old store at once, the first applies a
    /// migration and the others, once they get the lock, find it applied.
    fn migrate(&self) -> std::result::Result<(), Migrate> {
        let version = |c: &Connection| -> rusqlite::Result<usize> {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
        };
        // Read without the lock first: an up-to-date store (every command
        // but the first) takes no write lock to find out.
        if version(&self.conn)? == MIGRATIONS.len() {
            return Ok(());
        }
        loop {
            let tx = rusqlite::Transaction::new_unchecked(
                &self.conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            let v = version(&tx)?;
            if v > MIGRATIONS.len() {
                return Err(Migrate::Newer);
            }
            if v == MIGRATIONS.len() {
                return Ok(tx.commit()?);
            }
            tx.execute_batch(MIGRATIONS[v])?;
            tx.pragma_update(None, "user_version", v + 1)?;
            tx.commit()?;
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.settings.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }

    /// Who acts, as the audit entries record it.
    pub fn actor(&self) -> &str {
        &self.settings.actor
    }

    /// Pins "now" (tests of time-dependent rules).
    pub fn set_now(&mut self, now: i64) {
        self.settings.now = Some(now);
    }

    /// Makes this connection's own commits durable without an fsync each
    /// (WAL mode keeps them atomic): for the tiny claims and marks of a
    /// delivery thread, where a mark lost to a power cut means one more
    /// delivery with the same Message-ID.
    pub fn relax_sync(&self) -> Result<()> {
        Ok(self.conn.execute_batch("PRAGMA synchronous = NORMAL")?)
    }
}

/// Why migrating failed.
enum Migrate {
    /// The store's schema is newer than this binary's.
    Newer,
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Migrate {
    fn from(e: rusqlite::Error) -> Self {
        Migrate::Sql(e)
    }
}

/// Runs `f` again while SQLite answers "busy" without waiting, up to the
/// busy timeout. Opening a store that another process is creating at the
/// same moment meets such answers: switching a new file to WAL mode takes
/// an exclusive lock, and a connection that opens the file meanwhile is
/// told "database is locked" at once rather than through the busy handler.
fn retry_busy<T, E: AsBusy>(
    timeout: Duration,
    mut f: impl FnMut() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match f() {
            Err(e) if e.is_busy() && std::time::Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// An error that may be SQLite's "busy".
trait AsBusy {
    fn is_busy(&self) -> bool;
}

impl AsBusy for rusqlite::Error {
    fn is_busy(&self) -> bool {
        crate::error::is_busy(self)
    }
}

impl AsBusy for Migrate {
    fn is_busy(&self) -> bool {
        matches!(self, Migrate::Sql(e) if crate::error::is_busy(e))
    }
}

/// Creates an empty file only its owner can read and write. A file that
/// another process created meanwhile is left as it is: both then open it.
fn create_private_file(path: &Path) -> Result<()> {
    let shown = path.display().to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Error::Store {
            path: shown,
            message: format!("the folder {} does not exist", dir.display()),
        });
    }
    match crate::files::private_file_options().open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(&shown, e)),
    }
}

pub(crate) fn store_error(path: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let message = match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase => {
            "is not an onboard store (not a SQLite database); nothing was changed".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ReadOnly => {
            "is read-only (check its permissions and attributes); nothing was changed".to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::CannotOpen => {
            "cannot be opened (check that its folder exists and is writable); nothing was changed"
                .to_string()
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull => {
            "the disk is full (or the store reached its size limit); the transaction was rolled \
             back and nothing was committed. Free some space and run the command again"
                .to_string()
        }
        _ => e.to_string(),
    };
    Error::Store {
        path: path.into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_store_with_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = Store::open(&path, Create::IfMissing, &Settings::default()).unwrap();
        let v: usize = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len());
        let page: u32 = store
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(page, PAGE_SIZE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store);
        // Reopening applies nothing twice.
        Store::open(&path, Create::No, &Settings::default()).unwrap();
    }

    #[test]
    fn migration_0003_rebuilds_a_0002_store_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        create_private_file(&path).unwrap();
        let c = Connection::open(&path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.execute_batch(MIGRATIONS[1]).unwrap();
        c.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO tenants VALUES ('a', 'A', 'a.onmicrosoft.com', 'US', 0);
             INSERT INTO tenants VALUES ('b', 'B', 'b.onmicrosoft.com', 'US', 0);
             INSERT INTO subscriptions VALUES ('a', 'SKU', 'Sku', 5, 0);
             INSERT INTO users (id, tenant_id, upn, display_name, usage_location, password_hash,
                 state, created_at, search_key)
             VALUES ('g1', 'a', 'zoe@a.onmicrosoft.com', 'Zoë Smith', 'US', 'h', 'active', 0,
                     'zoë smith zoe@a.onmicrosoft.com'),
                    ('g2', 'a', 'bob@x.com', 'Bob Smith', 'US', 'h', 'deleted', 0,
                     'bob smith bob@x.com'),
                    ('g3', 'b', 'zoe@b.onmicrosoft.com', 'Zoë Smith', 'US', 'h', 'active', 0,
                     'zoë smith zoe@b.onmicrosoft.com');
             INSERT INTO license_assignments VALUES ('g1', 'a', 'SKU', 'assigned', 0);
             INSERT INTO license_assignments VALUES ('g2', 'a', 'SKU', 'released', 0);
             INSERT INTO role_assignments VALUES ('g2', 'user');",
        )
        .unwrap();
        drop(c);
        let store = Store::open(&path, Create::No, &Settings::default()).unwrap();
        let keys: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT key, id FROM users ORDER BY key")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(keys, [(1, "g1".into()), (2, "g2".into()), (3, "g3".into())]);
        let seats: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT user_key, state FROM license_assignments ORDER BY user_key")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(seats, [(1, "assigned".into()), (2, "released".into())]);
        for t in ["a", "b"] {
            assert_eq!(
                search::problems(&store.conn, t).unwrap(),
                Vec::<String>::new()
            );
        }
        let all = users::StatusFilter::All;
        let page = store
            .list_users("a", all, Some("SMITH"), &Default::default(), 1, 20)
            .unwrap();
        let names: Vec<&str> = page.users.iter().map(|u| u.user_name.as_str()).collect();
        assert_eq!(names, ["bob@x.com", "zoe@a.onmicrosoft.com"]);
        assert_eq!(page.users[1].assigned, 1);
        let page = store
            .list_users("a", all, Some("h zoe@a"), &Default::default(), 1, 20)
            .unwrap();
        assert_eq!(page.total, 1);
        let active = users::StatusFilter::Active;
        assert_eq!(
            store
                .list_users("b", active, None, &Default::default(), 1, 20)
                .unwrap()
                .total,
            1
        );
    }

    #[test]
    fn migration_0004_keeps_every_outbox_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        create_private_file(&path).unwrap();
        let c = Connection::open(&path).unwrap();
        for m in &MIGRATIONS[..3] {
            c.execute_batch(m).unwrap();
        }
        c.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO tenants VALUES ('a', 'A', 'a.onmicrosoft.com', 'US', 0);
             INSERT INTO outbox (id, message_id, tenant_id, kind, sender, recipient, subject,
                 body_text, body_html, status, attempts, last_error, created_at, sent_at)
             VALUES (1, '<sent@x>', 'a', 'results', 'o <o@x.com>', 'it@x.com', 's', NULL, NULL,
                     'sent', 1, NULL, 10, 11),
                    (2, '<queued@x>', 'a', 'welcome', 'o <o@x.com>', 'u@x.com', 's', 'pw', '<p>pw',
                     'queued', 2, 'connection refused', 10, NULL);",
        )
        .unwrap();
        drop(c);
        let store = Store::open(&path, Create::No, &Settings::default()).unwrap();
        let list = store.outbox(None).unwrap();
        let row = |i: usize| {
            let m = &list[i];
            (
                m.message_id.as_str(),
                m.status.as_str(),
                m.transport,
                m.attempts,
                m.last_error.as_deref(),
                m.body_erased,
                m.sent_at,
            )
        };
        // Sent stays sent (its transport was not recorded then); queued
        // stays queued with its bodies, error and attempts, and counts as
        // queued for SMTP, so that it is never made a file unasked.
        assert_eq!(row(0), ("<sent@x>", "sent", None, 1, None, true, Some(11)));
        assert_eq!(
            row(1),
            (
                "<queued@x>",
                "queued",
                Some(outbox::Via::Smtp),
                2,
                Some("connection refused"),
                false,
                None
            )
        );
        assert_eq!(store.left(outbox::Scope::All).unwrap().smtp, 1);
    }

    #[test]
    fn migration_0006_keeps_the_history_and_records_actors_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        create_private_file(&path).unwrap();
        let c = Connection::open(&path).unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|m| m.starts_with("-- 0006"))
            .unwrap();
        for m in &MIGRATIONS[..before] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", before).unwrap();
        c.execute_batch(
            "INSERT INTO tenants VALUES ('a', 'A', 'a.onmicrosoft.com', 'US', 0);
             INSERT INTO batches VALUES ('b1', 'a', 'users.csv', 'ff', '{}', 3, 2, 1, 100);
             INSERT INTO audit_log (tenant_id, at, action, subject, detail)
             VALUES ('a', 100, 'batch.commit', 'b1', '2 users');",
        )
        .unwrap();
        drop(c);
        let settings = Settings {
            actor: "alice".into(),
            ..Settings::default()
        };
        let mut store = Store::open(&path, Create::No, &settings).unwrap();
        let b = store.batch("a", "B1").unwrap().unwrap();
        assert_eq!(
            (b.file.as_str(), b.actor, b.committed_at),
            ("users.csv", None, 100)
        );
        store.add_license("a", "EMS", 1, None).unwrap();
        let (total, entries) = store
            .audit_entries(&audit::AuditFilter::default(), 0, 10)
            .unwrap();
        assert_eq!(total, 2);
        let seen: Vec<(&str, Option<&str>)> = entries
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [("license.add", Some("alice")), ("batch.commit", None)]
        );
    }

    #[test]
    fn refuses_a_file_that_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        std::fs::write(
            &path,
            b"hello, this is not sqlite at all, not even close....",
        )
        .unwrap();
        assert!(Store::open(&path, Create::No, &Settings::default()).is_err());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"hello, this is not sqlite at all, not even close...."
        );
    }
}
