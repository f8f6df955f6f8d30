//! History (SPEC §13): `batch list|show`, `audit list` with its filters and
//! its actor, `tenant show`, `license set`. Counts are exact: one audit
//! entry per user changed and one per batch, nothing for a refused command.

use std::process::Stdio;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::{Run, SAMPLE, TENANT, Work, commit_sample, users_csv};

/// The sample's user names, as the store spells them.
const SAMPLE_USERS: [&str; 6] = [
    "adele.vance@contoso.onmicrosoft.com",
    "alex.wilber@contoso.onmicrosoft.com",
    "diego.siciliani@contoso.onmicrosoft.com",
    "zoe.bronte@contoso.onmicrosoft.com",
    "jose.alvarez@contoso.onmicrosoft.com",
    "megan.bowen@contoso.onmicrosoft.com",
];

/// 2030-03-17T17:46:40Z.
const T1: i64 = 1_900_000_000;
const DAY: i64 = 86_400;

/// Runs the binary with `env` set and `SUDO_USER` removed (unless `env`
/// sets it), so that the actor is the plain login name; `input` on its
/// standard input.
fn run_full(w: &Work, env: &[(&str, &str)], args: &[&str], input: Option<&[u8]>) -> Run {
    let mut cmd = w.command();
    cmd.env_remove("SUDO_USER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = input {
        // The binary reads all of its input before it writes.
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn run_env(w: &Work, env: &[(&str, &str)], args: &[&str]) -> Run {
    run_full(w, env, args, None)
}

fn run(w: &Work, args: &[&str]) -> Run {
    run_env(w, &[], args)
}

/// Runs with the clock at `at` (the test hook).
fn run_at(w: &Work, at: i64, args: &[&str]) -> Run {
    run_env(w, &[("ONBOARD_NOW", &at.to_string())], args)
}

/// The one JSON document a run printed.
#[track_caller]
fn doc(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", run.stdout))
}

/// `--format json ARGS`, which must exit 0.
#[track_caller]
fn json(w: &Work, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    doc(&run(w, &all).expect(0))
}

/// A list page, checked for its shape: exactly the keys of SPEC §12.
#[track_caller]
fn page(w: &Work, args: &[&str]) -> Value {
    let p = json(w, args);
    let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["items", "page", "pages", "per_page", "total"], "{p}");
    p
}

/// Every audit entry that `audit list ARGS` selects (one page of 1000).
#[track_caller]
fn audit(w: &Work, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "list", "--per-page", "1000"];
    all.extend_from_slice(args);
    let p = page(w, &all);
    let items = p["items"].as_array().unwrap().clone();
    assert_eq!(p["total"].as_u64().unwrap(), items.len() as u64);
    items
}

/// The action codes of `entries`, in order.
fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// How many of `entries` have `action`.
fn count(entries: &[Value], action: &str) -> usize {
    entries.iter().filter(|e| e["action"] == action).count()
}

#[track_caller]
fn assert_rfc3339(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    let b = s.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    assert!(
        b.len() == 20
            && digits.iter().all(|&i| b[i].is_ascii_digit())
            && &s[4..5] == "-"
            && &s[7..8] == "-"
            && &s[10..11] == "T"
            && &s[13..14] == ":"
            && &s[16..17] == ":"
            && s.ends_with('Z'),
        "not RFC 3339 UTC: {s}"
    );
}

/// The login name of this process's real user id, as `id` finds it.
fn login_name() -> String {
    let id = |flags: &str| {
        let out = std::process::Command::new("id")
            .arg(flags)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    id("-run").unwrap_or_else(|| format!("uid {}", id("-ru").unwrap()))
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-ru")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn commit_licensed(w: &Work) {
    commit_sample(
        w,
        &[
            "--license",
            "ENTERPRISEPACK",
            "--results",
            "sample-results.csv",
        ],
    )
    .expect(0);
}

/// The audit entries of the test tenant's set-up: tenant.add, two
/// domain.add, license.add and the sample's three group.add.
const SET_UP: usize = 7;

#[test]
fn one_entry_per_user_changed_and_one_per_batch() {
    let w = Work::with_seats(10);
    // The tenant's own set-up: tenant.add, two domain.add, license.add,
    // the sample's three groups.
    assert_eq!(
        actions(&audit(&w, &["--tenant", TENANT])),
        [
            "group.add",
            "group.add",
            "group.add",
            "license.add",
            "domain.add",
            "domain.add",
            "tenant.add"
        ]
    );
    commit_licensed(&w);
    run(&w, &["users", "delete", "--tenant", TENANT, "adele.vance"]).expect(0);
    run(&w, &["users", "restore", "--tenant", TENANT, "adele.vance"]).expect(0);

    let all = audit(&w, &["--tenant", TENANT]);
    assert_eq!(all.len(), SET_UP + 6 + 1 + 1 + 1, "{all:#?}");
    assert_eq!(count(&all, "user.create"), 6);
    assert_eq!(count(&all, "batch.commit"), 1);
    assert_eq!(count(&all, "user.delete"), 1);
    assert_eq!(count(&all, "user.restore"), 1);
    // Newest first: the restore, the delete, then the batch before its users.
    assert_eq!(
        actions(&all[..3]),
        ["user.restore", "user.delete", "batch.commit"]
    );
    let mut created: Vec<&str> = all
        .iter()
        .filter(|e| e["action"] == "user.create")
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    created.sort_unstable();
    let mut expected = SAMPLE_USERS.to_vec();
    expected.sort_unstable();
    assert_eq!(created, expected);
    let batch = &all[2];
    let batches = page(&w, &["batch", "list", "--tenant", TENANT]);
    assert_eq!(batch["subject"], batches["items"][0]["id"]);
    for e in &all {
        let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["action", "actor", "at", "detail", "id", "subject", "tenant"]
        );
        assert_rfc3339(&e["at"]);
        assert_eq!(e["tenant"], TENANT);
    }
    // Without --tenant: every tenant's, the same here.
    assert_eq!(audit(&w, &[]).len(), all.len());

    // --user: that user's changes, never the batch's entry; any case, a
    // bare alias of the tenant's default domain, or the full name alone.
    for args in [
        &["--tenant", TENANT, "--user", "adele.vance"][..],
        &["--tenant", "CONTOSO", "--user", "Adele.Vance"],
        &["--user", "ADELE.VANCE@contoso.onmicrosoft.com"],
    ] {
        let mine = audit(&w, args);
        assert_eq!(
            actions(&mine),
            ["user.restore", "user.delete", "user.create"],
            "{args:?}"
        );
        assert!(
            mine.iter()
                .all(|e| e["subject"] == "adele.vance@contoso.onmicrosoft.com")
        );
    }
    assert!(audit(&w, &["--user", "nobody@contoso.onmicrosoft.com"]).is_empty());
}

#[test]
fn refused_commands_write_no_entry() {
    let w = Work::with_seats(5);
    let before = w.dump();
    // Too few seats for the sample's six users: exit 3, nothing written.
    commit_sample(&w, &["--license", "ENTERPRISEPACK"]).expect(3);
    // An unknown user: exit 1, nothing written.
    run(&w, &["users", "delete", "--tenant", TENANT, "nobody"]).expect(1);
    assert_eq!(w.dump(), before);
    assert_eq!(audit(&w, &[]).len(), SET_UP);
}

#[test]
fn since_leaves_out_older_entries() {
    let w = Work::with_seats(10);
    run_at(
        &w,
        T1,
        &[
            "commit",
            SAMPLE,
            "--tenant",
            TENANT,
            "--license",
            "ENTERPRISEPACK",
            "--results",
            "r.csv",
        ],
    )
    .expect(0);
    run_at(
        &w,
        T1 + 2 * DAY,
        &["users", "delete", "--tenant", TENANT, "alex.wilber"],
    )
    .expect(0);

    let since = |value: &str| actions(&audit(&w, &["--tenant", TENANT, "--since", value])).len();
    // The set-up ran at the real time, years before T1.
    assert_eq!(since("2000-01-01"), SET_UP + 7 + 1);
    // At T1 itself (inclusive), in UTC or with an offset: the batch and the delete.
    assert_eq!(since("2030-03-17T17:46:40Z"), 7 + 1);
    assert_eq!(since("2030-03-17T18:46:40+01:00"), 7 + 1);
    assert_eq!(since("2030-03-17t12:16:40-05:30"), 7 + 1);
    // A second later, or a date after T1's day (midnight UTC): the delete only.
    assert_eq!(since("2030-03-17T17:46:41Z"), 1);
    assert_eq!(since("2030-03-18"), 1);
    assert_eq!(
        actions(&audit(&w, &["--since", "2030-03-18"])),
        ["user.delete"]
    );
    assert_eq!(since("2030-03-20"), 0);
    let delete = &audit(&w, &["--since", "2030-03-18"])[0];
    assert_eq!(delete["at"], "2030-03-19T17:46:40Z");
    // --since and --user together.
    let alex = audit(
        &w,
        &[
            "--tenant",
            TENANT,
            "--user",
            "alex.wilber",
            "--since",
            "2030-03-17",
        ],
    );
    assert_eq!(actions(&alex), ["user.delete", "user.create"]);

    // A time that is not one: exit 2, saying what is accepted.
    for bad in ["yesterday", "2030-02-30", "2030-03-17T17:46", "17/03/2030"] {
        let r = run(&w, &["audit", "list", "--since", bad]).expect(2);
        assert!(
            r.stderr
                .contains(&format!("--since \"{bad}\" is not a time"))
                && r.stderr.contains("RFC 3339"),
            "{}",
            r.stderr
        );
        let r = run(&w, &["--format", "json", "audit", "list", "--since", bad]).expect(2);
        let e = doc(&r);
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["exit"].as_i64()),
            (Some("usage"), Some(2))
        );
    }
    // A bare alias needs the tenant that gives it a domain.
    let r = run(&w, &["audit", "list", "--user", "alex.wilber"]).expect(2);
    assert!(r.stderr.contains("bare alias"), "{}", r.stderr);
    run(&w, &["audit", "list", "--tenant", "nobody"]).expect(2);
}

#[test]
fn the_actor_is_the_login_name_of_the_real_user() {
    let w = Work::with_seats(10);
    commit_licensed(&w);
    let me = login_name();
    let all = audit(&w, &[]);
    assert_eq!(all.len(), SET_UP + 7);
    assert!(
        all.iter().all(|e| e["actor"] == me.as_str()),
        "{me}: {all:#?}"
    );
    let batches = page(&w, &["batch", "list", "--tenant", TENANT]);
    assert_eq!(batches["items"][0]["actor"], me.as_str());
    let text = run(&w, &["audit", "list", "--tenant", TENANT]).expect(0);
    assert!(
        text.stdout.contains(&format!("  {me}  ")),
        "{}",
        text.stdout
    );

    // Under sudo, root names who used it; anyone else's SUDO_USER is ignored.
    run_env(
        &w,
        &[("SUDO_USER", "alice")],
        &["license", "add", "--tenant", TENANT, "EMS", "--seats", "1"],
    )
    .expect(0);
    let expected = if is_root() {
        format!("{me} (sudo: alice)")
    } else {
        me.clone()
    };
    assert_eq!(audit(&w, &[])[0]["actor"], expected.as_str());
}

#[test]
fn batches_record_the_file_as_given_its_digest_settings_counts_actor_and_time() {
    let w = Work::with_seats(20);
    let sample = std::fs::read(SAMPLE).unwrap();
    // From standard input.
    run_full(
        &w,
        &[],
        &[
            "commit",
            "-",
            "--tenant",
            TENANT,
            "--license",
            "ENTERPRISEPACK",
            "--force-change-password",
            "--results",
            "r1.csv",
        ],
        Some(&sample),
    )
    .expect(0);
    // A path as typed, with a folder, and one invalid row skipped.
    std::fs::create_dir(w.path("in")).unwrap();
    let mut csv = users_csv("m", 3);
    csv.push_str(&format!("bad..name,,,Bad Name{}\r\n", ",".repeat(14)));
    w.write("in/more.csv", &csv);
    run(
        &w,
        &[
            "commit",
            "in/more.csv",
            "--tenant",
            TENANT,
            "--skip-invalid",
            "--results",
            "r2.csv",
        ],
    )
    .expect(4);

    let list = page(&w, &["batch", "list", "--tenant", TENANT]);
    assert_eq!(
        (
            &list["total"],
            &list["page"],
            &list["pages"],
            &list["per_page"]
        ),
        (
            &Value::from(2),
            &Value::from(1),
            &Value::from(1),
            &Value::from(20)
        )
    );
    let (newer, older) = (&list["items"][0], &list["items"][1]);
    let me = login_name();
    for b in [newer, older] {
        let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "actor",
                "committed_at",
                "created",
                "file",
                "id",
                "rows",
                "settings",
                "sha256",
                "skipped",
                "tenant"
            ]
        );
        assert_rfc3339(&b["committed_at"]);
        assert_eq!(b["actor"], me.as_str());
        assert_eq!(b["tenant"], TENANT);
    }
    assert_eq!(older["file"], "-");
    assert_eq!(
        older["sha256"].as_str().unwrap(),
        hex(&Sha256::digest(&sample))
    );
    assert_eq!(
        (&older["rows"], &older["created"], &older["skipped"]),
        (&Value::from(6), &Value::from(6), &Value::from(0))
    );
    let s = &older["settings"];
    assert_eq!(s["licenses"], serde_json::json!(["ENTERPRISEPACK"]));
    assert_eq!(s["force_change_password"], true);
    assert_eq!(s["sign_in"], "allowed");
    assert_eq!(s["usage_location"], "US");
    assert_eq!(s["roles"], serde_json::json!(["user"]));
    assert_eq!(newer["file"], "in/more.csv");
    assert_eq!(
        newer["sha256"].as_str().unwrap(),
        hex(&Sha256::digest(csv.as_bytes()))
    );
    assert_eq!(
        (&newer["rows"], &newer["created"], &newer["skipped"]),
        (&Value::from(4), &Value::from(3), &Value::from(1))
    );
    assert_eq!(newer["settings"]["skip_invalid"], true);
    assert_eq!(newer["settings"]["licenses"], serde_json::json!([]));

    // `batch show` is the list's item, by its id in any case.
    let id = older["id"].as_str().unwrap();
    assert_eq!(&json(&w, &["batch", "show", "--tenant", TENANT, id]), older);
    assert_eq!(
        &json(
            &w,
            &["batch", "show", "--tenant", "Contoso", &id.to_uppercase()]
        ),
        older
    );
    let text = run(&w, &["batch", "show", "--tenant", TENANT, id]).expect(0);
    for line in [
        format!("Batch           {id}"),
        "File            -".to_string(),
        "Rows            6 read, 6 created, 0 skipped".to_string(),
        "Licences        ENTERPRISEPACK".to_string(),
        "Force change    yes".to_string(),
        format!("By              {me}"),
    ] {
        assert!(
            text.stdout.lines().any(|l| l == line),
            "{line:?} in\n{}",
            text.stdout
        );
    }
    assert!(text.stdout.contains(" UTC"), "{}", text.stdout);
    // Text and CSV lists: newest first; CSV times in RFC 3339.
    let text = run(&w, &["batch", "list", "--tenant", TENANT]).expect(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", text.stdout);
    assert!(
        lines[1].contains("in/more.csv") && lines[2].contains(id),
        "{}",
        text.stdout
    );
    let csv_out = run(
        &w,
        &["--format", "csv", "batch", "list", "--tenant", TENANT],
    )
    .expect(0);
    let mut r = csv::Reader::from_reader(csv_out.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "Batch",
            "Committed",
            "File",
            "SHA-256",
            "Rows",
            "Created",
            "Skipped",
            "Actor",
            "Settings"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][0], id);
    assert_eq!(&rows[1][1], older["committed_at"].as_str().unwrap());
    // The batch's audit entry names the file as well.
    let commit = audit(&w, &["--tenant", TENANT])
        .into_iter()
        .find(|e| e["subject"] == id)
        .unwrap();
    assert_eq!(
        commit["detail"],
        "6 users from standard input (0 rows skipped)"
    );
}

#[test]
fn an_unknown_batch_and_another_tenants_batch_are_not_found() {
    let w = Work::with_seats(10);
    run(
        &w,
        &[
            "tenant",
            "add",
            "fabrikam",
            "--domain",
            "fabrikamb.onmicrosoft.com",
            "--location",
            "US",
        ],
    )
    .expect(0);
    commit_licensed(&w);
    let list = page(&w, &["batch", "list", "--tenant", TENANT]);
    let id = list["items"][0]["id"].as_str().unwrap();

    let theirs = page(&w, &["batch", "list", "--tenant", "fabrikam"]);
    assert_eq!(theirs["total"], 0);
    assert_eq!(theirs["items"], serde_json::json!([]));
    let r = run(&w, &["batch", "show", "--tenant", "fabrikam", id]).expect(2);
    assert!(
        r.stderr
            .contains(&format!("tenant fabrikam has no batch \"{id}\"")),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains(id), "{}", r.stdout);
    let r = run(
        &w,
        &[
            "--format", "json", "batch", "show", "--tenant", "fabrikam", id,
        ],
    )
    .expect(2);
    let e = doc(&r);
    assert_eq!(e["error"]["code"], "not_found");
    assert_eq!(e["error"]["exit"], 2);
    run(&w, &["batch", "show", "--tenant", TENANT, "no-such-batch"]).expect(2);
    run(&w, &["batch", "show", "--tenant", "nobody", id]).expect(2);
    run(&w, &["batch", "list", "--tenant", "nobody"]).expect(2);
    // Another tenant's audit entries are not theirs either.
    let fab = audit(&w, &["--tenant", "fabrikam"]);
    assert_eq!(actions(&fab), ["tenant.add"]);
}

#[test]
fn license_set_never_goes_below_the_seats_assigned() {
    let w = Work::with_seats(10);
    commit_licensed(&w);
    let before = w.dump();
    let r = run(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "5",
        ],
    )
    .expect(3);
    assert!(
        r.stderr
            .contains("ENTERPRISEPACK: 6 seats are assigned; set at least 6"),
        "{}",
        r.stderr
    );
    let r = run(
        &w,
        &[
            "--format",
            "json",
            "license",
            "set",
            "--tenant",
            TENANT,
            "enterprisepack",
            "--seats",
            "0",
        ],
    )
    .expect(3);
    assert_eq!(doc(&r)["error"]["code"], "refused");
    assert_eq!(w.dump(), before, "a refused license set changed the store");

    // Down to exactly what is assigned, then up again.
    let set = json(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "6",
        ],
    );
    assert_eq!(
        set,
        serde_json::json!({
            "tenant": "contoso",
            "previous_total": 10,
            "license": {"sku": "ENTERPRISEPACK", "name": "ENTERPRISEPACK",
                        "total": 6, "assigned": 6, "available": 0}
        })
    );
    // The same total again changes nothing and writes no entry.
    let r = run(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "6",
        ],
    )
    .expect(0);
    assert!(r.stderr.contains("(unchanged)"), "{}", r.stderr);
    let set = json(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "8",
        ],
    );
    assert_eq!(set["previous_total"], 6);
    assert_eq!(set["license"]["available"], 2);
    let sets: Vec<Value> = audit(&w, &["--tenant", TENANT])
        .into_iter()
        .filter(|e| e["action"] == "license.set")
        .collect();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0]["subject"], "ENTERPRISEPACK");
    assert_eq!(sets[0]["detail"], "from 6 to 8 seats");
    assert_eq!(sets[1]["detail"], "from 10 to 6 seats");
    let licenses = page(&w, &["license", "list", "--tenant", TENANT]);
    assert_eq!(licenses["items"][0]["total"], 8);

    // A deleted user's seat is free: the total may go below the users who had one.
    run(&w, &["users", "delete", "--tenant", TENANT, "adele.vance"]).expect(0);
    run(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "5",
        ],
    )
    .expect(0);
    // A subscription nobody holds may go to zero.
    run(
        &w,
        &["license", "add", "--tenant", TENANT, "EMS", "--seats", "3"],
    )
    .expect(0);
    run(
        &w,
        &["license", "set", "--tenant", TENANT, "EMS", "--seats", "0"],
    )
    .expect(0);
    // Unknown SKU or tenant: exit 2.
    let r = run(
        &w,
        &["license", "set", "--tenant", TENANT, "NOPE", "--seats", "1"],
    )
    .expect(2);
    assert!(
        r.stderr.contains("has no subscription NOPE"),
        "{}",
        r.stderr
    );
    run(
        &w,
        &[
            "license", "set", "--tenant", "nobody", "EMS", "--seats", "1",
        ],
    )
    .expect(2);
}

#[test]
fn license_set_names_one_seat_in_the_singular() {
    let w = Work::with_seats(10);
    w.write("one.csv", users_csv("one", 1));
    run(
        &w,
        &[
            "commit",
            "one.csv",
            "--tenant",
            TENANT,
            "--license",
            "ENTERPRISEPACK",
            "--results",
            "r.csv",
        ],
    )
    .expect(0);
    let r = run(
        &w,
        &[
            "license",
            "set",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            "0",
        ],
    )
    .expect(3);
    assert!(
        r.stderr
            .contains("ENTERPRISEPACK: 1 seat is assigned; set at least 1"),
        "{}",
        r.stderr
    );
}

#[test]
fn tenant_show_has_domains_seats_and_user_counts() {
    let w = Work::with_tenant();
    w.write("three.csv", users_csv("t", 3));
    run(
        &w,
        &[
            "commit",
            "three.csv",
            "--tenant",
            TENANT,
            "--license",
            "ENTERPRISEPACK",
            "--results",
            "r.csv",
        ],
    )
    .expect(0);
    run(&w, &["users", "delete", "--tenant", TENANT, "ut0"]).expect(0);

    let t = json(&w, &["tenant", "show", "CONTOSO"]);
    assert_eq!(
        t,
        serde_json::json!({
            "tenant": {"id": "contoso", "name": "Contoso",
                       "default_domain": "contoso.onmicrosoft.com", "usage_location": "US"},
            "domains": [
                {"name": "contoso.com", "federated": false, "default": false},
                {"name": "contoso.onmicrosoft.com", "federated": false, "default": true},
                {"name": "fabrikam.com", "federated": true, "default": false},
            ],
            "subscriptions": [
                {"sku": "ENTERPRISEPACK", "name": "ENTERPRISEPACK",
                 "total": 5, "assigned": 2, "available": 3}
            ],
            "users": {"active": 2, "deleted": 1}
        })
    );
    let text = run(&w, &["tenant", "show", TENANT]).expect(0);
    for line in [
        "Tenant          contoso",
        "Users           2 active, 1 deleted",
        "fabrikam.com             federated",
        "contoso.onmicrosoft.com  managed    yes",
        "ENTERPRISEPACK  ENTERPRISEPACK  5      2         3",
    ] {
        assert!(
            text.stdout.lines().any(|l| l == line),
            "{line:?} in\n{}",
            text.stdout
        );
    }
    let r = run(&w, &["tenant", "show", "nobody"]).expect(2);
    assert!(
        r.stderr.contains("unknown tenant \"nobody\""),
        "{}",
        r.stderr
    );
    // A tenant without subscriptions says so.
    run(
        &w,
        &[
            "tenant",
            "add",
            "bare",
            "--domain",
            "bare.onmicrosoft.com",
            "--location",
            "GB",
        ],
    )
    .expect(0);
    let bare = json(&w, &["tenant", "show", "bare"]);
    assert_eq!(bare["subscriptions"], serde_json::json!([]));
    assert_eq!(
        bare["users"],
        serde_json::json!({"active": 0, "deleted": 0})
    );
    let text = run(&w, &["tenant", "show", "bare"]).expect(0);
    assert!(
        text.stdout
            .contains("(none: `onboard license add` adds one)"),
        "{}",
        text.stdout
    );
}

#[test]
fn audit_pages_text_and_formula_safe_csv() {
    let w = Work::with_seats(10);
    commit_licensed(&w);
    // 14 entries, 4 a page.
    let p = page(&w, &["audit", "list", "--per-page", "4", "--page", "4"]);
    assert_eq!(
        (&p["total"], &p["page"], &p["pages"]),
        (&Value::from(14), &Value::from(4), &Value::from(4))
    );
    assert_eq!(p["items"].as_array().unwrap().len(), 2);
    assert_eq!(p["items"][1]["action"], "tenant.add");
    let past = page(&w, &["audit", "list", "--page", "9"]);
    assert_eq!(
        (&past["page"], &past["pages"]),
        (&Value::from(9), &Value::from(1))
    );
    assert_eq!(past["items"], serde_json::json!([]));
    run(&w, &["audit", "list", "--per-page", "0"]).expect(2);

    let text = run(
        &w,
        &["audit", "list", "--tenant", TENANT, "--per-page", "4"],
    )
    .expect(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(lines[0].starts_with("Time "), "{}", text.stdout);
    assert!(lines[1].contains(" UTC  contoso  ") && lines[1].contains("batch.commit"));
    assert_eq!(*lines.last().unwrap(), "page 1 of 4 (14 entries)");

    let csv_out = run(
        &w,
        &["--format", "csv", "audit", "list", "--per-page", "1000"],
    )
    .expect(0);
    let mut r = csv::Reader::from_reader(csv_out.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "ID", "Time", "Tenant", "Actor", "Action", "Subject", "Detail"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14);
    assert_rfc3339(&Value::from(&rows[0][1]));
    // license.add's detail starts with "+": a spreadsheet would run it.
    let add = rows.iter().find(|r| &r[4] == "license.add").unwrap();
    assert_eq!(&add[6], "'+10 seats");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_users_commands_after_the_batch_write_one_entry_per_user_changed() {
    let w = Work::with_seats(10);
    commit_licensed(&w);
    let u = ["adele.vance", "alex.wilber"];
    let t = ["--tenant", TENANT];
    let with = |cmd: &[&str]| {
        let mut all = cmd.to_vec();
        all.extend_from_slice(&t);
        all.extend_from_slice(&u);
        run(&w, &all).expect(0);
    };
    with(&["users", "license", "revoke", "--sku", "ENTERPRISEPACK"]);
    with(&["users", "license", "assign", "--sku", "ENTERPRISEPACK"]);
    with(&["users", "block"]);
    // Already blocked: nothing changes, no entry.
    with(&["users", "block"]);
    with(&["users", "unblock"]);
    with(&["users", "roles", "--role", "helpdesk-admin"]);
    run(
        &w,
        &["users", "reset-password", "--tenant", TENANT, "adele.vance"],
    )
    .expect(0);

    let me = login_name();
    let adele = audit(&w, &["--tenant", TENANT, "--user", "adele.vance"]);
    assert_eq!(
        actions(&adele),
        [
            "user.reset_password",
            "user.roles",
            "user.unblock",
            "user.block",
            "license.assign",
            "license.revoke",
            "user.create"
        ]
    );
    assert!(
        adele.iter().all(|e| e["actor"] == me.as_str()),
        "{adele:#?}"
    );
    let alex = audit(&w, &["--tenant", TENANT, "--user", "alex.wilber"]);
    assert_eq!(alex.len(), 6, "{alex:#?}");
    let all = audit(&w, &["--tenant", TENANT]);
    assert_eq!(all.len(), SET_UP + 7 + 2 * 5 + 1);
}
