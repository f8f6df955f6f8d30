//! Every file in `samples/` is verified here, so the files a person tries
//! first never go stale. A new sample needs an entry in `expected`.

use crate::util::{Work, sample};

#[test]
fn every_sample_verifies_as_documented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 2);
    let w = Work::with_tenant();
    for name in names {
        let (code, log) = w.verify(&dir.join(&name), &[]);
        log.assert_consistent();
        let expected = match name.as_str() {
            "users.csv" => 0,
            "users-with-errors.csv" => 1,
            other => panic!("samples/{other} has no expectation in tests/samples.rs"),
        };
        assert_eq!(code, expected, "samples/{name}: {:?}", log.findings);
        // Samples are what `template blank` writes: UTF-8 with BOM, CRLF.
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFUser Name,"), "{name}");
        assert_eq!(
            bytes.iter().filter(|&&b| b == b'\n').count(),
            bytes.windows(2).filter(|p| p == b"\r\n").count(),
            "{name}: CRLF line ends"
        );
        assert_eq!(log.dialect, "onboard", "{name}");
    }
}

#[test]
fn users_with_errors_shows_typical_mistakes() {
    let w = Work::with_tenant();
    let (code, log) = w.verify(&sample("users-with-errors.csv"), &[]);
    assert_eq!(code, 1);
    let got = log.lines_columns_codes();
    assert_eq!(
        got,
        vec![
            (3, Some("User Name"), "invalid_username"),
            (3, Some("Groups"), "unknown_group"),
            (4, Some("User Name"), "unknown_domain"),
            (5, Some("Display Name"), "required"),
            // `lidia@example` has one label in its domain: no mail reaches it.
            (5, Some("Alternate email address"), "invalid_email"),
            (5, Some("Manager"), "self_manager"),
            (6, Some("Office Phone"), "invalid_phone"),
            (6, Some("Usage Location"), "invalid_location"),
            (7, Some("User Name"), "duplicate_in_file"),
            (8, Some("Password"), "password_uppercase"),
            (8, Some("Password"), "password_digit"),
            (8, Some("Password"), "password_symbol"),
        ]
    );
    assert_eq!((log.rows, log.valid_rows), (7, 1));
    assert!(
        log.findings
            .iter()
            .any(|f| f.code == "duplicate_in_file" && f.message.contains("line 2 "))
    );
}
