//! A password in memory: never printed by `Debug` or `Display`, wiped when
//! dropped.
//!
//! Every plaintext password the program holds (read from the file or
//! generated) lives in a [`Secret`], so an accidental `{:?}` in a log line or
//! a panic message shows `(hidden)`.

use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The plaintext, for hashing and for the outputs the administrator
    /// asked for (results file, results email).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::rules::HIDDEN)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_value() {
        let s = super::Secret::new("Hunter2!x");
        assert_eq!(format!("{s:?}"), "(hidden)");
    }
}
