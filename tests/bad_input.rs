//! Files and options that stop `verify` before any row is checked: a clear
//! message on standard error and exit status 2, never a panic (the `Work`
//! helper fails any run whose standard error says "panicked").

use crate::util::{Work, fixture, sample};

/// The header a refusal shows: the template's.
fn expected_header() -> String {
    onboard::columns::template_header()
}

/// Verifies `bytes` as a file; returns the run.
fn verify_bytes(w: &Work, name: &str, bytes: &[u8]) -> crate::util::Run {
    let f = w.write(name, bytes);
    w.run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"])
}

#[track_caller]
fn assert_refused(run: &crate::util::Run, needle: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.starts_with("onboard: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{needle:?} not in: {}",
        run.stderr
    );
    assert!(
        run.stdout.is_empty(),
        "no log for a file that cannot be read: {}",
        run.stdout
    );
}

#[test]
fn empty_file() {
    let w = Work::with_tenant();
    let run = verify_bytes(&w, "empty.csv", b"");
    assert_refused(&run, "is empty");
    assert!(run.stderr.contains(&expected_header()));
    // Only blank lines, or only a BOM, is empty too.
    assert_refused(
        &verify_bytes(&w, "blank.csv", b"\r\n\r\n,,,\r\n"),
        "is empty",
    );
    assert_refused(&verify_bytes(&w, "bom.csv", b"\xEF\xBB\xBF"), "is empty");
    assert_refused(&verify_bytes(&w, "bom16.csv", b"\xFF\xFE"), "is empty");
}

#[test]
fn binary_files() {
    let w = Work::with_tenant();
    // An image or an archive is named for what it is (more in
    // reading::files_that_are_not_csv_are_named); another binary file is
    // refused for its NUL bytes.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
    assert_refused(&verify_bytes(&w, "image.csv", png), "this is a PNG image");
    let zip = b"PK\x03\x04\x14\0\0\0\x08\0users.csv";
    assert_refused(&verify_bytes(&w, "book.xlsx", zip), "this is a ZIP archive");
    let other = b"\x7fELF\x02\x01\x01\0\0";
    assert_refused(&verify_bytes(&w, "prog.csv", other), "NUL byte at offset 7");
}

#[test]
fn random_bytes() {
    let w = Work::with_tenant();
    // xorshift: the same bytes on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..8 {
        let len = 1 << (6 + round);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            // Without NULs too, so the decoder and the CSV reader see them.
            .filter(|&b| round % 2 == 0 || b != 0)
            .collect();
        let run = verify_bytes(&w, "random.csv", &bytes);
        assert_eq!(run.code, 2, "round {round}: {}", run.stderr);
        assert!(run.stderr.starts_with("onboard: "), "{}", run.stderr);
    }
}

#[test]
fn header_only_file_has_no_rows() {
    let w = Work::with_tenant();
    for (name, bytes) in [
        ("no-newline.csv", &b"User Name,Display Name"[..]),
        (
            "crlf.csv",
            b"\xEF\xBB\xBFUser Name,Display Name\r\n\r\n\r\n",
        ),
    ] {
        let f = w.write(name, bytes);
        let (code, log) = w.verify(&f, &[]);
        assert_eq!(code, 0, "{name}");
        assert_eq!((log.rows, log.errors, log.warnings), (0, 0, 0), "{name}");
    }
}

/// A 10 MB field (generated here, not committed): found too long and shown
/// shortened (how fast is the benchmarks' business, not a test's).
#[test]
fn ten_megabyte_field() {
    let w = Work::with_tenant();
    let big = "x".repeat(10 << 20);
    let f = w.write(
        "big.csv",
        format!("User Name,Display Name,City\r\nbig.one,Big One,\"{big}\"\r\nok.one,Ok,Paris\r\n"),
    );
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    assert_eq!(log.rows, 2);
    assert_eq!(log.codes(), ["too_long"]);
    let value = log.findings[0].value.as_ref().unwrap();
    assert!(value.chars().count() <= 121, "the value is shortened");
    assert!(log.findings[0].message.contains(&(10u64 << 20).to_string()));

    // The same as a single unterminated header line.
    let f = w.write("big-header.csv", &big);
    let run = w.run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"]);
    assert_refused(
        &run,
        "the header has no \"User Name\" or \"Display Name\" column",
    );
    assert!(
        run.stderr.len() < 4096,
        "the message does not repeat the 10 MB cell"
    );
}

#[test]
fn missing_required_column_lists_the_expected_header() {
    let w = Work::with_tenant();
    let run = verify_bytes(&w, "m.csv", b"User Name,First Name\r\nann.lee,Ann\r\n");
    assert_refused(
        &run,
        "line 1: the header has no \"Display Name\" column (required)",
    );
    assert!(
        run.stderr
            .contains(&format!("expected header: {}", expected_header())),
        "{}",
        run.stderr
    );
    // The header line is named even after Entra's version line.
    let run = verify_bytes(
        &w,
        "e.csv",
        b"version:v1.0\r\nName [displayName] Required\r\nAnn\r\n",
    );
    assert_refused(&run, "line 2: the header has no \"User Name\" column");
}

#[test]
fn duplicated_column() {
    let w = Work::with_tenant();
    let run = verify_bytes(
        &w,
        "d.csv",
        b"User Name,Display Name,City,userPrincipalName\r\nann.lee,Ann,Paris,ann\r\n",
    );
    assert_refused(
        &run,
        "the column \"User Name\" appears twice (columns 1 and 4)",
    );
    assert!(run.stderr.contains(&expected_header()));
}

#[test]
fn unknown_tenant_sku_and_too_many_recipients() {
    let w = Work::with_tenant();
    let users = sample("users.csv");
    let users = users.to_str().unwrap();
    let run = w.run(&["verify", users, "--tenant", "northwind"]);
    assert_refused(&run, "northwind");

    let run = w.run(&[
        "verify",
        users,
        "--tenant",
        "contoso",
        "--license",
        "SPE_E5",
    ]);
    assert_refused(
        &run,
        "tenant contoso has no subscription SPE_E5; its SKUs: ENTERPRISEPACK",
    );

    let mut args = vec!["verify", users, "--tenant", "contoso"];
    let addrs: Vec<String> = (1..=6).map(|i| format!("admin{i}@example.com")).collect();
    for a in &addrs {
        args.extend(["--email-to", a.as_str()]);
    }
    assert_refused(
        &w.run(&args),
        "--email-to is given 6 times; at most 5 recipients",
    );
    // Five are fine.
    args.truncate(args.len() - 2);
    w.run(&args).expect(0);

    let run = w.run(&[
        "verify",
        users,
        "--tenant",
        "contoso",
        "--email-to",
        "not an address",
    ]);
    assert_refused(
        &run,
        "--email-to \"not an address\" is not a valid email address",
    );
}

#[test]
fn missing_file_folder_and_store() {
    let w = Work::with_tenant();
    assert_refused(
        &w.run(&["verify", "nope.csv", "--tenant", "contoso"]),
        "nope.csv",
    );
    assert_refused(
        &w.run(&["verify", ".", "--tenant", "contoso"]),
        "is a folder",
    );

    let empty = Work::new();
    let run = empty.run(&[
        "verify",
        fixture("m365.csv").to_str().unwrap(),
        "--tenant",
        "contoso",
    ]);
    assert_refused(&run, "no store here yet");
    assert!(!empty.db().exists(), "verify creates no store");
}

/// A quote that is never closed swallows the rest of the file into one
/// field: that row's one finding, not a crash (more in
/// reading::a_quote_never_closed_is_one_error_naming_its_lines).
#[test]
fn unclosed_quote() {
    let w = Work::with_tenant();
    let f = w.write(
        "q.csv",
        "User Name,Display Name,City\r\nann.lee,\"Ann Lee,Paris\r\nbob.lee,Bob,Rome\r\n",
    );
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    assert_eq!(log.rows, 1);
    assert_eq!(
        log.lines_columns_codes(),
        [(2, Some("Display Name"), "unclosed_quote")]
    );
}

/// `--annotated` or `--log` naming the input would overwrite the file while
/// it is read (a 5,000-row file came back with 395 rows).
#[test]
fn outputs_may_not_overwrite_the_input() {
    let w = Work::with_tenant();
    let mut bytes = Vec::new();
    crate::generate::write_users(&mut bytes, 2000, 0, 5).unwrap();
    let f = w.write("in.csv", &bytes);
    for (option, value) in [
        ("--annotated", "in.csv"),
        ("--annotated", "./in.csv"),
        ("--log", "in.csv"),
        ("--log", f.to_str().unwrap()),
    ] {
        let run = w.run(&["verify", "in.csv", "--tenant", "contoso", option, value]);
        assert_refused(
            &run,
            &format!("{option} {value} would overwrite the input file"),
        );
        assert_eq!(
            w.read("in.csv"),
            bytes,
            "{option} {value}: the input is unchanged"
        );
    }
    // Another name is fine.
    w.run(&[
        "verify",
        "in.csv",
        "--tenant",
        "contoso",
        "--annotated",
        "out.csv",
    ])
    .expect(0);
    assert_eq!(w.read("in.csv"), bytes);
}

/// The encoding check reads the whole file while the rows are checked; a
/// NUL byte near the end of a big file still refuses it, and no annotated
/// copy is left behind.
#[test]
fn a_nul_byte_late_in_a_big_file() {
    let w = Work::with_tenant();
    let mut bytes = crate::util::users_csv("n", 70_000).into_bytes();
    let at = bytes.len() - 5;
    bytes[at] = 0;
    let f = w.write("late-nul.csv", &bytes);
    let annotated = w.path("annotated.csv");
    let run = w.run(&[
        "verify",
        f.to_str().unwrap(),
        "--tenant",
        "contoso",
        "--annotated",
        annotated.to_str().unwrap(),
    ]);
    assert_refused(&run, &format!("NUL byte at offset {at}"));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(!annotated.exists(), "an annotated copy was left behind");
}
