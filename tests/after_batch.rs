//! After the batch (SPEC §2, §13): licences assigned and revoked for many
//! users at once with the seat check, sign-in blocked and allowed, roles
//! replaced, one user shown whole, users named in a file, and the list's
//! filters; every change all or nothing, with exact counts.

use serde_json::Value;

use crate::util::{TENANT, Work, commit_sample};

fn json(w: &Work, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let run = w.run(&all).expect(code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// (total, assigned, available) of `sku`.
fn seats(w: &Work, sku: &str) -> (u64, u64, u64) {
    let v = json(w, &["license", "list", "--tenant", TENANT], 0);
    let s = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sku"] == sku)
        .unwrap()
        .clone();
    let n = |k: &str| s[k].as_u64().unwrap();
    (n("total"), n("assigned"), n("available"))
}

/// The user names a list gives for `args`.
fn listed(w: &Work, args: &[&str]) -> Vec<String> {
    let mut all = vec!["users", "list", "--tenant", TENANT, "--per-page", "100"];
    all.extend_from_slice(args);
    json(w, &all, 0)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap().to_string())
        .collect()
}

const ADELE: &str = "adele.vance@contoso.onmicrosoft.com";
const ALEX: &str = "alex.wilber@contoso.onmicrosoft.com";

#[test]
fn licences_for_many_users_fit_the_seats_or_change_nothing() {
    let w = Work::with_seats(10);
    w.run(&["license", "add", "--tenant", TENANT, "EMS", "--seats", "3"])
        .expect(0);
    commit_sample(&w, &[]).expect(0);
    assert_eq!(listed(&w, &["--unlicensed"]).len(), 6);
    // Six users, three seats: refused whole, exit 3, nothing written.
    let before = w.dump();
    let all: Vec<&str> = [
        "adele.vance",
        "alex.wilber",
        "diego.siciliani",
        "zoe.bronte",
        "jose.alvarez",
        "megan.bowen",
    ]
    .to_vec();
    let mut args = vec![
        "users", "license", "assign", "--tenant", TENANT, "--sku", "ems",
    ];
    args.extend(&all);
    let run = w.run(&args).expect(3);
    assert!(
        run.stderr.contains("EMS: 3 available, 6 needed"),
        "{}",
        run.stderr
    );
    assert_eq!(w.dump(), before);
    // Three fit; one of them twice in the call, and again later: no error.
    let v = json(
        &w,
        &[
            "users",
            "license",
            "assign",
            "--tenant",
            TENANT,
            "--sku",
            "EMS",
            "adele.vance",
            "alex.wilber",
            "zoe.bronte",
            "adele.vance",
        ],
        0,
    );
    assert_eq!(
        (v["changed"].as_u64(), v["unchanged"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(seats(&w, "EMS"), (3, 3, 0));
    let again = json(
        &w,
        &[
            "users",
            "license",
            "assign",
            "--tenant",
            TENANT,
            "--sku",
            "EMS",
            "adele.vance",
        ],
        0,
    );
    assert_eq!(
        (again["changed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        listed(&w, &["--license", "ems"]),
        [ADELE, ALEX, "zoe.bronte@contoso.onmicrosoft.com"]
    );
    assert_eq!(listed(&w, &["--unlicensed"]).len(), 3);
    // Revoke frees the seat; revoking one not held changes nothing.
    json(
        &w,
        &[
            "users",
            "license",
            "revoke",
            "--tenant",
            TENANT,
            "--sku",
            "EMS",
            "zoe.bronte",
            "megan.bowen",
        ],
        0,
    );
    assert_eq!(seats(&w, "EMS"), (3, 2, 1));
    assert_eq!(
        w.count("SELECT count(*) FROM audit_log WHERE action = 'license.assign'"),
        3
    );
    assert_eq!(
        w.count("SELECT count(*) FROM audit_log WHERE action = 'license.revoke'"),
        1
    );
    // An unknown SKU is a usage error; an unknown name is listed.
    w.run(&[
        "users",
        "license",
        "assign",
        "--tenant",
        TENANT,
        "--sku",
        "NOPE",
        "zoe.bronte",
    ])
    .expect(2);
    let bad = json(
        &w,
        &[
            "users", "license", "assign", "--tenant", TENANT, "--sku", "EMS", "nobody",
        ],
        1,
    );
    assert_eq!(bad["refused"][0]["code"], "unknown_user");
    assert_eq!(seats(&w, "EMS"), (3, 2, 1));
}

#[test]
fn a_user_restored_without_a_seat_gets_it_later() {
    let w = Work::with_seats(6);
    commit_sample(&w, &["--license", "ENTERPRISEPACK"]).expect(0);
    w.run(&["users", "delete", "--tenant", TENANT, "adele.vance"])
        .expect(0);
    // The freed seat goes to someone else meanwhile.
    w.run(&["license", "add", "--tenant", TENANT, "EMS", "--seats", "1"])
        .expect(0);
    w.write("one.csv", "User Name,Display Name\r\nnew.hire,New Hire\r\n");
    w.run(&[
        "commit",
        "one.csv",
        "--tenant",
        TENANT,
        "--license",
        "ENTERPRISEPACK",
    ])
    .expect(0);
    let run = w
        .run(&["users", "restore", "--tenant", TENANT, "adele.vance"])
        .expect(0);
    assert!(
        run.stderr.contains("restored without ENTERPRISEPACK"),
        "{}",
        run.stderr
    );
    let shown = json(&w, &["users", "show", "--tenant", TENANT, "adele.vance"], 0);
    assert_eq!(shown["licenses"], serde_json::json!([]));
    // A seat is freed, then assigned to her.
    w.run(&[
        "users",
        "license",
        "revoke",
        "--tenant",
        TENANT,
        "--sku",
        "ENTERPRISEPACK",
        "new.hire",
    ])
    .expect(0);
    w.run(&[
        "users",
        "license",
        "assign",
        "--tenant",
        TENANT,
        "--sku",
        "ENTERPRISEPACK",
        "adele.vance",
    ])
    .expect(0);
    let shown = json(&w, &["users", "show", "--tenant", TENANT, "adele.vance"], 0);
    assert_eq!(shown["licenses"], serde_json::json!(["ENTERPRISEPACK"]));
    assert_eq!(seats(&w, "ENTERPRISEPACK"), (6, 6, 0));
}

#[test]
fn sign_in_and_roles_are_changed_and_shown() {
    let w = Work::with_seats(10);
    commit_sample(&w, &["--role", "helpdesk-admin"]).expect(0);
    let v = json(
        &w,
        &[
            "users",
            "block",
            "--tenant",
            TENANT,
            "adele.vance",
            "alex.wilber",
        ],
        0,
    );
    assert_eq!(v["changed"], 2);
    assert_eq!(listed(&w, &["--sign-in", "blocked"]), [ADELE, ALEX]);
    assert_eq!(listed(&w, &["--sign-in", "allowed"]).len(), 4);
    let v = json(
        &w,
        &["users", "block", "--tenant", TENANT, "adele.vance"],
        0,
    );
    assert_eq!(
        (v["changed"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    json(
        &w,
        &["users", "unblock", "--tenant", TENANT, "alex.wilber"],
        0,
    );
    assert_eq!(listed(&w, &["--sign-in", "blocked"]), [ADELE]);

    let shown = json(&w, &["users", "show", "--tenant", TENANT, "alex.wilber"], 0);
    assert_eq!(shown["roles"], serde_json::json!(["helpdesk-admin"]));
    json(
        &w,
        &[
            "users",
            "roles",
            "--tenant",
            TENANT,
            "--role",
            "user-admin",
            "--role",
            "user",
            "alex.wilber",
        ],
        0,
    );
    let shown = json(&w, &["users", "show", "--tenant", TENANT, "alex.wilber"], 0);
    assert_eq!(
        shown["roles"],
        serde_json::json!(["user-admin"]),
        "admin roles only"
    );
    json(
        &w,
        &[
            "users",
            "roles",
            "--tenant",
            TENANT,
            "--role",
            "user",
            "alex.wilber",
        ],
        0,
    );
    let shown = json(&w, &["users", "show", "--tenant", TENANT, "alex.wilber"], 0);
    assert_eq!(shown["roles"], serde_json::json!(["user"]));
    assert_eq!(shown["sign_in"], "allowed");
    w.run(&[
        "users",
        "roles",
        "--tenant",
        TENANT,
        "--role",
        "emperor",
        "alex.wilber",
    ])
    .expect(2);
    for (action, n) in [("user.block", 2), ("user.unblock", 1), ("user.roles", 2)] {
        assert_eq!(
            w.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            )),
            n,
            "{action}"
        );
    }
    // The list item has what SPEC §14 asks of it.
    let v = json(&w, &["users", "list", "--tenant", TENANT], 0);
    let u = &v["items"][0];
    for key in [
        "id",
        "user_name",
        "display_name",
        "status",
        "assigned",
        "licenses",
        "sign_in",
        "roles",
    ] {
        assert!(u.get(key).is_some(), "no {key}: {u}");
    }
}

#[test]
fn show_gives_every_field_and_the_days_left() {
    let w = Work::with_seats(10);
    commit_sample(&w, &["--force-change-password"]).expect(0);
    let u = json(&w, &["users", "show", "--tenant", TENANT, "ADELE.VANCE"], 0);
    assert_eq!(u["user_name"], ADELE);
    assert_eq!(u["status"], "active");
    assert_eq!(u["force_change_password"], true);
    assert!(u["batch"].is_string());
    let created = u["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    assert!(u["deleted_at"].is_null() && u["days_left"].is_null());
    let text = w
        .run(&["users", "show", "--tenant", TENANT, "adele.vance"])
        .expect(0);
    assert!(text.stdout.contains("Adele Vance"), "{}", text.stdout);

    w.run(&["users", "delete", "--tenant", TENANT, "adele.vance"])
        .expect(0);
    let u = json(&w, &["users", "show", "--tenant", TENANT, "adele.vance"], 0);
    assert_eq!(
        (u["status"].as_str(), u["days_left"].as_i64()),
        (Some("deleted"), Some(30))
    );
    // 29 days and a bit later: one day left; in the deleted list too.
    let deleted_at = w.count(&format!(
        "SELECT deleted_at FROM users WHERE upn = '{ADELE}'"
    ));
    let later = (deleted_at + 29 * 86_400 + 3600).to_string();
    let run = w.run_env(
        &[("ONBOARD_NOW", &later)],
        &[
            "--format", "json", "users", "list", "--tenant", TENANT, "--status", "deleted",
        ],
    );
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["items"][0]["days_left"], 1, "{v}");
    let run = w.run_env(
        &[("ONBOARD_NOW", &later)],
        &["users", "list", "--tenant", TENANT, "--status", "deleted"],
    );
    assert!(run.stdout.contains("Days left"), "{}", run.stdout);

    let run = w
        .run(&["users", "show", "--tenant", TENANT, "nobody"])
        .expect(1);
    assert!(run.stderr.contains("no such user"), "{}", run.stderr);
}

#[test]
fn a_file_names_the_users_and_bad_rows_are_listed_with_their_lines() {
    let w = Work::with_seats(10);
    commit_sample(&w, &[]).expect(0);
    // A filled template works as a names file: the sample itself.
    let sample = crate::util::SAMPLE;
    let v = json(
        &w,
        &["users", "block", "--tenant", TENANT, "--file", sample],
        0,
    );
    assert_eq!(v["changed"], 6);
    // Semicolons, a bare alias, a blank line, and two bad rows.
    w.write(
        "leavers.csv",
        "Display Name;User Name\r\nAdele;adele.vance\r\n\r\nNobody;nobody\r\nNo name;\r\n",
    );
    let run = w
        .run(&[
            "users",
            "delete",
            "--tenant",
            TENANT,
            "--file",
            "leavers.csv",
            "alex.wilber",
        ])
        .expect(1);
    assert!(
        run.stderr.contains("nobody@contoso.onmicrosoft.com"),
        "{}",
        run.stderr
    );
    let v = json(
        &w,
        &[
            "users",
            "delete",
            "--tenant",
            TENANT,
            "--file",
            "leavers.csv",
        ],
        1,
    );
    let lines: Vec<(u64, &str)> = v["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [(4, "unknown_user"), (5, "required")]);
    assert_eq!(
        listed(&w, &["--status", "deleted"]).len(),
        0,
        "nothing changed"
    );
    // Standard input, with the good rows only.
    let run = w.run_with_stdin(
        &["users", "delete", "--tenant", TENANT, "--file", "-"],
        Some(b"User Name\nadele.vance\nalex.wilber\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(listed(&w, &["--status", "deleted"]), [ADELE, ALEX]);
    // No User Name column: exit 2.
    w.write("wrong.csv", "Display Name\r\nAdele\r\n");
    let run = w
        .run(&[
            "users",
            "restore",
            "--tenant",
            TENANT,
            "--file",
            "wrong.csv",
        ])
        .expect(2);
    assert!(run.stderr.contains("User Name"), "{}", run.stderr);
}
