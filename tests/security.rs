//! Security properties end to end: every secret is found only where it is
//! meant to be, files holding secrets are private, hostile values stay
//! inert, and one tenant never reaches another's data.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::notify::SmtpSink;
use crate::util::{Work, contains, readable, results_passwords, users_csv};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

const GIVEN: &str = "Zq8!given-Pw-4711";
const SMTP_PASS: &str = "Smtp-S3cret-9931";

fn input_with_given_password(w: &Work) {
    let mut csv = users_csv("s", 3);
    csv.push_str(&format!(
        "given.pw,,,Given Password,,,,,,,,,,,,,,{GIVEN},,\r\n"
    ));
    w.write("in.csv", csv);
}

#[test]
fn secrets_are_only_where_they_are_meant_to_be_with_smtp() {
    let w = Work::with_seats(10);
    input_with_given_password(&w);
    let sink = SmtpSink::start(&w, "mail", &["--auth", &format!("robot:{SMTP_PASS}")]);
    let url = format!("smtp://robot:{SMTP_PASS}@127.0.0.1:{}", sink.port);
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    // Every log format and the annotated copy, from verify.
    for log in ["log.txt", "log.csv", "log.json"] {
        let run = w
            .run(&[
                "verify",
                "in.csv",
                "--tenant",
                "contoso",
                "--log",
                log,
                "--annotated",
                "a.csv",
                "--smtp",
                &url,
            ])
            .expect(0);
        outputs.push((format!("verify {log} stdout"), run.raw_stdout));
        outputs.push((format!("verify {log} stderr"), run.stderr.into_bytes()));
        outputs.push((log.to_string(), w.read(log)));
        outputs.push((format!("annotated ({log})"), w.read("a.csv")));
    }
    for fmt in ["text", "json"] {
        let _ = std::fs::remove_file(w.path("r.csv"));
        if fmt == "json" {
            // A second batch needs other users.
            let mut csv = users_csv("t", 2);
            csv.push_str("given.pw2,,,Given Password,,,,,,,,,,,,,,Zq8!given-Pw-4712,,\r\n");
            w.write("in.csv", csv);
        }
        let run = w
            .run(&[
                "--format",
                fmt,
                "commit",
                "in.csv",
                "--tenant",
                "contoso",
                "--results",
                "r.csv",
                "--log",
                "c.json",
                "--annotated",
                "ca.csv",
                "--email-to",
                "it@example.com",
                "--smtp",
                &url,
            ])
            .expect(0);
        outputs.push((format!("commit {fmt} stdout"), run.raw_stdout));
        outputs.push((format!("commit {fmt} stderr"), run.stderr.into_bytes()));
        outputs.push((format!("commit log {fmt}"), w.read("c.json")));
        outputs.push((format!("commit annotated {fmt}"), w.read("ca.csv")));
        let results = w.read("r.csv");
        assert!(contains(
            &results,
            if fmt == "text" {
                GIVEN
            } else {
                "Zq8!given-Pw-4712"
            }
        ));
        assert!(
            !contains(&results, SMTP_PASS),
            "the SMTP password is in the results"
        );
        assert_eq!(mode(&w.path("r.csv")), 0o600);
        let passwords = results_passwords(&w.path("r.csv"));
        assert_eq!(passwords.len(), 3 + usize::from(fmt == "text"));
        // Delivered: each password reached the administrator.
        let delivered = sink.messages().concat();
        for p in &passwords {
            assert!(
                contains(delivered.as_bytes(), p)
                    || contains(delivered.replace("=\r\n", "").as_bytes(), p),
                "a password was not delivered"
            );
        }
        for (name, args) in [
            ("outbox list", vec!["outbox", "list"]),
            (
                "outbox list json",
                vec!["--format", "json", "outbox", "list"],
            ),
            ("users list", vec!["users", "list", "--tenant", "contoso"]),
        ] {
            let run = w.run(&args).expect(0);
            outputs.push((name.into(), run.raw_stdout));
            outputs.push((name.into(), run.stderr.into_bytes()));
        }
        let mut store_bytes = w.read("onboard.db");
        if let Ok(wal) = std::fs::read(w.path("onboard.db-wal")) {
            store_bytes.extend(wal);
        }
        assert_eq!(mode(w.db()), 0o600);
        for p in &passwords {
            assert!(
                !contains(&store_bytes, p),
                "a delivered password is in the store bytes"
            );
            for (name, bytes) in &outputs {
                assert!(!contains(bytes, p), "a password is in {name}");
            }
        }
    }
    let mut store_bytes = w.read("onboard.db");
    if let Ok(wal) = std::fs::read(w.path("onboard.db-wal")) {
        store_bytes.extend(wal);
    }
    for (name, bytes) in outputs.iter().chain([&("store".to_string(), store_bytes)]) {
        assert!(
            !contains(bytes, SMTP_PASS),
            "the SMTP password is in {name}"
        );
        assert!(!contains(bytes, GIVEN), "the given password is in {name}");
    }
}

#[test]
fn secrets_in_the_eml_outbox_are_private_and_leave_the_store() {
    let w = Work::with_seats(10);
    input_with_given_password(&w);
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
    let passwords = results_passwords(&w.path("r.csv"));
    assert!(passwords.contains(&GIVEN.to_string()));
    let outbox = w.path("outbox");
    assert_eq!(mode(&outbox), 0o700);
    let emls = files_in(&outbox);
    assert_eq!(emls.len(), 1);
    let eml = std::fs::read(&emls[0]).unwrap();
    let readable = readable(&String::from_utf8_lossy(&eml));
    for p in &passwords {
        assert!(readable.contains(p.as_str()), "the .eml lacks a password");
    }
    assert_eq!(mode(&emls[0]), 0o600);
    assert_eq!(mode(&w.path("r.csv")), 0o600);
    assert_eq!(mode(w.db()), 0o600);
    let mut store_bytes = w.read("onboard.db");
    if let Ok(wal) = std::fs::read(w.path("onboard.db-wal")) {
        store_bytes.extend(wal);
    }
    for p in &passwords {
        assert!(!contains(&store_bytes, p));
        assert!(!run.stdout.contains(p.as_str()) && !run.stderr.contains(p.as_str()));
    }
}

/// Values that are code somewhere: SQL, shell, spreadsheet formulas, HTML
/// and header injection spelled without control characters.
const PAYLOADS: [&str; 10] = [
    "'; DROP TABLE users; --",
    "Robert\"); DELETE FROM batches WHERE (\"1\"=\"1",
    "$(touch pwned-shell)",
    "`touch pwned-tick`",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1)",
    "<script>alert(1)</script>",
    "%0d%0aBcc: evil@example.com",
    "100% _wild_ [x] \\ %'",
];

#[test]
fn hostile_values_are_stored_exactly_and_stay_inert() {
    let w = Work::with_seats(20);
    let mut csv = String::from("User Name,Display Name,Job Title,Department,City,Password\r\n");
    for (i, p) in PAYLOADS.iter().enumerate() {
        let q = p.replace('"', "\"\"");
        csv.push_str(&format!("h{i},\"{q}\",\"{q}\",\"{q}\",\"{q}\",\r\n"));
    }
    w.write("in.csv", &csv);
    w.run(&["verify", "in.csv", "--tenant", "contoso"])
        .expect(0);
    w.run(&[
        "commit",
        "in.csv",
        "--tenant",
        "contoso",
        "--results",
        "r.csv",
        "--email-to",
        "it@example.com",
        "--welcome",
    ])
    .expect(0);
    assert_eq!(w.count("SELECT count(*) FROM users"), PAYLOADS.len() as i64);
    assert_eq!(w.count("SELECT count(*) FROM batches"), 1);
    assert!(!w.path("pwned-shell").exists() && !w.path("pwned-tick").exists());
    let c = rusqlite::Connection::open(w.db()).unwrap();
    for (i, p) in PAYLOADS.iter().enumerate() {
        let (d, j, dep, city): (String, String, String, String) = c
            .query_row(
                "SELECT display_name, job_title, department, city FROM users WHERE upn = ?1",
                [format!("h{i}@contoso.onmicrosoft.com")],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!([d.as_str(), &j, &dep, &city], [*p; 4]);
        // The users list shows it exactly and finds it by search.
        let run = w
            .run(&[
                "--format", "json", "users", "list", "--tenant", "contoso", "--search", p,
            ])
            .expect(0);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let names: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["display_name"].as_str().unwrap())
            .collect();
        assert!(names.contains(p), "{p}: {names:?}");
        assert!(
            names.iter().all(|n| n.contains(p)),
            "{p}: LIKE not escaped: {names:?}"
        );
    }
    // The results file shows formulas as text.
    let results = String::from_utf8(w.read("r.csv")).unwrap();
    assert!(results.contains("'=HYPERLINK("), "{results}");
    assert!(results.contains("'+SUM(") && results.contains("'@SUM("));
    // HTML bodies escaped.
    for f in files_in(&w.path("outbox")) {
        let text = std::fs::read_to_string(&f).unwrap();
        // The plain-text part shows the name as typed; the HTML part must
        // escape it.
        let html = text
            .split("Content-Type: text/html")
            .nth(1)
            .expect("an HTML part")
            .replace("=\r\n", "")
            .replace("=3D", "=");
        assert!(
            !html.contains("<script>alert(1)</script>"),
            "{}",
            f.display()
        );
        assert!(html.contains("&lt;script&gt;"), "{}", f.display());
        assert!(!text.lines().any(|l| l.starts_with("Bcc:")));
    }
    // The CSV log escapes a formula in a finding's value.
    w.write(
        "bad.csv",
        "User Name,Display Name\r\n\"=cmd|' /C calc'!A0\",\"=HYPERLINK(1)\"\r\n",
    );
    w.run(&["verify", "bad.csv", "--tenant", "contoso", "--log", "l.csv"])
        .expect(1);
    let log = String::from_utf8(w.read("l.csv")).unwrap();
    let mut r = csv::Reader::from_reader(log.trim_start_matches('\u{feff}').as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell in the CSV log: {cell}"
            );
        }
    }
    assert!(log.contains("'=cmd"), "{log}");
}

#[test]
fn one_tenant_never_reaches_another() {
    let w = Work::with_seats(10);
    w.run(&[
        "tenant",
        "add",
        "northwind",
        "--domain",
        "northwind.onmicrosoft.com",
        "--location",
        "GB",
    ])
    .expect(0);
    w.run(&[
        "license",
        "add",
        "--tenant",
        "northwind",
        "SPE_E5",
        "--seats",
        "3",
    ])
    .expect(0);
    w.write("in.csv", users_csv("c", 3));
    w.run(&[
        "commit",
        "in.csv",
        "--tenant",
        "contoso",
        "--results",
        "r.csv",
    ])
    .expect(0);
    let before = w.dump();
    let upn = "uc0@contoso.onmicrosoft.com";

    // Reading: nothing of contoso is listed under northwind.
    let run = w
        .run(&[
            "--format",
            "json",
            "users",
            "list",
            "--tenant",
            "northwind",
            "--status",
            "all",
        ])
        .expect(0);
    assert!(!run.stdout.contains("contoso"), "{}", run.stdout);
    let run = w
        .run(&["users", "list", "--tenant", "northwind", "--search", "uc0"])
        .expect(0);
    assert!(!run.stdout.contains(upn));
    let run = w
        .run(&["license", "list", "--tenant", "northwind"])
        .expect(0);
    assert!(!run.stdout.contains("ENTERPRISEPACK"), "{}", run.stdout);

    // Writing: every change to contoso's users or domains under northwind
    // is refused and changes nothing.
    for args in [
        vec!["users", "delete", "--tenant", "northwind", upn],
        vec!["users", "restore", "--tenant", "northwind", upn],
        vec!["users", "reset-password", "--tenant", "northwind", upn],
        vec!["domain", "add", "--tenant", "northwind", "contoso.com"],
        vec![
            "domain",
            "add",
            "--tenant",
            "northwind",
            "contoso.onmicrosoft.com",
        ],
    ] {
        let run = w.run(&args);
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        assert_eq!(w.dump(), before, "{args:?}");
    }
    // A contoso domain or SKU in a northwind batch.
    w.write(
        "cross.csv",
        "User Name,Display Name\r\nnew.one@contoso.com,New One\r\nuc1@contoso.onmicrosoft.com,Dup\r\n",
    );
    let (code, log) = w.verify(&w.path("cross.csv"), &[]);
    assert_eq!(code, 1, "control: the same file under contoso");
    assert!(log.codes().contains(&"already_exists"));
    let run = w
        .run(&[
            "--format",
            "json",
            "verify",
            "cross.csv",
            "--tenant",
            "northwind",
        ])
        .expect(1);
    assert!(run.stdout.contains("unknown_domain"), "{}", run.stdout);
    assert!(!run.stdout.contains("already_exists"), "{}", run.stdout);
    w.run(&["commit", "cross.csv", "--tenant", "northwind"])
        .expect(1);
    w.write("ok.csv", "User Name,Display Name\r\nfresh,Fresh\r\n");
    w.run(&[
        "verify",
        "ok.csv",
        "--tenant",
        "northwind",
        "--license",
        "ENTERPRISEPACK",
    ])
    .expect(2);
    w.run(&[
        "commit",
        "ok.csv",
        "--tenant",
        "northwind",
        "--license",
        "ENTERPRISEPACK",
    ])
    .expect(2);
    assert_eq!(w.dump(), before);
    // The same alias in each tenant is two users.
    w.write("same.csv", users_csv("c", 1));
    w.run(&[
        "commit",
        "same.csv",
        "--tenant",
        "northwind",
        "--results",
        "r2.csv",
    ])
    .expect(0);
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE upn LIKE 'uc0@%'"),
        2
    );
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE tenant_id = 'contoso' AND state = 'active'"),
        3
    );
    // The outbox names each message's tenant.
    w.run(&[
        "users",
        "reset-password",
        "--tenant",
        "northwind",
        "uc0@northwind.onmicrosoft.com",
        "--email-to",
        "nw@example.com",
    ])
    .expect(0);
    let run = w
        .run(&["--format", "json", "outbox", "list", "--per-page", "1000"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for m in v["items"].as_array().unwrap() {
        if m["recipient"] == "nw@example.com" {
            assert_eq!(m["tenant"], "northwind");
        }
    }
}
