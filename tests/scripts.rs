//! Output for scripts (SPEC §12) and nothing silently changed (SPEC §11):
//! one JSON document per command in success and failure, the list shape,
//! pages, a closed standard output, the force-change flag kept by a reset,
//! tenant ids in any case, the warnings that were missing, and reading
//! commands that never wait for the write lock.

use std::process::Stdio;

use serde_json::Value;

use crate::util::{Run, SAMPLE, TENANT, Work, commit_sample, users_csv};

/// Runs `args` with `--format json`; standard output must be exactly one
/// JSON document, and an error document must carry the exit status.
#[track_caller]
fn json(w: &Work, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let run = w.run(&all);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} (exit {}): not one JSON document ({e}):\n{}\n--- stderr\n{}",
            run.code, run.stdout, run.stderr
        )
    });
    if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        assert_eq!(err["exit"], run.code, "{args:?}: {v}");
        assert!(err["code"].is_string() && err["message"].is_string(), "{v}");
    }
    (run.code, v)
}

#[test]
fn every_command_prints_one_json_document_in_success_and_failure() {
    let w = Work::new();
    let down = format!("smtp://127.0.0.1:{}", crate::notify::free_port());
    let add = [
        "tenant",
        "add",
        TENANT,
        "--domain",
        "contoso.onmicrosoft.com",
        "--location",
        "US",
    ];
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["tenant", "list"], 2),
        (add.to_vec(), 0),
        (add.to_vec(), 2),
        (vec!["tenant", "list"], 0),
        (vec!["domain", "add", "--tenant", TENANT, "contoso.com"], 0),
        (vec!["domain", "add", "--tenant", TENANT, "not a domain"], 2),
        (vec!["domain", "list", "--tenant", TENANT], 0),
        (
            vec!["group", "add", "--tenant", TENANT, "All Staff", "Sales"],
            0,
        ),
        (vec!["group", "add", "--tenant", TENANT, "sales"], 2),
        (vec!["group", "add", "--tenant", TENANT, "Engineering"], 0),
        (vec!["group", "list", "--tenant", TENANT], 0),
        (vec!["group", "list", "--tenant", "nobody"], 2),
        (
            vec!["license", "add", "--tenant", TENANT, "EMS", "--seats", "5"],
            0,
        ),
        (vec!["license", "list", "--tenant", "nobody"], 2),
        (vec!["license", "list", "--tenant", TENANT], 0),
        (vec!["template", "blank"], 0),
        (vec!["template", "sample", "-o", "s.csv"], 0),
        (vec!["template", "sample", "-o", "s.csv"], 2),
        (vec!["verify", SAMPLE, "--tenant", TENANT], 0),
        (vec!["verify", "missing.csv", "--tenant", TENANT], 2),
        (
            vec!["verify", SAMPLE, "--tenant", TENANT, "--license", "EMS"],
            1,
        ),
        (vec!["verify", SAMPLE, "--tenant", TENANT, "--bogus"], 2),
        (vec!["commit", "missing.csv", "--tenant", TENANT], 2),
        (
            vec!["commit", SAMPLE, "--tenant", TENANT, "--license", "EMS"],
            3,
        ),
        (vec!["commit", SAMPLE, "--tenant", TENANT, "--dry-run"], 0),
        (
            vec![
                "commit",
                SAMPLE,
                "--tenant",
                TENANT,
                "--smtp",
                &down,
                "--email-to",
                "it@example.com",
            ],
            4,
        ),
        (vec!["commit", SAMPLE, "--tenant", TENANT], 1),
        (vec!["users", "list", "--tenant", TENANT], 0),
        (vec!["users", "list", "--tenant", TENANT, "--page", "0"], 2),
        (
            vec!["users", "delete", "--tenant", TENANT, "adele.vance"],
            0,
        ),
        (vec!["users", "delete", "--tenant", TENANT, "nobody"], 1),
        (
            vec!["users", "restore", "--tenant", TENANT, "adele.vance"],
            0,
        ),
        (
            vec!["users", "reset-password", "--tenant", TENANT, "alex.wilber"],
            0,
        ),
        (
            vec!["users", "reset-password", "--tenant", TENANT, "nobody"],
            2,
        ),
        (vec!["outbox", "list"], 0),
        (vec!["outbox", "send", "--smtp", &down], 4),
        (vec!["demo", "--dir", "demo"], 0),
    ];
    for (args, code) in cases {
        let (got, v) = json(&w, &args);
        assert_eq!(got, code, "{args:?}: {v}");
        if args[0] == "commit" {
            let committed = v["committed"].as_bool();
            assert_eq!(committed, Some(code == 4), "{args:?}: {v}");
            if code != 2 {
                assert!(v["verification"]["rows"].is_u64(), "{args:?}: {v}");
            }
        }
    }
}

#[test]
fn lists_have_one_shape_and_pages_past_the_last_say_so() {
    let w = Work::with_seats(100);
    w.write("in.csv", users_csv("p", 45));
    w.run(&["commit", "in.csv", "--tenant", TENANT]).expect(0);
    for args in [
        vec!["users", "list", "--tenant", TENANT],
        vec!["tenant", "list"],
        vec!["license", "list", "--tenant", TENANT],
        vec!["domain", "list", "--tenant", TENANT],
        vec!["outbox", "list"],
    ] {
        let (code, v) = json(&w, &args);
        assert_eq!(code, 0);
        for key in ["items", "total", "page", "pages", "per_page"] {
            assert!(v.get(key).is_some(), "{args:?} has no {key}: {v}");
        }
    }
    let (_, v) = json(&w, &["users", "list", "--tenant", TENANT, "--page", "9"]);
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        (v["page"].as_u64(), v["pages"].as_u64()),
        (Some(9), Some(3))
    );
    assert_eq!(v["total"], 45);
    let text = w
        .run(&["users", "list", "--tenant", TENANT, "--page", "9"])
        .expect(0);
    assert!(text.stdout.contains("page 9 of 3"), "{}", text.stdout);
    let (_, v) = json(&w, &["users", "list", "--tenant", TENANT, "--page", "3"]);
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    for bad in [["--page", "0"], ["--per-page", "0"], ["--per-page", "1001"]] {
        let mut args = vec!["users", "list", "--tenant", TENANT];
        args.extend(bad);
        let (code, v) = json(&w, &args);
        assert_eq!(code, 2, "{bad:?}: {v}");
    }
    // No users at all: page 1 of 1.
    let (_, v) = json(
        &w,
        &["users", "list", "--tenant", TENANT, "--status", "deleted"],
    );
    assert_eq!(
        (v["page"].as_u64(), v["pages"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let w = Work::with_seats(100);
    w.write("in.csv", users_csv("c", 60));
    w.run(&["commit", "in.csv", "--tenant", TENANT]).expect(0);
    for args in [
        vec!["users", "list", "--tenant", TENANT, "--per-page", "60"],
        vec!["template", "sample"],
        vec!["demo", "--dir", "d"],
    ] {
        let mut child = w
            .command()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the command writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

/// The user's force-change flag in the store.
fn forced(w: &Work, upn: &str) -> i64 {
    w.count(&format!(
        "SELECT force_change_password FROM users WHERE upn = '{upn}'"
    ))
}

#[test]
fn a_reset_keeps_the_force_change_flag_unless_told() {
    let w = Work::with_seats(10);
    commit_sample(&w, &["--force-change-password"]).expect(0);
    let upn = "adele.vance@contoso.onmicrosoft.com";
    let reset = |extra: &[&str]| -> Run {
        let mut args = vec!["users", "reset-password", "--tenant", TENANT, "adele.vance"];
        args.extend_from_slice(extra);
        w.run(&args).expect(0)
    };
    reset(&[]);
    assert_eq!(forced(&w, upn), 1, "kept");
    let run = reset(&["--no-force-change-password"]);
    assert_eq!(forced(&w, upn), 0);
    assert!(run.stderr.contains("may keep"), "{}", run.stderr);
    reset(&[]);
    assert_eq!(forced(&w, upn), 0, "kept");
    reset(&["--force-change-password"]);
    assert_eq!(forced(&w, upn), 1);
    w.run(&[
        "users",
        "reset-password",
        "--tenant",
        TENANT,
        "adele.vance",
        "--force-change-password",
        "--no-force-change-password",
    ])
    .expect(2);
    let (_, v) = json(
        &w,
        &["users", "reset-password", "--tenant", TENANT, "adele.vance"],
    );
    assert_eq!(v["force_change_password"], true);
    assert_eq!(v["password"].as_str().map(str::len), Some(16));
}

#[test]
fn tenant_ids_are_one_in_any_case() {
    let w = Work::with_seats(10);
    let run = w
        .run(&[
            "tenant",
            "add",
            "CONTOSO",
            "--domain",
            "other.onmicrosoft.com",
            "--location",
            "US",
        ])
        .expect(2);
    assert!(
        run.stderr.contains("tenant contoso already exists"),
        "{}",
        run.stderr
    );
    w.run(&["commit", SAMPLE, "--tenant", "CoNtOsO"]).expect(0);
    let (_, v) = json(&w, &["users", "list", "--tenant", "CONTOSO"]);
    assert_eq!(v["total"], 6);
    w.run(&[
        "license", "add", "--tenant", "Contoso", "EMS", "--seats", "1",
    ])
    .expect(0);
    let (_, v) = json(&w, &["tenant", "list"]);
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["contoso"], "keeps the spelling it was created with");
    assert_eq!(
        w.count("SELECT count(*) FROM subscriptions WHERE tenant_id = 'contoso'"),
        2
    );
}

#[test]
fn verify_checks_what_commit_checks_and_warns_what_it_should() {
    let w = Work::with_seats(10);
    w.write("in.csv", users_csv("v", 2));
    for bad in [
        vec!["--templates", "no-such-folder"],
        vec!["--smtp", "ftp://mail.example.com"],
        vec!["--email-to", "not an address"],
    ] {
        let mut args = vec!["verify", "in.csv", "--tenant", TENANT];
        args.extend(bad.iter().copied());
        w.run(&args).expect(2);
    }
    let (code, log) = w.verify(&w.path("in.csv"), &["--welcome"]);
    assert_eq!(code, 0);
    let got: Vec<(u64, &str)> = log
        .findings
        .iter()
        .map(|f| (f.line, f.code.as_str()))
        .collect();
    assert_eq!(got, [(2, "no_welcome_address"), (3, "no_welcome_address")]);
    assert_eq!(
        log.findings[0].column.as_deref(),
        Some("Alternate email address")
    );
}

#[test]
fn listing_users_never_waits_for_the_write_lock() {
    let w = Work::with_seats(10);
    w.add_user("gone@contoso.onmicrosoft.com", true);
    // 31 days later the deleted user is due to be purged, but another
    // process holds the write lock: a command that waited for it would give
    // up after the busy timeout with exit 3.
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 31 * 24 * 3600;
    let later = later.to_string();
    let env = [
        ("ONBOARD_NOW", later.as_str()),
        ("ONBOARD_BUSY_TIMEOUT_MS", "20000"),
    ];
    let lock = rusqlite::Connection::open(w.db()).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut cmd = w.command();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["users", "list", "--tenant", TENANT, "--status", "all"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lock.execute_batch("ROLLBACK").unwrap();
    // Once the lock is free, the next list purges.
    let run = w.run_env(
        &env,
        &["users", "list", "--tenant", TENANT, "--status", "all"],
    );
    assert_eq!(run.code, 0);
    assert_eq!(w.count("SELECT count(*) FROM users"), 0);
}
