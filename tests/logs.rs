//! The verification log in its forms (SPEC §6), the annotated copy, and the
//! promise that no password from the input is ever printed or written.

use crate::util::{Log, Work, fixture, fixture_passwords};

/// Runs verify with every output at once; returns the log from `--log x.json`.
fn verify_with_logs(w: &Work, file: &str, format: &str) -> (i32, String) {
    let f = fixture(file);
    let run = w.run(&[
        "--format",
        format,
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--log",
        "log.csv",
        "--annotated",
        "annotated.csv",
    ]);
    w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--log",
        "log.json",
    ]);
    w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--log",
        "log.txt",
    ]);
    (run.code, run.stdout)
}

#[test]
fn csv_log_has_the_spec_header_and_defuses_formulas() {
    let w = Work::with_tenant();
    let (code, _) = verify_with_logs(&w, "formula.csv", "text");
    assert_eq!(code, 1);
    let text = String::from_utf8(w.read("log.csv")).unwrap();
    assert!(
        text.starts_with("line,record,column,severity,code,message,value\r\n"),
        "{text}"
    );

    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let value_of = |column: &str, code: &str| -> String {
        rows.iter()
            .find(|r| &r[2] == column && &r[4] == code)
            .unwrap_or_else(|| panic!("no {code} on {column} in\n{text}"))[6]
            .to_string()
    };
    assert!(value_of("Display Name", "too_long").starts_with("'=HYPERLINK(\"http://x\",\"y\")"));
    assert_eq!(
        value_of("User Name", "invalid_username"),
        "'=HYPERLINK(\"http://x\",\"y\")"
    );
    assert_eq!(
        value_of("Office Phone", "invalid_phone"),
        "'+1 425 555 0100 ext"
    );
    assert_eq!(value_of("Country or Region", "unknown_country"), "'-Narnia");
    assert_eq!(
        value_of("Alternate email address", "invalid_email"),
        "'@example.com"
    );
    assert_eq!(value_of("User Name", "trimmed_spaces"), "'\ttab.user");
    // No cell of the log starts a formula.
    for r in &rows {
        for cell in r {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} in {r:?}"
            );
        }
    }
    // The JSON log keeps the values as they are.
    let log: Log = serde_json::from_slice(&w.read("log.json")).unwrap();
    let display = log.findings.iter().find(|f| f.code == "too_long").unwrap();
    assert!(display.value.as_ref().unwrap().starts_with("=HYPERLINK("));
    // Rows with warnings only, and the row of formula-like names, are valid.
    assert_eq!(log.rows, 7);
    assert_eq!(log.valid_rows, 3);
    assert!(
        !log.findings.iter().any(|f| f.record == 7),
        "{:?}",
        log.findings
    );
}

#[test]
fn csv_log_matches_the_json_log() {
    let w = Work::with_tenant();
    verify_with_logs(&w, "m365.csv", "text");
    let log: Log = serde_json::from_slice(&w.read("log.json")).unwrap();
    let bytes = w.read("log.csv");
    let mut rdr = csv::Reader::from_reader(&bytes[..]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), log.findings.len());
    for (r, f) in rows.iter().zip(&log.findings) {
        assert_eq!(&r[0], f.line.to_string());
        assert_eq!(&r[1], f.record.to_string());
        assert_eq!(&r[2], f.column.as_deref().unwrap_or(""));
        assert_eq!(&r[3], f.severity);
        assert_eq!(&r[4], f.code);
        assert_eq!(&r[5], f.message);
        assert_eq!(&r[6], f.value.as_deref().unwrap_or(""));
    }
    // `--format csv` prints the same log on standard output.
    let f = fixture("m365.csv");
    let run = w.run(&[
        "--format",
        "csv",
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
    ]);
    assert_eq!(run.raw_stdout, w.read("log.csv"));
}

#[test]
fn json_log_has_the_spec_keys() {
    let w = Work::with_tenant();
    verify_with_logs(&w, "m365.csv", "json");
    let v: serde_json::Value = serde_json::from_slice(&w.read("log.json")).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "file",
        "encoding",
        "delimiter",
        "dialect",
        "rows",
        "valid_rows",
        "invalid_rows",
        "errors",
        "warnings",
        "findings",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let mut k: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        assert_eq!(
            k,
            [
                "code", "column", "line", "message", "record", "severity", "value"
            ]
        );
    }
    assert_eq!(v["rows"], 16);
    assert_eq!(v["encoding"], "utf-8-bom");
    // The log file and standard output agree.
    let f = fixture("m365.csv");
    let run = w.run(&[
        "--format",
        "json",
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
    ]);
    let stdout: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(stdout, v);
}

#[test]
fn text_log_starts_with_the_summary() {
    let w = Work::with_tenant();
    let (_, stdout) = verify_with_logs(&w, "m365.csv", "text");
    let text = String::from_utf8(w.read("log.txt")).unwrap();
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "verified 16 rows: 7 valid, 9 invalid; 10 errors, 2 warnings"
    );
    assert_eq!(stdout, text);
    // One table line per finding, each with its line number and code.
    for (line, code) in [
        (5, "invalid_username"),
        (15, "control_chars"),
        (17, "too_long"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{line} ")) && l.contains(code)),
            "{line} {code} in\n{text}"
        );
    }
    // Singular forms.
    let w = Work::with_tenant();
    let f = w.write("one.csv", "User Name,Display Name\r\nann lee,Ann\r\n");
    let run = w
        .run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"])
        .expect(1);
    assert!(
        run.stdout
            .starts_with("verified 1 row: 0 valid, 1 invalid; 1 error, 0 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn annotated_copy_verifies_again_with_the_same_findings() {
    let w = Work::with_tenant();
    w.add_user("existing.user@contoso.onmicrosoft.com", false);
    w.add_user("deleted.user@contoso.com", true);
    let (code, _) = verify_with_logs(&w, "mistakes.csv", "text");
    assert_eq!(code, 1);
    let first: Log = serde_json::from_slice(&w.read("log.json")).unwrap();

    let bytes = w.read("annotated.csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBFUser Name,"));
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&bytes[3..]);
    let header = rdr.headers().unwrap().clone();
    assert_eq!(header.iter().next_back(), Some("Verification"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len() as u64,
        first.rows,
        "one row per record, blank lines dropped"
    );
    let note = |user: &str| -> String {
        let r = rows.iter().find(|r| &r[0] == user).unwrap();
        r.iter().next_back().unwrap().to_string()
    };
    assert!(note("last.user").starts_with("OK"), "{}", note("last.user"));
    assert!(
        note("jo..hn").starts_with("error invalid_username (User Name): "),
        "{}",
        note("jo..hn")
    );
    assert!(note("odd.country").starts_with("warning unknown_country"));

    // Verify the annotated copy: its Verification column is ignored, and it
    // gives the same findings, except that passwords are not copied, so the
    // password findings are gone.
    let (code, again) = w.verify(&w.path("annotated.csv"), &[]);
    assert_eq!(code, 1);
    let key = |l: &Log| -> Vec<(u64, Option<String>, String)> {
        l.findings
            .iter()
            .map(|f| (f.record, f.column.clone(), f.code.clone()))
            .collect()
    };
    let want: Vec<_> = key(&first)
        .into_iter()
        .filter(|(_, column, _)| column.as_deref() != Some("Password"))
        .collect();
    assert!(want.len() >= 25);
    assert_eq!(key(&again), want);

    // Verifying the second copy changes nothing more: the old Verification
    // column is replaced, not repeated.
    let again_path = w.path("annotated.csv");
    w.run(&[
        "verify",
        again_path.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--annotated",
        "annotated2.csv",
    ]);
    let second = w.read("annotated2.csv");
    let header2 = csv::Reader::from_reader(&second[3..])
        .headers()
        .unwrap()
        .clone();
    assert_eq!(header2, header);
    let (_, third) = w.verify(&w.path("annotated2.csv"), &[]);
    assert_eq!(key(&third), key(&again));
}

#[test]
fn annotated_copy_keeps_the_input_delimiter() {
    let w = Work::with_tenant();
    let f = fixture("m365-semicolon.csv");
    w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--annotated",
        "a.csv",
    ])
    .expect(1);
    let text = String::from_utf8(w.read("a.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(";Country or Region;Verification"),
        "{header}"
    );
    let (_, reference) = w.verify(&fixture("m365.csv"), &[]);
    let (_, again) = w.verify(&w.path("a.csv"), &[]);
    assert_eq!(again.delimiter, "semicolon");
    let codes = |l: &Log| -> Vec<(u64, String)> {
        l.findings
            .iter()
            .map(|f| (f.record, f.code.clone()))
            .collect()
    };
    assert_eq!(codes(&again), codes(&reference));
}

/// No password from the input appears in any output: standard output and
/// error in every format, the text, CSV and JSON logs, the annotated copy.
#[test]
fn passwords_never_appear_in_any_output() {
    let passwords = fixture_passwords();
    for file in [
        "mistakes.csv",
        "entra.csv",
        "entra-windows1252.csv",
        "entra-properties.csv",
    ] {
        for format in ["text", "json", "csv"] {
            let w = Work::with_tenant();
            let (_, stdout) = verify_with_logs(&w, file, format);
            let f = fixture(file);
            let run = w.run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"]);
            let mut outputs = vec![
                ("stdout".to_string(), stdout),
                ("stderr".to_string(), run.stderr),
            ];
            for name in ["log.csv", "log.json", "log.txt", "annotated.csv"] {
                outputs.push((name.to_string(), String::from_utf8(w.read(name)).unwrap()));
            }
            let input = std::fs::read(&f).unwrap();
            let input = String::from_utf8_lossy(&input);
            let mut in_file = 0;
            for p in &passwords {
                in_file += usize::from(input.contains(p.as_str()));
                for (name, text) in &outputs {
                    assert!(
                        !text.contains(p.as_str()),
                        "{file} --format {format}: {p} in {name}"
                    );
                }
            }
            assert!(in_file >= 8, "{file} holds only {in_file} of the passwords");
        }
    }
}

/// A row with a missing or extra field has its password somewhere else than
/// under the Password heading; the annotated copy must not keep it either.
#[test]
fn annotated_copy_drops_a_shifted_password() {
    let w = Work::with_tenant();
    // The header of earlier versions: Password is the last column.
    let header = onboard::columns::header_of(onboard::columns::TEMPLATE_18);
    // An unquoted comma in the address pushes the password one field right;
    // a missing field pulls it one field left.
    let body = "ann.lee,Ann,Lee,Ann Lee,,,,,,,,1 Main St, Suite 4,Seattle,WA,98101,United States,US,Zq8!shift-pw-1\r\n\
                bob.lee,Bob,Lee,Bob Lee,,,,,,,,Seattle,WA,98101,United States,US,Zq8!shift-pw-2\r\n\
                cy.lee,Cy,Lee,Cy Lee,,,,,,,,1 Main St,Seattle,WA,98101,United States,US,Zq8!shift-pw-3\r\n";
    let f = w.write("shift.csv", format!("{header}\r\n{body}"));
    w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--annotated",
        "a.csv",
    ])
    .expect(1);
    let text = String::from_utf8(w.read("a.csv")).unwrap();
    for p in ["Zq8!shift-pw-1", "Zq8!shift-pw-2", "Zq8!shift-pw-3"] {
        assert!(!text.contains(p), "{p} in\n{text}");
    }
    // The rest of each row is kept for the person who fixes it.
    assert!(text.contains(
        "ann.lee,Ann,Lee,Ann Lee,,,,,,,,1 Main St, Suite 4,Seattle,WA,98101,United States"
    ));
    assert!(
        text.contains("cy.lee,Cy,Lee,Cy Lee,,,,,,,,1 Main St,Seattle,WA,98101,United States,US,,")
    );
}
