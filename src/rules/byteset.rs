//! Sets of ASCII bytes as 256-entry tables. A membership test is one load,
//! where `b"...".contains(&b)` compares byte by byte; the rules test every
//! byte of several fields of every row against these sets.

/// A set of bytes.
pub struct ByteSet([bool; 256]);

impl ByteSet {
    /// ASCII letters and digits when `alphanumeric`, plus `extra`.
    pub const fn new(alphanumeric: bool, extra: &[u8]) -> ByteSet {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = alphanumeric && (b as u8).is_ascii_alphanumeric();
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i += 1;
        }
        ByteSet(t)
    }

    #[inline]
    pub fn contains(&self, b: u8) -> bool {
        self.0[b as usize]
    }

    /// Whether every byte of `bytes` is in the set.
    #[inline]
    pub fn all(&self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| self.contains(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership() {
        const S: ByteSet = ByteSet::new(true, b"-.");
        assert!(S.all(b"a-Z.9"));
        assert!(!S.contains(b' '));
        assert!(!S.contains(0xC3));
        const D: ByteSet = ByteSet::new(false, b"0123456789");
        assert!(D.all(b"42"));
        assert!(!D.contains(b'a'));
    }
}
