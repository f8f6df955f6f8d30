//! Delivering what the outbox holds.
//!
//! Messages are read from the store a page at a time and sent by several
//! threads sharing one transport (for SMTP, one connection pool). Each
//! result is written back as it arrives, on the store's one connection: a
//! delivered message is marked sent and its bodies erased; a failed one
//! stays queued with its error and attempt count. A message is marked sent
//! only after the server accepted it, so nothing is lost; a crash between
//! the two can at worst send it once more, with the same Message-ID.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use indicatif::ProgressBar;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use super::transport::Transport;
use crate::error::Result;
use crate::store::Store;
use crate::store::outbox::{Pending, Scope};

const PAGE: usize = 512;

/// What a delivery run did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub sent: usize,
    pub failed: usize,
    /// (recipient, error) of each failure, in order.
    pub errors: Vec<(String, String)>,
    /// Whether erased bodies are gone from the files (checkpoint finished).
    pub erased_from_disk: bool,
}

/// Builds the MIME message; refuses anything that would put a line break
/// into a header, whatever let it into the outbox, and a recipient that
/// the address rule (`rules::contact`) refuses.
pub fn build(p: &Pending) -> std::result::Result<Message, String> {
    for (what, v) in [
        ("recipient", &p.recipient),
        ("sender", &p.sender),
        ("subject", &p.subject),
    ] {
        if v.chars().any(|c| c.is_control()) {
            return Err(format!(
                "refused: the {what} contains a line break or control character"
            ));
        }
    }
    // The one address rule (src/rules/contact.rs) decides, as it did in
    // verification; the recipient is its on-the-wire form (the ASCII form
    // of an internationalised domain), which lettre accepts.
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
    Message::builder()
        .from(from)
        .to(to)
        .subject(p.subject.clone())
        .message_id(Some(p.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            p.text.clone(),
            p.html.clone(),
        ))
        .map_err(|e| format!("refused: {e}"))
}

/// Sends the queued messages of `scope` through `transport`.
pub fn deliver(
    store: &mut Store,
    transport: &dyn Transport,
    scope: Scope,
    bar: &ProgressBar,
) -> Result<Report> {
    let mut report = Report::default();
    // Marks are tiny; in WAL mode NORMAL keeps them atomic across a crash
    // without an fsync each.
    store.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    let mut after = 0;
    let outcome = loop {
        let page = match store.pending(scope, after, PAGE) {
            Ok(p) => p,
            Err(e) => break Err(e),
        };
        let Some(last) = page.last() else {
            break Ok(());
        };
        // Ctrl-C: what is not sent yet stays queued.
        if crate::interrupt::requested() {
            break Ok(());
        }
        after = last.id;
        if let Err(e) = send_page(store, transport, &page, bar, &mut report) {
            break Err(e);
        }
    };
    store.conn.execute_batch("PRAGMA synchronous = FULL")?;
    outcome?;
    report.erased_from_disk = store.checkpoint()?;
    Ok(report)
}

fn send_page(
    store: &mut Store,
    transport: &dyn Transport,
    page: &[Pending],
    bar: &ProgressBar,
    report: &mut Report,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, std::result::Result<(), String>)>();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..transport.senders().min(page.len()).max(1) {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    if crate::interrupt::requested() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = page.get(i) else { break };
                    let r = build(p).and_then(|m| transport.send(&m));
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, r) in rx {
            let p = &page[i];
            match r {
                Ok(()) => {
                    store.mark_sent(p.id)?;
                    report.sent += 1;
                }
                Err(e) => {
                    store.mark_failed(p.id, &e)?;
                    report.failed += 1;
                    report.errors.push((p.recipient.clone(), e));
                }
            }
            bar.inc(1);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(recipient: &str, subject: &str) -> Pending {
        Pending {
            id: 1,
            message_id: "<x@onboard.invalid>".into(),
            sender: "onboard <onboard@localhost>".into(),
            recipient: recipient.into(),
            subject: subject.into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            attempts: 0,
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
}
