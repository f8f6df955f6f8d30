//! Groups: `group add` and `group list`, the Groups column's rules, and a
//! commit that puts its users in their groups.

use crate::util::{DEFAULT_DOMAIN, GROUPS, Work, commit_sample};

/// `group list --format json`, parsed.
fn list(w: &Work, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--format", "json", "group", "list", "--tenant", "contoso"];
    args.extend_from_slice(extra);
    let run = w.run(&args).expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

/// (name, members) of every group, in the list's order.
fn counts(w: &Work) -> Vec<(String, u64)> {
    list(w, &["--per-page", "1000"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["members"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn groups_are_added_all_or_nothing_and_listed_in_pages() {
    let w = Work::with_tenant();
    let run = w
        .run(&[
            "--format",
            "json",
            "group",
            "add",
            "--tenant",
            "CONTOSO",
            " Research & Development ",
            "Équipe été",
        ])
        .expect(0);
    let added: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(added["tenant"], "contoso");
    assert_eq!(
        added["groups"],
        serde_json::json!(["Research & Development", "Équipe été"])
    );
    // A name the tenant has in another case, a name given twice, a name
    // with the separator or without a character: nothing is added.
    let before = w.dump();
    for bad in [
        &["Marketing", "SALES"][..],
        &["Marketing", "marketing"],
        &["Sales; Marketing"],
        &["   "],
    ] {
        let mut args = vec!["group", "add", "--tenant", "contoso"];
        args.extend_from_slice(bad);
        let run = w.run(&args).expect(2);
        assert!(run.stderr.contains("nothing was added"), "{}", run.stderr);
    }
    let run = w
        .run(&["group", "add", "--tenant", "contoso", "Marketing", "sales"])
        .expect(2);
    assert!(
        run.stderr.contains("\"sales\" (as \"Sales\")"),
        "{}",
        run.stderr
    );
    w.run(&["group", "add", "--tenant", "nobody", "X"])
        .expect(2);
    assert_eq!(w.dump(), before);

    let page = list(&w, &["--per-page", "2", "--page", "2"]);
    assert_eq!(
        (
            page["total"].as_u64(),
            page["page"].as_u64(),
            page["pages"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    assert_eq!(page["per_page"], 2);
    let names: Vec<String> = counts(&w).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "All Staff",
            "Engineering",
            "Research & Development",
            "Sales",
            "Équipe été"
        ]
    );
    let text = w
        .run(&["group", "list", "--tenant", "contoso"])
        .expect(0)
        .stdout;
    assert!(text.starts_with("Group"), "{text}");
    assert!(text.contains("Research & Development  0"), "{text}");
}

#[test]
fn group_names_in_any_case_trimmed_with_empty_items_and_repeats() {
    let w = Work::with_tenant();
    let f = w.write(
        "g.csv",
        format!(
            "{}\r\n\
             a.one,,,A One,,,,,,,,,,,,,,, sales ;;ALL STAFF;Sales;,\r\n\
             a.two,,,A Two,,,,,,,,,,,,,,,Sales;Interns;Temps;interns,\r\n",
            onboard::columns::template_header()
        ),
    );
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        log.lines_columns_codes(),
        vec![(3, Some("Groups"), "unknown_group")]
    );
    let m = &log.findings[0].message;
    assert!(
        m.starts_with("\"Interns\" and \"Temps\" are not groups of tenant contoso"),
        "{m}"
    );
    assert!(m.contains("onboard group add --tenant contoso"), "{m}");
}

#[test]
fn a_commit_puts_its_users_in_their_groups() {
    let w = Work::with_seats(10);
    let mut empty: Vec<(String, u64)> = GROUPS.iter().map(|g| (g.to_string(), 0)).collect();
    empty.sort();
    assert_eq!(counts(&w), empty);
    commit_sample(&w, &["--results", "r.csv"]).expect(0);
    assert_eq!(
        counts(&w),
        [
            ("All Staff".to_string(), 6),
            ("Engineering".to_string(), 1),
            ("Sales".to_string(), 2)
        ]
    );
    // The store rows: each user with the groups of its row, by key.
    let c = rusqlite::Connection::open(w.db()).unwrap();
    let rows: Vec<(String, String)> = c
        .prepare(
            "SELECT u.upn, g.name FROM group_members m JOIN users u ON u.key = m.user_key \
             JOIN groups g ON g.key = m.group_key ORDER BY u.upn, g.name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let at = |alias: &str, g: &str| (format!("{alias}@{DEFAULT_DOMAIN}"), g.to_string());
    assert_eq!(
        rows,
        vec![
            at("adele.vance", "All Staff"),
            at("adele.vance", "Sales"),
            at("alex.wilber", "All Staff"),
            at("diego.siciliani", "All Staff"),
            at("jose.alvarez", "All Staff"),
            at("jose.alvarez", "Sales"),
            at("megan.bowen", "All Staff"),
            at("zoe.bronte", "All Staff"),
            at("zoe.bronte", "Engineering"),
        ]
    );
    // And the sample's managers, forward and backward in the file.
    let managers: Vec<(String, Option<String>)> = c
        .prepare(
            "SELECT u.upn, m.upn FROM users u LEFT JOIN users m ON m.key = u.manager_key \
             ORDER BY u.upn",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let m = |a: &str, b: Option<&str>| {
        (
            format!("{a}@{DEFAULT_DOMAIN}"),
            b.map(|b| format!("{b}@{DEFAULT_DOMAIN}")),
        )
    };
    assert_eq!(
        managers,
        vec![
            m("adele.vance", Some("megan.bowen")),
            m("alex.wilber", Some("adele.vance")),
            m("diego.siciliani", Some("megan.bowen")),
            m("jose.alvarez", Some("adele.vance")),
            m("megan.bowen", None),
            m("zoe.bronte", Some("diego.siciliani")),
        ]
    );
    // A deleted member is not counted.
    w.run(&["users", "delete", "--tenant", "contoso", "zoe.bronte"])
        .expect(0);
    assert_eq!(counts(&w)[1], ("Engineering".to_string(), 0));
}
