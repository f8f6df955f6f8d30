//! Property tests through the library: whatever the bytes, reading and
//! verifying never panics, and the log's counts add up.

use onboard::ingest::{CsvInput, ReadSizes, Source, encoding};
use onboard::progress::Meter;
use onboard::rules::Severity;
use onboard::rules::verify::{self, Verification};

use crate::util::fuzz_tenant;
use proptest::prelude::*;

/// Reads and verifies `bytes`; `None` when the file is refused (exit 2).
fn verify_bytes(bytes: Vec<u8>) -> Option<Verification> {
    let source = Source::from_bytes("prop.csv", bytes);
    let sniff = encoding::sniff(&source, false).ok()?;
    let mut input = CsvInput::open(&source, &sniff, &Meter::hidden()).ok()?;
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
    let mut input = CsvInput::open_sized(&source, &sniff, &Meter::hidden(), sizes).ok()?;
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

/// A piece of a cell for the encoding properties: ASCII, UTF-8 of more
/// than one byte, or bytes that are not UTF-8 on their own (some of them,
/// put together, may be: the expectations look at the bytes as written).
const CELL_PIECES: &[&[u8]] = &[
    b"a",
    b"Zo",
    b" ",
    "ë".as_bytes(),
    "€".as_bytes(),
    "李".as_bytes(),
    "😀".as_bytes(),
    b"\xE9",
    b"\xFC",
    b"\x80",
    b"\x81",
    b"\x9D",
    b"\xC3",
    b"\xE2\x82",
    b"\xFF",
];

fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(CELL_PIECES), 1..5).prop_map(|p| p.concat())
}

/// Verifies `bytes` read with blocks and pieces of `sizes`; the log and
/// each record's (line, fields).
fn verify_records(bytes: &[u8], sizes: ReadSizes) -> (Verification, Vec<(u64, Vec<String>)>) {
    let source = Source::from_bytes("enc.csv", bytes.to_vec());
    let sniff = encoding::sniff(&source, false).unwrap();
    let mut input = CsvInput::open_sized(&source, &sniff, &Meter::hidden(), sizes).unwrap();
    let mut rows = Vec::new();
    let outcome = verify::run(&mut input, &fuzz_tenant(), false, |rec, _| {
        rows.push((rec.line, rec.fields.iter().map(str::to_string).collect()));
        Ok(())
    })
    .unwrap();
    (outcome.log, rows)
}

/// Windows-1252 as the line decoder reads it (the five bytes it leaves
/// undefined as U+FFFD).
fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x81 | 0x8D | 0x8F | 0x90 | 0x9D => '\u{FFFD}',
            _ => {
                let byte = [b];
                let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                s.chars().next().unwrap()
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The encoding is decided per line (SPEC §11): a file with UTF-8 of
    /// more than one byte and lines that are not UTF-8 is UTF-8 with an
    /// `encoding` error on exactly those lines, naming the line, its first
    /// byte that is not UTF-8 and its column, and the other lines intact;
    /// a file with no such UTF-8 is Windows-1252 as a whole, one warning
    /// naming its first line that needed it, errors only on lines with a
    /// byte Windows-1252 leaves undefined; whatever the cuts.
    #[test]
    fn encodings_are_decided_line_by_line(
        rows in prop::collection::vec((cell(), cell()), 1..12),
        bom in any::<bool>(),
        crlf in any::<bool>(),
        block in 1usize..64,
        piece in 1usize..32,
    ) {
        let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(b"User Name,Display Name,City");
        bytes.extend_from_slice(end);
        let mut lines = Vec::new();
        for (i, (name, city)) in rows.iter().enumerate() {
            let line = [format!("u{i},").as_bytes(), name, b",", city].concat();
            bytes.extend_from_slice(&line);
            bytes.extend_from_slice(end);
            lines.push(line);
        }
        let body = &bytes[if bom { 3 } else { 0 }..];
        let multibyte = body.utf8_chunks().any(|c| !c.valid().is_ascii());
        let bad: Vec<usize> = (0..lines.len())
            .filter(|&i| std::str::from_utf8(&lines[i]).is_err())
            .collect();
        let sizes = ReadSizes { block, piece };
        let (log, records) = verify_records(&bytes, sizes);
        prop_assert_eq!(records.len(), rows.len());
        let encoding_findings: Vec<_> =
            log.findings.iter().filter(|f| f.code.as_str() == "encoding").collect();
        let whole_1252 = !bad.is_empty() && !multibyte;
        let expected_encoding = match (whole_1252, bom) {
            (true, _) => "windows-1252",
            (false, true) => "utf-8-bom",
            (false, false) => "utf-8",
        };
        prop_assert_eq!(log.encoding, expected_encoding);
        // (line, byte, column) of each line that is reported.
        let mut expected = Vec::new();
        for &i in &bad {
            let line = &lines[i];
            let undefined = |b: &u8| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D);
            // The first byte the line's decoding takes as not UTF-8.
            // (position, byte, character from 1) of each byte that is not.
            let (mut at, mut chars) = (0, 0);
            let mut firsts = Vec::new();
            for chunk in line.utf8_chunks() {
                at += chunk.valid().len();
                chars += chunk.valid().chars().count();
                for &b in chunk.invalid() {
                    chars += 1;
                    firsts.push((at, b, chars));
                    at += 1;
                }
            }
            let pick = match whole_1252 {
                false => firsts.first().copied(),
                true => firsts.iter().copied().find(|(_, b, _)| undefined(b)),
            };
            if let Some((pos, byte, chars)) = pick {
                let commas = line[..pos].iter().filter(|&&b| b == b',').count();
                let column = ["User Name", "Display Name", "City"][commas];
                expected.push((i as u64 + 2, (byte, chars), column));
            }
        }
        let errors: Vec<(u64, String, Option<&str>)> = encoding_findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| (f.line, f.message.clone(), f.column.map(|c| c.label())))
            .collect();
        prop_assert_eq!(errors.len(), expected.len(), "{:?} vs {:?}", errors, expected);
        for ((line, message, column), (want_line, (byte, chars), want_column)) in
            errors.iter().zip(&expected)
        {
            prop_assert_eq!(line, want_line);
            prop_assert_eq!(*column, Some(*want_column));
            let start = format!("line {want_line} ");
            let at = format!("(byte 0x{byte:02X}, character {chars}, in {want_column})");
            prop_assert!(message.starts_with(&start), "{}", message);
            prop_assert!(message.contains(&at), "{} {}", message, at);
        }
        let warnings: Vec<_> =
            encoding_findings.iter().filter(|f| f.severity == Severity::Warning).collect();
        match whole_1252 {
            true => {
                prop_assert_eq!(warnings.len(), 1);
                let first = format!("line {} is the first", bad[0] + 2);
                prop_assert!(warnings[0].message.contains(&first), "{}", warnings[0].message);
            }
            false => prop_assert!(warnings.is_empty()),
        }
        // The values: UTF-8 lines intact; the others decoded as
        // Windows-1252 where the file is, else byte by byte.
        for (i, ((line, fields), (name, city))) in records.iter().zip(&rows).enumerate() {
            prop_assert_eq!(*line, i as u64 + 2);
            let decode = |cell: &[u8]| match std::str::from_utf8(cell) {
                Ok(s) if !bad.contains(&i) => s.to_string(),
                _ if whole_1252 => windows_1252(cell),
                _ => cell
                    .utf8_chunks()
                    .map(|c| c.valid().to_string() + &windows_1252(c.invalid()))
                    .collect(),
            };
            let want = vec![format!("u{i}"), decode(name), decode(city)];
            prop_assert_eq!(fields, &want);
        }
    }

    /// Whatever the bytes, heavy in line breaks, quotes and bytes that are
    /// not UTF-8, and whatever the cuts, reading never panics.
    #[test]
    fn bytes_that_are_not_utf8_never_panic(
        body in prop::collection::vec(
            prop_oneof![
                any::<u8>(),
                prop::sample::select(&b"\r\n,\"\x81\x9D\xC3\xA9\xE2\x82\xAC\xF0"[..]),
            ],
            0..400,
        ),
        block in 1usize..64,
        piece in 1usize..32,
    ) {
        let bytes = [b"User Name,Display Name,Password\r\n".as_slice(), &body].concat();
        let source = Source::from_bytes("bytes.csv", bytes);
        if let Ok(sniff) = encoding::sniff(&source, false)
            && let Ok(mut input) = CsvInput::open_sized(
                &source,
                &sniff,
                &Meter::hidden(),
                ReadSizes { block, piece },
            )
        {
            let _ = verify::run_quietly(&mut input, &fuzz_tenant(), true);
        }
    }

    /// A quote opened at the start of any field of any row and never
    /// closed: that row's one finding, `unclosed_quote` in the column it
    /// opened, naming its line and the last line with text; the rows before
    /// it as they were; whatever the cuts, with or without a line break at
    /// the end.
    #[test]
    fn a_quote_never_closed_is_one_finding(
        rows in prop::collection::vec(
            (0u32..1000, prop::sample::select(&["Paris", "\"Rome, IT\"", "Zoë", ""][..])),
            1..10,
        ),
        open in (0usize..10, 0usize..3),
        trailing in prop::sample::select(&["", "\r\n", "\n", "\r\n\r\n", "\r"][..]),
        block in 1usize..64,
        piece in 1usize..32,
    ) {
        let header = ["User Name", "Display Name", "City"];
        let (row, field) = (open.0 % rows.len(), open.1);
        // Quoted cells before the quote that is never closed; none from
        // it on (a quote there would close it).
        let mut lines: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, (n, city))| {
                let city = if i >= row && city.contains('"') { "Oslo" } else { city };
                format!("user{i},Name {n},{city}")
            })
            .collect();
        let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
        cells[field].insert(0, '"');
        lines[row] = cells.join(",");
        let text = format!("{}\r\n{}{trailing}", header.join(","), lines.join("\r\n"));
        let source = Source::from_bytes("q.csv", text.clone().into_bytes());
        let sniff = encoding::sniff(&source, false).unwrap();
        let sizes = ReadSizes { block, piece };
        let mut input =
            CsvInput::open_sized(&source, &sniff, &Meter::hidden(), sizes).unwrap();
        let outcome = verify::run_quietly(&mut input, &fuzz_tenant(), false).unwrap();
        let log = outcome.log;
        prop_assert_eq!(log.rows as usize, row + 1, "{:?}", text);
        let line = row as u64 + 2;
        let last = lines.len() as u64 + 1;
        let unclosed: Vec<_> =
            log.findings.iter().filter(|f| f.code.as_str() == "unclosed_quote").collect();
        prop_assert_eq!(unclosed.len(), 1, "{:?} {:?}", text, log.findings);
        let f = unclosed[0];
        prop_assert_eq!((f.line, f.record), (line, row as u64 + 1));
        prop_assert_eq!(f.column.map(|c| c.label()), Some(header[field]));
        let read = match last > line {
            true => format!("lines {line}–{last} were read as one value"),
            false => format!("the rest of line {line} was read as one value"),
        };
        prop_assert_eq!(
            &f.message,
            &format!("the quote opened on line {line} ({}) is never closed; {read}", header[field])
        );
        // Its only finding; the rows before have none.
        prop_assert!(log.findings.iter().all(|g| g.record == f.record));
        prop_assert!(log.findings.len() == 1, "{:?}", log.findings);
    }
}
