//! Bounded fuzzing (proptest, a few seconds each in CI) through the library:
//! the rules over arbitrary rows, the annotated writer's round trip, and the
//! email templates over arbitrary names and passwords. Inputs that once
//! failed are kept in fixtures/regressions/ and replayed by `regressions`.

use crate::util::{contains, fuzz_tenant, html_escape};
use onboard::ingest::{CsvInput, Source, encoding};
use onboard::notify::{Credentials, Templates, TenantInfo};
use onboard::progress::Meter;
use onboard::report::AnnotatedWriter;
use onboard::rules::verify::{self, Outcome};
use proptest::prelude::*;

/// The template's columns (Password is the 18th, Groups and Manager
/// follow it).
fn header() -> Vec<&'static str> {
    onboard::columns::TEMPLATE
        .iter()
        .map(|c| c.label())
        .collect()
}

/// Where the password is in a row.
const PASSWORD: usize = 17;

/// Values that reach many rules: valid ones, near misses, payloads, control
/// characters, non-ASCII, long runs.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "", " ", "adele.vance", "ADELE.VANCE@contoso.onmicrosoft.com", "a@fabrikam.com",
            "gone@contoso.com", "new.user@contoso.com", "x@unknown.example", ".dot.", "a..b",
            "US", "us", "XX", "+1 425 555 0100 x12", "call me", "it@example.com", "lidia@example",
            "=HYPERLINK(\"http://evil\")", "+SUM(A1)", "-1", "@cmd", "'; DROP TABLE users; --",
            "$(rm -rf /)", "`id`", "a\r\nBcc: evil@example.com", "tab\there", "\u{2028}",
            "Zoë Çelik", "李小龙", "\u{feff}x", "\"quoted\"", "a,b", "a;b",
        ][..]).prop_map(str::to_string),
        2 => any::<String>().prop_map(|s| s.chars().take(80).collect()),
        1 => ("[a-z]{1,3}", 60usize..1100).prop_map(|(s, n)| s.repeat(n).chars().take(n).collect()),
    ]
}

/// A password no other value can contain by chance.
fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z0-9]{6,12}".prop_map(|s| format!("Pw!{s}#Q")),
    ]
}

fn row() -> impl Strategy<Value = Vec<String>> {
    (
        prop::collection::vec(value(), PASSWORD),
        password(),
        prop::collection::vec(value(), 2),
    )
        .prop_map(|(mut v, p, groups_and_manager)| {
            v.push(p);
            v.extend(groups_and_manager);
            v
        })
}

/// Our template with `rows`, written by the csv crate (RFC 4180 quoting).
fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(header()).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

/// Verifies `bytes`; when `annotate` names a file, writes the annotated copy.
fn verify_bytes(bytes: Vec<u8>, annotate: Option<&std::path::Path>) -> Outcome {
    let source = Source::from_bytes("fuzz.csv", bytes);
    let sniff = encoding::sniff(&source, false).unwrap();
    let mut input = CsvInput::open(&source, &sniff, &Meter::hidden()).unwrap();
    let mut writer = annotate
        .map(|p| AnnotatedWriter::create(p, &input.header, input.dialect.delimiter).unwrap());
    let outcome = verify::run(&mut input, &fuzz_tenant(), true, |rec, findings| {
        if let Some(w) = writer.as_mut() {
            w.row(rec, findings)?;
        }
        Ok(())
    })
    .unwrap();
    if let Some(w) = writer {
        w.finish().unwrap();
    }
    outcome
}

/// (line, record, column, code) of each finding not about the password
/// (the annotated copy empties passwords) nor the encoding.
fn key(o: &Outcome) -> Vec<(u64, u64, Option<String>, String)> {
    o.log
        .findings
        .iter()
        .filter(|f| f.column.map(|c| c.label()) != Some("Password"))
        .filter(|f| f.code.as_str() != "encoding" && f.code.as_str() != "unknown_column")
        .map(|f| {
            (
                f.line,
                f.record,
                f.column.map(|c| c.label().to_string()),
                f.code.as_str().to_string(),
            )
        })
        .collect()
}

fn check_rules(rows: &[Vec<String>]) -> Outcome {
    let outcome = verify_bytes(csv_bytes(rows), None);
    let log = &outcome.log;
    assert_eq!(log.rows, rows.len() as u64);
    assert_eq!(log.rows, log.valid_rows + log.invalid_rows);
    assert_eq!(outcome.users.len() as u64, log.valid_rows);
    for u in &outcome.users {
        assert!(u.upn().len() <= 113, "{}", u.upn());
        assert!(u.upn().starts_with(u.alias()) && u.upn()[u.alias().len()..].starts_with('@'));
        assert!(u.fields().all(|v| v.chars().all(|c| !c.is_control())));
    }
    // No password of the file reaches any form of the log.
    let mut outputs = Vec::new();
    for format in [
        onboard::report::LogFormat::Text,
        onboard::report::LogFormat::Csv,
        onboard::report::LogFormat::Json,
    ] {
        let mut out = Vec::new();
        onboard::report::write(log, format, &mut out).unwrap();
        outputs.push(String::from_utf8_lossy(&out).into_owned());
    }
    for r in rows {
        let pw = &r[PASSWORD];
        if !pw.is_empty() {
            for o in &outputs {
                assert!(!o.contains(pw.as_str()), "a password reached the log: {o}");
            }
        }
    }
    outcome
}

fn check_round_trip(rows: &[Vec<String>]) {
    let dir = tempfile::tempdir().unwrap();
    let annotated = dir.path().join("annotated.csv");
    let first = verify_bytes(csv_bytes(rows), Some(&annotated));
    let bytes = std::fs::read(&annotated).unwrap();
    for r in rows {
        if !r[PASSWORD].is_empty() {
            assert!(
                !contains(&bytes, &r[PASSWORD]),
                "a password was copied to the annotated file"
            );
        }
    }
    let second = verify_bytes(bytes, None);
    assert_eq!(second.log.rows, first.log.rows);
    assert_eq!(key(&second), key(&first));
}

fn check_templates(name: &str, password: &str, tenant_name: &str) {
    // Markers around the name, so that a name like "<" is not confused with
    // the template's own markup.
    let name = &format!("QZ{name}QZ");
    let t = Templates::load(None).unwrap();
    let tenant = TenantInfo {
        id: "contoso".into(),
        name: tenant_name.into(),
    };
    let c = Credentials {
        display_name: name,
        first_name: name,
        last_name: "Last",
        upn: "a@contoso.com",
        password,
        licenses: "ENTERPRISEPACK",
        roles: "user",
        sign_in: "allowed",
    };
    for r in [
        t.results(&tenant, "b1", std::slice::from_ref(&c), true)
            .unwrap(),
        t.welcome(&tenant, &c, false).unwrap(),
        t.reset(&tenant, &c, true).unwrap(),
    ] {
        assert!(!r.subject.chars().any(char::is_control), "{:?}", r.subject);
        assert!(r.html.contains(&html_escape(password)), "password in html");
        assert!(r.text.contains(password), "password in text");
        if name.contains(['<', '>', '&', '"']) {
            assert!(!r.html.contains(name), "unescaped name in html: {name:?}");
        }
        assert!(r.html.contains(&html_escape(name)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn rules_over_arbitrary_rows(rows in prop::collection::vec(row(), 1..12)) {
        check_rules(&rows);
    }

    #[test]
    fn annotated_copies_verify_with_the_same_findings(
        rows in prop::collection::vec(row(), 1..12),
    ) {
        check_round_trip(&rows);
    }

    #[test]
    fn templates_escape_any_name_and_password(
        name in prop_oneof![value(), "[<>&\"' a-z]{0,20}"],
        password in "[!-~]{1,24}",
        tenant_name in value(),
    ) {
        check_templates(&name, &password, &tenant_name);
    }
}

/// Replays every input kept in fixtures/regressions/: a CSV file is checked
/// by the rules and the annotated round trip.
#[test]
fn regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let bytes = std::fs::read(&p).unwrap();
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(bytes.as_slice());
            // Inputs kept from the 18-column template get empty Groups
            // and Manager cells.
            let rows: Vec<Vec<String>> = r
                .records()
                .map(|rec| {
                    let mut row: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
                    row.resize(row.len().max(header().len()), String::new());
                    row
                })
                .collect();
            check_rules(&rows);
            check_round_trip(&rows);
            n += 1;
        }
    }
    assert!(n > 0, "no regression fixtures in {}", dir.display());
}
