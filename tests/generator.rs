//! The data generator of `benches/support/generate.rs`: deterministic,
//! clean when asked for no mistakes, about the asked share of invalid rows
//! otherwise.

use crate::generate::write_users;
use crate::util::Work;

fn generated(rows: usize, per_mille: u32, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_users(&mut out, rows, per_mille, seed).unwrap();
    out
}

#[test]
fn same_seed_same_bytes() {
    let a = generated(500, 50, 7);
    assert_eq!(a, generated(500, 50, 7));
    assert_ne!(a, generated(500, 50, 8));
    assert!(a.starts_with(b"\xEF\xBB\xBFUser Name,First Name,"));
    let text = String::from_utf8(a).unwrap();
    assert_eq!(text.matches("\r\n").count(), 501);
    assert_eq!(text.matches('\n').count(), 501);
}

#[test]
fn a_thousand_clean_rows_verify() {
    let w = Work::with_tenant();
    let f = w.write("clean.csv", generated(1000, 0, 42));
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 0, "{:?}", &log.findings[..log.findings.len().min(5)]);
    assert_eq!((log.rows, log.valid_rows), (1000, 1000));
    assert_eq!(
        log.warnings,
        0,
        "{:?}",
        &log.findings[..log.findings.len().min(5)]
    );
    assert_eq!(
        (log.encoding.as_str(), log.dialect.as_str()),
        ("utf-8-bom", "onboard")
    );
}

#[test]
fn fifty_per_mille_gives_about_five_percent_invalid_rows() {
    let w = Work::with_tenant();
    let f = w.write("dirty.csv", generated(1000, 50, 42));
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 1);
    log.assert_consistent();
    assert_eq!(log.rows, 1000);
    assert!(
        (30..=70).contains(&log.invalid_rows),
        "{} invalid rows",
        log.invalid_rows
    );
    // The mistakes are of many kinds.
    let mut kinds: Vec<&str> = log.codes();
    kinds.sort_unstable();
    kinds.dedup();
    for code in [
        "invalid_username",
        "unknown_domain",
        "invalid_phone",
        "invalid_email",
        "password_uppercase",
        "duplicate_in_file",
        "too_long",
        "required",
        "invalid_location",
    ] {
        assert!(kinds.contains(&code), "no {code} in {kinds:?}");
    }
}

#[test]
fn the_admins_profile_is_realistic_and_verifies_clean() {
    let mut out = Vec::new();
    crate::generate::write_profile(&mut out, 2000, 0, 3, crate::generate::Profile::Admins).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains("\"\""),
        "quoted nicknames with doubled quotes"
    );
    assert!(text.contains("Building "), "commas in quoted Office cells");
    assert!(
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "CJK names"
    );
    let records = csv::Reader::from_reader(&out[..]).records().count();
    assert_eq!(records, 2000);
    let w = Work::with_tenant();
    let f = w.write("admins.csv", &out);
    let (code, log) = w.verify(&f, &[]);
    assert_eq!(code, 0, "{:?}", &log.findings[..log.findings.len().min(5)]);
    assert_eq!((log.rows, log.warnings), (2000, 0));
}
