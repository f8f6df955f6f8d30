//! Other vendors' files (SPEC §13): a Google Workspace upload verifies and
//! commits with the passwords it holds, findings name the columns as the
//! file spells them, an annotated Entra file keeps its `version:` line, and
//! the bare `accountEnabled` means what Entra means.

use crate::util::{Log, Work, fixture, results_rows};

/// (user name, sign-in blocked, force-change) of every user, by name.
fn flags(w: &Work) -> Vec<(String, bool, bool)> {
    let c = rusqlite::Connection::open(w.db()).unwrap();
    c.prepare(
        "SELECT upn, sign_in_blocked, force_change_password FROM users WHERE tenant_id = \
         'contoso' ORDER BY upn",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn a_google_export_verifies_and_commits_with_its_passwords() {
    let w = Work::with_seats(10);
    let google = fixture("google.csv");
    let (code, log) = w.verify(&google, &[]);
    assert_eq!(code, 0, "{:?}", log.findings);
    assert_eq!(log.dialect, "google");
    assert_eq!((log.rows, log.valid_rows, log.errors), (5, 5, 0));
    // Each filled Google column onboard does not read: one warning, on the
    // header, naming it as the file does; empty ones say nothing.
    let ignored: Vec<&str> = log
        .findings
        .iter()
        .map(|f| {
            assert_eq!((f.code.as_str(), f.line), ("unknown_column", 1), "{f:?}");
            f.value.as_deref().unwrap()
        })
        .collect();
    assert_eq!(
        ignored,
        [
            "Org Unit Path [Required]",
            "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
            "Employee ID",
            "Employee Type",
            "Cost Center"
        ]
    );
    assert!(log.findings[0].message.contains("(the first on line 2)"));

    w.run(&[
        "commit",
        google.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--license",
        "ENTERPRISEPACK",
        "--results",
        "r.csv",
    ])
    .expect(0);
    // The passwords of the file are the users' passwords.
    let mut got = results_rows(&w.path("r.csv"));
    got.sort();
    let want: Vec<(String, String)> = [
        "ana.silva",
        "ben.okafor",
        "chloe.martin",
        "dan.weber",
        "eva.novakova",
    ]
    .iter()
    .enumerate()
    .map(|(i, a)| {
        (
            format!("{a}@contoso.com"),
            format!("Zq8!google-pw-0{}", i + 1),
        )
    })
    .collect();
    assert_eq!(got, want);
    // Display names made of first and last names; Google's columns in ours.
    let c = rusqlite::Connection::open(w.db()).unwrap();
    let (display, title, phone, email): (String, String, String, String) = c
        .query_row(
            "SELECT display_name, job_title, office_phone, alternate_email FROM users \
             WHERE upn = 'ana.silva@contoso.com'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (
            display.as_str(),
            title.as_str(),
            phone.as_str(),
            email.as_str()
        ),
        (
            "Ana Silva",
            "Head of Sales",
            "+1 425 555 0101",
            "ana.silva@example.com"
        )
    );
    let chloe: String = c
        .query_row(
            "SELECT display_name FROM users WHERE upn = 'chloe.martin@contoso.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(chloe, "Chloé Martin");
    // Suspended is blocked; Change Password at Next Sign-In per row.
    assert_eq!(
        flags(&w),
        vec![
            ("ana.silva@contoso.com".into(), false, false),
            ("ben.okafor@contoso.com".into(), false, true),
            ("chloe.martin@contoso.com".into(), false, true),
            ("dan.weber@contoso.com".into(), true, false),
            ("eva.novakova@contoso.com".into(), false, true),
        ]
    );
    // Manager Email, one of them a later row.
    let managers: Vec<(String, String)> = c
        .prepare(
            "SELECT u.upn, m.upn FROM users u JOIN users m ON m.key = u.manager_key ORDER BY u.upn",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        managers,
        [
            (
                "ben.okafor@contoso.com".into(),
                "ana.silva@contoso.com".into()
            ),
            (
                "chloe.martin@contoso.com".into(),
                "dan.weber@contoso.com".into()
            ),
            (
                "dan.weber@contoso.com".into(),
                "ana.silva@contoso.com".into()
            ),
        ]
    );
}

const GOOGLE_HEADER: &str = "First Name [Required],Last Name [Required],Email Address [Required],\
    Password [Required],Password Hash Function [UPLOAD ONLY],Org Unit Path [Required],\
    Change Password at Next Sign-In,New Status [UPLOAD ONLY]\r\n";

#[test]
fn findings_on_a_google_file_name_its_columns_in_every_log() {
    let w = Work::with_tenant();
    let f = w.write(
        "g.csv",
        format!(
            "{GOOGLE_HEADER}\
             Ann,Lee,ann lee@contoso.com,Zq8!g-pw-a,,/,TRUE,Active\r\n\
             ,,nobody@contoso.com,Zq8!g-pw-b,,/,,\r\n\
             Hash,User,hash.user@contoso.com,5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8,SHA-1,/,,\r\n\
             Bad,Flags,bad.flags@contoso.com,Zq8!g-pw-c,,/,maybe,Gone\r\n"
        ),
    );
    let (code, log) = w.verify(&f, &["--log", "log.csv"]);
    assert_eq!(code, 1);
    let built = "First Name [Required] + Last Name [Required]";
    assert_eq!(
        log.lines_columns_codes(),
        vec![
            (1, None, "unknown_column"),
            (2, Some("Email Address [Required]"), "invalid_username"),
            (3, Some(built), "required"),
            (
                4,
                Some("Password Hash Function [UPLOAD ONLY]"),
                "password_hashed"
            ),
            (5, Some("Change Password at Next Sign-In"), "invalid_value"),
            (5, Some("New Status [UPLOAD ONLY]"), "invalid_value"),
        ]
    );
    let hashed = &log.findings[3];
    assert_eq!(hashed.value.as_deref(), Some("SHA-1"));
    assert!(
        hashed.message.contains("never uses a hash"),
        "{}",
        hashed.message
    );
    // The CSV and text logs name them the same way.
    let csv_log = w.read("log.csv");
    let mut r = csv::Reader::from_reader(&csv_log[..]);
    let columns: Vec<String> = r.records().map(|rec| rec.unwrap()[2].to_string()).collect();
    assert_eq!(
        columns,
        [
            "",
            "Email Address [Required]",
            built,
            "Password Hash Function [UPLOAD ONLY]",
            "Change Password at Next Sign-In",
            "New Status [UPLOAD ONLY]"
        ]
    );
    let text = w
        .run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"])
        .expect(1)
        .stdout;
    assert!(text.contains(&format!("      3  {built}  error")), "{text}");
    assert!(text.contains("google header"), "{text}");
    // The annotated copy too.
    w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--annotated",
        "a.csv",
    ])
    .expect(1);
    let copy = String::from_utf8(w.read("a.csv")).unwrap();
    assert!(
        copy.contains("error invalid_username (Email Address [Required])"),
        "{copy}"
    );
    assert!(
        copy.contains(&format!("error required ({built})")),
        "{copy}"
    );
}

#[test]
fn an_annotated_entra_file_keeps_its_version_line() {
    let w = Work::with_tenant();
    // fixtures/entra.csv without its row of empty cells (which the copy,
    // of records, leaves out: the lines after it move up one).
    let text = String::from_utf8(std::fs::read(fixture("entra.csv")).unwrap()).unwrap();
    let blank = format!("\r\n{}\r\n", ",".repeat(16));
    assert!(text.contains(&blank));
    let entra = w.write("entra.csv", text.replacen(&blank, "\r\n", 1));
    let (_, log) = w.verify(&entra, &["--annotated", "a.csv"]);
    assert!(log.findings.len() > 10);
    let copy = String::from_utf8(w.read("a.csv")).unwrap();
    let mut lines = copy.lines();
    assert_eq!(lines.next(), Some("\u{feff}version:v1.0"));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Name [displayName] Required,User name [userPrincipalName] Required,")
    );
    // Read again, every finding is on the same line (the passwords were
    // removed from the copy, and there are no password findings).
    let (_, again) = w.verify(&w.path("a.csv"), &[]);
    let at = |l: &Log| -> Vec<(u64, Option<String>, String)> {
        l.findings
            .iter()
            .map(|f| (f.line, f.column.clone(), f.code.clone()))
            .collect()
    };
    assert_eq!(at(&again), at(&log));
    assert_eq!(again.dialect, "entra");
    assert!(
        log.findings
            .iter()
            .all(|f| f.column.as_deref() != Some("Password"))
    );
}

#[test]
fn bare_account_enabled_means_what_entra_means() {
    let w = Work::with_seats(10);
    let header = "userPrincipalName,displayName,accountEnabled\r\n";
    let f = w.write(
        "e.csv",
        format!(
            "{header}a1@contoso.com,A1,true\r\na2@contoso.com,A2,FALSE\r\n\
             a3@contoso.com,A3,TRUE\r\na4@contoso.com,A4,\r\na5@contoso.com,A5,Yes\r\n"
        ),
    );
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    assert_eq!(log.dialect, "entra");
    assert_eq!(
        log.lines_columns_codes(),
        vec![(6, Some("accountEnabled"), "invalid_value")]
    );
    assert!(
        log.findings[0].message.contains("true"),
        "{}",
        log.findings[0].message
    );
    // A value in the row wins over --sign-in; an empty cell takes it.
    let valid = w.write(
        "ok.csv",
        format!(
            "{header}a1@contoso.com,A1,true\r\na2@contoso.com,A2,FALSE\r\n\
             a3@contoso.com,A3,TRUE\r\na4@contoso.com,A4,\r\n"
        ),
    );
    w.run(&[
        "commit",
        valid.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--sign-in",
        "blocked",
        "--results",
        "r.csv",
    ])
    .expect(0);
    let blocked: Vec<(String, bool)> = flags(&w).into_iter().map(|(u, b, _)| (u, b)).collect();
    assert_eq!(
        blocked,
        [
            ("a1@contoso.com".into(), false),
            ("a2@contoso.com".into(), true),
            ("a3@contoso.com".into(), false),
            ("a4@contoso.com".into(), true),
        ]
    );
    // The Entra label with the same property keeps its own sense: Yes
    // blocks (verify::entra_block_sign_in_accepts_yes_and_no).
}
