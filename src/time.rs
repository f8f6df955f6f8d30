//! Times as people and scripts read them: RFC 3339 in UTC
//! (`2025-03-01T09:30:00Z`) for JSON and CSV, a readable form for text
//! (`2025-03-01 09:30:00 UTC`), and the `--since` values a person types (an
//! RFC 3339 time with any offset, or a bare date meaning midnight UTC).
//!
//! The store keeps times as Unix seconds in UTC, and onboard never shows
//! local time, so the calendar arithmetic needed is that of the proleptic
//! Gregorian calendar on whole days (Howard Hinnant's `days_from_civil`
//! and `civil_from_days`): about sixty lines, tested below on every day
//! from year 0 to 9999, rather than a date-time crate and its time-zone
//! machinery. Years outside 0000–9999 cannot be written in RFC 3339 and
//! are neither parsed nor produced (a time outside is clamped when shown).

use serde::Serializer;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range RFC 3339 can
/// write.
const MIN: i64 = -62_167_219_200;
const MAX: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The fields of a time, clamped to the years RFC 3339 can write.
fn fields(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let secs = secs.clamp(MIN, MAX);
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    (y, m, d, s / 3600, s % 3600 / 60, s % 60)
}

/// `2025-03-01T09:30:00Z`: Unix seconds as RFC 3339 in UTC.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d, h, min, s) = fields(secs);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
}

/// `2025-03-01 09:30:00 UTC`: the same time for a person.
pub fn readable(secs: i64) -> String {
    let (y, m, d, h, min, s) = fields(secs);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02} UTC")
}

/// For `#[serde(serialize_with = "crate::time::serialize")]` on Unix seconds.
pub fn serialize<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*secs))
}

/// The same for optional Unix seconds (`null` for none).
pub fn serialize_option<S: Serializer>(secs: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match secs {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
}

/// Unix seconds of `text`: an RFC 3339 time (`2025-03-01T09:30:00Z`,
/// `2025-03-01T10:30:00+01:00`, fractions of a second allowed, `T` or a
/// space between date and time, any case) or a date alone
/// (`2025-03-01`, midnight UTC). A fraction of a second is rounded up, so
/// that "at or after" this time means the same on whole seconds. `None`
/// for anything else, an impossible date (`2025-02-30`) included.
pub fn parse(text: &str) -> Option<i64> {
    let t = text.trim().as_bytes();
    let (date, rest) = t.split_at_checked(10)?;
    let days = date_of(date)?;
    if rest.is_empty() {
        return Some(days * DAY);
    }
    let (sep, rest) = rest.split_first()?;
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (clock, mut rest) = rest.split_at_checked(8)?;
    let (h, m, s) = (num(&clock[0..2])?, num(&clock[3..5])?, num(&clock[6..8])?);
    // RFC 3339 allows a leap second (:60); Unix time folds it into the next.
    if clock[2] != b':' || clock[5] != b':' || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut round_up = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        round_up = i64::from(frac[..digits].iter().any(|&b| b != b'0'));
        rest = &frac[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let (oh, om) = (num(&[*oh1, *oh2])?, num(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(days * DAY + h * 3600 + m * 60 + s + round_up - offset)
}

/// Days since 1970-01-01 of `YYYY-MM-DD`, if it is a real date.
fn date_of(d: &[u8]) -> Option<i64> {
    if d.len() != 10 || d[4] != b'-' || d[7] != b'-' {
        return None;
    }
    let y = num(&d[0..4])?;
    let m = u32::try_from(num(&d[5..7])?).ok()?;
    let day = u32::try_from(num(&d[8..10])?).ok()?;
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, day))
}

/// The number an ASCII run of digits spells.
fn num(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &b| n * 10 + i64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_709_164_799), "2024-02-28T23:59:59Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(1_740_821_400), "2025-03-01T09:30:00Z");
        assert_eq!(rfc3339(1_796_233_646), "2026-12-02T17:47:26Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(MIN), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339(MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
        assert_eq!(readable(1_740_821_400), "2025-03-01 09:30:00 UTC");
    }

    #[test]
    fn every_day_round_trips() {
        let mut expected = MIN / DAY;
        for y in 0..=9999 {
            for m in 1..=12 {
                for d in 1..=days_in_month(y, m) {
                    let days = days_from_civil(y, m, d);
                    assert_eq!(days, expected, "{y}-{m}-{d}");
                    assert_eq!(civil_from_days(days), (y, m, d));
                    expected += 1;
                }
            }
        }
        assert_eq!(expected, MAX / DAY + 1);
    }

    #[test]
    fn parses_what_it_formats_and_what_people_type() {
        for secs in [MIN, -1, 0, 1, 951_782_400, 1_740_821_400, MAX] {
            assert_eq!(parse(&rfc3339(secs)), Some(secs), "{secs}");
        }
        let at = 1_740_821_400;
        assert_eq!(parse("2025-03-01"), Some(1_740_787_200));
        assert_eq!(parse(" 2025-03-01 "), Some(1_740_787_200));
        assert_eq!(parse("2025-03-01T09:30:00Z"), Some(at));
        assert_eq!(parse("2025-03-01t09:30:00z"), Some(at));
        assert_eq!(parse("2025-03-01 09:30:00Z"), Some(at));
        assert_eq!(parse("2025-03-01T10:30:00+01:00"), Some(at));
        assert_eq!(parse("2025-03-01T04:00:00-05:30"), Some(at));
        assert_eq!(parse("2025-03-01T09:30:00.000Z"), Some(at));
        assert_eq!(parse("2025-03-01T09:29:59.25Z"), Some(at));
        assert_eq!(parse("2025-02-28T23:59:60Z"), Some(1_740_787_200));
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for bad in [
            "",
            "yesterday",
            "2025-3-1",
            "2025-02-29",
            "2024-02-30",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-03-01T",
            "2025-03-01T09:30Z",
            "2025-03-01T09:30:00",
            "2025-03-01T24:00:00Z",
            "2025-03-01T09:60:00Z",
            "2025-03-01T09:30:61Z",
            "2025-03-01T09:30:00.Z",
            "2025-03-01T09:30:00+0100",
            "2025-03-01T09:30:00+24:00",
            "2025-03-01T09:30:00 UTC",
            "2025-03-01X09:30:00Z",
            "+025-03-01",
            "2025-03-01T09:30:00Zjunk",
            "２０２５-03-01",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
