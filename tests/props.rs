//! Property tests through the library: whatever the bytes, reading and
//! verifying never panics, and the log's counts add up.

use indicatif::ProgressBar;
use onboard::ingest::{CsvInput, ReadSizes, Source, encoding};
use onboard::rules::Severity;
use onboard::rules::verify::{self, Verification};

use crate::util::fuzz_tenant;
use proptest::prelude::*;

/// Reads and verifies `bytes`; `None` when the file is refused (exit 2).
fn verify_bytes(bytes: Vec<u8>) -> Option<Verification> {
    let source = Source::from_bytes("prop.csv", bytes);
    let sniff = encoding::sniff(&source, false).ok()?;
    let mut input = CsvInput::open(&source, &sniff, &ProgressBar::hidden()).ok()?;
    let mut seen = 0u64;
    let outcome = verify::run(&mut input, &fuzz_tenant(), true, |rec, findings| {
        seen += 1;
        assert_eq!(rec.record, seen, "records are numbered in order");
        assert!(
            findings
                .iter()
                .all(|f| f.record == rec.record && f.line == rec.line)
        );
        Ok(())
    })
    .ok()?;
    let log = outcome.log;
    assert_eq!(log.rows, seen);
    assert_eq!(log.rows, log.valid_rows + log.invalid_rows);
    assert_eq!(outcome.users.len() as u64, log.valid_rows);
    let errors = log
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    assert_eq!(log.errors, errors as u64);
    assert_eq!(log.warnings as usize, log.findings.len() - errors);
    // Lines never go backwards.
    let lines: Vec<u64> = log
        .findings
        .iter()
        .filter(|f| f.record > 0)
        .map(|f| f.line)
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    // Every log writer copes with whatever the findings hold.
    for format in [
        onboard::report::LogFormat::Text,
        onboard::report::LogFormat::Csv,
        onboard::report::LogFormat::Json,
    ] {
        let mut out = Vec::new();
        onboard::report::write(&log, format, &mut out).unwrap();
    }
    Some(log)
}

/// Pieces of CSV and of headers, so that generated inputs get past the
/// header often enough to reach the rules.
const PIECES: &[&str] = &[
    ",",
    ",",
    ",",
    ";",
    "\t",
    "\"",
    "\r",
    "\n",
    "\r\n",
    " ",
    "a",
    "é",
    "=",
    "@",
    ".",
    "x",
    "User Name",
    "Display Name",
    "Password",
    "Usage Location",
    "Office Phone",
    "Alternate email address",
    "userPrincipalName",
    "displayName",
    "Block sign in (Yes/No) [accountEnabled] Required",
    "version:v1.0",
    "\u{feff}",
    "adele.vance",
    "ADELE.VANCE@contoso.onmicrosoft.com",
    "a@fabrikam.com",
    "gone@contoso.com",
    "Zq8!pw-x",
    "US",
    "+1 425",
    "x123",
];

fn csvish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|p| p.concat())
}

/// The text as one of the encodings a file may come in.
fn encode(text: &str, how: u8) -> Vec<u8> {
    match how % 5 {
        0 => text.as_bytes().to_vec(),
        1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        2 => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
        3 => {
            let mut v = vec![0xFE, 0xFF];
            v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            v
        }
        // Latin-1 bytes, as Windows-1252 would hold them.
        _ => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        verify_bytes(bytes);
    }

    #[test]
    fn csv_like_text_never_panics(
        header in prop::sample::select(&[
            "",
            "User Name,Display Name,Password\r\n",
            "User Name;Display Name;Office Phone;Usage Location\r\n",
            "userPrincipalName\tdisplayName\tpasswordProfile\taccountEnabled\n",
            "version:v1.0\r\nName [displayName] Required,User name [userPrincipalName] Required\r\n",
        ][..]),
        body in csvish(),
        how in 0u8..5,
    ) {
        let text = format!("{header}{body}");
        verify_bytes(encode(&text, how));
    }
}

/// Every record of `bytes` as (line, record number, fields), read with
/// blocks and pieces of the sizes given; `None` when the file is refused.
fn records(bytes: &[u8], sizes: ReadSizes) -> Option<Vec<(u64, u64, Vec<String>)>> {
    let source = Source::from_bytes("cut.csv", bytes.to_vec());
    let sniff = encoding::sniff(&source, false).ok()?;
    let mut input = CsvInput::open_sized(&source, &sniff, &ProgressBar::hidden(), sizes).ok()?;
    let mut out = Vec::new();
    while let Some(pieces) = input.next_pieces().unwrap() {
        for piece in &pieces {
            for rec in piece.records() {
                let fields = rec.fields.iter().map(str::to_string).collect();
                out.push((rec.line, rec.record, fields));
            }
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Blocks and pieces are cut at line breaks that may turn out to be
    /// inside quotes; whatever the sizes, the records, their lines and
    /// their numbers are those of one sequential read.
    #[test]
    fn cuts_never_change_the_records(
        body in csvish(),
        how in 0u8..5,
        block in 1usize..48,
        piece in 1usize..24,
    ) {
        let text = format!("User Name,Display Name,Password\r\n{body}");
        let bytes = encode(&text, how);
        let whole = records(&bytes, ReadSizes { block: 1 << 20, piece: 1 << 20 });
        let cut = records(&bytes, ReadSizes { block, piece });
        prop_assert_eq!(cut, whole);
    }
}

/// Whatever the encoding, the same text gives the same findings.
#[test]
fn encodings_agree_on_a_fixed_text() {
    let text = "User Name;Display Name;Office Phone\r\nadele.vance;Adèle;call\r\n\
                \"two\r\nlines\";Zoë;+1 425\r\nADELE.VANCE@contoso.onmicrosoft.com;José;\r\n";
    let reference = verify_bytes(encode(text, 0)).unwrap();
    assert_eq!(reference.rows, 3);
    // invalid_phone and already_exists; invalid_username (a line break);
    // duplicate_in_file and already_exists.
    assert_eq!(reference.errors, 5);
    for how in 1..5 {
        let log = verify_bytes(encode(text, how)).unwrap();
        let key = |l: &Verification| -> Vec<(u64, u64, &'static str)> {
            l.findings
                .iter()
                .filter(|f| f.code.as_str() != "encoding")
                .map(|f| (f.line, f.record, f.code.as_str()))
                .collect()
        };
        assert_eq!(key(&log), key(&reference), "encoding {how}");
    }
}
