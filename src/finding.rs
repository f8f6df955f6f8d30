//! A finding: one problem with one value, where it is, and how bad. The
//! vocabulary `ingest`, `rules` and `report` share (a file-level notice of
//! ingest, a row's finding of rules, a line of the log).
//!
//! Codes are stable strings that scripts can match on (SPEC §5). A finding
//! about the Password column never carries the value: [`Finding::value`]
//! replaces it with `(hidden)`, so no writer has to remember to.

use serde::{Serialize, Serializer};

use crate::columns::Column;

/// Errors block a commit; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// The stable code of a finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    Required => "required",
    InvalidUsername => "invalid_username",
    UnknownDomain => "unknown_domain",
    FederatedDomain => "federated_domain",
    TooLong => "too_long",
    DuplicateInFile => "duplicate_in_file",
    AlreadyExists => "already_exists",
    DeletedUserExists => "deleted_user_exists",
    ControlChars => "control_chars",
    InvalidPhone => "invalid_phone",
    InvalidEmail => "invalid_email",
    UnknownCountry => "unknown_country",
    InvalidLocation => "invalid_location",
    PasswordLength => "password_length",
    PasswordUppercase => "password_uppercase",
    PasswordDigit => "password_digit",
    PasswordSymbol => "password_symbol",
    PasswordChars => "password_chars",
    PasswordContainsUsername => "password_contains_username",
    InvalidValue => "invalid_value",
    FieldCount => "field_count",
    UnclosedQuote => "unclosed_quote",
    TrimmedSpaces => "trimmed_spaces",
    UnknownColumn => "unknown_column",
    Encoding => "encoding",
    InsufficientSeats => "insufficient_seats",
    NoWelcomeAddress => "no_welcome_address",
    UnknownGroup => "unknown_group",
    TooManyGroups => "too_many_groups",
    UnknownManager => "unknown_manager",
    SelfManager => "self_manager",
    ManagerCycle => "manager_cycle",
    InvalidManagerRow => "invalid_manager_row",
    PasswordHashed => "password_hashed",
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What stands in for a password wherever a value would be shown.
pub const HIDDEN: &str = "(hidden)";

/// One problem found in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Physical line where the record starts; 0 for the file or the batch.
    pub line: u64,
    /// Data record number; 0 for the header, the file or the batch.
    pub record: u64,
    #[serde(serialize_with = "column_label")]
    pub column: Option<Column>,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub value: Option<String>,
}

fn column_label<S: Serializer>(c: &Option<Column>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.label()),
        None => s.serialize_none(),
    }
}

impl Finding {
    pub fn new(
        severity: Severity,
        code: Code,
        line: u64,
        record: u64,
        column: Option<Column>,
    ) -> Self {
        Finding {
            line,
            record,
            column,
            severity,
            code,
            message: String::new(),
            value: None,
        }
    }

    pub fn error(code: Code, line: u64, record: u64, column: Option<Column>) -> Self {
        Finding::new(Severity::Error, code, line, record, column)
    }

    pub fn warning(code: Code, line: u64, record: u64, column: Option<Column>) -> Self {
        Finding::new(Severity::Warning, code, line, record, column)
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Attaches the offending value, shortened for display; a password is
    /// never attached.
    pub fn value(mut self, value: &str) -> Self {
        self.value = Some(if self.column == Some(Column::Password) {
            HIDDEN.to_string()
        } else {
            shorten(value)
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// At most 120 characters of `s`, with an ellipsis when cut, so that a
/// 10 MB field does not become a 10 MB message.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 120;
    match s.char_indices().nth(MAX) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_values_are_hidden() {
        let f = Finding::error(Code::PasswordDigit, 2, 1, Some(Column::Password)).value("Secret!!");
        assert_eq!(f.value.as_deref(), Some(HIDDEN));
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(10_000);
        let f = Finding::error(Code::TooLong, 2, 1, Some(Column::City)).value(&long);
        assert_eq!(f.value.unwrap().chars().count(), 121);
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()));
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
        }
    }
}
