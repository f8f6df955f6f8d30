//! The store's schema is applied once, however many processes open a new
//! store at the same moment (SPEC §1).

use std::process::Stdio;

use crate::util::Work;

/// Eight `tenant add` at once on a store that does not exist yet: each
/// succeeds, the schema is applied once (the latest version, the new
/// store's page size), and every tenant is there.
#[test]
fn processes_racing_to_create_a_store_all_succeed() {
    const PROCESSES: usize = 8;
    // A race is won or lost by microseconds: several rounds make a lost
    // one likely to show.
    for round in 0..5 {
        let w = Work::new();
        let children: Vec<_> = (0..PROCESSES)
            .map(|i| {
                w.command()
                    .args([
                        "tenant",
                        "add",
                        &format!("t{i}"),
                        "--domain",
                        &format!("t{i}.onmicrosoft.com"),
                        "--location",
                        "US",
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}, process {i}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(w.count("SELECT count(*) FROM tenants"), PROCESSES as i64);
        assert_eq!(
            w.count("PRAGMA user_version"),
            onboard::store::SCHEMA_VERSION as i64,
            "round {round}"
        );
        assert_eq!(
            w.count("PRAGMA page_size"),
            i64::from(onboard::store::PAGE_SIZE),
            "round {round}"
        );
        let c = rusqlite::Connection::open(w.db()).unwrap();
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        // One of each table: nothing was created twice under another name.
        let outboxes: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'outbox%' AND type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(outboxes, 1);
    }
}
