//! The outbox: messages queued by a commit or a password reset, in the same
//! transaction as the change they report, delivered afterwards.
//!
//! A message is `queued` until a delivery run settles it: `sent` (an SMTP
//! server accepted it; its reply is kept), `written` (an `.eml` file; its
//! path is kept) or `failed` (the server refused it for good; its reply is
//! kept and it is not retried). A transient failure leaves it `queued`
//! with its error and attempt count. Each message records the transport it
//! was queued for ([`Via`]), never a URL or credentials.
//!
//! Before a run sends a message it claims it: a conditional `UPDATE` in its
//! own `BEGIN IMMEDIATE` transaction sets a lease (`claimed_by`,
//! `claimed_until`) on a queued message that nobody holds, so that of any
//! number of runs at once exactly one sends it. What happens to the claim
//! of a run that died is decided in `src/notify/deliver.rs`.
//!
//! A settled message keeps its envelope (recipient, subject, Message-ID,
//! times) for the record, but its bodies and attachment, which hold
//! passwords, are set to NULL. With `secure_delete` on, SQLite zeroes the
//! freed bytes; the WAL, which still holds the old pages, is then
//! checkpointed and truncated, so the passwords are gone from the files'
//! bytes too.

use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::Store;
use crate::error::Result;

/// A message to queue in the outbox.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub message_id: String,
    pub kind: &'static str,
    /// The transport it is queued for (never its URL or credentials).
    pub via: Via,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachment: Option<Attachment>,
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
        "INSERT INTO outbox (message_id, tenant_id, batch_id, kind, transport, sender, recipient,
            subject, body_text, body_html, attachment_name, attachment, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        m.message_id,
        tenant,
        batch,
        m.kind,
        m.via.as_str(),
        m.sender,
        m.recipient,
        m.subject,
        m.text,
        m.html,
        m.attachment.as_ref().map(|a| a.name.as_str()),
        m.attachment.as_ref().map(|a| a.content.as_slice()),
        now
    ])?;
    Ok(())
}

/// The transport a message was queued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Queued by a command run with `--smtp` or `ONBOARD_SMTP_URL`: sent
    /// only by a run that has an SMTP server too, or written as a file on
    /// request (`outbox send --eml`).
    Smtp,
    /// Queued without `--smtp`: an `.eml` file in `outbox/` beside the
    /// store.
    Eml,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Smtp => "smtp",
            Via::Eml => "eml",
        }
    }

    /// A stored value; anything but `eml` (including a row from before
    /// the transport was recorded) is SMTP, the stricter reading.
    fn stored(s: &str) -> Via {
        if s == "eml" { Via::Eml } else { Via::Smtp }
    }
}

/// A file attached to a message: the results CSV of a large batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub content: Vec<u8>,
}

/// A claimed message with its bodies, ready to send.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachment: Option<Attachment>,
    /// Attempts before this one.
    pub attempts: u32,
    pub via: Via,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// An SMTP server accepted it, with this reply.
    Sent { reply: &'a str },
    /// Written as this `.eml` file.
    Written { path: &'a str },
    /// Refused for good: the server's reply (none when the message could
    /// not even be built), and the explanation.
    Failed {
        reply: Option<&'a str>,
        error: &'a str,
    },
    /// Not delivered this time; stays queued.
    Retry { error: &'a str },
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
    /// `smtp` or `eml`; none for messages delivered before it was recorded.
    pub transport: Option<Via>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The SMTP server's reply (sent or failed).
    pub reply: Option<String>,
    /// The `.eml` file (written).
    pub path: Option<String>,
    pub attachment: Option<String>,
    /// A queued message that a delivery run holds, until this time.
    #[serde(serialize_with = "crate::time::serialize_option")]
    pub claimed_until: Option<i64>,
    pub body_erased: bool,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::time::serialize_option")]
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

impl Scope<'_> {
    fn params(&self) -> (Option<&str>, Option<String>) {
        match *self {
            Scope::All => (None, None),
            Scope::Batch(b) => (Some(b), None),
            Scope::Messages(ids) => (None, Some(serde_json::Value::from(ids).to_string())),
        }
    }
}

/// What is still queued in a scope after a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Left {
    pub queued: u64,
    /// Of those, queued for SMTP.
    pub smtp: u64,
    /// Of those, held by another run whose claim has not expired.
    pub claimed: u64,
}

/// The scope's condition on `outbox`, with its parameters at `?1` (batch)
/// and `?2` (Message-IDs as a JSON array).
const IN_SCOPE: &str = "(?1 IS NULL OR batch_id = ?1)
    AND (?2 IS NULL OR message_id IN (SELECT value FROM json_each(?2)))";

impl Store {
    /// Claims the first queued message of `scope` after id `after` that
    /// nobody holds (or whose holder's lease has expired), for `lease`, in
    /// a write transaction of its own. SMTP-queued messages are claimed
    /// only when `smtp` (the run can send them, or was asked to write them
    /// as files).
    pub fn claim_next(
        &mut self,
        scope: Scope,
        after: i64,
        smtp: bool,
        token: &str,
        lease: Duration,
    ) -> Result<Option<Pending>> {
        let now = self.now();
        let (batch, ids) = scope.params();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claimed = tx
            .prepare_cached(&format!(
                "UPDATE outbox SET claimed_by = ?3, claimed_until = ?4
                 WHERE id = (
                     SELECT id FROM outbox
                     WHERE status = 'queued' AND id > ?5
                       AND (claimed_until IS NULL OR claimed_until <= ?6)
                       AND (?7 OR transport = 'eml')
                       AND {IN_SCOPE}
                     ORDER BY id LIMIT 1)
                 RETURNING id, message_id, sender, recipient, subject, coalesce(body_text, ''),
                     coalesce(body_html, ''), attachment_name, attachment, attempts,
                     coalesce(transport, 'smtp')"
            ))?
            .query_row(
                params![
                    batch,
                    ids,
                    token,
                    now + lease.as_secs() as i64,
                    after,
                    now,
                    smtp
                ],
                |r| {
                    let name: Option<String> = r.get(7)?;
                    let content: Option<Vec<u8>> = r.get(8)?;
                    Ok(Pending {
                        id: r.get(0)?,
                        message_id: r.get(1)?,
                        sender: r.get(2)?,
                        recipient: r.get(3)?,
                        subject: r.get(4)?,
                        text: r.get(5)?,
                        html: r.get(6)?,
                        attachment: name.map(|name| Attachment {
                            name,
                            content: content.unwrap_or_default(),
                        }),
                        attempts: r.get(9)?,
                        via: Via::stored(&r.get::<_, String>(10)?),
                    })
                },
            )
            .optional()?;
        tx.commit()?;
        Ok(claimed)
    }

    /// Records how an attempt on a claimed message ended. A settled
    /// message (sent, written, failed) loses its bodies and attachment and
    /// its claim; a retry keeps it queued, unclaimed, with its error. Only
    /// a queued message changes, so none is settled twice; a retry changes
    /// it only while this run still holds it.
    pub fn record(&mut self, id: i64, token: &str, outcome: Outcome) -> Result<()> {
        let now = self.now();
        let settle = |status: &str, reply: Option<&str>, path: Option<&str>, err: Option<&str>| {
            self.conn
                .prepare_cached(
                    "UPDATE outbox SET status = ?2, sent_at = ?3, attempts = attempts + 1,
                         reply = ?4, path = ?5, last_error = ?6, body_text = NULL,
                         body_html = NULL, attachment = NULL, claimed_by = NULL,
                         claimed_until = NULL
                     WHERE id = ?1 AND status = 'queued'",
                )?
                .execute(params![id, status, now, reply, path, err])
        };
        match outcome {
            Outcome::Sent { reply } => settle("sent", Some(reply), None, None)?,
            Outcome::Written { path } => settle("written", None, Some(path), None)?,
            Outcome::Failed { reply, error } => settle("failed", reply, None, Some(error))?,
            Outcome::Retry { error } => self
                .conn
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?3,
                         claimed_by = NULL, claimed_until = NULL
                     WHERE id = ?1 AND status = 'queued' AND claimed_by = ?2",
                )?
                .execute(params![id, token, error])?,
        };
        Ok(())
    }

    /// What is still queued in `scope`.
    pub fn left(&self, scope: Scope) -> Result<Left> {
        let now = self.now();
        let (batch, ids) = scope.params();
        let left = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*),
                        coalesce(sum(coalesce(transport, 'smtp') = 'smtp'), 0),
                        coalesce(sum(claimed_until > ?3), 0)
                 FROM outbox WHERE status = 'queued' AND {IN_SCOPE}"
            ))?
            .query_row(params![batch, ids, now], |r| {
                Ok(Left {
                    queued: r.get(0)?,
                    smtp: r.get(1)?,
                    claimed: r.get(2)?,
                })
            })?;
        Ok(left)
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
        let now = self.now();
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, tenant_id, batch_id, kind, recipient, subject, status,
                    transport, attempts, last_error, reply, path, attachment_name,
                    CASE WHEN status = 'queued' AND claimed_until > ?2 THEN claimed_until END,
                    body_text IS NULL AND body_html IS NULL AND attachment IS NULL,
                    created_at, sent_at
             FROM outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![status, now], |r| {
            Ok(Envelope {
                id: r.get(0)?,
                message_id: r.get(1)?,
                tenant: r.get(2)?,
                batch_id: r.get(3)?,
                kind: r.get(4)?,
                recipient: r.get(5)?,
                subject: r.get(6)?,
                status: r.get(7)?,
                transport: r.get::<_, Option<String>>(8)?.map(|t| Via::stored(&t)),
                attempts: r.get(9)?,
                last_error: r.get(10)?,
                reply: r.get(11)?,
                path: r.get(12)?,
                attachment: r.get(13)?,
                claimed_until: r.get(14)?,
                body_erased: r.get(15)?,
                created_at: r.get(16)?,
                sent_at: r.get(17)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::{Create, Tenant};

    const LEASE: Duration = Duration::from_secs(600);

    fn store_with(dir: &std::path::Path, vias: &[Via]) -> Store {
        let mut store = Store::open(
            &dir.join("s.db"),
            Create::IfMissing,
            &super::super::Settings::default(),
        )
        .unwrap();
        store.set_now(1_000_000);
        store
            .add_tenant(&Tenant {
                id: "t".into(),
                name: "T".into(),
                default_domain: "t.onmicrosoft.com".into(),
                usage_location: "US".into(),
            })
            .unwrap();
        for (i, via) in vias.iter().enumerate() {
            let m = QueuedMessage {
                message_id: format!("<m{i}@onboard.invalid>"),
                kind: "reset",
                via: *via,
                sender: "onboard <onboard@localhost>".into(),
                recipient: format!("r{i}@example.com"),
                subject: "s".into(),
                text: "password".into(),
                html: "<p>password</p>".into(),
                attachment: (i == 0).then(|| Attachment {
                    name: "r.csv".into(),
                    content: b"a,b\r\n".to_vec(),
                }),
            };
            queue_message(&store.conn, "t", None, &m, 0).unwrap();
        }
        store
    }

    #[test]
    fn a_claimed_message_is_not_claimed_again_until_its_lease_expires() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = store_with(dir.path(), &[Via::Eml]);
        let mut b = a.reconnect().unwrap();
        let got = a
            .claim_next(Scope::All, 0, true, "run-a", LEASE)
            .unwrap()
            .unwrap();
        assert_eq!(got.attachment.as_ref().unwrap().name, "r.csv");
        assert!(
            b.claim_next(Scope::All, 0, true, "run-b", LEASE)
                .unwrap()
                .is_none(),
            "held by run a"
        );
        assert_eq!(
            b.left(Scope::All).unwrap(),
            Left {
                queued: 1,
                smtp: 0,
                claimed: 1
            }
        );
        // Run a died; once its lease is over another run may take it.
        b.set_now(1_000_000 + LEASE.as_secs() as i64);
        let again = b
            .claim_next(Scope::All, 0, true, "run-b", LEASE)
            .unwrap()
            .unwrap();
        assert_eq!(again.message_id, got.message_id, "the same Message-ID");
        b.record(again.id, "run-b", Outcome::Sent { reply: "250 OK" })
            .unwrap();
        // Run a comes back: its retry changes nothing, its send would not
        // settle the message twice.
        a.record(got.id, "run-a", Outcome::Retry { error: "late" })
            .unwrap();
        a.record(got.id, "run-a", Outcome::Sent { reply: "250 again" })
            .unwrap();
        let m = &a.outbox(None).unwrap()[0];
        assert_eq!(
            (m.status.as_str(), m.reply.as_deref(), m.attempts),
            ("sent", Some("250 OK"), 1)
        );
        assert!(m.body_erased && m.claimed_until.is_none());
    }

    #[test]
    fn smtp_messages_wait_for_a_run_that_can_send_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with(dir.path(), &[Via::Smtp, Via::Eml]);
        let got = s
            .claim_next(Scope::All, 0, false, "run", LEASE)
            .unwrap()
            .unwrap();
        assert_eq!(got.via, Via::Eml);
        s.record(got.id, "run", Outcome::Written { path: "/x.eml" })
            .unwrap();
        assert!(
            s.claim_next(Scope::All, 0, false, "run", LEASE)
                .unwrap()
                .is_none()
        );
        assert_eq!(s.left(Scope::All).unwrap().smtp, 1);
        let smtp = s
            .claim_next(Scope::All, 0, true, "run", LEASE)
            .unwrap()
            .unwrap();
        assert_eq!(smtp.via, Via::Smtp);
        s.record(
            smtp.id,
            "run",
            Outcome::Failed {
                reply: Some("550 5.1.1 no such user"),
                error: "refused",
            },
        )
        .unwrap();
        let list = s.outbox(None).unwrap();
        assert_eq!(list[0].status, "failed");
        assert_eq!(list[0].reply.as_deref(), Some("550 5.1.1 no such user"));
        assert!(list[0].body_erased, "a failed message keeps no password");
        assert_eq!(list[1].status, "written");
        assert_eq!(list[1].path.as_deref(), Some("/x.eml"));
        assert_eq!(s.left(Scope::All).unwrap(), Left::default());
    }

    #[test]
    fn a_retry_stays_queued_and_is_not_claimed_again_by_the_same_pass() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with(dir.path(), &[Via::Eml, Via::Eml]);
        let first = s
            .claim_next(Scope::All, 0, true, "run", LEASE)
            .unwrap()
            .unwrap();
        s.record(first.id, "run", Outcome::Retry { error: "disk full" })
            .unwrap();
        let next = s
            .claim_next(Scope::All, first.id, true, "run", LEASE)
            .unwrap()
            .unwrap();
        assert_ne!(next.id, first.id);
        let m = &s.outbox(Some("queued")).unwrap()[0];
        assert_eq!(
            (m.id, m.attempts, m.last_error.as_deref()),
            (first.id, 1, Some("disk full"))
        );
        assert!(!m.body_erased && m.claimed_until.is_none());
    }
}
