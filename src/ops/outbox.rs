//! The outbox after the transactions that filled it: the list, and the
//! delivery of what is still queued (SPEC §8, §11 "Honest delivery").
//!
//! `send` delivers every queued message it may: those queued without
//! `--smtp` as `.eml` files, those queued for SMTP through the SMTP URL
//! given, or as files when asked (`eml`). Messages queued for SMTP in a run
//! given neither stay queued, and the run refuses (exit 2) once it has
//! delivered the rest.

use serde::Serialize;

use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::notify::deliver::{self, Report};
use crate::notify::transport;
use crate::progress::Progress;
use crate::store::Create;
use crate::store::outbox::{Envelope, Scope};

/// A message as the list shows it: its envelope and what to say beside its
/// status (the server's reply, the file, the last error, or until when a
/// delivery run holds it).
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub detail: String,
}

/// The messages in `status` (`queued`, `sent`, `written`, `failed`; all
/// when `None`), oldest first.
pub fn list(cfg: &Config, status: Option<&str>, req: PageRequest) -> Result<Page<Listed>> {
    let store = super::open(cfg, Create::No)?;
    let now = store.now();
    let listed = store
        .outbox(status)?
        .into_iter()
        .map(|envelope| Listed {
            detail: detail(&envelope, now),
            envelope,
        })
        .collect();
    Ok(Page::of(listed, req))
}

/// What a delivery run did.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub sent: usize,
    pub written: usize,
    pub failed: usize,
    /// Left queued after a failure for now (retried by the next run).
    pub retry: usize,
    pub queued: u64,
    pub claimed_elsewhere: u64,
    pub errors: Vec<NotDelivered>,
    /// Where messages went, without secrets.
    pub via: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotDelivered {
    pub recipient: String,
    pub error: String,
}

impl Sent {
    /// "3 sent, 2 written, 1 failed, 0 still queued".
    pub fn counts(&self) -> String {
        let mut s = format!("{} sent", self.sent);
        if self.written > 0 {
            s.push_str(&format!(", {} written", self.written));
        }
        if self.failed > 0 {
            s.push_str(&format!(", {} failed", self.failed));
        }
        s.push_str(&format!(", {} still queued", self.queued));
        s
    }
}

/// Delivers what is queued, through `smtp` (an SMTP URL) or, with `eml`,
/// as files.
pub fn send(cfg: &Config, smtp: Option<&str>, eml: bool, progress: &dyn Progress) -> Result<Sent> {
    let mut store = super::open(cfg, Create::No)?;
    let route = transport::for_outbox_send(smtp, eml, &cfg.db)?;
    let report = deliver::deliver(&mut store, &route, Scope::All, progress)?;
    let sent = sent(&report, route.describe());
    if report.waiting_for_smtp > 0 {
        return Err(Error::usage(format!(
            "{}; {} messages were queued for SMTP and stay queued: this run has no SMTP server. \
             Send them with `onboard outbox send --smtp URL` (or set ONBOARD_SMTP_URL), or write \
             them as .eml files with `onboard outbox send --eml`",
            sent.counts(),
            report.waiting_for_smtp
        )));
    }
    Ok(sent)
}

fn sent(r: &Report, via: String) -> Sent {
    Sent {
        sent: r.sent,
        written: r.written,
        failed: r.failed,
        retry: r.retry,
        queued: r.queued,
        claimed_elsewhere: r.claimed_elsewhere,
        errors: r
            .errors
            .iter()
            .map(|(recipient, error)| NotDelivered {
                recipient: recipient.clone(),
                error: error.clone(),
            })
            .collect(),
        via,
    }
}

/// What the list says beside a message's status.
fn detail(m: &Envelope, now: i64) -> String {
    let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
    match m.status.as_str() {
        "sent" => or_empty(&m.reply),
        "written" => or_empty(&m.path),
        "failed" => match (&m.reply, &m.last_error) {
            (Some(reply), _) => reply.clone(),
            (None, e) => or_empty(e),
        },
        _ => {
            let mut d = or_empty(&m.last_error);
            if let Some(until) = m.claimed_until {
                let held = format!(
                    "being delivered by a run (held for {} s more)",
                    (until - now).max(0)
                );
                d = if d.is_empty() {
                    held
                } else {
                    format!("{held}; {d}")
                };
            }
            d
        }
    }
}
