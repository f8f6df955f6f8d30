//! `users list --search` and the counts of the list, checked against a
//! plain scan of the users table (SPEC §9): the search blocks must agree
//! with the users through commits, deletes, restores and purges, with
//! entries spread over many blocks and several domains, on both ways to a
//! page (few matches ordered in memory, dense matches read in index order),
//! and never show another tenant's users.

use serde_json::Value;

use crate::util::{Run, TENANT, Work};

const DAY: i64 = 24 * 3600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs the binary with tiny search blocks (a few entries each), `env`
/// added.
fn run(w: &Work, env: &[(&str, String)], args: &[&str]) -> Run {
    let mut all = vec![("ONBOARD_SEARCH_BLOCK_BYTES", "48")];
    all.extend(env.iter().map(|(k, v)| (*k, v.as_str())));
    w.run_env(&all, args)
}

/// Commits `rows` (user name, display name) to `tenant`.
fn commit(w: &Work, tenant: &str, name: &str, rows: &[(&str, &str)]) {
    let mut csv = String::from("User Name,First Name,Last Name,Display Name\r\n");
    for (upn, display) in rows {
        let (first, last) = display.split_once(' ').unwrap_or((display, "X"));
        csv.push_str(&format!("{upn},{first},{last},{display}\r\n"));
    }
    w.write(&format!("{name}.csv"), csv);
    let results = format!("{name}-results.csv");
    run(
        w,
        &[],
        &[
            "commit",
            &format!("{name}.csv"),
            "--tenant",
            tenant,
            "--results",
            &results,
        ],
    )
    .expect(0);
}

/// (user name, status) of every user of a listing, in order, and its JSON.
fn listed(w: &Work, env: &[(&str, String)], args: &[&str]) -> (Vec<(String, String)>, Value) {
    let mut all = vec!["--format", "json", "users", "list", "--tenant", TENANT];
    all.extend_from_slice(args);
    let out = run(w, env, &all).expect(0);
    let page: Value = serde_json::from_str(&out.stdout).unwrap();
    let users = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["user_name"].as_str().unwrap().to_string(),
                u["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (users, page)
}

/// What a listing should show: the tenant's users of `status` whose
/// lower-cased display name and user name contain the lower-cased term,
/// ordered by that key.
fn expected(w: &Work, status: &str, term: &str) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    let mut stmt = c
        .prepare("SELECT display_name, upn, state FROM users WHERE tenant_id = ?1")
        .unwrap();
    let term = term.trim().to_lowercase();
    let mut rows: Vec<(String, String, String)> = stmt
        .query_map([TENANT], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, _, state): &(String, String, String)| status == "all" || state == status)
        .map(|(display, upn, state)| {
            let key = format!("{} {}", display.to_lowercase(), upn.to_lowercase());
            let shown = if state == "deleted" {
                "deleted"
            } else {
                "active"
            };
            (key, upn, shown.to_string())
        })
        .filter(|(key, _, _)| key.contains(&term))
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, upn, s)| (upn, s)).collect()
}

/// The blocks agree with the users table, for both tenants.
#[track_caller]
fn assert_blocks_consistent(w: &Work) {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    for t in [TENANT, "fabrikam"] {
        let problems = onboard::store::search::problems(&c, t).unwrap();
        assert!(problems.is_empty(), "{t}: {problems:?}");
    }
}

const TERMS: &[&str] = &[
    "smith",
    "SMITH",
    "zoë",
    "ÅNGSTRÖM",
    "renée o'c",
    "o'connor",
    "son",
    "h@contoso",
    "h@contoso.com",
    "@contoso.com",
    "contoso",
    "onmicrosoft",
    "n s",
    "person 1",
    "u1",
    "1@",
    "@",
    " e ",
    "zz-nobody",
    "%",
];

/// Every term and status: the whole list in one page, and the same list
/// cut into pages of 3, with "page X of Y" and the total.
#[track_caller]
fn assert_searches_agree(w: &Work, env: &[(&str, String)]) {
    for status in ["active", "deleted", "all"] {
        for term in TERMS {
            let want = expected(w, status, term);
            let (got, page) = listed(
                w,
                env,
                &["--status", status, "--search", term, "--per-page", "1000"],
            );
            assert_eq!(got, want, "{status} {term:?}");
            assert_eq!(page["total"], want.len(), "{status} {term:?}");
            let pages = want.len().div_ceil(3).max(1);
            for p in 1..=pages {
                let (got, page) = listed(
                    w,
                    env,
                    &[
                        "--status",
                        status,
                        "--search",
                        term,
                        "--per-page",
                        "3",
                        "--page",
                        &p.to_string(),
                    ],
                );
                let chunk: Vec<_> = want.iter().skip((p - 1) * 3).take(3).cloned().collect();
                assert_eq!(got, chunk, "{status} {term:?} page {p}");
                assert_eq!(page["pages"], pages, "{status} {term:?}");
            }
        }
        // Without a search: the count comes from the blocks.
        let want = expected(w, status, "");
        let (got, page) = listed(w, env, &["--status", status, "--per-page", "1000"]);
        assert_eq!(got, want, "{status} unsearched");
        assert_eq!(page["total"], want.len(), "{status} unsearched");
    }
}

fn people() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = [
        ("zoe.angstrom", "Zoë Ångström"),
        ("zoe.smith", "ZOE SMITH"),
        ("renee.oconnor", "Renée O'Connor"),
        ("ann.smith@contoso.com", "Ann Smith"),
        ("smith@contoso.com", "Smith Smithson"),
        ("bob.jones", "Bob Jones"),
        ("jose.smithson", "José Smithson"),
        ("e.e@contoso.com", "E E"),
        ("oconnor", "Åsa O'Connor"),
    ]
    .iter()
    .map(|(u, d)| (u.to_string(), d.to_string()))
    .collect();
    for i in 0..14 {
        rows.push((format!("u{i}"), format!("Person {i} Example")));
    }
    rows
}

#[test]
fn search_and_counts_agree_with_the_users_through_their_lifecycle() {
    let w = Work::with_seats(50);
    // Another tenant with the same display names: never listed for contoso.
    run(
        &w,
        &[],
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
    let people = people();
    let rows: Vec<(&str, &str)> = people
        .iter()
        .map(|(u, d)| (u.as_str(), d.as_str()))
        .collect();
    let bare: Vec<(&str, &str)> = rows
        .iter()
        .copied()
        .filter(|(u, _)| !u.contains('@'))
        .collect();
    commit(&w, "fabrikam", "b", &bare);
    // Two commits: the second appends to the blocks of the first.
    commit(&w, TENANT, "a1", &rows[..10]);
    commit(&w, TENANT, "a2", &rows[10..]);
    assert_blocks_consistent(&w);
    let dense = [("ONBOARD_SEARCH_KEEP", "2".to_string())];
    assert_searches_agree(&w, &[]);
    assert_searches_agree(&w, &dense);

    // Deleted 31 days ago: purged by the next command. Deleted now: listed
    // as deleted. Some of those restored.
    let delete = |at: i64, names: &[&str]| {
        let mut args = vec!["users", "delete", "--tenant", TENANT];
        args.extend_from_slice(names);
        run(&w, &[("ONBOARD_NOW", at.to_string())], &args).expect(0);
    };
    delete(now() - 31 * DAY, &["zoe.smith", "u3", "smith@contoso.com"]);
    delete(
        now(),
        &[
            "zoe.angstrom",
            "u4",
            "u5",
            "ann.smith@contoso.com",
            "jose.smithson",
        ],
    );
    run(
        &w,
        &[],
        &[
            "users",
            "restore",
            "--tenant",
            TENANT,
            "u5",
            "jose.smithson",
        ],
    )
    .expect(0);
    // The list purges first; the purged users are gone from every search.
    let (_, page) = listed(&w, &[], &["--status", "all"]);
    assert_eq!(page["total"], people.len() - 3);
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE tenant_id = 'contoso' AND state = 'deleted'"),
        3
    );
    assert_blocks_consistent(&w);
    assert_searches_agree(&w, &[]);
    assert_searches_agree(&w, &dense);

    // A user of the same name again after the purge, and a last restore.
    commit(&w, TENANT, "a3", &[("zoe.smith", "Zoe Smith Again")]);
    run(&w, &[], &["users", "restore", "--tenant", TENANT, "u4"]).expect(0);
    assert_blocks_consistent(&w);
    assert_searches_agree(&w, &[]);

    // Nothing of fabrikam's ever showed up: the expectations hold
    // contoso's users only, and fabrikam's own list is whole.
    let mut args = vec!["--format", "json", "users", "list", "--tenant", "fabrikam"];
    args.extend(["--search", "smith", "--per-page", "100"]);
    let b: Value = serde_json::from_str(&run(&w, &[], &args).expect(0).stdout).unwrap();
    assert_eq!(b["total"], 2, "{b}");
    assert!(b["items"].as_array().unwrap().iter().all(|u| {
        u["user_name"]
            .as_str()
            .unwrap()
            .ends_with("@fabrikamb.onmicrosoft.com")
    }));
}

#[test]
fn a_dry_run_leaves_the_blocks_as_they_were() {
    let w = Work::with_seats(50);
    commit(
        &w,
        TENANT,
        "a",
        &[("ann", "Ann Smith"), ("bob", "Bob Smith")],
    );
    let before = w.dump();
    // Everything happens in the transaction, then it rolls back.
    w.write(
        "big.csv",
        "User Name,First Name,Last Name,Display Name\r\ncarl,Carl,Smith,Carl Smith\r\n",
    );
    let r = run(
        &w,
        &[],
        &[
            "commit",
            "big.csv",
            "--tenant",
            TENANT,
            "--license",
            "ENTERPRISEPACK",
            "--dry-run",
        ],
    )
    .expect(0);
    assert!(r.stdout.contains("dry run"), "{}", r.stdout);
    assert_eq!(w.dump(), before);
    let (got, _) = listed(&w, &[], &["--search", "smith"]);
    assert_eq!(got.len(), 2);
    assert_blocks_consistent(&w);
}
