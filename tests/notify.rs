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
    pub fn start(work: &Work, name: &str, extra: &[&str]) -> SmtpSink {
        Self::start_on(free_port(), work, name, extra)
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn outbox(w: &Work) -> Vec<serde_json::Value> {
    let run = w
        .run(&["--format", "json", "outbox", "list", "--per-page", "1000"])
        .expect(0);
    serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["items"]
        .as_array()
        .unwrap()
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
fn temporary_and_permanent_refusals_keep_messages_queued() {
    let w = Work::with_seats(10);
    let temp = SmtpSink::start(&w, "temp", &["--mode", "tempfail", "--fail-first", "1"]);
    let run = commit_sample(&w, &["--smtp", &temp.url(), "--email-to", "a@example.com"]).expect(4);
    assert!(run.stderr.contains("4xx"), "{}", run.stderr);
    assert_eq!(outbox(&w)[0]["status"], "queued");
    w.run(&["outbox", "send", "--smtp", &temp.url()]).expect(0);
    assert_eq!(temp.messages().len(), 1);
    assert_eq!(outbox(&w)[0]["attempts"], 2);

    let w = Work::with_seats(10);
    let perm = SmtpSink::start(&w, "perm", &["--mode", "permfail"]);
    let run = commit_sample(&w, &["--smtp", &perm.url(), "--email-to", "a@example.com"]).expect(4);
    assert!(run.stderr.contains("5xx"), "{}", run.stderr);
    let retry = w.run(&["outbox", "send", "--smtp", &perm.url()]);
    assert_eq!(retry.code, 1, "still queued: {}", retry.stdout);
    let m = &outbox(&w)[0];
    assert_eq!(m["status"], "queued");
    assert_eq!(m["attempts"], 2);
    assert!(perm.messages().is_empty());
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
