//! The Manager column: each rule on its line in fixtures/managers.csv,
//! the late findings in the annotated copy and the rejects file, commits
//! that store each user's manager (a row of the same batch, before or after
//! it, or a user of the tenant), and the resolution against a simple
//! reference on random manager graphs.

use onboard::ingest::{CsvInput, Source, encoding};
use onboard::progress::Meter;
use onboard::rules::verify;
use proptest::prelude::*;

use crate::util::{DEFAULT_DOMAIN, Work, fixture, fuzz_tenant};

/// The test tenant with the users fixtures/managers.csv names: an active
/// existing.boss, and gone.boss deleted within its 30 days.
fn tenant_with_bosses() -> Work {
    let w = Work::with_seats(50);
    w.add_user(&format!("existing.boss@{DEFAULT_DOMAIN}"), false);
    w.add_user("gone.boss@contoso.com", true);
    w
}

#[derive(Debug, serde::Deserialize)]
struct Expected {
    line: u64,
    record: u64,
    column: Option<String>,
    severity: String,
    code: String,
}

#[test]
fn every_manager_rule_fires_on_its_line() {
    let w = tenant_with_bosses();
    let (code, log) = w.verify(&fixture("managers.csv"), &[]);
    assert_eq!(code, 1);
    log.assert_consistent();
    let text = std::fs::read_to_string(fixture("managers.expected.json")).unwrap();
    let expected: Vec<Expected> = serde_json::from_str(&text).unwrap();
    let want: Vec<(u64, u64, Option<&str>, &str, &str)> = expected
        .iter()
        .map(|e| {
            (
                e.line,
                e.record,
                e.column.as_deref(),
                e.severity.as_str(),
                e.code.as_str(),
            )
        })
        .collect();
    let got: Vec<(u64, u64, Option<&str>, &str, &str)> = log
        .findings
        .iter()
        .map(|f| {
            (
                f.line,
                f.record,
                f.column.as_deref(),
                f.severity.as_str(),
                f.code.as_str(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // The fixture covers every Manager code.
    for code in [
        "unknown_manager",
        "self_manager",
        "manager_cycle",
        "invalid_manager_row",
    ] {
        assert!(log.codes().contains(&code), "no {code}");
    }
    assert_eq!((log.rows, log.valid_rows), (20, 7));

    let on = |line: u64, code: &str| {
        log.findings
            .iter()
            .find(|f| f.line == line && f.code == code)
            .unwrap_or_else(|| panic!("no {code} on line {line}"))
    };
    // The cycle of lines 9, 10 and 11, from each row's own line.
    assert!(
        on(9, "manager_cycle")
            .message
            .contains("lines 9 → 10 → 11 → 9"),
        "{}",
        on(9, "manager_cycle").message
    );
    assert!(
        on(10, "manager_cycle")
            .message
            .contains("lines 10 → 11 → 9 → 10")
    );
    assert_eq!(on(10, "manager_cycle").value.as_deref(), Some("loop.c"));
    // Below the cycle, and down a chain from a row with errors.
    assert!(on(12, "invalid_manager_row").message.contains("line 10,"));
    assert!(on(12, "invalid_manager_row").message.contains("cycle"));
    assert!(on(17, "invalid_manager_row").message.contains("line 16,"));
    assert!(on(17, "invalid_manager_row").message.contains("has errors"));
    assert!(on(18, "invalid_manager_row").message.contains("line 17,"));
    assert!(on(19, "invalid_manager_row").message.contains("line 18,"));
    // A deleted user is unknown: restore them first.
    let gone = on(15, "unknown_manager");
    assert!(gone.message.contains("restore"), "{}", gone.message);
    assert!(
        on(14, "unknown_manager")
            .message
            .contains("\"ghost.person\"")
    );
    assert!(
        on(20, "unknown_manager")
            .message
            .contains("is not a user name")
    );
}

/// The annotated copy holds the findings only the whole file gives, and
/// verifies again with the same findings; the rejects file of a
/// `--skip-invalid` commit holds the rows those findings invalidate.
#[test]
fn late_findings_reach_the_annotated_copy_and_the_rejects_file() {
    let w = tenant_with_bosses();
    let (_, log) = w.verify(&fixture("managers.csv"), &["--annotated", "a.csv"]);
    let copy = String::from_utf8(w.read("a.csv")).unwrap();
    let rows: Vec<&str> = copy.lines().collect();
    assert_eq!(rows.len(), 21);
    // Line 3 (vp.forward) has a manager further down and is fine; line 9
    // (loop.a) is in a cycle closed by later rows.
    assert!(rows[2].ends_with(",OK"), "{}", rows[2]);
    assert!(
        rows[8].contains("error manager_cycle (Manager)"),
        "{}",
        rows[8]
    );
    assert!(
        rows[16].contains("error invalid_manager_row"),
        "{}",
        rows[16]
    );
    let again = w.write("again.csv", copy.as_bytes());
    let (_, second) = w.verify(&again, &[]);
    assert_eq!(second.findings, log.findings);

    let run = w.run(&[
        "commit",
        fixture("managers.csv").to_str().unwrap(),
        "--tenant",
        "contoso",
        "--skip-invalid",
        "--annotated",
        "rejects.csv",
        "--results",
        "r.csv",
    ]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let rejects = String::from_utf8(w.read("rejects.csv")).unwrap();
    let names: Vec<&str> = rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "existing.boss",
            "loop.a",
            "loop.b",
            "loop.c",
            "below.loop",
            "me.myself",
            "nobody.knows",
            "after.gone",
            "broken.row",
            "chain.one",
            "chain.two",
            "chain.three",
            "bad.syntax"
        ]
    );
}

/// (user name, manager's user name) of every user of the test tenant.
fn managers(w: &Work) -> Vec<(String, Option<String>)> {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    let mut stmt = c
        .prepare(
            "SELECT u.upn, m.upn FROM users u LEFT JOIN users m ON m.key = u.manager_key \
             WHERE u.tenant_id = 'contoso' ORDER BY u.upn",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_commit_stores_managers_from_the_batch_in_any_order_and_from_the_tenant() {
    let w = tenant_with_bosses();
    // In the work folder: the rows to fix go beside the input.
    let file = w.write(
        "managers.csv",
        std::fs::read(fixture("managers.csv")).unwrap(),
    );
    let run = w.run(&[
        "commit",
        file.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--skip-invalid",
        "--results",
        "r.csv",
    ]);
    assert!(w.path("managers-invalid-rows.csv").exists());
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let at = |alias: &str| format!("{alias}@{DEFAULT_DOMAIN}");
    let want: Vec<(String, Option<String>)> = vec![
        (at("ceo.one"), None),
        (at("director.later"), Some(at("ceo.one"))),
        (at("existing.boss"), None),
        ("gone.boss@contoso.com".into(), None),
        (at("last.valid"), Some(at("vp.forward"))),
        (at("shadow.report"), Some(at("existing.boss"))),
        (at("tenant.report"), Some(at("existing.boss"))),
        (at("vp.back"), Some(at("ceo.one"))),
        (at("vp.forward"), Some(at("director.later"))),
    ];
    assert_eq!(managers(&w), want);
    // The existing user's manager is its own row of the store, not the
    // invalid row of the file that has the same name.
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE upn = 'existing.boss@contoso.onmicrosoft.com'"),
        1
    );
}

/// A deleted manager is unknown until restored; a purge clears the
/// references to the users it removes. (A manager deleted between the
/// verification and the transaction refuses the batch:
/// store::batches::tests.)
#[test]
fn a_deleted_manager_is_unknown_and_a_purge_clears_references() {
    let w = Work::with_seats(10);
    w.add_user(&format!("boss@{DEFAULT_DOMAIN}"), false);
    let f = w.write(
        "m.csv",
        format!(
            "{}\r\nann,,,Ann,,,,,,,,,,,,,,,,boss\r\n",
            onboard::columns::template_header()
        ),
    );
    w.run(&["users", "delete", "--tenant", "contoso", "boss"])
        .expect(0);
    let (_, log) = w.verify(&f, &[]);
    assert_eq!(log.codes(), vec!["unknown_manager"]);
    w.run(&["users", "restore", "--tenant", "contoso", "boss"])
        .expect(0);
    w.run(&["commit", f.to_str().unwrap(), "--tenant", "contoso"])
        .expect(0);
    let at = |alias: &str| format!("{alias}@{DEFAULT_DOMAIN}");
    assert_eq!(
        managers(&w),
        vec![(at("ann"), Some(at("boss"))), (at("boss"), None)]
    );
    // Deleted, then purged 31 days later: Ann has no manager any more.
    w.run(&["users", "delete", "--tenant", "contoso", "boss"])
        .expect(0);
    let later = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 31 * 24 * 3600)
        .to_string();
    w.run_env(
        &[("ONBOARD_NOW", &later)],
        &["users", "list", "--tenant", "contoso", "--status", "all"],
    )
    .expect(0);
    assert_eq!(managers(&w), vec![(at("ann"), None)]);
}

// --- the resolution against a reference -----------------------------------

/// What a naive walk says about each row of a file whose rows are
/// `alias{i}`, `bad[i]` telling whether row i has an error of its own, and
/// `manager[i]` the row its Manager names (`None`: empty, `Some(n)` with
/// n out of range: a name no row has). For each row, the late finding's
/// code, from following its managers one by one.
fn reference(bad: &[bool], manager: &[Option<usize>]) -> Vec<Option<&'static str>> {
    let n = bad.len();
    let invalid = |start: usize| -> bool {
        // Is row `start` invalid, its manager chain included?
        let mut seen = vec![false; n];
        let mut v = start;
        loop {
            if bad[v] || seen[v] {
                return true;
            }
            seen[v] = true;
            match manager[v] {
                None => return false,
                Some(m) if m >= n => return true,
                Some(m) if m == v => return true,
                Some(m) => v = m,
            }
        }
    };
    let on_cycle = |start: usize| -> bool {
        let mut v = start;
        for _ in 0..=n {
            match manager[v] {
                Some(m) if m < n && m != v => v = m,
                _ => return false,
            }
            if v == start {
                return true;
            }
        }
        false
    };
    (0..n)
        .map(|i| match manager[i] {
            None => None,
            Some(m) if m >= n => Some("unknown_manager"),
            Some(m) if m == i => Some("self_manager"),
            Some(_) if on_cycle(i) => Some("manager_cycle"),
            Some(m) if invalid(m) => Some("invalid_manager_row"),
            Some(_) => None,
        })
        .collect()
}

/// The file of [`reference`]: bad rows have an invalid phone number.
fn graph_file(bad: &[bool], manager: &[Option<usize>]) -> Vec<u8> {
    let mut s = onboard::columns::template_header();
    s.push_str("\r\n");
    for (i, (&b, m)) in bad.iter().zip(manager).enumerate() {
        let phone = if b { "call me" } else { "" };
        let m = m.map_or(String::new(), |m| format!("alias{m}"));
        s.push_str(&format!(
            "alias{i},,,User {i},,,,{phone},,,,,,,,,,,,{m}\r\n"
        ));
    }
    s.into_bytes()
}

fn graph() -> impl Strategy<Value = (Vec<bool>, Vec<Option<usize>>)> {
    (1usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec(prop::bool::weighted(0.1), n),
            // Mostly other rows (before or after), sometimes none, itself,
            // or a name no row has.
            prop::collection::vec(
                prop_oneof![
                    6 => (0..n).prop_map(Some),
                    2 => Just(None),
                    1 => Just(Some(n + 7)),
                ],
                n,
            ),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The late findings of random manager graphs (forward and backward
    /// references, cycles of any length, self-managers, unknown names,
    /// chains below rows with errors) are what a naive walk from each row
    /// says, and files are read in pieces as small as a few rows.
    #[test]
    fn manager_findings_match_a_naive_walk((bad, manager) in graph()) {
        let bytes = graph_file(&bad, &manager);
        let source = Source::from_bytes("graph.csv", bytes);
        let sniff = encoding::sniff(&source, false).unwrap();
        let sizes = onboard::ingest::ReadSizes { block: 256, piece: 64 };
        let mut input =
            CsvInput::open_sized(&source, &sniff, &Meter::hidden(), sizes).unwrap();
        let outcome = verify::run_quietly(&mut input, &fuzz_tenant(), true).unwrap();
        let want = reference(&bad, &manager);
        let got: Vec<Option<&str>> = (0..bad.len())
            .map(|i| {
                let record = i as u64 + 1;
                outcome
                    .log
                    .findings
                    .iter()
                    .filter(|f| f.record == record)
                    .filter(|f| f.column == Some(onboard::columns::Column::Manager))
                    .map(|f| f.code.as_str())
                    .next()
            })
            .collect();
        prop_assert_eq!(&got, &want);
        // One Manager finding a row at most, and the counts add up.
        for i in 0..bad.len() {
            let record = i as u64 + 1;
            let n = outcome.log.findings.iter()
                .filter(|f| f.record == record && f.column == Some(onboard::columns::Column::Manager))
                .count();
            prop_assert!(n <= 1);
        }
        let invalid = (0..bad.len()).filter(|&i| bad[i] || want[i].is_some()).count() as u64;
        prop_assert_eq!(outcome.log.invalid_rows, invalid);
        prop_assert_eq!(outcome.users.len() as u64, bad.len() as u64 - invalid);
        // Findings stay in file order.
        let records: Vec<u64> = outcome.log.findings.iter().map(|f| f.record).collect();
        prop_assert!(records.windows(2).all(|w| w[0] <= w[1]));
    }
}
