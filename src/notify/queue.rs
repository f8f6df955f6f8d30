//! Turning a rendered message into an outbox row.
//!
//! The Message-ID is made here, once, and stored: a retry after a failure,
//! or a second delivery after a run died holding its claim, sends the same
//! ID, so a server or client that saw the first attempt can recognise the
//! second. Each part of a results message split in parts is its own
//! message with its own ID.

use super::render::Rendered;
use crate::store::batches::QueuedMessage;
use crate::store::outbox::Via;

/// The From address: `ONBOARD_MAIL_FROM` when set, else a no-reply address
/// of this machine.
pub fn sender() -> String {
    std::env::var("ONBOARD_MAIL_FROM")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "onboard <onboard@localhost>".to_string())
}

/// A new outbox message of `kind` for `to`, queued for the transport `via`
/// (`Route::queue_as` of the command's options).
pub fn message(kind: &'static str, to: &str, r: &Rendered, via: Via) -> QueuedMessage {
    QueuedMessage {
        message_id: format!("<{}@onboard.invalid>", uuid::Uuid::new_v4()),
        kind,
        via,
        sender: sender(),
        recipient: to.to_string(),
        subject: r.subject.clone(),
        text: r.text.clone(),
        html: r.html.clone(),
        attachment: r.attachment.clone(),
    }
}
