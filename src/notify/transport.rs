//! Where messages go: an SMTP server through lettre (one connection pool
//! shared by several sender threads), or, without `--smtp`, `.eml` files
//! (mode 0600) in `outbox/` beside the store.
//!
//! Delivery failures are explained in plain words (wrong port or TLS mode,
//! authentication refused, connection refused), and never repeat the SMTP
//! URL, which may hold a password.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::{PoolConfig, SmtpTransport};

use crate::error::{Error, Result};

/// Sends one built message; the error is a sentence for the administrator.
pub trait Transport: Send + Sync {
    fn send(&self, email: &lettre::Message) -> std::result::Result<(), String>;
    /// Where messages go, without secrets ("smtp://mail.example.com:587").
    fn describe(&self) -> String;
    /// How many messages to send at once.
    fn senders(&self) -> usize;
}

/// Senders for SMTP: delivery is bound by round trips, not CPU, so more
/// threads than cores pay off (lettre's sync client stalls per message).
const SMTP_SENDERS: usize = 8;

/// The transport the options ask for.
pub fn from_options(smtp: Option<&str>, db: &Path) -> Result<Box<dyn Transport>> {
    match smtp.map(str::trim).filter(|s| !s.is_empty()) {
        Some(url) => Ok(Box::new(Smtp::new(url)?)),
        None => {
            let dir = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join("outbox");
            Ok(Box::new(FileOutbox { dir }))
        }
    }
}

/// `.eml` files in a folder, one per message, named by Message-ID so a
/// retry replaces rather than duplicates.
pub struct FileOutbox {
    pub dir: PathBuf,
}

impl Transport for FileOutbox {
    fn send(&self, email: &lettre::Message) -> std::result::Result<(), String> {
        create_private_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
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
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(&email.formatted())
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{}: {e}", path.display()))
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
    fn send(&self, email: &lettre::Message) -> std::result::Result<(), String> {
        use lettre::Transport as _;
        self.mailer
            .send(email)
            .map(drop)
            .map_err(|e| explain(&e, &self.shown))
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn senders(&self) -> usize {
        SMTP_SENDERS
    }
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

/// An SMTP failure as advice.
pub fn explain(e: &lettre::transport::smtp::Error, server: &str) -> String {
    let cause = plain_cause(e);
    let lower = cause.to_lowercase();
    let advice = if lower.contains("connection refused") {
        "connection refused: is the SMTP server running, and is this its port?"
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
        "authentication refused: check the user name and password in the SMTP URL"
    } else if e.is_timeout() || lower.contains("timed out") {
        "the server did not answer in time: check the host, port and firewall"
    } else if e.is_transient() {
        "the server refused the message for now (4xx); it stays queued for `onboard outbox send`"
    } else if e.is_permanent() {
        "the server rejected the message (5xx); check the recipient and sender addresses"
    } else if lower.contains("unexpected eof")
        || lower.contains("connection reset")
        || lower.contains("broken pipe")
    {
        "the server closed the connection in the middle of the message; it stays queued"
    } else {
        "delivery failed"
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
    fn bad_urls_do_not_echo_the_password() {
        let err = Smtp::new("ftp://bob:s3cret@host")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
