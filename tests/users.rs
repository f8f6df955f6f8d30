//! `onboard users list | delete | restore | reset-password` (SPEC §9):
//! the list and its search, soft delete and restore within 30 days, purge
//! after that, several names per call, tenant isolation, password reset and
//! seat counts that never drift.

use std::process::Stdio;

use serde_json::Value;

use crate::util::{Run, TENANT, Work, users_csv};

const DAY: i64 = 24 * 3600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs the binary with the clock pinned at `at` (Unix seconds).
fn run_at(w: &Work, at: i64, args: &[&str]) -> Run {
    let out = w
        .command()
        .env("ONBOARD_NOW", at.to_string())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Commits `n` users `u<prefix><i>` to `tenant` with one ENTERPRISEPACK seat each.
fn commit(w: &Work, tenant: &str, prefix: &str, n: usize) {
    let name = format!("{tenant}-{prefix}.csv");
    w.write(&name, users_csv(prefix, n));
    let results = format!("{tenant}-{prefix}-results.csv");
    w.run(&[
        "commit",
        &name,
        "--tenant",
        tenant,
        "--license",
        "ENTERPRISEPACK",
        "--results",
        &results,
    ])
    .expect(0);
}

/// `users list --format json` with `args`.
fn list(w: &Work, tenant: &str, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json", "users", "list", "--tenant", tenant];
    all.extend_from_slice(args);
    let run = w.run(&all).expect(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The user names of a listed page, in order.
fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap().to_string())
        .collect()
}

/// (total, assigned, available) of ENTERPRISEPACK in `license list`.
fn seats(w: &Work, tenant: &str) -> (u64, u64, u64) {
    let run = w
        .run(&["--format", "json", "license", "list", "--tenant", tenant])
        .expect(0);
    let subs: Value = serde_json::from_str(&run.stdout).unwrap();
    let s = subs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sku"] == "ENTERPRISEPACK")
        .unwrap();
    (
        s["total"].as_u64().unwrap(),
        s["assigned"].as_u64().unwrap(),
        s["available"].as_u64().unwrap(),
    )
}

/// Every SKU of every tenant: `license list` agrees with the assignment rows.
#[track_caller]
fn assert_seats_consistent(w: &Work, tenants: &[&str]) {
    for t in tenants {
        let run = w
            .run(&["--format", "json", "license", "list", "--tenant", t])
            .expect(0);
        let subs: Value = serde_json::from_str(&run.stdout).unwrap();
        for s in subs["items"].as_array().unwrap() {
            let sku = s["sku"].as_str().unwrap();
            let (total, assigned, available) = (
                s["total"].as_i64().unwrap(),
                s["assigned"].as_i64().unwrap(),
                s["available"].as_i64().unwrap(),
            );
            let rows = w.count(&format!(
                "SELECT count(*) FROM license_assignments a JOIN users u ON u.key = a.user_key \
                 WHERE a.tenant_id = '{t}' AND a.sku = '{sku}' AND a.state = 'assigned' \
                 AND u.state = 'active' AND u.tenant_id = '{t}'"
            ));
            let all_rows = w.count(&format!(
                "SELECT count(*) FROM license_assignments \
                 WHERE tenant_id = '{t}' AND sku = '{sku}' AND state = 'assigned'"
            ));
            assert_eq!(
                assigned, rows,
                "{t} {sku}: assigned vs rows of active users"
            );
            assert_eq!(assigned, all_rows, "{t} {sku}: assigned vs assigned rows");
            assert_eq!(available, total - assigned, "{t} {sku}: available");
            assert!(assigned <= total, "{t} {sku}: oversold");
        }
    }
}

/// A second tenant, `fabrikam`, whose default domain is fabrikamb.onmicrosoft.com.
fn add_tenant_b(w: &Work, seats: u64) {
    w.run(&[
        "tenant",
        "add",
        "fabrikam",
        "--domain",
        "fabrikamb.onmicrosoft.com",
        "--location",
        "US",
    ])
    .expect(0);
    w.run(&[
        "license",
        "add",
        "--tenant",
        "fabrikam",
        "ENTERPRISEPACK",
        "--seats",
        &seats.to_string(),
    ])
    .expect(0);
}

fn user_id(w: &Work, upn: &str) -> String {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    c.query_row("SELECT id FROM users WHERE upn = ?1", [upn], |r| r.get(0))
        .unwrap()
}

#[test]
fn list_shows_the_columns_and_pages_of_twenty() {
    let w = Work::with_seats(30);
    commit(&w, TENANT, "a", 25);
    let run = w.run(&["users", "list", "--tenant", TENANT]).expect(0);
    let mut lines = run.stdout.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split("  ").filter(|c| !c.is_empty()).collect();
    let cols: Vec<&str> = cols.iter().map(|c| c.trim()).collect();
    assert_eq!(cols, ["Display Name", "User Name", "Status", "Assigned"]);
    let rows: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 21, "20 rows and the page line:\n{}", run.stdout);
    assert_eq!(rows[20], "page 1 of 2 (25 users)");
    assert!(
        rows[0].starts_with("User a 0 ") && rows[0].contains("ua0@contoso.onmicrosoft.com"),
        "{}",
        rows[0]
    );
    assert!(rows[0].ends_with("Active  1"), "{}", rows[0]);

    let p2 = w
        .run(&["users", "list", "--tenant", TENANT, "--page", "2"])
        .expect(0);
    assert_eq!(p2.stdout.lines().count(), 1 + 5 + 1, "{}", p2.stdout);
    assert!(
        p2.stdout.ends_with("page 2 of 2 (25 users)\n"),
        "{}",
        p2.stdout
    );

    // JSON: the page, its counts and every user of it.
    let j = list(&w, TENANT, &["--per-page", "10", "--page", "3"]);
    assert_eq!(j["page"], 3);
    assert_eq!(j["pages"], 3);
    assert_eq!(j["per_page"], 10);
    assert_eq!(j["total"], 25);
    assert_eq!(names(&j).len(), 5);
    // Every user exactly once across the pages.
    let mut all: Vec<String> = (1..=3)
        .flat_map(|p| {
            names(&list(
                &w,
                TENANT,
                &["--per-page", "10", "--page", &p.to_string()],
            ))
        })
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 25);
    let first = &j["items"][0];
    assert_eq!(first["status"], "active");
    assert_eq!(first["assigned"], 1);

    // CSV: the four columns.
    let csv = w
        .run(&[
            "--format",
            "csv",
            "users",
            "list",
            "--tenant",
            TENANT,
            "--per-page",
            "100",
        ])
        .expect(0);
    let mut r = csv::Reader::from_reader(csv.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Display Name", "User Name", "Status", "Assigned"]
    );
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 25);
    assert!(recs.iter().all(|r| &r[2] == "Active" && &r[3] == "1"));
}

#[test]
fn list_filters_by_status_and_searches_names_in_any_case() {
    let w = Work::with_seats(30);
    commit(&w, TENANT, "a", 12);
    w.run(&["users", "delete", "--tenant", TENANT, "ua1", "ua2", "ua3"])
        .expect(0);
    assert_eq!(list(&w, TENANT, &[])["total"], 9);
    assert_eq!(list(&w, TENANT, &["--status", "active"])["total"], 9);
    let deleted = list(&w, TENANT, &["--status", "deleted"]);
    assert_eq!(deleted["total"], 3);
    let mut d = names(&deleted);
    d.sort();
    assert_eq!(
        d,
        [
            "ua1@contoso.onmicrosoft.com",
            "ua2@contoso.onmicrosoft.com",
            "ua3@contoso.onmicrosoft.com"
        ]
    );
    assert!(
        deleted["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "deleted" && u["assigned"] == 0)
    );
    assert_eq!(list(&w, TENANT, &["--status", "all"])["total"], 12);

    // Display name, any case: "User a 1", "User a 10", "User a 11".
    let s = list(&w, TENANT, &["--status", "all", "--search", "uSER A 1"]);
    assert_eq!(s["total"], 3, "{s}");
    // User name, any case.
    let s = list(&w, TENANT, &["--status", "all", "--search", "UA11@CONTOSO"]);
    assert_eq!(names(&s), ["ua11@contoso.onmicrosoft.com"]);
    // The status filter applies to the search too.
    let s = list(&w, TENANT, &["--status", "active", "--search", "user a 1"]);
    assert_eq!(s["total"], 2);
    // Short terms, and characters LIKE would treat as wildcards.
    assert_eq!(
        list(&w, TENANT, &["--status", "all", "--search", "a1"])["total"],
        3
    );
    assert_eq!(
        list(&w, TENANT, &["--status", "all", "--search", "u"])["total"],
        12
    );
    assert_eq!(list(&w, TENANT, &["--search", "%"])["total"], 0);
    assert_eq!(list(&w, TENANT, &["--search", "u_a"])["total"], 0);
    assert_eq!(list(&w, TENANT, &["--search", "\"quoted\""])["total"], 0);
    let none = w
        .run(&[
            "users",
            "list",
            "--tenant",
            TENANT,
            "--search",
            "nobody-here",
        ])
        .expect(0);
    assert!(
        none.stdout.contains("page 1 of 1 (0 users)"),
        "{}",
        none.stdout
    );
    // A search with pages: 10 and 11 of "user a 1" on a page of 1 each.
    let p = list(
        &w,
        TENANT,
        &[
            "--status",
            "all",
            "--search",
            "user a 1",
            "--per-page",
            "1",
            "--page",
            "3",
        ],
    );
    assert_eq!(
        (p["page"].as_u64(), p["pages"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(names(&p).len(), 1);
}

#[test]
fn search_folds_the_case_of_accented_names() {
    let w = Work::with_seats(5);
    w.write(
        "in.csv",
        "User Name,First Name,Last Name,Display Name\r\n\
         zoe.angstrom,Zoë,Ångström,Zoë Ångström\r\n\
         renee.oconnor,Renée,O'Connor,Renée O'Connor\r\n",
    );
    w.run(&["commit", "in.csv", "--tenant", TENANT, "--results", "r.csv"])
        .expect(0);
    let s = list(&w, TENANT, &["--search", "ÅNGSTRÖM"]);
    assert_eq!(names(&s), ["zoe.angstrom@contoso.onmicrosoft.com"], "{s}");
    let s = list(&w, TENANT, &["--search", "zoË"]);
    assert_eq!(names(&s), ["zoe.angstrom@contoso.onmicrosoft.com"], "{s}");
    let s = list(&w, TENANT, &["--search", "renÉe o'c"]);
    assert_eq!(names(&s), ["renee.oconnor@contoso.onmicrosoft.com"], "{s}");
}

#[test]
fn delete_then_restore_gives_back_the_same_user_and_licences() {
    let w = Work::with_seats(5);
    commit(&w, TENANT, "a", 3);
    let id = user_id(&w, "ua1@contoso.onmicrosoft.com");
    assert_eq!(seats(&w, TENANT), (5, 3, 2));
    let del = w
        .run(&["users", "delete", "--tenant", TENANT, "ua1"])
        .expect(0);
    assert!(
        del.stdout.contains("ua1@contoso.onmicrosoft.com: deleted"),
        "{}",
        del.stdout
    );
    assert_eq!(seats(&w, TENANT), (5, 2, 3));
    assert_seats_consistent(&w, &[TENANT]);
    // Deleting twice is an error for that name.
    let again = w
        .run(&["users", "delete", "--tenant", TENANT, "ua1"])
        .expect(1);
    assert!(again.stderr.contains("already deleted"), "{}", again.stderr);

    let res = w
        .run(&[
            "users",
            "restore",
            "--tenant",
            TENANT,
            "UA1@Contoso.onmicrosoft.com",
        ])
        .expect(0);
    assert!(res.stdout.contains("restored"), "{}", res.stdout);
    assert!(!res.stderr.contains("warning"), "{}", res.stderr);
    assert_eq!(user_id(&w, "ua1@contoso.onmicrosoft.com"), id);
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE upn = 'ua1@contoso.onmicrosoft.com'"),
        1
    );
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM license_assignments \
             WHERE user_key = (SELECT key FROM users WHERE id = '{id}') AND sku = 'ENTERPRISEPACK' AND state = 'assigned'"
        )),
        1
    );
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM role_assignments WHERE user_key = (SELECT key FROM users WHERE id = '{id}')"
        )),
        1
    );
    assert_eq!(seats(&w, TENANT), (5, 3, 2));
    let s = list(&w, TENANT, &["--search", "ua1@"]);
    assert_eq!(s["items"][0]["status"], "active");
    assert_eq!(s["items"][0]["assigned"], 1);
    // Restoring an active user is an error.
    w.run(&["users", "restore", "--tenant", TENANT, "ua1"])
        .expect(1);
    assert_seats_consistent(&w, &[TENANT]);
}

#[test]
fn restore_without_the_seat_taken_meanwhile_warns_and_never_oversells() {
    let w = Work::with_seats(3);
    commit(&w, TENANT, "a", 3);
    w.run(&["users", "delete", "--tenant", TENANT, "ua0"])
        .expect(0);
    assert_eq!(seats(&w, TENANT), (3, 2, 1));
    // Another file takes the last seat.
    commit(&w, TENANT, "b", 1);
    assert_eq!(seats(&w, TENANT), (3, 3, 0));
    let res = w
        .run(&["users", "restore", "--tenant", TENANT, "ua0"])
        .expect(0);
    assert!(
        res.stdout.contains("ua0@contoso.onmicrosoft.com: restored"),
        "{}",
        res.stdout
    );
    assert!(
        res.stderr.contains("warning") && res.stderr.contains("ENTERPRISEPACK"),
        "{}",
        res.stderr
    );
    assert_eq!(seats(&w, TENANT), (3, 3, 0));
    let s = list(&w, TENANT, &["--search", "ua0@"]);
    assert_eq!(s["items"][0]["status"], "active");
    assert_eq!(s["items"][0]["assigned"], 0);
    assert_seats_consistent(&w, &[TENANT]);
    // A seat bought later is not given to the restored user behind the
    // administrator's back; deleting and restoring again gives nothing back.
    w.run(&[
        "license",
        "add",
        "--tenant",
        TENANT,
        "ENTERPRISEPACK",
        "--seats",
        "1",
    ])
    .expect(0);
    assert_eq!(seats(&w, TENANT), (4, 3, 1));
    assert_seats_consistent(&w, &[TENANT]);
}

#[test]
fn deleted_users_are_purged_after_thirty_days() {
    let w = Work::with_seats(5);
    commit(&w, TENANT, "a", 3);
    let t0 = now();
    run_at(
        &w,
        t0,
        &["users", "delete", "--tenant", TENANT, "ua0", "ua1"],
    )
    .expect(0);

    // Day 29: still there and restorable.
    let day29 = t0 + 29 * DAY;
    let d = run_at(
        &w,
        day29,
        &[
            "--format", "json", "users", "list", "--tenant", TENANT, "--status", "deleted",
        ],
    )
    .expect(0);
    let d: Value = serde_json::from_str(&d.stdout).unwrap();
    assert_eq!(d["total"], 2);
    run_at(&w, day29, &["users", "restore", "--tenant", TENANT, "ua1"]).expect(0);
    assert_eq!(seats(&w, TENANT), (5, 2, 3));

    // Day 31: ua0 is gone, and says so.
    let day31 = t0 + 31 * DAY;
    let d = run_at(
        &w,
        day31,
        &[
            "--format", "json", "users", "list", "--tenant", TENANT, "--status", "deleted",
        ],
    )
    .expect(0);
    let d: Value = serde_json::from_str(&d.stdout).unwrap();
    assert_eq!(d["total"], 0, "{d}");
    let all = run_at(
        &w,
        day31,
        &[
            "--format", "json", "users", "list", "--tenant", TENANT, "--status", "all",
        ],
    )
    .expect(0);
    let all: Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(all["total"], 2);
    assert!(!names(&all).contains(&"ua0@contoso.onmicrosoft.com".to_string()));
    let r = run_at(&w, day31, &["users", "restore", "--tenant", TENANT, "ua0"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("purged"), "{}", r.stderr);
    assert_eq!(
        w.count(
            "SELECT count(*) FROM audit_log WHERE action = 'user.purge' \
             AND subject = 'ua0@contoso.onmicrosoft.com' AND tenant_id = 'contoso'"
        ),
        1
    );
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE upn = 'ua0@contoso.onmicrosoft.com'"),
        0
    );
    assert_eq!(
        w.count(
            "SELECT count(*) FROM license_assignments WHERE user_key NOT IN (SELECT key FROM users)"
        ),
        0
    );
    // The restored user stays.
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE upn = 'ua1@contoso.onmicrosoft.com' AND state = 'active'"),
        1
    );
    assert_seats_consistent(&w, &[TENANT]);
}

/// Every users command that changes users is one transaction (SPEC §2):
/// with one bad name among good ones, nobody changes and every bad name is
/// listed (exit 1).
#[test]
fn several_names_per_call_change_all_or_none() {
    let w = Work::with_seats(5);
    commit(&w, TENANT, "a", 3);
    let before = w.dump();
    let del = w
        .run(&[
            "users",
            "delete",
            "--tenant",
            TENANT,
            "ua0",
            "nobody",
            "ua2",
            "ghost@contoso.com",
        ])
        .expect(1);
    for bad in ["nobody@contoso.onmicrosoft.com", "ghost@contoso.com"] {
        assert!(
            del.stderr.contains(bad) && del.stderr.contains("unknown_user"),
            "{}",
            del.stderr
        );
    }
    assert!(del.stderr.contains("nothing was changed"), "{}", del.stderr);
    assert!(!del.stdout.contains("deleted"), "{}", del.stdout);
    assert_eq!(w.dump(), before, "nothing was written");
    assert_eq!(list(&w, TENANT, &["--status", "deleted"])["total"], 0);
    assert_eq!(seats(&w, TENANT), (5, 3, 2));

    w.run(&["users", "delete", "--tenant", TENANT, "ua0", "ua2"])
        .expect(0);
    assert_eq!(seats(&w, TENANT), (5, 1, 4));
    // ua1 is not deleted: the restore of all three changes nobody.
    let res = w
        .run(&["users", "restore", "--tenant", TENANT, "ua0", "ua1", "ua2"])
        .expect(1);
    assert!(
        res.stderr.contains("ua1@contoso.onmicrosoft.com") && res.stderr.contains("not_deleted"),
        "{}",
        res.stderr
    );
    assert_eq!(list(&w, TENANT, &["--status", "deleted"])["total"], 2);
    let res = w
        .run(&["users", "restore", "--tenant", TENANT, "ua0", "ua2"])
        .expect(0);
    assert!(
        res.stdout.contains("ua0@contoso.onmicrosoft.com: restored")
            && res.stdout.contains("ua2@contoso.onmicrosoft.com: restored"),
        "{}",
        res.stdout
    );
    assert_eq!(seats(&w, TENANT), (5, 3, 2));
    assert_seats_consistent(&w, &[TENANT]);
}

#[test]
fn a_tenant_never_reads_or_changes_another_tenants_users() {
    let w = Work::with_seats(5);
    add_tenant_b(&w, 5);
    commit(&w, TENANT, "a", 3);
    commit(&w, "fabrikam", "a", 3);
    let b_user = "ua1@fabrikamb.onmicrosoft.com";
    let b_before =
        w.count("SELECT count(*) FROM users WHERE tenant_id = 'fabrikam' AND state = 'active'");
    assert_eq!(b_before, 3);
    let b_dump = || {
        let c = rusqlite::Connection::open(w.db()).unwrap();
        let mut s = c
            .prepare(
                "SELECT u.id, u.upn, u.state, u.deleted_at, u.password_hash, u.force_change_password, \
                 (SELECT group_concat(sku || ':' || state) FROM license_assignments a WHERE a.user_key = u.key) \
                 FROM users u WHERE u.tenant_id = 'fabrikam' ORDER BY u.upn",
            )
            .unwrap();
        let rows: Vec<String> = s
            .query_map([], |r| {
                Ok(format!(
                    "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                    r.get_ref(0)?,
                    r.get_ref(1)?,
                    r.get_ref(2)?,
                    r.get_ref(3)?,
                    r.get_ref(4)?,
                    r.get_ref(5)?,
                    r.get_ref(6)?
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    };
    let before = b_dump();

    // List and search.
    let all = list(&w, TENANT, &["--status", "all", "--per-page", "100"]);
    assert_eq!(all["total"], 3);
    assert!(
        names(&all)
            .iter()
            .all(|n| n.ends_with("@contoso.onmicrosoft.com"))
    );
    assert_eq!(
        list(&w, TENANT, &["--status", "all", "--search", "fabrikamb"])["total"],
        0
    );
    assert_eq!(
        list(&w, TENANT, &["--status", "all", "--search", b_user])["total"],
        0
    );

    // Delete, restore and reset with B's full user name.
    let d = w
        .run(&["users", "delete", "--tenant", TENANT, b_user])
        .expect(1);
    assert!(d.stderr.contains("no such user"), "{}", d.stderr);
    let r = w
        .run(&["users", "restore", "--tenant", TENANT, b_user])
        .expect(1);
    assert!(r.stderr.contains("no such user"), "{}", r.stderr);
    let p = w.run(&[
        "users",
        "reset-password",
        "--tenant",
        TENANT,
        b_user,
        "--force-change-password",
    ]);
    assert_ne!(p.code, 0);
    assert!(!p.stdout.contains("new temporary password"), "{}", p.stdout);
    assert_eq!(b_dump(), before);

    // A's user of the same alias: only A's changes.
    w.run(&["users", "delete", "--tenant", TENANT, "ua1"])
        .expect(0);
    assert_eq!(b_dump(), before);
    // B deletes its own ua1; A restoring "ua1" restores A's, not B's.
    w.run(&["users", "delete", "--tenant", "fabrikam", "ua1"])
        .expect(0);
    let b_deleted = b_dump();
    w.run(&["users", "restore", "--tenant", TENANT, "ua1"])
        .expect(0);
    w.run(&["users", "restore", "--tenant", TENANT, b_user])
        .expect(1);
    assert_eq!(b_dump(), b_deleted);
    assert_eq!(list(&w, "fabrikam", &["--status", "deleted"])["total"], 1);
    assert_eq!(list(&w, TENANT, &["--status", "deleted"])["total"], 0);
    w.run(&["users", "reset-password", "--tenant", TENANT, "ua2"])
        .expect(0);
    assert_eq!(b_dump(), b_deleted);
    // B's purge does not happen through A either: A at day 31 leaves B's
    // deleted user alone (each tenant purges its own).
    run_at(&w, now() + 31 * DAY, &["users", "list", "--tenant", TENANT]).expect(0);
    assert_eq!(b_dump(), b_deleted);
    assert_eq!(
        w.count("SELECT count(*) FROM audit_log WHERE tenant_id = 'contoso' AND subject LIKE '%fabrikamb%'"),
        0
    );
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
}

#[test]
fn reset_password_stores_a_new_hash_of_the_printed_password() {
    let w = Work::with_seats(5);
    commit(&w, TENANT, "a", 2);
    let hash = |upn: &str| -> (String, i64) {
        let c = rusqlite::Connection::open(w.db()).unwrap();
        c.query_row(
            "SELECT password_hash, force_change_password FROM users WHERE upn = ?1",
            [upn],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let upn = "ua0@contoso.onmicrosoft.com";
    let (old, old_flag) = hash(upn);
    assert_eq!(old_flag, 0);
    let run = w
        .run(&["users", "reset-password", "--tenant", TENANT, "ua0"])
        .expect(0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("new temporary password for ua0@contoso.onmicrosoft.com: "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let pw = line.rsplit(": ").next().unwrap();
    assert_eq!(pw.len(), 16, "{pw}");
    let (new, flag) = hash(upn);
    assert_ne!(new, old);
    assert!(new.starts_with("$argon2id$"), "{new}");
    assert!(onboard::password::verify(&new, pw));
    assert!(!onboard::password::verify(&old, pw));
    assert_eq!(flag, 0);
    // The password appears once, on standard output only; never in the store.
    assert!(!run.stderr.contains(pw));
    assert!(!w.dump().contains(pw));
    // The other user is untouched.
    let other = hash("ua1@contoso.onmicrosoft.com");

    let run = w
        .run(&[
            "users",
            "reset-password",
            "--tenant",
            TENANT,
            "ua0",
            "--force-change-password",
        ])
        .expect(0);
    let pw2 = run
        .stdout
        .lines()
        .next()
        .unwrap()
        .rsplit(": ")
        .next()
        .unwrap()
        .to_string();
    let (new2, flag) = hash(upn);
    assert_ne!(pw2, pw);
    assert_ne!(new2, new);
    assert!(onboard::password::verify(&new2, &pw2));
    assert_eq!(flag, 1);
    assert_eq!(hash("ua1@contoso.onmicrosoft.com"), other);
    assert_eq!(
        w.count("SELECT count(*) FROM audit_log WHERE action = 'user.reset_password'"),
        2
    );

    // A deleted user is refused, and keeps its hash.
    w.run(&["users", "delete", "--tenant", TENANT, "ua1"])
        .expect(0);
    let r = w.run(&["users", "reset-password", "--tenant", TENANT, "ua1"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("deleted"), "{}", r.stderr);
    assert!(!r.stdout.contains("new temporary password"), "{}", r.stdout);
    assert_eq!(hash("ua1@contoso.onmicrosoft.com"), other);
    // An unknown user too.
    let r = w.run(&["users", "reset-password", "--tenant", TENANT, "nobody"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no such user"), "{}", r.stderr);
}

#[test]
fn seat_counts_stay_consistent_through_commits_deletes_and_restores() {
    let w = Work::with_seats(6);
    w.run(&[
        "license", "add", "--tenant", TENANT, "SPE_E5", "--seats", "4",
    ])
    .expect(0);
    add_tenant_b(&w, 2);
    // Two licences for the first batch, one for the second.
    w.write("a.csv", users_csv("a", 4));
    w.run(&[
        "commit",
        "a.csv",
        "--tenant",
        TENANT,
        "--license",
        "ENTERPRISEPACK",
        "--license",
        "SPE_E5",
        "--results",
        "ra.csv",
    ])
    .expect(0);
    assert_seats_consistent(&w, &[TENANT]);
    commit(&w, TENANT, "b", 2);
    commit(&w, "fabrikam", "a", 2);
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
    assert_eq!(seats(&w, TENANT), (6, 6, 0));

    w.run(&["users", "delete", "--tenant", TENANT, "ua0", "ua1", "ub0"])
        .expect(0);
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
    assert_eq!(seats(&w, TENANT), (6, 3, 3));
    commit(&w, TENANT, "c", 2);
    assert_seats_consistent(&w, &[TENANT]);
    // ua0 gets both back; ua1 only SPE_E5 (ENTERPRISEPACK is full now).
    let r = w
        .run(&["users", "restore", "--tenant", TENANT, "ua0", "ua1", "ub0"])
        .expect(0);
    assert!(r.stderr.contains("ENTERPRISEPACK"), "{}", r.stderr);
    assert!(!r.stderr.contains("SPE_E5"), "{}", r.stderr);
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
    assert_eq!(seats(&w, TENANT), (6, 6, 0));
    assert_eq!(
        w.count(
            "SELECT count(*) FROM license_assignments WHERE sku = 'SPE_E5' AND state = 'assigned'"
        ),
        4
    );
    w.run(&["users", "delete", "--tenant", TENANT, "uc0", "ua2", "ua3"])
        .expect(0);
    w.run(&["users", "delete", "--tenant", "fabrikam", "ua0"])
        .expect(0);
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
    w.run(&["users", "restore", "--tenant", TENANT, "ua3"])
        .expect(0);
    let t = now();
    run_at(&w, t + 31 * DAY, &["users", "list", "--tenant", TENANT]).expect(0);
    assert_seats_consistent(&w, &[TENANT, "fabrikam"]);
    assert_eq!(
        w.count("SELECT count(*) FROM license_assignments WHERE state = 'released'"),
        1, // fabrikam's ua0, not purged by contoso's clock
    );
}
