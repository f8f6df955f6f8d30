//! A view of one record through the header: values by `Column`.

use crate::columns::{self, Column};
use crate::ingest::{Fields, HeaderMap};

/// One data record, read by column.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub line: u64,
    pub record: u64,
    /// Each column's value as written, looked up once: the rules read
    /// about thirty values a row.
    values: [&'a str; columns::COUNT],
    fields: Fields<'a>,
    header: &'a HeaderMap,
}

impl<'a> Row<'a> {
    pub fn new(line: u64, record: u64, fields: Fields<'a>, header: &'a HeaderMap) -> Self {
        let mut values = [""; columns::COUNT];
        for (col, value) in header.by_position().iter().zip(fields.iter()) {
            if let Some(col) = col {
                values[*col as usize] = value;
            }
        }
        Row {
            line,
            record,
            values,
            fields,
            header,
        }
    }

    /// The value as written; empty when the file has no such column.
    #[inline]
    pub fn raw(&self, col: Column) -> &'a str {
        self.values[col as usize]
    }

    /// Gives `col` the value `value` instead of the record's (a Display
    /// Name made of the first and last names).
    pub fn set(&mut self, col: Column, value: &'a str) {
        self.values[col as usize] = value;
    }

    /// The value with surrounding spaces trimmed (SPEC §4).
    pub fn get(&self, col: Column) -> &'a str {
        let v = self.raw(col);
        // Most values start and end with a visible ASCII character, and
        // then there is nothing to trim.
        match (v.as_bytes().first(), v.as_bytes().last()) {
            (Some(0x21..=0x7e), Some(0x21..=0x7e)) | (None, _) => v,
            _ => v.trim(),
        }
    }

    /// Whether no field has a control character (C0, DEL, C1, or the
    /// Unicode line and paragraph separators): one scan of the record's
    /// bytes, so that the per-column checks only run on the rare record
    /// that has one. The record's text holds its delimiters when it had no
    /// quotes; a tab delimiter looks like a control character to that scan,
    /// so a record that fails it is scanned again field by field.
    pub fn is_free_of_control_chars(&self) -> bool {
        is_free_of_control_bytes(self.fields.text().as_bytes())
            || self
                .fields
                .iter()
                .all(|f| is_free_of_control_bytes(f.as_bytes()))
    }

    /// Whether the record has as many fields as the header.
    pub fn width_matches(&self) -> bool {
        self.fields.len() == self.header.width()
    }

    pub fn width(&self) -> usize {
        self.fields.len()
    }

    /// A finding located on this row.
    pub fn error(&self, code: super::Code, col: Column) -> super::Finding {
        super::Finding::error(code, self.line, self.record, Some(col))
    }

    /// A warning located on this row.
    pub fn warning(&self, code: super::Code, col: Column) -> super::Finding {
        super::Finding::warning(code, self.line, self.record, Some(col))
    }
}

/// Whether `bytes` (UTF-8) hold no control character: C0, DEL, C1, U+2028
/// or U+2029, as [`super::text::is_control`] defines them (a test compares
/// the two on every character), a word at a time.
fn is_free_of_control_bytes(bytes: &[u8]) -> bool {
    // Eight bytes at a time: whether any byte is below 0x20 or is 0x7F
    // ("has less than" and "has zero byte", exact as yes/no answers).
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    let mut bad = 0u64;
    for w in words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let del = x ^ (ONES * 0x7f);
        bad |= (x.wrapping_sub(ONES * 0x20) & !x) | (del.wrapping_sub(ONES) & !del);
    }
    if bad & HIGHS != 0 || tail.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return false;
    }
    // C1 is U+0080..U+009F (C2 80..C2 9F); U+2028 and U+2029 are
    // E2 80 A8 and E2 80 A9.
    memchr::memchr2_iter(0xC2, 0xE2, bytes).all(|i| match bytes[i] {
        0xC2 => !matches!(bytes.get(i + 1), Some(0x80..=0x9F)),
        _ => !matches!(bytes.get(i + 1..i + 3), Some([0x80, 0xA8 | 0xA9])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::records::parse;

    #[test]
    fn the_byte_scan_agrees_with_the_one_definition_of_a_control_character() {
        for c in (0..0x3000u32)
            .chain(0xFFF0..0x10000)
            .filter_map(char::from_u32)
        {
            let mut buf = [0u8; 4];
            let one = c.encode_utf8(&mut buf).as_bytes();
            // Padded past eight bytes, so that the word-wise part sees it.
            let padded = [b"abcdefgh".as_slice(), one, b"ijklmnop"].concat();
            let free = !super::super::text::is_control(c);
            assert_eq!(is_free_of_control_bytes(one), free, "{c:?}");
            assert_eq!(is_free_of_control_bytes(&padded), free, "{c:?}");
        }
    }

    #[test]
    fn control_characters_anywhere_in_the_record() {
        let (header, _) = HeaderMap::parse(&["User Name", "Display Name"], false, 1).unwrap();
        let cases = [
            ("adele,Adèle Vance – Zoë €", b',', true),
            ("a,tab\there", b',', false),
            ("a,del\u{7f}", b',', false),
            ("a,c1 \u{85} next line", b',', false),
            ("a,\u{2028}", b',', false),
            ("a,\u{2029}", b',', false),
            ("a,\u{2027}\u{202a} À Ā", b',', true),
            ("0123456789abcdef,0123456789abcdef\u{1}", b',', false),
            ("0123456789abcde\u{1f},0123456789abcdef", b',', false),
            // Read in place, a record keeps its delimiters; tabs between
            // fields are not in any field.
            ("adele\tAdèle Vance", b'\t', true),
            ("adele\t\"Adèle\tVance\"", b'\t', false),
            ("\"adele\",\"Adèle\tVance\"", b',', false),
            ("\"adele\";\"Adèle Vance\"", b';', true),
        ];
        for (text, delimiter, clean) in cases {
            let p = parse(text.as_bytes(), delimiter, true, usize::MAX);
            let (line, fields) = p.get(0).unwrap();
            assert_eq!(fields.len(), 2, "{text:?}");
            let row = Row::new(line, 1, fields, &header);
            let by_chars = !fields
                .iter()
                .any(|f| f.chars().any(super::super::text::is_control));
            assert_eq!(row.is_free_of_control_chars(), clean, "{text:?}");
            assert_eq!(by_chars, clean, "{text:?}");
        }
    }
}
