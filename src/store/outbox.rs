//! The outbox: messages queued by a commit or a password reset, in the same
//! transaction as the change they report, delivered afterwards.
//!
//! A delivered message keeps its envelope (recipient, subject, Message-ID,
//! times) for the record, but its bodies, which hold passwords, are set to
//! NULL. With `secure_delete` on, SQLite zeroes the freed bytes; the WAL,
//! which still holds the old pages, is then checkpointed and truncated, so
//! the passwords are gone from the files' bytes too.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::error::Result;

/// A queued message with its bodies, ready to send.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attempts: u32,
}

/// A message as `outbox list` shows it (never its bodies).
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    pub id: i64,
    pub message_id: String,
    pub tenant: String,
    pub batch_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub body_erased: bool,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// Which queued messages a delivery run sends.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Everything still queued (`outbox send`).
    All,
    /// The messages of one batch (right after its commit).
    Batch(&'a str),
    /// These Message-IDs only (a password reset's own messages).
    Messages(&'a [String]),
}

impl Store {
    /// Up to `limit` queued messages of `scope` after id `after`, oldest
    /// first.
    pub fn pending(&self, scope: Scope, after: i64, limit: usize) -> Result<Vec<Pending>> {
        let (batch, ids) = match scope {
            Scope::All => (None, None),
            Scope::Batch(b) => (Some(b), None),
            Scope::Messages(ids) => (None, Some(serde_json::Value::from(ids).to_string())),
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, message_id, sender, recipient, subject, coalesce(body_text, ''),
                    coalesce(body_html, ''), attempts
             FROM outbox
             WHERE status = 'queued' AND id > ?1 AND (?2 IS NULL OR batch_id = ?2)
               AND (?4 IS NULL OR message_id IN (SELECT value FROM json_each(?4)))
             ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after, batch, limit as i64, ids], |r| {
            Ok(Pending {
                id: r.get(0)?,
                message_id: r.get(1)?,
                sender: r.get(2)?,
                recipient: r.get(3)?,
                subject: r.get(4)?,
                text: r.get(5)?,
                html: r.get(6)?,
                attempts: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a message sent and erases its bodies. Only a message still
    /// queued is marked, so a message is never counted as sent twice.
    pub fn mark_sent(&mut self, id: i64) -> Result<bool> {
        let now = self.now();
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1,
                last_error = NULL, body_text = NULL, body_html = NULL
             WHERE id = ?1 AND status = 'queued'",
            )?
            .execute(params![id, now])?;
        Ok(n == 1)
    }

    /// Records a failed attempt; the message stays queued.
    pub fn mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2
                 WHERE id = ?1 AND status = 'queued'",
            )?
            .execute(params![id, error])?;
        Ok(())
    }

    /// Moves everything in the WAL into the database file and truncates the
    /// WAL, so erased bodies are gone from both files. Returns false when
    /// another connection's reader kept the checkpoint from finishing.
    pub fn checkpoint(&self) -> Result<bool> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    pub fn outbox(&self, status: Option<&str>) -> Result<Vec<Envelope>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, tenant_id, batch_id, kind, recipient, subject, status,
                    attempts, last_error, body_text IS NULL AND body_html IS NULL, created_at, sent_at
             FROM outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([status], |r| {
            Ok(Envelope {
                id: r.get(0)?,
                message_id: r.get(1)?,
                tenant: r.get(2)?,
                batch_id: r.get(3)?,
                kind: r.get(4)?,
                recipient: r.get(5)?,
                subject: r.get(6)?,
                status: r.get(7)?,
                attempts: r.get(8)?,
                last_error: r.get(9)?,
                body_erased: r.get(10)?,
                created_at: r.get(11)?,
                sent_at: r.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many messages are still queued.
    pub fn queued_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE status = 'queued'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }
}
