//! `onboard verify` on the fixtures: the same people in every encoding and
//! dialect give the same findings, every rule is seen with its exact line,
//! and the options that are checked before any row is read.

use std::collections::BTreeSet;

use crate::util::{Finding, Log, SEATS, Work, fixture, sample};

/// What the M365 file (fixtures/m365.csv) must give: line, record, column,
/// severity, code, value.
#[allow(clippy::type_complexity)]
const M365_FINDINGS: &[(u64, u64, &str, &str, &str, Option<&str>)] = &[
    (
        5,
        4,
        "User Name",
        "error",
        "invalid_username",
        Some("john smith"),
    ),
    (
        6,
        5,
        "User Name",
        "error",
        "unknown_domain",
        Some("nestor@northwind.com"),
    ),
    (
        7,
        6,
        "User Name",
        "error",
        "federated_domain",
        Some("lidia@fabrikam.com"),
    ),
    (
        8,
        7,
        "User Name",
        "error",
        "invalid_username",
        Some("françois.müller"),
    ),
    (9, 8, "Display Name", "error", "required", None),
    // line 10 is a row of empty cells: skipped, not a record
    (
        11,
        9,
        "Office Phone",
        "error",
        "invalid_phone",
        Some("call me"),
    ),
    (
        11,
        9,
        "Mobile Phone",
        "error",
        "invalid_phone",
        Some("555/0100"),
    ),
    (
        12,
        10,
        "User Name",
        "error",
        "duplicate_in_file",
        Some("ADELE.VANCE@contoso.onmicrosoft.com"),
    ),
    (
        13,
        11,
        "User Name",
        "warning",
        "trimmed_spaces",
        Some("  megan.bowen "),
    ),
    (
        14,
        12,
        "Country or Region",
        "warning",
        "unknown_country",
        Some("Narnia"),
    ),
    // a quoted Address spanning lines 15 and 16
    (
        15,
        13,
        "Address",
        "error",
        "control_chars",
        Some("Hauptstraße 5\nHinterhaus"),
    ),
    (
        17,
        14,
        "Job Title",
        "error",
        "too_long",
        Some("Ærøskøbing Ærøskøbing Ærøskøbing Ærøskøbing Ærøskøbing Ærøskøbing"),
    ),
];

/// A finding without its message (which may name a line).
type Key = (u64, u64, Option<String>, String, String, Option<String>);

/// A finding's column by our label, however the file spells it (an
/// Entra file names its own columns: SPEC §13).
fn label(column: &Option<String>) -> Option<String> {
    column
        .as_deref()
        .map(|c| match onboard::columns::Column::from_header(c) {
            Some(col) => col.label().to_string(),
            None => c.to_string(),
        })
}

fn keys(log: &Log, line_offset: u64) -> Vec<Key> {
    log.findings
        .iter()
        .filter(|f| f.code != "encoding")
        .map(|f| {
            (
                f.line - line_offset,
                f.record,
                label(&f.column),
                f.severity.clone(),
                f.code.clone(),
                f.value.clone(),
            )
        })
        .collect()
}

#[test]
fn m365_file_gives_the_expected_findings() {
    let w = Work::with_tenant();
    let (code, log) = w.verify(&fixture("m365.csv"), &[]);
    assert_eq!(code, 1);
    log.assert_consistent();
    assert_eq!(
        (
            log.encoding.as_str(),
            log.delimiter.as_str(),
            log.dialect.as_str()
        ),
        ("utf-8-bom", "comma", "microsoft365")
    );
    assert_eq!((log.rows, log.valid_rows, log.invalid_rows), (16, 7, 9));
    let expected: Vec<Key> = M365_FINDINGS
        .iter()
        .map(|&(line, record, column, severity, code, value)| {
            (
                line,
                record,
                Some(column.to_string()),
                severity.to_string(),
                code.to_string(),
                value.map(str::to_string),
            )
        })
        .collect();
    assert_eq!(keys(&log, 0), expected);
    let dup = &log.findings[7];
    assert!(dup.message.contains("line 2"), "{}", dup.message);
}

/// `message` with the line numbers it names ("line 2", "lines 15–16")
/// moved on by `offset`.
fn shift_lines(message: &str, offset: u64) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find("line") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let word = if tail.starts_with("lines ") {
            "lines "
        } else {
            "line "
        };
        if !tail.starts_with(word) {
            out.push_str("line");
            rest = &tail[4..];
            continue;
        }
        out.push_str(word);
        rest = &tail[word.len()..];
        // One number, or two joined by an en dash.
        for sep in ["", "–"] {
            let Some(after) = rest.strip_prefix(sep) else {
                break;
            };
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                break;
            }
            let n: u64 = after[..digits].parse().unwrap();
            out.push_str(sep);
            out.push_str(&(n + offset).to_string());
            rest = &after[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Every variant of the M365 file: the same findings, line for line.
#[test]
fn every_encoding_and_dialect_gives_the_same_findings() {
    let w = Work::with_tenant();
    let (_, reference) = w.verify(&fixture("m365.csv"), &[]);
    // file, encoding, delimiter, dialect, lines before the header
    let variants = [
        ("m365-utf8.csv", "utf-8", "comma", "microsoft365", 0),
        ("m365-utf16le.csv", "utf-16le", "comma", "microsoft365", 0),
        ("m365-utf16be.csv", "utf-16be", "comma", "microsoft365", 0),
        (
            "m365-windows1252.csv",
            "windows-1252",
            "comma",
            "microsoft365",
            0,
        ),
        (
            "m365-semicolon.csv",
            "utf-8-bom",
            "semicolon",
            "microsoft365",
            0,
        ),
        ("m365-tab.csv", "utf-8-bom", "tab", "microsoft365", 0),
        (
            "m365-unicode-text.txt",
            "utf-16le",
            "tab",
            "microsoft365",
            0,
        ),
        (
            "m365-windows1252-semicolon.csv",
            "windows-1252",
            "semicolon",
            "microsoft365",
            0,
        ),
        ("m365-cr.csv", "utf-8-bom", "comma", "microsoft365", 0),
        ("entra.csv", "utf-8-bom", "comma", "entra", 1),
        ("entra-windows1252.csv", "windows-1252", "comma", "entra", 1),
        ("entra-properties.csv", "utf-8", "comma", "entra", 0),
    ];
    for (name, encoding, delimiter, dialect, offset) in variants {
        let (code, log) = w.verify(&fixture(name), &[]);
        // An Entra file's findings name the columns as it spells them.
        let user_name = match name {
            "entra.csv" | "entra-windows1252.csv" => "User name [userPrincipalName] Required",
            "entra-properties.csv" => "userPrincipalName",
            _ => "User Name",
        };
        let first = log.findings.iter().find(|f| f.column.is_some());
        assert_eq!(
            first.and_then(|f| f.column.as_deref()),
            Some(user_name),
            "{name}"
        );
        assert_eq!(code, 1, "{name}");
        log.assert_consistent();
        assert_eq!(
            (
                log.encoding.as_str(),
                log.delimiter.as_str(),
                log.dialect.as_str()
            ),
            (encoding, delimiter, dialect),
            "{name}"
        );
        assert_eq!(
            (log.rows, log.valid_rows, log.invalid_rows),
            (reference.rows, reference.valid_rows, reference.invalid_rows),
            "{name}"
        );
        assert_eq!(keys(&log, offset), keys(&reference, 0), "{name}");
        let encoding_warnings: Vec<&Finding> = log
            .findings
            .iter()
            .filter(|f| f.code == "encoding")
            .collect();
        if encoding == "windows-1252" {
            assert_eq!(encoding_warnings.len(), 1, "{name}");
            let f = encoding_warnings[0];
            assert_eq!((f.line, f.record, f.column.as_deref()), (0, 0, None));
            assert_eq!(f.severity, "warning");
            assert!(f.message.contains("Windows-1252"), "{}", f.message);
            assert_eq!(log.warnings, reference.warnings + 1, "{name}");
        } else {
            assert!(encoding_warnings.is_empty(), "{name}");
            assert_eq!(
                log.findings
                    .iter()
                    .map(|f| Finding {
                        column: label(&f.column),
                        ..f.clone()
                    })
                    .collect::<Vec<_>>(),
                {
                    // Same messages too, with the lines they name moved.
                    let mut f = reference.findings.clone();
                    if offset > 0 {
                        for x in &mut f {
                            x.line += offset;
                            x.message = shift_lines(&x.message, offset);
                        }
                    }
                    f
                },
                "{name}"
            );
        }
    }
}

/// The 30-mistake file: every finding at once, each on its physical line.
#[test]
fn mistakes_file_reports_every_mistake_on_its_line() {
    let w = Work::with_tenant();
    w.add_user("existing.user@contoso.onmicrosoft.com", false);
    w.add_user("deleted.user@contoso.com", true);
    let (code, log) = w.verify(&fixture("mistakes.csv"), &[]);
    assert_eq!(code, 1);
    log.assert_consistent();

    #[derive(serde::Deserialize)]
    struct Expected {
        line: u64,
        record: u64,
        column: Option<String>,
        severity: String,
        code: String,
    }
    let text = std::fs::read_to_string(fixture("mistakes.expected.json")).unwrap();
    let expected: Vec<Expected> = serde_json::from_str(&text).unwrap();
    let row_mistakes = expected.iter().filter(|e| e.record > 0).count();
    assert!(
        row_mistakes >= 30,
        "the fixture has {row_mistakes} row mistakes"
    );
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
    assert_eq!(log.rows, 41);
    assert_eq!(log.invalid_rows, 37);

    // Every code a row can produce is in the fixture. `too_long` on the User
    // Name is not: 64 (alias) + 1 + 48 (domain) is never more than 113. A
    // quote never closed takes the rest of the file with it, so it is not
    // one row among others: reading::a_quote_never_closed_* cover it.
    let seen: BTreeSet<&str> = log.codes().into_iter().collect();
    // Codes about the file or the batch, or that only an option turns on;
    // `password_hashed` needs a column only Google files have (see
    // google_file_findings_name_its_columns).
    let file_or_batch = [
        "encoding",
        "insufficient_seats",
        "no_welcome_address",
        "unclosed_quote",
        "password_hashed",
    ];
    for code in onboard::rules::Code::ALL {
        let code = code.as_str();
        if !file_or_batch.contains(&code) {
            assert!(seen.contains(code), "no fixture row produces {code}");
        }
    }

    let by_code = |code: &str| log.findings.iter().find(|f| f.code == code).unwrap();
    assert!(by_code("duplicate_in_file").message.contains("line 2 "));
    assert!(by_code("deleted_user_exists").message.contains("restore"));
    assert!(by_code("unknown_domain").message.contains("contoso.com"));
    // A 257-character value is shown shortened, not whole.
    assert!(by_code("too_long").value.as_ref().unwrap().chars().count() <= 121);
    for f in log
        .findings
        .iter()
        .filter(|f| f.column.as_deref() == Some("Password"))
    {
        assert_eq!(f.value.as_deref(), Some("(hidden)"), "{f:?}");
    }
}

#[test]
fn template_blank_verifies_with_no_rows() {
    let w = Work::with_tenant();
    w.run(&["template", "blank", "-o", "t.csv"]).expect(0);
    let bytes = w.read("t.csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBFUser Name,First Name,"));
    assert!(bytes.ends_with(b",Usage Location,Password,Groups,Manager\r\n"));
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        format!("\u{feff}{}\r\n", onboard::columns::template_header())
    );
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
    let (code, log) = w.verify(&w.path("t.csv"), &[]);
    assert_eq!(code, 0);
    assert_eq!((log.rows, log.errors, log.warnings), (0, 0, 0));
    assert_eq!(log.dialect, "onboard");
    let stdout = w.run(&["template", "blank"]).expect(0).raw_stdout;
    assert_eq!(stdout, bytes);
}

#[test]
fn template_sample_is_samples_users_csv_and_verifies_cleanly() {
    let w = Work::with_tenant();
    let shipped = std::fs::read(sample("users.csv")).unwrap();
    let out = w.run(&["template", "sample"]).expect(0);
    assert_eq!(out.raw_stdout, shipped);
    w.run(&["template", "sample", "-o", "s.csv"]).expect(0);
    assert_eq!(w.read("s.csv"), shipped);
    let (code, log) = w.verify(&w.path("s.csv"), &[]);
    assert_eq!(code, 0);
    assert_eq!((log.errors, log.warnings), (0, 0), "{:?}", log.findings);
    assert!(log.rows >= 5);
    assert_eq!(log.valid_rows, log.rows);
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let w = Work::with_tenant();
    let bytes = std::fs::read(fixture("m365-utf16le.csv")).unwrap();
    let run = w
        .run_with_stdin(
            &["--format", "json", "verify", "-", "--tenant", "contoso"],
            Some(&bytes),
        )
        .expect(1);
    let log: Log = serde_json::from_str(&run.stdout).unwrap();
    let (_, from_file) = w.verify(&fixture("m365-utf16le.csv"), &[]);
    assert_eq!(log.file, "<stdin>");
    assert_eq!(log.findings, from_file.findings);
}

#[test]
fn licence_seats_are_checked_for_the_whole_batch() {
    let w = Work::with_tenant();
    let users = sample("users.csv");
    let (code, log) = w.verify(&users, &["--license", "ENTERPRISEPACK"]);
    let rows = log.rows;
    assert!(rows > SEATS, "the sample has more rows than the seats");
    assert_eq!(code, 1);
    let f = log.findings.last().unwrap();
    assert_eq!(
        (f.code.as_str(), f.line, f.record),
        ("insufficient_seats", 0, 0)
    );
    assert!(
        f.message
            .starts_with(&format!("ENTERPRISEPACK: {SEATS} available, {rows} needed")),
        "{}",
        f.message
    );
    // With enough seats (and the SKU in another case) the same file passes.
    w.run(&[
        "license",
        "add",
        "--tenant",
        "contoso",
        "ENTERPRISEPACK",
        "--seats",
        "10",
    ])
    .expect(0);
    let (code, log) = w.verify(&users, &["--license", "enterprisepack"]);
    assert_eq!((code, log.errors), (0, 0), "{:?}", log.findings);
}

#[test]
fn entra_block_sign_in_accepts_yes_and_no() {
    let w = Work::with_tenant();
    let header = "version:v1.0\r\nName [displayName] Required,User name [userPrincipalName] Required,\
                  Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required\r\n";
    let body = "Ann Lee,ann.lee@contoso.com,Zq8!block-pw-1,Yes\r\n\
                Bob Lee,bob.lee@contoso.com,Zq8!block-pw-2,no\r\n\
                Cy Lee,cy.lee@contoso.com,Zq8!block-pw-3,\r\n\
                Di Lee,di.lee@contoso.com,Zq8!block-pw-4,Blocked\r\n";
    let f = w.write("entra.csv", format!("{header}{body}"));
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    assert_eq!(log.dialect, "entra");
    assert_eq!(
        log.lines_columns_codes(),
        vec![(
            6,
            Some("Block sign in (Yes/No) [accountEnabled] Required"),
            "invalid_value"
        )]
    );
    assert_eq!(log.findings[0].value.as_deref(), Some("Blocked"));
}

#[test]
fn unknown_columns_and_blank_header_cells() {
    let w = Work::with_tenant();
    let f = w.write(
        "u.csv",
        "\r\n\r\n User name , DISPLAY NAME ,Shoe size,,\r\nann.lee,Ann Lee,42,,\r\n",
    );
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 0, "{:?}", log.findings);
    assert_eq!(log.rows, 1);
    assert_eq!(log.lines_columns_codes(), vec![(3, None, "unknown_column")]);
    assert!(log.findings[0].message.contains("Shoe size"));
}

#[test]
fn usage_location_option_and_tenant_checks() {
    let w = Work::with_tenant();
    let users = sample("users.csv");
    let users = users.to_str().unwrap();
    let run = w
        .run(&[
            "verify",
            users,
            "--tenant",
            "contoso",
            "--usage-location",
            "XX",
        ])
        .expect(2);
    assert!(run.stderr.contains("--usage-location"), "{}", run.stderr);
    w.run(&[
        "verify",
        users,
        "--tenant",
        "contoso",
        "--usage-location",
        "gb",
    ])
    .expect(0);
}

/// A file without BOM is taken for UTF-8 while the encoding check runs;
/// one Windows-1252 byte near the end of a big file makes the whole file
/// Windows-1252, and the verification starts again: the log and the
/// annotated copy are those of a Windows-1252 read, with every row once.
#[test]
fn a_windows_1252_byte_late_in_a_big_file_restarts_the_check() {
    let w = Work::with_tenant();
    let rows = 70_000;
    let mut bytes = crate::util::users_csv("w", rows).into_bytes();
    // "Redmond" of the last row becomes "Redmöndé" in Windows-1252.
    let at = bytes.len() - 40;
    let tail = String::from_utf8_lossy(&bytes[at..]).into_owned();
    let city = tail.find("Redmond").expect("a city in the last row") + at;
    bytes.splice(city..city + 7, b"Redm\xf6nd\xe9".iter().copied());
    let f = w.write("late-1252.csv", &bytes);
    let annotated = w.path("annotated.csv");
    let (code, log) = w.verify(&f, &["--annotated", annotated.to_str().unwrap()]);
    assert_eq!(code, 0, "the encoding warning is not an error");
    assert_eq!(log.encoding, "windows-1252");
    assert_eq!(log.rows, rows as u64);
    assert_eq!(log.errors, 0);
    assert_eq!(log.findings[0].code, "encoding");
    let copy = String::from_utf8(w.read("annotated.csv")).unwrap();
    assert_eq!(copy.lines().count(), rows + 1);
    assert!(copy.contains("Redmöndé"), "decoded as Windows-1252");
}
