//! Where messages go: an SMTP server through lettre (one connection pool
//! shared by several sender threads), or `.eml` files (mode 0600) in
//! `outbox/` beside the store.
//!
//! A [`Route`] says which transport takes which message: a message goes the
//! way it was queued ([`Via`]). One queued without `--smtp` is written as a
//! file; one queued for SMTP is sent only by a run that has an SMTP server
//! (`--smtp`, `ONBOARD_SMTP_URL`), or written as a file when the run was
//! asked to (`outbox send --eml`). It is never turned into a file unasked.
//!
//! A transport says what happened: sent, with the server's reply; written,
//! with the file's path; or refused, permanently (the server refused this
//! message with a 54x/55x reply: not retried) or for now (4xx, connection
//! refused, timeout, dropped connection, and also a 5xx about the session
//! rather than the message, such as refused credentials, which the
//! administrator can fix: retried by `outbox send`). Failures are explained
//! in plain words (wrong port or TLS mode, authentication refused,
//! connection refused), and never repeat the SMTP URL, which may hold a
//! password.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::{PoolConfig, SmtpTransport};

use crate::error::{Error, Result};
use crate::store::outbox::Via;

/// What a transport did with a message it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// An SMTP server accepted it: its reply (`250 2.0.0 OK queued as ...`).
    Sent { reply: String },
    /// Written to this file.
    Written { path: PathBuf },
}

/// Why a transport did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The server refused this message for good: it is not retried.
    pub permanent: bool,
    /// The server's reply, when it gave one (`550 5.1.1 ...`).
    pub reply: Option<String>,
    /// A sentence for the administrator.
    pub message: String,
}

impl Refused {
    /// A failure to retry later.
    pub fn transient(message: impl Into<String>) -> Refused {
        Refused {
            permanent: false,
            reply: None,
            message: message.into(),
        }
    }
}

/// Sends one built message.
pub trait Transport: Send + Sync {
    fn send(&self, email: &lettre::Message) -> std::result::Result<Delivered, Refused>;
    /// Where messages go, without secrets ("smtp://mail.example.com:587").
    fn describe(&self) -> String;
    /// How many messages to send at once.
    fn senders(&self) -> usize;
}

/// Senders for SMTP: delivery is bound by round trips, not CPU, so more
/// threads than cores pay off (lettre's sync client stalls per message).
const SMTP_SENDERS: usize = 8;

/// Which transport takes which queued message.
pub struct Route {
    smtp: Option<Box<dyn Transport>>,
    files: Box<dyn Transport>,
    /// `outbox send --eml`: SMTP-queued messages are written as files.
    smtp_as_files: bool,
}

impl Route {
    pub fn new(
        smtp: Option<Box<dyn Transport>>,
        files: Box<dyn Transport>,
        smtp_as_files: bool,
    ) -> Route {
        Route {
            smtp,
            files,
            smtp_as_files,
        }
    }

    /// The transport that messages queued now are meant for.
    pub fn queue_as(&self) -> Via {
        if self.smtp.is_some() {
            Via::Smtp
        } else {
            Via::Eml
        }
    }

    /// Whether this run may take SMTP-queued messages.
    pub fn takes_smtp(&self) -> bool {
        self.smtp.is_some() || self.smtp_as_files
    }

    /// The transport for a message queued `via`; none when this run must
    /// leave it queued.
    pub fn transport(&self, via: Via) -> Option<&dyn Transport> {
        match (via, &self.smtp) {
            (Via::Eml, _) => Some(self.files.as_ref()),
            (Via::Smtp, Some(smtp)) => Some(smtp.as_ref()),
            (Via::Smtp, None) if self.smtp_as_files => Some(self.files.as_ref()),
            (Via::Smtp, None) => None,
        }
    }

    /// Where this run delivers, without secrets.
    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(smtp) => format!(
                "{}; .eml outbox: {}",
                smtp.describe(),
                self.files.describe()
            ),
            None => self.files.describe(),
        }
    }

    /// How many messages to send at once.
    pub fn senders(&self) -> usize {
        self.smtp
            .as_ref()
            .map_or(1, |s| s.senders())
            .max(self.files.senders())
    }
}

/// The route of a command that queues messages and delivers them at once
/// (`commit`, `users reset-password`): SMTP when `smtp` is given, else
/// files beside the store.
pub fn from_options(smtp: Option<&str>, db: &Path) -> Result<Route> {
    route(smtp, false, db)
}

/// The route of `outbox send [--smtp URL | --eml]`.
pub fn for_outbox_send(smtp: Option<&str>, eml: bool, db: &Path) -> Result<Route> {
    let smtp = smtp.map(str::trim).filter(|s| !s.is_empty());
    if eml && smtp.is_some() {
        return Err(Error::usage(
            "--eml writes the messages queued for SMTP as .eml files, and --smtp (or \
             ONBOARD_SMTP_URL) sends them: give one of the two (unset ONBOARD_SMTP_URL to use --eml)",
        ));
    }
    route(smtp, eml, db)
}

fn route(smtp: Option<&str>, smtp_as_files: bool, db: &Path) -> Result<Route> {
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("outbox");
    let smtp: Option<Box<dyn Transport>> = match smtp.map(str::trim).filter(|s| !s.is_empty()) {
        Some(url) => Some(Box::new(Smtp::new(url)?)),
        None => None,
    };
    Ok(Route::new(
        smtp,
        Box::new(FileOutbox { dir }),
        smtp_as_files,
    ))
}

/// `.eml` files in a folder, one per message, named by Message-ID so a
/// retry replaces rather than duplicates.
pub struct FileOutbox {
    pub dir: PathBuf,
}

impl Transport for FileOutbox {
    fn send(&self, email: &lettre::Message) -> std::result::Result<Delivered, Refused> {
        let failed = |path: &Path, e: std::io::Error| {
            Refused::transient(format!(
                "{}: {e}; the message stays queued for `onboard outbox send`",
                path.display()
            ))
        };
        create_private_dir(&self.dir).map_err(|e| failed(&self.dir, e))?;
        let id = email
            .headers()
            .get_raw("Message-ID")
            .map(|v| {
                let local = v
                    .trim_start_matches('<')
                    .split('@')
                    .next()
                    .unwrap_or_default();
                local
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let path = self.dir.join(format!("{id}.eml"));
        // Named by Message-ID: a retry replaces its own earlier copy.
        let mut f = crate::files::private_file_options()
            .create_new(false)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        f.write_all(&email.formatted())
            .and_then(|()| f.sync_all())
            .map_err(|e| failed(&path, e))?;
        // Listed by `outbox list`: absolute, so it names the file from
        // any folder.
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        Ok(Delivered::Written { path })
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }

    fn senders(&self) -> usize {
        1
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// An SMTP server, through a pool of reused connections.
pub struct Smtp {
    mailer: SmtpTransport,
    shown: String,
}

impl Smtp {
    pub fn new(url: &str) -> Result<Smtp> {
        let shown = redact_url(url);
        let builder = SmtpTransport::from_url(url).map_err(|e| {
            Error::usage(format!(
                "--smtp {shown}: not a usable SMTP URL ({}); expected smtp://user:pass@host:587?tls=required \
                 or smtps://user:pass@host:465",
                plain_cause(&e)
            ))
        })?;
        let mailer = builder
            .pool_config(PoolConfig::new().max_size(SMTP_SENDERS as u32))
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Smtp { mailer, shown })
    }
}

impl Transport for Smtp {
    fn send(&self, email: &lettre::Message) -> std::result::Result<Delivered, Refused> {
        use lettre::Transport as _;
        match self.mailer.send(email) {
            Ok(response) => Ok(Delivered::Sent {
                reply: reply_text(
                    &response.code().to_string(),
                    &response.message().collect::<Vec<_>>().join(" "),
                ),
            }),
            Err(e) => {
                let code = e.status().map(|c| c.to_string());
                let reply = code.as_deref().map(|code| {
                    let text = std::error::Error::source(&e)
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    reply_text(code, &text)
                });
                let permanent = code.as_deref().is_some_and(refuses_the_message);
                Err(Refused {
                    permanent,
                    reply,
                    message: explain(&e, &self.shown, permanent),
                })
            }
        }
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn senders(&self) -> usize {
        SMTP_SENDERS
    }
}

/// `250 2.0.0 OK queued as 1234`.
fn reply_text(code: &str, text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        code.to_string()
    } else {
        format!("{code} {text}")
    }
}

/// Whether a permanent (5xx) reply refuses the message itself: 54x and
/// 55x (mailbox unavailable, not permitted, too large, transaction
/// failed), given to MAIL FROM, RCPT TO or the data. Other 5xx replies
/// are about the session (50x syntax or an unsupported command, 52x, 53x
/// authentication or encryption required or refused): the administrator
/// can fix the URL and send again, so they are not a verdict on the
/// message.
fn refuses_the_message(code: &str) -> bool {
    code.starts_with("54") || code.starts_with("55")
}

/// The URL without its user info: `smtp://host:587?tls=required`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let rest = match rest.rfind('@') {
        Some(at) if rest[..at].find('/').is_none() => &rest[at + 1..],
        _ => rest,
    };
    format!("{scheme}://{rest}")
}

/// Every message in an error's source chain, without the Debug noise.
fn plain_cause(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let m = s.to_string();
        if !parts.contains(&m) {
            parts.push(m);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// An SMTP failure as advice; `permanent` when the server refused the
/// message itself.
pub fn explain(e: &lettre::transport::smtp::Error, server: &str, permanent: bool) -> String {
    let cause = plain_cause(e);
    let lower = cause.to_lowercase();
    let advice = if permanent {
        "the server refused the message for good (5xx); it is marked failed and not retried: \
         check the recipient and sender addresses"
    } else if lower.contains("connection refused") {
        "connection refused: is the SMTP server running, and is this its port? The message \
         stays queued"
    } else if e.is_tls()
        || lower.contains("tls")
        || lower.contains("certificate")
        || lower.contains("handshake")
    {
        "TLS failed: wrong port or TLS mode? Use smtps:// for port 465, smtp://...:587?tls=required for \
         STARTTLS, or smtp://... without tls for a local relay"
    } else if lower.contains("authentication")
        || lower.contains("535")
        || lower.contains("credentials")
    {
        "authentication refused: check the user name and password in the SMTP URL; the message \
         stays queued"
    } else if e.is_timeout() || lower.contains("timed out") {
        "the server did not answer in time: check the host, port and firewall; the message stays \
         queued"
    } else if e.is_transient() {
        "the server refused the message for now (4xx); it stays queued for `onboard outbox send`"
    } else if e.is_permanent() {
        "the server refused the session (5xx): check the SMTP URL; the message stays queued"
    } else if lower.contains("unexpected eof")
        || lower.contains("connection reset")
        || lower.contains("broken pipe")
    {
        "the server closed the connection in the middle of the message; it stays queued"
    } else {
        "delivery failed; the message stays queued"
    };
    format!("{server}: {advice} ({cause})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            redact_url("smtp://bob:s3cret@mail.example.com:587?tls=required"),
            "smtp://mail.example.com:587?tls=required"
        );
        assert_eq!(
            redact_url("smtps://mail.example.com"),
            "smtps://mail.example.com"
        );
        assert_eq!(redact_url("smtp://u:p%40ss@h:25"), "smtp://h:25");
    }

    #[test]
    fn only_54x_and_55x_refuse_the_message() {
        for code in ["550", "551", "552", "553", "554", "541"] {
            assert!(refuses_the_message(code), "{code}");
        }
        for code in ["500", "502", "530", "535", "538", "521"] {
            assert!(!refuses_the_message(code), "{code}");
        }
    }

    #[test]
    fn routes_never_turn_smtp_messages_into_files_unasked() {
        let db = Path::new("/nonexistent/onboard.db");
        let files_only = for_outbox_send(None, false, db).unwrap();
        assert!(files_only.transport(Via::Smtp).is_none());
        assert!(files_only.transport(Via::Eml).is_some());
        assert_eq!(files_only.queue_as(), Via::Eml);
        let eml = for_outbox_send(None, true, db).unwrap();
        assert!(eml.takes_smtp());
        assert!(
            eml.transport(Via::Smtp)
                .unwrap()
                .describe()
                .starts_with("files in")
        );
        let smtp = for_outbox_send(Some("smtp://127.0.0.1:2525"), false, db).unwrap();
        assert_eq!(smtp.queue_as(), Via::Smtp);
        assert!(
            smtp.transport(Via::Smtp)
                .unwrap()
                .describe()
                .starts_with("smtp://")
        );
        // A message queued for files stays a file.
        assert!(
            smtp.transport(Via::Eml)
                .unwrap()
                .describe()
                .starts_with("files in")
        );
        assert!(for_outbox_send(Some("smtp://127.0.0.1:2525"), true, db).is_err());
    }

    #[test]
    fn bad_urls_do_not_echo_the_password() {
        let err = Smtp::new("ftp://bob:s3cret@host")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
