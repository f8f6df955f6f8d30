//! The embedded store: one SQLite file (SPEC §1).
//!
//! Opening creates the file with mode 0600 (it holds password hashes and,
//! until delivery, queued messages with temporary passwords), turns on WAL,
//! `secure_delete` and foreign keys, and applies the numbered migrations in
//! `migrations/` that the file has not seen (tracked in `user_version`).
//! Write helpers take a `&Transaction`; a dropped transaction rolls back, so
//! an early `?` never leaves half a change.

pub mod batches;
pub mod groups;
pub mod licenses;
pub mod outbox;
pub mod search;
pub mod tenants;
pub mod users;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

pub use licenses::Subscription;
pub use tenants::{Domain, Tenant};

/// Numbered migrations, applied in order; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_users_search.sql"),
    include_str!("migrations/0003_user_keys_search_segments.sql"),
    include_str!("migrations/0005_groups_managers.sql"),
];

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

/// How long a writer waits for another one before giving up (exit 3).
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The busy timeout: `ONBOARD_BUSY_TIMEOUT_MS` (milliseconds), else
/// [`DEFAULT_BUSY_TIMEOUT`]. Tests of a locked store set it low.
pub fn busy_timeout() -> Duration {
    std::env::var("ONBOARD_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_BUSY_TIMEOUT)
}

/// A duration for messages: "10 s", "0.25 s".
pub fn shown_secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// Whether opening may create a missing store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    IfMissing,
    No,
}

/// An open store.
pub struct Store {
    pub conn: Connection,
    path: PathBuf,
    /// Seconds since the epoch to use as "now"; `None` reads the clock.
    /// Tests set it to move through the 30-day rules without waiting.
    fixed_now: Option<i64>,
}

impl Store {
    pub fn open(path: &Path, create: Create) -> Result<Store> {
        let shown = path.display().to_string();
        let exists = path.exists();
        if !exists {
            if create == Create::No {
                return Err(Error::Store {
                    path: shown,
                    message: "no store here yet; create a tenant first with `onboard tenant add`, \
                              or point --db / ONBOARD_DB at your store"
                        .into(),
                });
            }
            create_private_file(path)?;
        }
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
        conn.busy_timeout(busy_timeout())
            .map_err(|e| store_error(&shown, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            fixed_now: fixed_now_from_env(),
        };
        if !exists {
            // Before the first page is written: a new store only.
            store
                .conn
                .pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(|e| store_error(&shown, e))?;
        }
        store.configure().map_err(|e| store_error(&shown, e))?;
        store.migrate().map_err(|e| store_error(&shown, e))?;
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
        // A test hook, only in builds for tests (the `test-hooks` feature):
        // caps the store's size so that "disk full" can be tested without
        // filling a disk (SQLite then answers SQLITE_FULL).
        #[cfg(feature = "test-hooks")]
        if let Some(pages) = std::env::var("ONBOARD_MAX_PAGE_COUNT")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            let _: i64 =
                self.conn
                    .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                        r.get(0)
                    })?;
        }
        Ok(())
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > MIGRATIONS.len() {
            return Err(rusqlite::Error::InvalidQuery);
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }

    /// Pins "now" (tests of time-dependent rules).
    pub fn set_now(&mut self, now: i64) {
        self.fixed_now = Some(now);
    }
}

/// `ONBOARD_NOW` (Unix seconds) pins the clock, so the integration tests can
/// run the binary "31 days later". A test hook: a build without the
/// `test-hooks` feature (every release build) reads the real clock.
fn fixed_now_from_env() -> Option<i64> {
    #[cfg(feature = "test-hooks")]
    return std::env::var("ONBOARD_NOW")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    #[cfg(not(feature = "test-hooks"))]
    None
}

/// Creates an empty file only its owner can read and write.
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
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map(drop).map_err(|e| Error::io(&shown, e))
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
        rusqlite::Error::InvalidQuery => {
            "was written by a newer version of onboard; upgrade onboard to use it".to_string()
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
        let store = Store::open(&path, Create::IfMissing).unwrap();
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
        Store::open(&path, Create::No).unwrap();
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
        let store = Store::open(&path, Create::No).unwrap();
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
        let page = store.list_users("a", all, Some("SMITH"), 1, 20).unwrap();
        let names: Vec<&str> = page.users.iter().map(|u| u.user_name.as_str()).collect();
        assert_eq!(names, ["bob@x.com", "zoe@a.onmicrosoft.com"]);
        assert_eq!(page.users[1].assigned, 1);
        let page = store.list_users("a", all, Some("h zoe@a"), 1, 20).unwrap();
        assert_eq!(page.total, 1);
        let active = users::StatusFilter::Active;
        assert_eq!(store.list_users("b", active, None, 1, 20).unwrap().total, 1);
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
        assert!(Store::open(&path, Create::No).is_err());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"hello, this is not sqlite at all, not even close...."
        );
    }
}
