//! Nothing an administrator has is lost (SPEC §11): outputs aimed at the
//! store, the input or each other are refused before anything is read;
//! named outputs are replaced in one step, and only by a run that keeps
//! its outputs; names onboard picks never replace a file; the results file
//! is on disk before the transaction; every failure after the transaction
//! says the batch was committed.

use std::path::Path;

use crate::notify::{SmtpSink, free_port};
use crate::util::{SAMPLE, Work, results_rows, users_csv};

/// The store's files, byte for byte.
fn store_bytes(w: &Work) -> Vec<(String, Vec<u8>)> {
    ["onboard.db", "onboard.db-wal", "onboard.db-shm"]
        .iter()
        .filter_map(|n| std::fs::read(w.path(n)).ok().map(|b| (n.to_string(), b)))
        .collect()
}

/// Every file name in the work folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_store_survives_every_output_aimed_at_it() {
    let w = Work::with_seats(10);
    crate::util::commit_sample(&w, &[]).expect(0);
    std::os::unix::fs::symlink("onboard.db", w.path("soft-link")).unwrap();
    std::fs::hard_link(w.path("onboard.db"), w.path("hard-link")).unwrap();
    // Dangling: what SQLite would create next to the store.
    std::os::unix::fs::symlink("onboard.db-journal", w.path("dangling")).unwrap();
    let before = store_bytes(&w);
    let db = w.db().to_str().unwrap().to_string();
    let targets = [
        "onboard.db",
        "./onboard.db",
        db.as_str(),
        "onboard.db-wal",
        "onboard.db-shm",
        "onboard.db-journal",
        "soft-link",
        "hard-link",
        "dangling",
    ];
    for target in targets {
        let runs: Vec<Vec<&str>> = vec![
            vec!["verify", SAMPLE, "--tenant", "contoso", "--log", target],
            vec![
                "verify",
                SAMPLE,
                "--tenant",
                "contoso",
                "--annotated",
                target,
            ],
            vec!["commit", SAMPLE, "--tenant", "contoso", "--log", target],
            vec!["commit", SAMPLE, "--tenant", "contoso", "--results", target],
            vec![
                "commit",
                SAMPLE,
                "--tenant",
                "contoso",
                "--skip-invalid",
                "--annotated",
                target,
            ],
            vec!["template", "blank", "-o", target, "--force"],
            vec!["template", "sample", "-o", target],
        ];
        for args in runs {
            let run = w.run(&args).expect(2);
            assert!(
                run.stderr.contains("would overwrite the store")
                    || run.stderr.contains("already exists"),
                "{args:?}: {}",
                run.stderr
            );
            assert_eq!(store_bytes(&w), before, "{args:?} changed the store");
        }
    }
    assert_eq!(w.count("SELECT count(*) FROM users"), 6);
}

#[test]
fn outputs_may_not_be_the_input_or_each_other() {
    let w = Work::with_tenant();
    w.write("in.csv", users_csv("a", 2));
    let input = w.read("in.csv");
    for args in [
        vec!["--log", "same.csv", "--annotated", "same.csv"],
        vec!["--annotated", "in.csv"],
        vec!["--log", "./in.csv"],
    ] {
        let mut all = vec!["verify", "in.csv", "--tenant", "contoso"];
        all.extend(args);
        let run = w.run(&all).expect(2);
        assert!(run.stderr.contains("would overwrite"), "{}", run.stderr);
    }
    let run = w
        .run(&[
            "commit",
            "in.csv",
            "--tenant",
            "contoso",
            "--log",
            "x.csv",
            "--results",
            "x.csv",
        ])
        .expect(2);
    assert!(run.stderr.contains("the --log file"), "{}", run.stderr);
    assert_eq!(w.read("in.csv"), input);
    assert_eq!(w.count("SELECT count(*) FROM users"), 0);
    assert!(!w.path("same.csv").exists() && !w.path("x.csv").exists());
}

#[test]
fn a_run_that_fails_leaves_the_old_log_and_one_that_ends_replaces_it() {
    let w = Work::with_seats(2);
    w.write("old.json", "old log");
    w.write("old.csv", "old annotated");
    // Exit 2: a NUL byte refuses the file.
    w.write("nul.csv", b"User Name,Display Name\r\na,A\0\r\n");
    let keep = ["--log", "old.json", "--annotated", "old.csv"];
    let mut args = vec!["verify", "nul.csv", "--tenant", "contoso"];
    args.extend(keep);
    w.run(&args).expect(2);
    // Exit 3: six users, two seats.
    let mut args = vec![
        "commit",
        SAMPLE,
        "--tenant",
        "contoso",
        "--license",
        "ENTERPRISEPACK",
    ];
    args.extend(keep);
    w.run(&args).expect(3);
    assert_eq!(w.read("old.json"), b"old log");
    assert_eq!(w.read("old.csv"), b"old annotated");
    // No temporary file is left behind.
    assert!(
        names(w.dir())
            .iter()
            .all(|n| !n.ends_with(".partial") && !n.ends_with(".tmp")),
        "{:?}",
        names(w.dir())
    );
    // Exit 1 keeps its outputs.
    let mut args = vec![
        "verify",
        SAMPLE,
        "--tenant",
        "contoso",
        "--license",
        "ENTERPRISEPACK",
    ];
    args.extend(keep);
    w.run(&args).expect(1);
    let log: serde_json::Value = serde_json::from_slice(&w.read("old.json")).unwrap();
    assert_eq!(log["findings"][0]["code"], "insufficient_seats");
    assert!(
        String::from_utf8(w.read("old.csv"))
            .unwrap()
            .contains("Verification")
    );
}

#[test]
fn a_template_never_replaces_a_filled_file_without_force() {
    let w = Work::new();
    w.write("filled.csv", users_csv("f", 3));
    let filled = w.read("filled.csv");
    let run = w.run(&["template", "blank", "-o", "filled.csv"]).expect(2);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(w.read("filled.csv"), filled);
    w.run(&["template", "blank", "-o", "filled.csv", "--force"])
        .expect(0);
    let blank = w.run(&["template", "blank"]).expect(0);
    assert_eq!(w.read("filled.csv"), blank.raw_stdout);
    w.run(&["template", "sample", "-o", "new.csv"]).expect(0);
    assert_eq!(w.read("new.csv"), std::fs::read(SAMPLE).unwrap());
}

#[test]
fn an_existing_results_file_is_refused_before_anything() {
    let w = Work::with_seats(10);
    w.write("r.csv", "the passwords of an earlier batch");
    let run = crate::util::commit_sample(&w, &["--results", "r.csv"]).expect(2);
    assert!(run.stderr.contains("never replaced"), "{}", run.stderr);
    assert_eq!(w.read("r.csv"), b"the passwords of an earlier batch");
    assert_eq!(w.count("SELECT count(*) FROM users"), 0);
}

#[test]
fn a_results_file_that_cannot_be_written_refuses_the_commit() {
    let w = Work::with_seats(3000);
    w.write("in.csv", users_csv("d", 2000));
    // A missing folder.
    let run = w
        .run(&[
            "commit",
            "in.csv",
            "--tenant",
            "contoso",
            "--results",
            "no/such/r.csv",
        ])
        .expect(2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert_eq!(w.count("SELECT count(*) FROM users"), 0);

    // A full disk: files may grow to 100 KiB, the results of 2000 users
    // need about 150. SIGXFSZ is ignored, so a write past the limit fails
    // with EFBIG as on a full disk.
    let bin = env!("CARGO_BIN_EXE_onboard");
    let db = w.db().to_str().unwrap().to_string();
    let script = format!(
        "trap '' XFSZ; ulimit -f 100; exec '{bin}' --db '{db}' --quiet commit in.csv \
         --tenant contoso --results r.csv"
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(w.dir())
        .env("ONBOARD_ARGON2", "m=8,t=1,p=1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("r.csv"), "{stderr}");
    assert_eq!(
        w.count("SELECT count(*) FROM users"),
        0,
        "nothing committed"
    );
    assert!(!w.path("r.csv").exists());
    assert!(
        names(w.dir()).iter().all(|n| !n.contains(".partial")),
        "{:?}",
        names(w.dir())
    );
}

#[test]
fn a_failed_delivery_exits_4_keeps_the_results_and_the_queue() {
    let w = Work::with_seats(10);
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let run = crate::util::commit_sample(
        &w,
        &[
            "--smtp",
            &down,
            "--email-to",
            "it@example.com",
            "--results",
            "r.csv",
        ],
    )
    .expect(4);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("onboard: batch ") && last.contains("was committed (6 users)"),
        "{}",
        run.stderr
    );
    assert!(last.contains("onboard outbox send"), "{last}");
    assert!(last.contains("r.csv"), "{last}");
    assert_eq!(results_rows(&w.path("r.csv")).len(), 6);
    assert_eq!(
        w.count("SELECT count(*) FROM outbox WHERE status = 'queued'"),
        1
    );
    let sink = SmtpSink::start(&w, "mail", &[]);
    w.run(&["outbox", "send", "--smtp", &sink.url()]).expect(0);
    w.run(&["outbox", "send", "--smtp", &sink.url()]).expect(0);
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
}

#[test]
fn names_onboard_picks_never_replace_a_file() {
    let w = Work::with_seats(20);
    let mut csv = users_csv("s", 3);
    csv.push_str("bad name,,,Bad Name,,,,,,,,,,,,,,,,\r\n");
    w.write("in.csv", &csv);
    w.write("in-invalid-rows.csv", "an earlier batch's rows to fix");
    let run = w
        .run(&["commit", "in.csv", "--tenant", "contoso", "--skip-invalid"])
        .expect(4);
    assert_eq!(
        w.read("in-invalid-rows.csv"),
        b"an earlier batch's rows to fix"
    );
    let fix = String::from_utf8(w.read("in-invalid-rows-2.csv")).unwrap();
    assert!(fix.contains("Bad Name"), "{fix}");
    assert!(
        run.stdout.contains("in-invalid-rows-2.csv"),
        "{}",
        run.stdout
    );

    // The demo in a folder with files of its own.
    let dir = w.path("demo");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("users.csv"), "mine").unwrap();
    std::fs::write(dir.join("onboard.db"), "not a store, but mine").unwrap();
    let run = w.run(&["demo", "--dir", dir.to_str().unwrap()]).expect(0);
    assert_eq!(std::fs::read(dir.join("users.csv")).unwrap(), b"mine");
    assert_eq!(
        std::fs::read(dir.join("onboard.db")).unwrap(),
        b"not a store, but mine"
    );
    assert!(dir.join("users-2.csv").exists() && dir.join("onboard-2.db").exists());
    assert!(run.stdout.contains("users-2.csv"), "{}", run.stdout);
}
