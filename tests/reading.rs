//! What reading a file never loses or garbles (SPEC §11): lines in another
//! encoding, files that are not CSV at all, quotes never closed, line
//! breaks inside quotes, and columns with values but no header.

use crate::util::{Log, Work};

/// Verifies `bytes` written as `name`; the exit status and the log.
fn verify(w: &Work, name: &str, bytes: &[u8]) -> (i32, Log) {
    let f = w.write(name, bytes);
    let (code, log) = w.verify(&f, &[]);
    log.assert_consistent();
    (code, log)
}

/// The run of a file that cannot be read (exit 2, a message, no log).
#[track_caller]
fn refused(w: &Work, name: &str, bytes: &[u8], needle: &str) {
    let f = w.write(name, bytes);
    let run = w.run(&["verify", f.to_str().unwrap(), "--tenant", "contoso"]);
    assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
    assert!(
        run.stderr.contains(needle),
        "{name}: {needle:?} not in {}",
        run.stderr
    );
}

const MIXED: &[u8] = b"User Name,First Name,Last Name,Display Name,City\r\n\
    zoe.bronte,Zo\xC3\xAB,Bront\xC3\xAB,Zo\xC3\xAB Bront\xC3\xAB,Haworth\r\n\
    ann.lee,Ann,Lee,Ann Lee,K\xF6ln\r\n\
    jose.diaz,Jos\xC3\xA9,D\xC3\xADaz,Jos\xC3\xA9 D\xC3\xADaz,M\xC3\xA1laga\r\n";

/// A UTF-8 file with one Windows-1252 line: that line is an error naming
/// the byte, its character and its column; the other lines are UTF-8,
/// and a commit of the valid rows keeps their names intact.
#[test]
fn a_windows_1252_line_in_a_utf8_file_is_an_error_on_that_line() {
    let w = Work::with_tenant();
    let (code, log) = verify(&w, "mixed.csv", MIXED);
    assert_eq!(code, 1);
    assert_eq!(log.encoding, "utf-8");
    assert_eq!((log.rows, log.invalid_rows), (3, 1));
    assert_eq!(log.lines_columns_codes(), [(3, Some("City"), "encoding")]);
    let f = &log.findings[0];
    assert_eq!((f.record, f.severity.as_str()), (2, "error"));
    assert_eq!(
        f.message,
        "line 3 is not UTF-8 (byte 0xF6, character 26, in City), though the rest of the file is; \
         save it as CSV UTF-8"
    );
    // The line decoded as Windows-1252, to show what it holds.
    assert_eq!(f.value.as_deref(), Some("Köln"));

    // The annotated copy keeps the names as they are.
    let annotated = w.path("annotated.csv");
    let f = w.path("mixed.csv");
    w.verify(&f, &["--annotated", annotated.to_str().unwrap()]);
    let copy = String::from_utf8(w.read("annotated.csv")).unwrap();
    assert!(
        copy.contains("Zoë Brontë") && copy.contains("José Díaz"),
        "{copy}"
    );
    assert!(!copy.contains("Ã"), "{copy}");

    // Committed, the valid rows keep their names.
    w.run(&[
        "commit",
        "mixed.csv",
        "--tenant",
        "contoso",
        "--skip-invalid",
        "--annotated",
        "rejects.csv",
    ])
    .expect(4); // committed, with a row skipped
    let list = w
        .run(&["--format", "json", "users", "list", "--tenant", "contoso"])
        .expect(0);
    let page: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let mut names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["display_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["José Díaz", "Zoë Brontë"]);
}

/// A line that is not UTF-8 inside a quoted value spanning lines: the
/// finding is on the record (its first line) and names the line; a header
/// line that is not UTF-8 is an error too, by column position.
#[test]
fn lines_that_are_not_utf8_are_named_where_they_are() {
    let w = Work::with_tenant();
    let bytes = b"User Name,Display Name,City,Ville \xE9\r\n\
        zoe.bronte,Zo\xC3\xAB,\"Haworth\r\nWest Yorksh\xEFre\",\r\n\
        ann.lee,Ann,Paris,\r\n";
    let (code, log) = verify(&w, "multi.csv", bytes);
    assert_eq!(code, 1);
    assert_eq!(
        log.lines_columns_codes(),
        [
            (1, None, "unknown_column"),
            (1, None, "encoding"),
            (2, Some("City"), "encoding"),
            (2, Some("City"), "control_chars"),
        ]
    );
    assert_eq!(
        log.findings[1].message,
        "line 1 is not UTF-8 (byte 0xE9, character 35, in column 4), though the rest of the file \
         is; save it as CSV UTF-8"
    );
    assert!(
        log.findings[2]
            .message
            .starts_with("line 3 is not UTF-8 (byte 0xEF, character 12, in City)"),
        "{}",
        log.findings[2].message
    );
}

/// A file none of whose bytes that are not ASCII is UTF-8 is Windows-1252
/// as a whole: a warning naming the first line that needed it.
#[test]
fn a_file_all_windows_1252_warns_naming_its_first_line() {
    let w = Work::with_tenant();
    for bom in [&b""[..], b"\xEF\xBB\xBF"] {
        let bytes = [
            bom,
            b"User Name,Display Name\r\nann.lee,Ann Lee\r\njose,Jos\xE9 D\xEDaz\r\nzoe,Zo\xEB\r\n",
        ]
        .concat();
        let (code, log) = verify(&w, "w1252.csv", &bytes);
        assert_eq!(code, 0, "{:?}", log.findings);
        assert_eq!(log.encoding, "windows-1252");
        assert_eq!(log.lines_columns_codes(), [(0, None, "encoding")]);
        let f = &log.findings[0];
        assert_eq!(f.severity, "warning");
        assert_eq!(
            f.message,
            "the file is not UTF-8 (line 3 is the first that is not: byte 0xE9); it was read as \
             Windows-1252. Check accented letters, or save it from Excel as \"CSV UTF-8\""
        );
    }
}

/// The five bytes Windows-1252 leaves undefined are an encoding error on
/// their line, in a Windows-1252 file and in a mixed one, never a control
/// character.
#[test]
fn bytes_windows_1252_leaves_undefined_are_encoding_errors() {
    let w = Work::with_tenant();
    let whole = b"User Name,Display Name\r\njose,Jos\xE9\r\nbad.one,Bad\x81Name\r\nok,Ok\r\n";
    let (code, log) = verify(&w, "undefined.csv", whole);
    assert_eq!(code, 1);
    assert_eq!(log.encoding, "windows-1252");
    assert_eq!(
        log.lines_columns_codes(),
        [(0, None, "encoding"), (3, Some("Display Name"), "encoding")]
    );
    assert_eq!(
        log.findings[1].message,
        "line 3 has a byte that Windows-1252 does not define (byte 0x81, character 12, in Display \
         Name); save it as CSV UTF-8"
    );
    let mixed = b"User Name,Display Name\r\nzoe,Zo\xC3\xAB\r\nbad.one,Bad\x9DName\r\n";
    let (code, log) = verify(&w, "undefined-mixed.csv", mixed);
    assert_eq!(code, 1);
    assert_eq!(log.encoding, "utf-8");
    assert_eq!(
        log.lines_columns_codes(),
        [(3, Some("Display Name"), "encoding")]
    );
    assert!(
        log.findings[0]
            .message
            .starts_with("line 3 is not UTF-8 (byte 0x9D, character 12, in Display Name)")
    );
}

/// Workbooks, archives, images and PDFs are named for what they are,
/// before anything else, with exit status 2.
#[test]
fn files_that_are_not_csv_are_named() {
    let w = Work::with_tenant();
    let zip = |name: &[u8]| [b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0".as_slice(), name].concat();
    let cases: [(&str, Vec<u8>, &str); 9] = [
        (
            "book.xlsx",
            zip(b"[Content_Types].xml\0\0xl/workbook.xml"),
            "this is an Excel workbook (.xlsx): save it as CSV UTF-8",
        ),
        (
            "renamed.csv",
            zip(b"xl/worksheets/sheet1.xml"),
            "this is an Excel workbook (.xlsx)",
        ),
        (
            "old.xls",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0W\0o\0r\0k\0b\0o\0o\0k\0".to_vec(),
            "this is an Excel 97-2003 workbook (.xls): save it as CSV UTF-8",
        ),
        (
            "sheet.ods",
            zip(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"),
            "this is an OpenDocument spreadsheet (.ods)",
        ),
        ("users.zip", zip(b"users.csv"), "this is a ZIP archive"),
        ("users.csv.gz", b"\x1F\x8B\x08\0\0\0".to_vec(), "gzip"),
        (
            "users.7z",
            b"7z\xBC\xAF\x27\x1C\0\x04".to_vec(),
            "7-Zip archive",
        ),
        (
            "shot.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "this is a PNG image",
        ),
        (
            "users.pdf",
            b"%PDF-1.7\n%\xE2\xE3".to_vec(),
            "this is a PDF document",
        ),
    ];
    for (name, bytes, needle) in cases {
        refused(&w, name, &bytes, needle);
    }
    // Other binary files are still refused for their NUL bytes.
    refused(&w, "data.bin", b"ab\0cd", "is not a text file");
}

const HEADER: &str = "User Name,Display Name,City\r\n";

/// A quote never closed, in the middle of a file or on its last line,
/// with or without a line break at the end: one error on the line where
/// it opened, in its column, naming the lines it swallowed.
#[test]
fn a_quote_never_closed_is_one_error_naming_its_lines() {
    let w = Work::with_tenant();
    let cases = [
        (
            "ann.lee,Ann Lee,Paris\r\nbob.lee,\"Bob Lee,Rome\r\ncat.lee,Cat,Oslo\r\ndan.lee,Dan,Bern\r\n",
            "the quote opened on line 3 (Display Name) is never closed; lines 3–5 were read as one \
             value",
        ),
        (
            "ann.lee,Ann Lee,Paris\r\nbob.lee,\"Bob Lee,Rome\r\ncat.lee,Cat,Oslo\r\ndan.lee,Dan,Bern",
            "the quote opened on line 3 (Display Name) is never closed; lines 3–5 were read as one \
             value",
        ),
        (
            "ann.lee,Ann Lee,Paris\r\nbob.lee,\"Bob Lee,Rome\r\ncat.lee,Cat,Oslo\r\n\r\n\r\n",
            "the quote opened on line 3 (Display Name) is never closed; lines 3–4 were read as one \
             value",
        ),
        (
            "ann.lee,Ann Lee,Paris\r\nbob.lee,Bob Lee,\"Rome",
            "the quote opened on line 3 (City) is never closed; the rest of line 3 was read as one \
             value",
        ),
        (
            "ann.lee,Ann Lee,Paris\r\nbob.lee,Bob Lee,\"Rome\r\n",
            "the quote opened on line 3 (City) is never closed; the rest of line 3 was read as one \
             value",
        ),
    ];
    for (body, message) in cases {
        let (code, log) = verify(&w, "q.csv", format!("{HEADER}{body}").as_bytes());
        assert_eq!(code, 1, "{body:?}");
        assert_eq!(log.rows, 2, "{body:?}");
        assert_eq!(log.codes(), ["unclosed_quote"], "{body:?}");
        let f = &log.findings[0];
        assert_eq!((f.line, f.record), (3, 2), "{body:?}");
        assert_eq!(f.message, message, "{body:?}");
        assert_eq!(f.value, None, "the value is the rest of the file");
    }
}

/// A quote never closed early in a big file makes the rest one record:
/// read in linear time, one error.
#[test]
fn a_quote_never_closed_early_in_a_big_file() {
    let w = Work::with_tenant();
    let rows = 70_000;
    let csv = crate::util::users_csv("q", rows);
    // Open a quote in the Display Name of the third row (line 4).
    let before = "\r\nuq2,First2,Last2,";
    let at = csv.find(before).unwrap() + before.len();
    let mut bytes = csv.into_bytes();
    bytes.insert(at, b'"');
    let started = std::time::Instant::now();
    let (code, log) = verify(&w, "big-q.csv", &bytes);
    assert!(started.elapsed().as_secs() < 30);
    assert_eq!(code, 1);
    assert_eq!(log.rows, 3);
    assert_eq!(log.codes(), ["unclosed_quote"]);
    assert_eq!(
        log.findings[0].message,
        format!(
            "the quote opened on line 4 (Display Name) is never closed; lines 4–{} were read as \
             one value",
            rows + 1
        )
    );
}

/// The header's quote never closed: exit 2, naming it.
#[test]
fn a_header_quote_never_closed_is_refused() {
    let w = Work::with_tenant();
    refused(
        &w,
        "h.csv",
        b"User Name,\"Display Name\r\nann.lee,Ann\r\n\r\n",
        "line 1: the quote that opens column 2 of the header is never closed; lines 1–2 were read \
         as one header cell",
    );
    refused(
        &w,
        "h2.csv",
        b"version:v1.0\r\nUser Name,\"Display Name",
        "line 2: the quote that opens column 2 of the header is never closed; the rest of line 2",
    );
}

/// A line break inside quotes, refused as a control character, is named
/// in words with the lines it spans (here far into a big file, where the
/// lines are those of the whole file).
#[test]
fn a_line_break_inside_quotes_is_described_in_words() {
    let w = Work::with_tenant();
    let rows = 70_000;
    let mut csv = crate::util::users_csv("b", rows);
    csv.push_str("ann.lee,,,\"Ann\r\nLee\",,,,,,,,\"1 Main St\n\nBack door\",,,,,,,,\r\n");
    let (code, log) = verify(&w, "breaks.csv", csv.as_bytes());
    assert_eq!(code, 1);
    let line = rows as u64 + 2;
    assert_eq!(
        log.lines_columns_codes(),
        [
            (line, Some("Display Name"), "control_chars"),
            (line, Some("Address"), "control_chars"),
        ]
    );
    assert_eq!(
        log.findings[0].message,
        format!(
            "Display Name contains a line break inside quotes (lines {line}–{}); put the value on \
             one line",
            line + 1
        )
    );
    assert_eq!(
        log.findings[1].message,
        format!(
            "Address contains a line break inside quotes (lines {}–{}); put the value on one line",
            line + 1,
            line + 3
        )
    );
    assert!(log.findings.iter().all(|f| !f.message.contains("\\u{")));
}

/// An empty header cell over values is a warning naming the column by
/// position, once; one over an empty column is ignored.
#[test]
fn an_empty_header_cell_over_values_warns_once() {
    let w = Work::with_tenant();
    let bytes = b"User Name,Display Name,,City,,\r\n\
        ann.lee,Ann,,Paris,,\r\n\
        bob.lee,Bob,x,Rome,,\r\n\
        cat.lee,Cat,y,Oslo,,\r\n";
    let (code, log) = verify(&w, "unnamed.csv", bytes);
    assert_eq!(code, 0);
    assert_eq!(log.lines_columns_codes(), [(1, None, "unknown_column")]);
    assert_eq!(
        log.findings[0].message,
        "column 3 has no header but holds values (the first on line 3); its values are ignored: \
         name the column, or delete it"
    );
}

/// The record of a quote never closed holds the rest of the file, other
/// rows' passwords with it: the annotated copy leaves that text out.
#[test]
fn a_quote_never_closed_leaves_no_password_in_the_annotated_copy() {
    let w = Work::with_tenant();
    let f = w.write(
        "pw.csv",
        "User Name,Display Name,Password\r\nann.lee,\"Ann Lee,Qz7!first-secret\r\n\
         bob.lee,Bob,Qz7!second-secret\r\n",
    );
    let annotated = w.path("annotated.csv");
    let (code, log) = w.verify(&f, &["--annotated", annotated.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(log.codes(), ["unclosed_quote"]);
    let copy = String::from_utf8(w.read("annotated.csv")).unwrap();
    assert!(!copy.contains("secret"), "{copy}");
    assert!(
        copy.contains("ann.lee") && copy.contains("never closed"),
        "{copy}"
    );
}
