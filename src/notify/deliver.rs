//! Delivering what the outbox holds, each message exactly once however many
//! runs (`outbox send`, `commit`, `users reset-password`) deliver at once.
//!
//! Several threads share one [`Route`] (for SMTP, one connection pool).
//! Each thread has its own connection to the store and repeats three
//! steps: claim the next queued message it may deliver, build and send it,
//! record the outcome. The claim is a conditional `UPDATE` in its own short
//! `BEGIN IMMEDIATE` transaction (`Store::claim_next`): it takes a queued
//! message that no run holds and gives it a lease, [`CLAIM_LEASE`], in the
//! name of this run. Every other run, and every other thread, skips a held
//! message, so the network send happens once. The outcome is recorded in
//! its own transaction right after: sent (with the server's reply) or
//! written (with the file's path), bodies erased; failed for good (a 54x
//! or 55x reply, or a message that cannot be built), bodies erased too
//! since nothing will retry it; or, for a transient failure, queued with
//! its error and attempt count and the claim released. A run goes through
//! the queue once, in id order: what failed for now waits for the next
//! `outbox send`.
//!
//! **A claim whose run died.** A killed or crashed run (or a machine that
//! went down) leaves its claims in the store; nothing can tell a dead run
//! from a slow one. A claim is therefore a lease: once `claimed_until` has
//! passed, any run may claim the message again and deliver it. The message
//! keeps the Message-ID it was given when it was queued, so if the dead run
//! had already handed it to the server before dying, the second delivery
//! is a duplicate that mail clients and servers recognise as the same
//! message; nothing is lost. A live run holds a claim only from just
//! before the send until just after it, and a send is bounded by lettre's
//! 30-second timeouts, so ten minutes is far longer than any live claim
//! and short enough that a crashed run's messages go out on the next
//! `outbox send` after a short wait (`outbox list` shows the time a held
//! message is free again). Recording "sent" is conditional on the message
//! still being queued, so it is never counted twice.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart};
use serde::Serialize;

use super::transport::{Delivered, Refused, Route};
use crate::error::Result;
use crate::progress::{Progress, Unit};
use crate::store::Store;
use crate::store::outbox::{Left, Outcome, Pending, Scope};

/// How long a claim holds a message for its run (see the module doc).
pub const CLAIM_LEASE: Duration = Duration::from_secs(10 * 60);

/// What a delivery run did, and what it left.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    /// Accepted by an SMTP server.
    pub sent: usize,
    /// Written as `.eml` files.
    pub written: usize,
    /// Refused for good in this run (not retried).
    pub failed: usize,
    /// Failed for now in this run: they stay queued.
    pub retry: usize,
    /// Still queued in the scope after the run (retries included).
    pub queued: u64,
    /// Of those, queued for SMTP while this run had no SMTP server.
    pub waiting_for_smtp: u64,
    /// Of those, held by another run that is delivering them.
    pub claimed_elsewhere: u64,
    /// (recipient, error) of each message not delivered, in order.
    pub errors: Vec<(String, String)>,
    /// Whether erased bodies are gone from the files (checkpoint finished).
    pub erased_from_disk: bool,
}

impl Report {
    /// Sent or written.
    pub fn delivered(&self) -> usize {
        self.sent + self.written
    }
}

/// Converts line ends to CRLF in one pass. lettre does the same to a text
/// body, but inserts each `\r` into the string in place, moving the rest of
/// it every time: quadratic in the number of lines (a 20,000-user results
/// message took 5.6 s). Given CRLF already, it finds nothing to insert.
pub fn crlf(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + s.len() / 32 + 2);
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', b) {
        if i > 0 && b[i - 1] == b'\r' {
            continue;
        }
        out.push_str(&s[from..i]);
        out.push_str("\r\n");
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out
}

/// Builds the MIME message: text and HTML as alternatives, and the
/// attachment, when there is one, beside them. Refuses anything that would
/// put a line break into a header, whatever let it into the outbox, and a
/// recipient that the address rule (`rules::contact`) refuses; the
/// recipient is built from the address as that rule sends it (the ASCII
/// form of an internationalised domain). Linear in the message's size.
pub fn build(p: &Pending) -> std::result::Result<Message, String> {
    for (what, v) in [
        ("recipient", &p.recipient),
        ("sender", &p.sender),
        ("subject", &p.subject),
    ] {
        if v.chars().any(crate::rules::text::is_control) {
            return Err(format!(
                "refused: the {what} contains a line break or control character"
            ));
        }
    }
    let to = crate::rules::contact::email_on_the_wire(&p.recipient)
        .ok_or_else(|| format!("refused: {} is not a valid email address", p.recipient))?;
    let to = Mailbox::new(
        None,
        to.parse()
            .map_err(|e| format!("refused: recipient address: {e}"))?,
    );
    let from: Mailbox = p
        .sender
        .parse()
        .map_err(|e| format!("refused: sender address (ONBOARD_MAIL_FROM): {e}"))?;
    let alternative = MultiPart::alternative_plain_html(crlf(&p.text), crlf(&p.html));
    let body = match &p.attachment {
        None => alternative,
        Some(a) => {
            let csv = ContentType::parse("text/csv; charset=utf-8")
                .map_err(|e| format!("refused: {e}"))?;
            let content =
                Body::new_with_encoding(a.content.clone(), ContentTransferEncoding::Base64)
                    .map_err(|_| "refused: the attachment cannot be encoded".to_string())?;
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new(a.name.clone()).body(content, csv))
        }
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(p.subject.clone())
        .message_id(Some(p.message_id.clone()))
        .multipart(body)
        .map_err(|e| format!("refused: {e}"))
}

/// One settled attempt, for the progress bar and the report.
enum Event {
    Sent,
    Written,
    Failed(String, String),
    Retry(String, String),
}

/// Delivers the queued messages of `scope` that `route` can take.
pub fn deliver(
    store: &mut Store,
    route: &Route,
    scope: Scope,
    progress: &dyn Progress,
) -> Result<Report> {
    let mut report = Report::default();
    let before = store.left(scope)?;
    let deliverable = if route.takes_smtp() {
        before.queued
    } else {
        before.queued - before.smtp
    };
    if deliverable > 0 {
        // The run's name in its claims.
        let token = uuid::Uuid::new_v4().to_string();
        let threads = route.senders().min(deliverable as usize).max(1);
        let connections = (0..threads)
            .map(|_| store.reconnect())
            .collect::<Result<Vec<_>>>()?;
        // The highest id any thread of this run has claimed: each claims
        // past it, so a message that failed for now is not taken again by
        // the same run.
        let cursor = AtomicI64::new(0);
        let (tx, rx) = mpsc::channel::<Event>();
        let meter = progress.meter("sending", Unit::Items, Some(deliverable));
        std::thread::scope(|s| -> Result<()> {
            let workers: Vec<_> = connections
                .into_iter()
                .map(|db| {
                    let tx = tx.clone();
                    let (token, cursor) = (&token, &cursor);
                    s.spawn(move || work(db, route, scope, token, cursor, &tx, progress))
                })
                .collect();
            drop(tx);
            for event in rx {
                match event {
                    Event::Sent => report.sent += 1,
                    Event::Written => report.written += 1,
                    Event::Failed(to, e) => {
                        report.failed += 1;
                        report.errors.push((to, e));
                    }
                    Event::Retry(to, e) => {
                        report.retry += 1;
                        report.errors.push((to, e));
                    }
                }
                meter.inc(1);
            }
            meter.finish();
            for w in workers {
                w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            }
            Ok(())
        })?;
    }
    let Left {
        queued,
        smtp,
        claimed,
    } = store.left(scope)?;
    report.queued = queued;
    report.waiting_for_smtp = if route.takes_smtp() { 0 } else { smtp };
    report.claimed_elsewhere = claimed;
    report.erased_from_disk = store.checkpoint()?;
    Ok(report)
}

/// One delivery thread: claim, send, record, until nothing is left that
/// this run may take (or Ctrl-C: what is not claimed yet stays queued).
fn work(
    mut db: Store,
    route: &Route,
    scope: Scope,
    token: &str,
    cursor: &AtomicI64,
    events: &mpsc::Sender<Event>,
    progress: &dyn Progress,
) -> Result<()> {
    // Claims and marks are tiny; in WAL mode NORMAL keeps them atomic
    // across a crash without an fsync each (a mark lost to a power cut
    // means one more delivery, with the same Message-ID).
    db.relax_sync()?;
    let smtp = route.takes_smtp();
    while !progress.cancelled() {
        let after = cursor.load(Ordering::SeqCst);
        let Some(p) = db.claim_next(scope, after, smtp, token, CLAIM_LEASE)? else {
            break;
        };
        cursor.fetch_max(p.id, Ordering::SeqCst);
        let sent = match route.transport(p.via) {
            Some(t) => build(&p)
                .map_err(|message| Refused {
                    permanent: true,
                    reply: None,
                    message,
                })
                .and_then(|m| t.send(&m)),
            // Not claimed unless the route takes it; kept as a guard.
            None => Err(Refused::transient("no transport for this message")),
        };
        let event = match sent {
            Ok(Delivered::Sent { reply }) => {
                db.record(p.id, token, Outcome::Sent { reply: &reply })?;
                Event::Sent
            }
            Ok(Delivered::Written { path }) => {
                let path = path.display().to_string();
                db.record(p.id, token, Outcome::Written { path: &path })?;
                Event::Written
            }
            Err(r) if r.permanent => {
                let outcome = Outcome::Failed {
                    reply: r.reply.as_deref(),
                    error: &r.message,
                };
                db.record(p.id, token, outcome)?;
                Event::Failed(p.recipient, r.message)
            }
            Err(r) => {
                db.record(p.id, token, Outcome::Retry { error: &r.message })?;
                Event::Retry(p.recipient, r.message)
            }
        };
        if events.send(event).is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::outbox::{Attachment as Attached, Via};

    fn pending(recipient: &str, subject: &str) -> Pending {
        Pending {
            id: 1,
            message_id: "<x@onboard.invalid>".into(),
            sender: "onboard <onboard@localhost>".into(),
            recipient: recipient.into(),
            subject: subject.into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            attachment: None,
            attempts: 0,
            via: Via::Smtp,
        }
    }

    #[test]
    fn builds_multipart_with_the_stored_message_id() {
        let m = build(&pending("it@example.com", "Hello")).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <x@onboard.invalid>"));
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn refuses_header_injection() {
        assert!(build(&pending("it@example.com\r\nBcc: evil@example.com", "Hello")).is_err());
        assert!(build(&pending("it@example.com", "Hello\r\nBcc: evil@example.com")).is_err());
        assert!(build(&pending("not an address", "Hello")).is_err());
        assert!(build(&pending("john..smith@example.com", "Hello")).is_err());
    }

    #[test]
    fn an_internationalised_domain_is_sent_in_its_ascii_form() {
        let m = build(&pending("user@bücher.example", "Hello")).unwrap();
        let to = m.envelope().to();
        assert_eq!(to[0].to_string(), "user@xn--bcher-kva.example");
    }

    #[test]
    fn line_ends_become_crlf_once() {
        assert_eq!(crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
        assert_eq!(crlf("\n\n"), "\r\n\r\n");
        assert_eq!(crlf("no break"), "no break");
        assert_eq!(crlf("zoë\nbrontë"), "zoë\r\nbrontë");
    }

    #[test]
    fn an_attachment_goes_beside_the_alternatives_in_base64() {
        let mut p = pending("it@example.com", "Hello");
        p.attachment = Some(Attached {
            name: "onboard-results-b.csv".into(),
            content: b"\xEF\xBB\xBFUser Name\r\nzoe@x.com\r\n".to_vec(),
        });
        let raw = String::from_utf8(build(&p).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(
            raw.contains("Content-Type: text/csv; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("filename=\"onboard-results-b.csv\""), "{raw}");
        assert!(raw.contains("Content-Transfer-Encoding: base64"));
    }

    #[test]
    fn building_is_linear_in_the_body() {
        // 200,000 lines: quadratic line-end conversion took seconds here.
        let mut p = pending("it@example.com", "Hello");
        p.text = "Zoë Brontë  zoe@contoso.onmicrosoft.com  Kq7-Pw-xyz\n".repeat(200_000);
        let started = std::time::Instant::now();
        let m = build(&p).unwrap();
        let len = m.formatted().len();
        assert!(len > p.text.len());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
