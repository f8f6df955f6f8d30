//! The user names of a file given to a `users` command with `--file`
//! (SPEC §2): a CSV with at least a User Name column, in any of the
//! encodings and dialects of SPEC §4; every other column, Display Name
//! included, is optional and ignored, so a filled template or an export
//! works. Small enough to read with the csv crate in one pass, after the
//! sniff that decides the encoding.

use std::io::Read;

use super::dialect;
use super::encoding::{self, utf8_reader};
use super::records;
use super::source::Source;
use crate::columns::{self, Column};
use crate::error::Error;

/// One user name, and the physical line its record starts on (line 1 is
/// the header, or Entra's `version:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameLine {
    pub line: u64,
    /// Trimmed; empty when the row has no user name.
    pub name: String,
}

/// The user names of `source`, one per row with any value, in file order.
pub fn read(source: &Source) -> Result<Vec<NameLine>, Error> {
    let sniff = encoding::sniff(source, false)?;
    let mut raw = Vec::new();
    utf8_reader(source.open()?, sniff.encoding)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(source.name(), e))?;
    // The reader leaves Windows-1252 to the records parser (piece by
    // piece); a names file is decoded here, whole.
    let text = match sniff.encoding {
        encoding::TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(&raw)
            .0
            .into_owned()
            .into_bytes(),
        _ => raw,
    };
    let (skipped, breaks) = match dialect::is_version_line(&text) {
        true => (
            memchr::memchr(b'\n', &text).map_or(text.len(), |i| i + 1),
            1,
        ),
        false => (0, 0),
    };
    let body = &text[skipped..];
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect::detect_delimiter(body))
        .flexible(true)
        .has_headers(true)
        .from_reader(body);
    let headers = reader
        .byte_headers()
        .map_err(|e| Error::input(source.name(), format!("cannot be read as CSV: {e}")))?
        .clone();
    let column = headers
        .iter()
        .position(|h| Column::from_header(&String::from_utf8_lossy(h)) == Some(Column::UserName))
        .ok_or_else(|| {
            Error::input(
                source.name(),
                format!(
                    "line {}: the header has no \"User Name\" column; a file of users to change \
                     needs one (a filled template or `onboard users export` has it)\n  expected \
                     header: {}",
                    breaks + 1,
                    columns::template_header()
                ),
            )
        })?;
    let mut out = Vec::new();
    // Lines as SPEC §4 counts them (LF, CR, CRLF), from each record's
    // offset, counted on from the last one.
    let (mut counted, mut lines) = (0usize, breaks + 1);
    for record in reader.byte_records() {
        let record = record
            .map_err(|e| Error::input(source.name(), format!("cannot be read as CSV: {e}")))?;
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        // csv-core puts a record's start at the line break before it (the
        // LF of a CRLF): its first byte is past the line breaks.
        let mut at = record
            .position()
            .map_or(counted, |p| usize::try_from(p.byte()).unwrap_or(counted))
            .clamp(counted, body.len());
        while at < body.len() && matches!(body[at], b'\r' | b'\n') {
            at += 1;
        }
        lines += records::count_breaks(body, counted..at);
        counted = at;
        let line = lines;
        let name = String::from_utf8_lossy(record.get(column).unwrap_or_default())
            .trim()
            .to_string();
        out.push(NameLine { line, name });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(bytes: &[u8]) -> Result<Vec<(u64, String)>, Error> {
        let source = Source::from_bytes("t.csv", bytes.to_vec());
        Ok(read(&source)?
            .into_iter()
            .map(|n| (n.line, n.name))
            .collect())
    }

    #[test]
    fn user_names_with_their_lines_in_any_dialect() {
        let got = names(b"Display Name;User Name\r\nA;a@x.com\r\n\r\nB; b \r\n").unwrap();
        assert_eq!(got, [(2, "a@x.com".to_string()), (4, "b".to_string())]);
        let entra = b"version:v1.0\nName [displayName] Required,User name [userPrincipalName] Required\nA,a@x.com\n";
        assert_eq!(names(entra).unwrap(), [(3, "a@x.com".to_string())]);
        let latin = b"User Name,City\nj\xf6rg,M\xfcnchen\n";
        assert_eq!(names(latin).unwrap(), [(2, "j\u{f6}rg".to_string())]);
        let quoted = b"User Name,Address\n\"a\",\"1 Main St,\nSuite 4\"\nb,x\n";
        assert_eq!(
            names(quoted).unwrap(),
            [(2, "a".to_string()), (4, "b".to_string())]
        );
    }

    #[test]
    fn a_file_without_a_user_name_column_is_refused() {
        let err = names(b"Display Name,City\nA,Paris\n").unwrap_err();
        assert!(err.to_string().contains("no \"User Name\" column"), "{err}");
    }
}
