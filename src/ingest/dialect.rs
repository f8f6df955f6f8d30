//! The file's dialect: its delimiter, and which tool's header it follows.
//!
//! The delimiter is decided from the header line alone (SPEC §4): Excel in a
//! locale whose decimal mark is a comma writes semicolons, "Unicode text" is
//! tab separated, everything else uses commas. The header has no numbers or
//! free text in it, so counting candidates outside quotes is reliable.

use serde::Serialize;

/// Which template the header follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderStyle {
    /// The Microsoft 365 admin center's 16 columns.
    Microsoft365,
    /// Microsoft Entra "Bulk create users" (labels with `[property]`, or a
    /// `version:` line).
    Entra,
    /// Our template (the Microsoft 365 columns plus Usage Location,
    /// Password, Groups, Manager).
    Onboard,
    /// Google Workspace's user upload CSV (`Email Address [Required]`, ...).
    Google,
}

impl HeaderStyle {
    pub fn name(self) -> &'static str {
        match self {
            HeaderStyle::Microsoft365 => "microsoft365",
            HeaderStyle::Entra => "entra",
            HeaderStyle::Onboard => "onboard",
            HeaderStyle::Google => "google",
        }
    }
}

/// Delimiter plus header style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub style: HeaderStyle,
}

impl Dialect {
    /// The delimiter as people name it.
    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            _ => "comma",
        }
    }
}

/// Picks the delimiter that occurs most often outside quotes on the first
/// line of `head`; comma when there is none or a tie with comma.
pub fn detect_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Whether a line is Entra's `version:v1.0` first line.
pub fn is_version_line(head: &[u8]) -> bool {
    head.len() >= 8 && head[..8].eq_ignore_ascii_case(b"version:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_delimiters() {
        assert_eq!(detect_delimiter(b"User Name,Display Name\r\na;b;c;d"), b',');
        assert_eq!(detect_delimiter(b"User Name;Display Name;City"), b';');
        assert_eq!(detect_delimiter(b"User Name\tDisplay Name"), b'\t');
        assert_eq!(detect_delimiter(b"\"Name; the full one\",User Name"), b',');
        assert_eq!(detect_delimiter(b"User Name"), b',');
        assert_eq!(detect_delimiter(b""), b',');
    }

    #[test]
    fn version_line() {
        assert!(is_version_line(b"version:v1.0\r\n"));
        assert!(is_version_line(b"Version:v1.0,,,"));
        assert!(!is_version_line(b"User Name"));
    }
}
