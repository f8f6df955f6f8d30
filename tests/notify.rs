//! Notifications against a real SMTP server on loopback (aiosmtpd, started
//! per test by `SmtpSink`; `scripts/test.sh` installs it).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Work, contains, html_escape, readable, results_rows, users_csv};

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");

/// A running SMTP server that stores what it accepts in `dir`.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpSink {
    /// A sink on a port the system picks when the server binds it, so no
    /// other process can take the port between choosing and binding.
    pub fn start(work: &Work, name: &str, extra: &[&str]) -> SmtpSink {
        Self::start_on(0, work, name, extra)
    }

    pub fn start_on(port: u16, work: &Work, name: &str, extra: &[&str]) -> SmtpSink {
        let dir = work.path(name);
        let mut child = Command::new("python3")
            .arg(SINK)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 is needed for the SMTP tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if !line.starts_with("ready") {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!(
                "the test SMTP server did not start (run ./scripts/test.sh, which installs aiosmtpd):\n{err}"
            );
        }
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or(port);
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now, for a server that is down (and, in the
/// tests that bring one up there later, the port it comes up on).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `outbox list` as JSON: the messages, oldest first (a bare array, or
/// the `items` of a list page).
pub fn outbox(w: &Work) -> Vec<serde_json::Value> {
    let run = w
        .run(&["--format", "json", "outbox", "list", "--per-page", "1000"])
        .expect(0);
    let v = serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap();
    v.get("items")
        .unwrap_or(&v)
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .clone()
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv");

#[test]
fn three_recipients_each_get_every_user_and_password() {
    let w = Work::with_seats(10);
    let sink = SmtpSink::start(&w, "mail", &[]);
    let run = commit_sample(
        &w,
        &[
            "--results",
            "r.csv",
            "--smtp",
            &sink.url(),
            "--email-to",
            "a@example.com",
            "--email-to",
            "b@example.com",
            "--email-to",
            "c@example.com",
        ],
    )
    .expect(0);
    assert!(
        run.stdout.contains("messages: 3 queued, 3 sent"),
        "{}",
        run.stdout
    );
    let got = sink.messages();
    assert_eq!(got.len(), 3);
    let creds = results_rows(&w.path("r.csv"));
    assert_eq!(creds.len(), 6);
    for to in ["a@example.com", "b@example.com", "c@example.com"] {
        // Several senders share the pool, so arrival order is not fixed.
        let text = got
            .iter()
            .map(|m| readable(m))
            .find(|m| m.starts_with(&format!("X-Envelope-To: {to}\r\n")))
            .unwrap_or_else(|| panic!("nothing arrived for {to}"));
        assert!(
            text.contains("Content-Type: multipart/alternative"),
            "{text}"
        );
        assert!(
            text.contains("Content-Type: text/plain") && text.contains("Content-Type: text/html")
        );
        for (upn, pw) in &creds {
            assert!(text.contains(upn.as_str()), "{upn} missing");
            // In the text part as it is, in the HTML part escaped.
            assert!(text.contains(pw.as_str()), "password of {upn} missing");
            assert!(
                text.contains(&html_escape(pw)),
                "password of {upn} missing from the HTML"
            );
        }
    }
    let ids: std::collections::HashSet<String> = got
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 3, "each message has its own Message-ID");
    for m in outbox(&w) {
        assert_eq!(m["status"], "sent");
        assert_eq!(m["body_erased"], true);
        assert_eq!(m["attempts"], 1);
    }
    for (_, pw) in &creds {
        let db = std::fs::read(w.db()).unwrap();
        assert!(!contains(&db, pw), "a sent password is still in the store");
    }
}

#[test]
fn a_server_that_is_down_loses_nothing_and_sends_once() {
    let w = Work::with_seats(10);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let run = commit_sample(
        &w,
        &[
            "--smtp",
            &url,
            "--email-to",
            "a@example.com",
            "--email-to",
            "b@example.com",
            "--email-to",
            "c@example.com",
        ],
    )
    // Committed, but the delivery did not go through (SPEC §2).
    .expect(4);
    assert!(
        run.stderr.contains("was committed (6 users)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
    assert!(run.stderr.contains("onboard outbox send"), "{}", run.stderr);
    assert_eq!(
        w.count("SELECT count(*) FROM users"),
        6,
        "the batch is committed"
    );
    let queued = outbox(&w);
    assert_eq!(queued.len(), 3);
    for m in &queued {
        assert_eq!(m["status"], "queued");
        assert_eq!(m["body_erased"], false);
        assert!(
            m["last_error"]
                .as_str()
                .unwrap()
                .contains("connection refused")
        );
    }

    let sink = SmtpSink::start_on(port, &w, "mail", &[]);
    let sent = w.run(&["outbox", "send", "--smtp", &url]).expect(0);
    assert!(
        sent.stdout.contains("3 sent, 0 still queued"),
        "{}",
        sent.stdout
    );
    let again = w.run(&["outbox", "send", "--smtp", &url]).expect(0);
    assert!(again.stdout.contains("0 sent"), "{}", again.stdout);
    assert_eq!(sink.messages().len(), 3, "each message exactly once");
    assert!(
        outbox(&w)
            .iter()
            .all(|m| m["status"] == "sent" && m["body_erased"] == true)
    );
}

#[test]
fn a_temporary_refusal_is_retried_and_a_permanent_one_fails_once() {
    let w = Work::with_seats(10);
    let temp = SmtpSink::start(&w, "temp", &["--mode", "tempfail", "--fail-first", "1"]);
    // Committed, with its message left queued: exit 4.
    let run = commit_sample(&w, &["--smtp", &temp.url(), "--email-to", "a@example.com"]).expect(4);
    assert!(run.stderr.contains("4xx"), "{}", run.stderr);
    let m = &outbox(&w)[0];
    assert_eq!(m["status"], "queued");
    assert!(m["last_error"].as_str().unwrap().contains("451"), "{m}");
    assert_eq!(m["body_erased"], false, "kept for the retry");
    w.run(&["outbox", "send", "--smtp", &temp.url()]).expect(0);
    assert_eq!(temp.messages().len(), 1);
    let m = &outbox(&w)[0];
    assert_eq!(m["status"], "sent");
    assert_eq!(m["attempts"], 2);
    assert_eq!(m["reply"], "250 2.0.0 OK queued as 000001");

    // A 5xx to the message itself: failed, with the server's reply, its
    // bodies erased (nothing will retry it), and never sent again.
    let w = Work::with_seats(10);
    let perm = SmtpSink::start(&w, "perm", &["--mode", "permfail"]);
    let run = commit_sample(
        &w,
        &[
            "--results",
            "r.csv",
            "--smtp",
            &perm.url(),
            "--email-to",
            "a@example.com",
        ],
    );
    assert!(run.stderr.contains("5xx"), "{}", run.stderr);
    assert!(run.stderr.contains("refused for good"), "{}", run.stderr);
    let m = &outbox(&w)[0];
    assert_eq!(m["status"], "failed");
    assert_eq!(m["attempts"], 1);
    assert_eq!(m["reply"], "550 5.1.1 Mailbox unavailable");
    assert_eq!(m["body_erased"], true);
    let again = w.run(&["outbox", "send", "--smtp", &perm.url()]).expect(0);
    assert!(
        again.stdout.contains("0 sent, 0 still queued"),
        "{}",
        again.stdout
    );
    assert_eq!(
        outbox(&w)[0]["attempts"],
        1,
        "a failed message is not retried"
    );
    assert!(perm.messages().is_empty());
    let list = w.run(&["outbox", "list"]).expect(0);
    assert!(
        list.stdout.contains("failed") && list.stdout.contains("550 5.1.1 Mailbox unavailable"),
        "{}",
        list.stdout
    );
    let db = std::fs::read(w.db()).unwrap();
    for (_, pw) in results_rows(&w.path("r.csv")) {
        assert!(
            !contains(&db, &pw),
            "a failed message's password is still in the store"
        );
    }
}

#[test]
fn a_connection_dropped_mid_message_is_retried_once() {
    let w = Work::with_seats(10);
    let sink = SmtpSink::start(&w, "mail", &["--mode", "drop", "--fail-first", "1"]);
    let run = commit_sample(&w, &["--smtp", &sink.url(), "--email-to", "a@example.com"]).expect(4);
    assert!(run.stderr.contains("stay queued"), "{}", run.stderr);
    assert!(sink.messages().is_empty());
    w.run(&["outbox", "send", "--smtp", &sink.url()]).expect(0);
    w.run(&["outbox", "send", "--smtp", &sink.url()]).expect(0);
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn authentication_refused_is_explained_and_the_password_not_shown() {
    let w = Work::with_seats(10);
    let sink = SmtpSink::start(&w, "mail", &["--auth", "robot:right-secret"]);
    let url = format!("smtp://robot:Wr0ng-Secret@127.0.0.1:{}", sink.port);
    let run = commit_sample(&w, &["--smtp", &url, "--email-to", "a@example.com"]).expect(4);
    assert!(
        run.stderr.contains("authentication refused"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Wr0ng-Secret") && !run.stdout.contains("Wr0ng-Secret"));
    let good = format!("smtp://robot:right-secret@127.0.0.1:{}", sink.port);
    w.run(&["outbox", "send", "--smtp", &good]).expect(0);
    assert_eq!(sink.messages().len(), 1);
    let db = std::fs::read(w.db()).unwrap();
    assert!(!contains(&db, "Wr0ng-Secret"));
}

#[test]
fn welcome_messages_go_to_each_alternate_address() {
    let w = Work::with_seats(10);
    let sink = SmtpSink::start(&w, "mail", &[]);
    commit_sample(
        &w,
        &["--results", "r.csv", "--smtp", &sink.url(), "--welcome"],
    )
    .expect(0);
    let got = sink.messages();
    // Four of the six sample users have an Alternate email address.
    assert_eq!(got.len(), 4);
    let creds = results_rows(&w.path("r.csv"));
    let adele = got
        .iter()
        .map(|m| readable(m))
        .find(|m| m.contains("X-Envelope-To: adele.vance@example.com"))
        .unwrap();
    assert!(adele.contains("Hello Adele,"), "{adele}");
    let (_, pw) = creds
        .iter()
        .find(|(u, _)| u.starts_with("adele.vance@"))
        .unwrap();
    assert!(adele.contains(pw.as_str()));
    assert!(adele.contains("adele.vance@contoso.onmicrosoft.com"));
    let zoe = got
        .iter()
        .map(|m| readable(m))
        .find(|m| m.contains("X-Envelope-To: zoe@example.org"))
        .unwrap();
    assert!(zoe.contains("Zo"), "{zoe}");
}

#[test]
fn without_smtp_messages_are_private_eml_files_beside_the_store() {
    let w = Work::with_seats(10);
    commit_sample(&w, &["--email-to", "a@example.com", "--welcome"]).expect(0);
    let files: Vec<_> = std::fs::read_dir(w.path("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 5);
    #[cfg(unix)]
    for f in &files {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn line_breaks_in_a_display_name_never_reach_a_header() {
    let w = Work::with_seats(10);
    let mut csv = users_csv("h", 1);
    csv.push_str("evil,,,\"Evil\r\nBcc: victim@example.com\",,,,,,,evil@example.com,,,,,,,,,\r\n");
    w.write("in.csv", csv);
    let run = w.run(&[
        "commit",
        "in.csv",
        "--tenant",
        "contoso",
        "--email-to",
        "a@example.com",
        "--welcome",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("control_chars"), "{}", run.stdout);
    assert_eq!(w.count("SELECT count(*) FROM outbox"), 0);
}

#[test]
fn a_broken_template_stops_the_commit_before_anything_is_written() {
    let w = Work::with_seats(10);
    std::fs::create_dir(w.path("tpl")).unwrap();
    w.write("tpl/results.txt.tera", "{% for u in users %}{{ u.upn }}");
    let before = w.dump();
    let run = commit_sample(&w, &["--templates", "tpl", "--email-to", "a@example.com"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("email template"), "{}", run.stderr);
    assert_eq!(w.dump(), before);
}

#[test]
fn a_sixth_recipient_is_a_usage_error() {
    let w = Work::with_seats(10);
    let mut args = vec!["commit", SAMPLE, "--tenant", "contoso"];
    for _ in 0..6 {
        args.extend(["--email-to", "a@example.com"]);
    }
    let run = w.run(&args);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("at most 5"), "{}", run.stderr);
}

#[test]
fn reset_password_emails_through_the_same_outbox() {
    let w = Work::with_seats(10);
    let sink = SmtpSink::start(&w, "mail", &[]);
    commit_sample(&w, &[]).expect(0);
    let run = w
        .run(&[
            "users",
            "reset-password",
            "--tenant",
            "contoso",
            "adele.vance",
            "--email-to",
            "it@example.com",
            "--smtp",
            &sink.url(),
        ])
        .expect(0);
    let pw = run.stdout.trim().rsplit(' ').next().unwrap().to_string();
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(readable(&got[0]).contains(&pw));
    assert!(
        got[0].contains("Subject: New temporary password for adele.vance@contoso.onmicrosoft.com")
    );
    let m = &outbox(&w)[0];
    assert_eq!(m["kind"], "reset");
    assert_eq!(m["body_erased"], true);
}

#[test]
fn a_pooled_sender_delivers_many_messages() {
    // 300 welcome messages through the pool: all arrive, each once.
    let w = Work::with_seats(1000);
    let mut csv = String::from("User Name,Display Name,First Name,Alternate email address\r\n");
    for i in 0..300 {
        csv.push_str(&format!("w{i},Welcome {i},W{i},w{i}@example.com\r\n"));
    }
    w.write("in.csv", csv);
    let sink = SmtpSink::start(&w, "mail", &[]);
    let started = Instant::now();
    let run = w
        .run(&[
            "commit",
            "in.csv",
            "--tenant",
            "contoso",
            "--smtp",
            &sink.url(),
            "--welcome",
        ])
        .expect(0);
    assert!(
        run.stdout.contains("messages: 300 queued, 300 sent"),
        "{}",
        run.stdout
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.messages().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = sink.messages();
    assert_eq!(got.len(), 300);
    let recipients: std::collections::HashSet<&str> =
        got.iter().map(|m| m.lines().next().unwrap()).collect();
    assert_eq!(
        recipients.len(),
        300,
        "every message went to its own user, once"
    );
    eprintln!(
        "300 welcome messages committed and delivered in {:?}",
        started.elapsed()
    );
}

#[test]
fn reset_password_sends_only_its_own_messages() {
    let w = Work::with_seats(10);
    // A commit whose results message cannot be delivered: nothing listens.
    let down = format!("smtp://127.0.0.1:{}", free_port());
    commit_sample(&w, &["--smtp", &down, "--email-to", "a@example.com"]).expect(4);
    let sink = SmtpSink::start(&w, "mail", &[]);
    w.run(&[
        "users",
        "reset-password",
        "--tenant",
        "contoso",
        "adele.vance",
        "--email-to",
        "it@example.com",
        "--smtp",
        &sink.url(),
    ])
    .expect(0);
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("X-Envelope-To: it@example.com"),
        "{}",
        got[0]
    );
    let queued: Vec<_> = outbox(&w)
        .into_iter()
        .filter(|m| m["status"] == "queued")
        .collect();
    assert_eq!(
        queued.len(),
        1,
        "the batch's message waits for `outbox send`"
    );
    assert_eq!(queued[0]["kind"], "results");
}

/// `commit` of the sample file into the test tenant, with `extra` options.
pub fn commit_sample(w: &Work, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["commit", SAMPLE, "--tenant", "contoso"];
    args.extend_from_slice(extra);
    w.run(&args)
}

// --- honest delivery (SPEC §11) ----------------------------------------

/// A CSV of `n` users `<prefix><i>`, each with an alternate address (one
/// welcome message each).
fn users_with_alternates(prefix: &str, n: usize) -> String {
    let mut s = String::from("User Name,Display Name,Alternate email address\r\n");
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}{i},User {prefix} {i},{prefix}{i}@example.com\r\n"
        ));
    }
    s
}

/// The leaf parts of a raw message: (headers, body decoded by its
/// Content-Transfer-Encoding). lettre's boundaries are lines that start
/// with `--`, and no body line of ours does (base64 and quoted-printable
/// never start a line so).
fn mime_parts(raw: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let decode = |headers: &str, body: &str| -> Vec<u8> {
        let lower = headers.to_ascii_lowercase();
        if lower.contains("content-transfer-encoding: base64") {
            let compact: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap()
        } else {
            readable(&format!("{headers}\r\n{body}"))
                .split_once("\r\n\r\n")
                .map_or(String::new(), |(_, b)| b.to_string())
                .into_bytes()
        }
    };
    let mut parts = Vec::new();
    let (mut headers, mut body) = (String::new(), String::new());
    let mut in_body = false;
    for line in raw.split_inclusive('\n') {
        if line.starts_with("--") {
            if in_body {
                parts.push((headers.clone(), decode(&headers, &body)));
            }
            (headers, body, in_body) = (String::new(), String::new(), false);
        } else if in_body {
            body.push_str(line);
        } else if line.trim_end().is_empty() {
            in_body = true;
        } else {
            headers.push_str(line);
        }
    }
    parts
}

/// The file name in a part's headers, whole: lettre writes a long one in
/// RFC 2231 pieces (`filename*0="..."; filename*1="..."`).
fn file_name(headers: &str) -> String {
    let mut name = String::new();
    for piece in headers.split("filename").skip(1) {
        let Some(start) = piece.find('"') else {
            continue;
        };
        let rest = &piece[start + 1..];
        name.push_str(&rest[..rest.find('"').unwrap()]);
    }
    name
}

/// The leaf part whose headers contain `content_type`, decoded.
fn part(raw: &str, content_type: &str) -> Option<(String, Vec<u8>)> {
    mime_parts(raw)
        .into_iter()
        .find(|(h, _)| h.to_ascii_lowercase().contains(content_type))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sql(w: &Work, statement: &str, params: impl rusqlite::Params) {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    c.execute(statement, params).unwrap();
}

#[test]
fn sent_and_written_messages_say_where_they_went() {
    let w = Work::with_seats(10);
    // Without --smtp: written, as a file whose path is kept.
    commit_sample(&w, &["--email-to", "a@example.com"]).expect(0);
    let m = &outbox(&w)[0];
    assert_eq!(m["status"], "written");
    assert_eq!(m["transport"], "eml");
    assert_eq!(m["body_erased"], true);
    let path = PathBuf::from(m["path"].as_str().unwrap());
    assert!(path.is_absolute(), "{}", path.display());
    assert_eq!(
        path.parent().unwrap(),
        std::fs::canonicalize(w.path("outbox")).unwrap()
    );
    let eml = std::fs::read_to_string(&path).unwrap();
    assert!(eml.contains(&format!(
        "Message-ID: {}",
        m["message_id"].as_str().unwrap()
    )));

    // With ONBOARD_SMTP_URL (as with --smtp): sent, with the server's reply.
    let sink = SmtpSink::start(&w, "mail", &[]);
    w.run_env(
        &[("ONBOARD_SMTP_URL", &sink.url())],
        &[
            "users",
            "reset-password",
            "--tenant",
            "contoso",
            "adele.vance",
            "--email-to",
            "it@example.com",
        ],
    )
    .expect(0);
    let m = &outbox(&w)[1];
    assert_eq!(m["status"], "sent");
    assert_eq!(m["transport"], "smtp");
    assert_eq!(m["reply"], "250 2.0.0 OK queued as 000001");
    assert_eq!(sink.messages().len(), 1);
    let list = w.run(&["outbox", "list"]).expect(0);
    assert!(
        list.stdout.contains("250 2.0.0 OK queued as 000001")
            && list.stdout.contains(&path.display().to_string())
            && list.stdout.contains("written"),
        "{}",
        list.stdout
    );
    let sent = w.run(&["outbox", "list", "--status", "sent"]).expect(0);
    assert_eq!(sent.stdout.lines().count(), 2, "{}", sent.stdout);
}

#[test]
fn smtp_messages_are_never_silently_written_as_files() {
    let w = Work::with_seats(10);
    // A message queued without --smtp that could not be written (a file
    // where the outbox folder should be) ...
    w.write("outbox", "in the way");
    commit_sample(&w, &["--email-to", "eml@example.com"]);
    std::fs::remove_file(w.path("outbox")).unwrap();
    // ... and five queued for SMTP while the server is down.
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let mut csv = users_with_alternates("s", 4);
    csv.push_str("s-extra,S extra,\r\n");
    w.write("in.csv", csv);
    w.run(&[
        "commit",
        "in.csv",
        "--tenant",
        "contoso",
        "--smtp",
        &down,
        "--email-to",
        "smtp@example.com",
        "--welcome",
    ]);
    let queued = outbox(&w);
    assert_eq!(queued.len(), 6);
    assert!(queued.iter().all(|m| m["status"] == "queued"));
    assert_eq!(queued[0]["transport"], "eml");
    assert!(queued[1..].iter().all(|m| m["transport"] == "smtp"));

    // No transport for SMTP: the file is written as before, the SMTP
    // messages stay queued, and the run says so and exits 2.
    let run = w.run(&["outbox", "send"]).expect(2);
    assert!(
        run.stderr.contains("1 written")
            && run
                .stderr
                .contains("5 messages were queued for SMTP and stay queued")
            && run.stderr.contains("--smtp")
            && run.stderr.contains("--eml"),
        "{}",
        run.stderr
    );
    let after = outbox(&w);
    assert_eq!(after[0]["status"], "written");
    assert!(after[1..].iter().all(|m| m["status"] == "queued"));
    let files = || std::fs::read_dir(w.path("outbox")).unwrap().count();
    assert_eq!(files(), 1);

    // --eml and an SMTP server at once is ambiguous.
    w.run(&["outbox", "send", "--eml", "--smtp", &down])
        .expect(2);
    let both = w
        .run_env(&[("ONBOARD_SMTP_URL", &down)], &["outbox", "send", "--eml"])
        .expect(2);
    assert!(both.stderr.contains("ONBOARD_SMTP_URL"), "{}", both.stderr);
    assert_eq!(files(), 1);

    // --eml writes them, on request, each to a file that `outbox list` names.
    let run = w.run(&["outbox", "send", "--eml"]).expect(0);
    assert!(
        run.stdout.contains("0 sent, 5 written, 0 still queued"),
        "{}",
        run.stdout
    );
    assert_eq!(files(), 6);
    for m in &outbox(&w)[1..] {
        assert_eq!(m["status"], "written");
        assert_eq!(m["transport"], "smtp", "it was queued for SMTP");
        let eml = std::fs::read_to_string(m["path"].as_str().unwrap()).unwrap();
        assert!(eml.contains(m["message_id"].as_str().unwrap()));
    }
    w.run(&["outbox", "send"]).expect(0);
}

/// `outbox send`, `commit` and `users reset-password` processes at once:
/// every message arrives exactly once.
#[test]
fn concurrent_deliveries_send_each_message_exactly_once() {
    const QUEUED: usize = 60;
    const MORE: usize = 20;
    let w = Work::with_seats(200);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    w.write("queued.csv", users_with_alternates("q", QUEUED));
    w.run(&[
        "commit",
        "queued.csv",
        "--tenant",
        "contoso",
        "--smtp",
        &url,
        "--welcome",
    ]);
    assert_eq!(
        w.count("SELECT count(*) FROM outbox WHERE status = 'queued'"),
        QUEUED as i64
    );
    let sink = SmtpSink::start_on(port, &w, "mail", &[]);
    w.write("more.csv", users_with_alternates("m", MORE));
    let mut runs: Vec<(String, std::process::Child)> = Vec::new();
    let spawn = |args: &[&str]| {
        w.command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for i in 0..4 {
        runs.push((
            format!("outbox send {i}"),
            spawn(&["outbox", "send", "--smtp", &url]),
        ));
    }
    runs.push((
        "commit".into(),
        spawn(&[
            "commit",
            "more.csv",
            "--tenant",
            "contoso",
            "--smtp",
            &url,
            "--welcome",
        ]),
    ));
    runs.push((
        "reset-password".into(),
        spawn(&[
            "users",
            "reset-password",
            "--tenant",
            "contoso",
            "q0",
            "--email-to",
            "it@example.com",
            "--smtp",
            &url,
        ]),
    ));
    for (name, child) in runs {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        if name.starts_with("outbox send") {
            assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        }
    }
    let total = QUEUED + MORE + 1;
    assert_eq!(
        w.count("SELECT count(*) FROM outbox WHERE status = 'sent' AND claimed_by IS NULL"),
        total as i64
    );
    let got = sink.messages();
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(got.len(), total, "deliveries");
    assert_eq!(ids.len(), total, "a message arrived twice");
    let stored: i64 = w.count(
        "SELECT count(*) FROM outbox WHERE reply LIKE '250 2.0.0 OK queued as %' AND body_text IS NULL",
    );
    assert_eq!(stored, total as i64);
}

#[test]
fn a_dead_runs_claim_is_taken_over_once_its_lease_expires() {
    let w = Work::with_seats(10);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    commit_sample(
        &w,
        &[
            "--smtp",
            &url,
            "--email-to",
            "a@example.com",
            "--email-to",
            "b@example.com",
        ],
    );
    // A run claimed the first message and died; its lease has ten minutes
    // to go.
    let held = outbox(&w)[0]["message_id"].as_str().unwrap().to_string();
    sql(
        &w,
        "UPDATE outbox SET claimed_by = 'dead-run', claimed_until = ?1 WHERE message_id = ?2",
        rusqlite::params![unix_now() + 600, held],
    );
    let sink = SmtpSink::start_on(port, &w, "mail", &[]);
    let run = w.run(&["outbox", "send", "--smtp", &url]).expect(0);
    assert!(
        run.stdout.contains("1 sent, 1 still queued"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("being delivered by another run"),
        "{}",
        run.stderr
    );
    let list = w.run(&["outbox", "list", "--status", "queued"]).expect(0);
    assert!(list.stdout.contains("held for"), "{}", list.stdout);
    assert_eq!(sink.messages().len(), 1);

    // The lease runs out: the next run takes the message over, with the
    // Message-ID it was queued with.
    sql(
        &w,
        "UPDATE outbox SET claimed_until = ?1 WHERE claimed_by = 'dead-run'",
        [unix_now() - 1],
    );
    let run = w.run(&["outbox", "send", "--smtp", &url]).expect(0);
    assert!(
        run.stdout.contains("1 sent, 0 still queued"),
        "{}",
        run.stdout
    );
    let got = sink.messages();
    assert_eq!(got.len(), 2);
    assert!(
        got[1].contains(&format!("Message-ID: {held}")),
        "{}",
        got[1]
    );
}

// --- messages that scale (SPEC §8) ------------------------------------

#[test]
fn a_results_message_for_many_users_carries_them_as_an_attachment() {
    let w = Work::with_seats(1000);
    w.write("in.csv", users_csv("a", 600));
    let sink = SmtpSink::start(&w, "mail", &[]);
    w.run(&[
        "commit",
        "in.csv",
        "--tenant",
        "contoso",
        "--results",
        "r.csv",
        "--smtp",
        &sink.url(),
        "--email-to",
        "it@example.com",
    ])
    .expect(0);
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let raw = &got[0];
    assert!(
        raw.contains("Subject: New user accounts for Contoso (600 users)\r\n"),
        "{raw:.2000}"
    );
    let (headers, csv) = part(raw, "text/csv").expect("a CSV attachment");
    assert!(headers.contains("attachment"), "{headers}");
    let name = file_name(&headers);
    assert!(
        name.starts_with("onboard-results-") && name.ends_with(".csv") && !name.contains("part"),
        "{headers}"
    );
    assert_eq!(
        csv,
        std::fs::read(w.path("r.csv")).unwrap(),
        "the attachment is the results file"
    );
    let (_, text) = part(raw, "text/plain").unwrap();
    let (_, html) = part(raw, "text/html").unwrap();
    let text = String::from_utf8(text).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(text.contains("600 users created"), "{text}");
    assert!(text.contains("attached"), "{text}");
    for (upn, pw) in results_rows(&w.path("r.csv")) {
        assert!(!text.contains(&pw) && !html.contains(&html_escape(&pw)));
        assert!(!text.contains(&upn), "only the summary in the body");
    }
    let m = &outbox(&w)[0];
    assert_eq!(m["body_erased"], true);
    assert!(m["attachment"].as_str().unwrap().ends_with(".csv"));
    let db = std::fs::read(w.db()).unwrap();
    let (_, pw) = &results_rows(&w.path("r.csv"))[599];
    assert!(
        !contains(&db, pw),
        "an attached password is still in the store"
    );
}

#[test]
fn a_results_list_too_long_for_one_message_is_split_into_numbered_parts() {
    // 20,000 users with 250-character CJK display names: about 16 MB of
    // CSV, 22 MB in base64.
    const N: usize = 20_000;
    let w = Work::with_seats(N as u64);
    let long = "漢".repeat(244);
    let mut csv = String::from("User Name,Display Name\r\n");
    for i in 0..N {
        csv.push_str(&format!("p{i},{long} {i}\r\n"));
    }
    w.write("in.csv", csv);
    let started = Instant::now();
    let run = w
        .run(&[
            "commit",
            "in.csv",
            "--tenant",
            "contoso",
            "--results",
            "r.csv",
            "--email-to",
            "it@example.com",
        ])
        .expect(0);
    eprintln!(
        "commit of {N} users with a split results message: {:?}; {}",
        started.elapsed(),
        run.stdout
            .lines()
            .find(|l| l.contains("timings"))
            .unwrap_or("")
    );
    let mut messages: Vec<(usize, String, Vec<u8>)> = Vec::new();
    let mut parts_seen = None;
    let mut ids = std::collections::HashSet::new();
    for f in std::fs::read_dir(w.path("outbox")).unwrap() {
        let path = f.unwrap().path();
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 10_000_000, "{}: {size} bytes", path.display());
        let raw = std::fs::read_to_string(&path).unwrap();
        let subject = raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap()
            .to_string();
        let (i, n) = subject
            .strip_prefix(&format!("New user accounts for Contoso ({N} users, part "))
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|rest| rest.split_once(" of "))
            .map(|(i, n)| (i.parse::<usize>().unwrap(), n.parse::<usize>().unwrap()))
            .unwrap_or_else(|| panic!("{subject}"));
        assert_eq!(*parts_seen.get_or_insert(n), n);
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap();
        assert!(ids.insert(id.to_string()), "two parts share {id}");
        let (_, text) = part(&raw, "text/plain").unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains(&format!("part {i} of {n}")), "{text}");
        let (headers, csv) = part(&raw, "text/csv").unwrap();
        assert!(
            file_name(&headers).ends_with(&format!("-part-{i}-of-{n}.csv")),
            "{headers}"
        );
        messages.push((i, text, csv));
    }
    let n = parts_seen.unwrap();
    assert!(n >= 2, "{n} parts");
    assert_eq!(messages.len(), n);
    messages.sort_by_key(|(i, _, _)| *i);
    // The parts' rows, in order, are the results file's rows, each part a
    // results file of its own (BOM and header first).
    let results = std::fs::read(w.path("r.csv")).unwrap();
    let header_len = results.windows(2).position(|p| p == b"\r\n").unwrap() + 2;
    let mut rows = Vec::new();
    for (_, _, csv) in &messages {
        assert_eq!(csv[..header_len], results[..header_len]);
        rows.extend_from_slice(&csv[header_len..]);
    }
    assert_eq!(
        rows,
        results[header_len..],
        "the parts hold every user once"
    );
    assert!(
        outbox(&w)
            .iter()
            .all(|m| m["status"] == "written" && m["body_erased"] == true)
    );
}
