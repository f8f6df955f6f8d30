//! Turning a rendered message into an outbox row.
//!
//! The Message-ID is made here, once, and stored: a retry after a failure,
//! or a second delivery after a run died holding its claim, sends the same
//! ID, so a server or client that saw the first attempt can recognise the
//! second. Each part of a results message split in parts is its own
//! message with its own ID.

use super::render::Rendered;
use crate::store::outbox::QueuedMessage;
use crate::store::outbox::Via;

/// How a command queues its messages: for which transport, from whom.
#[derive(Debug, Clone, Copy)]
pub struct Queue<'a> {
    /// `Route::queue_as` of the command's options.
    pub via: Via,
    /// The From address (the Config's `mail_from`).
    pub from: &'a str,
}

impl Queue<'_> {
    /// A new outbox message of `kind` for `to`.
    pub fn message(&self, kind: &'static str, to: &str, r: &Rendered) -> QueuedMessage {
        message(kind, self.from, to, r, self.via)
    }
}

/// A new outbox message of `kind` from `from` to `to`, queued for the
/// transport `via`.
pub fn message(kind: &'static str, from: &str, to: &str, r: &Rendered, via: Via) -> QueuedMessage {
    QueuedMessage {
        message_id: format!("<{}@onboard.invalid>", uuid::Uuid::new_v4()),
        kind,
        via,
        sender: from.to_string(),
        recipient: to.to_string(),
        subject: r.subject.clone(),
        text: r.text.clone(),
        html: r.html.clone(),
        attachment: r.attachment.clone(),
    }
}
