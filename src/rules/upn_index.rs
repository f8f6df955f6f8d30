//! Compact indexes of user names: the ones already seen in the file, and the
//! tenant's existing users.
//!
//! A million-row file must not need a million `String`s just to spot
//! repeats, so names are reduced to a 128-bit key: XXH3-128 of the
//! lower-cased name, seeded at random for each run so that nobody can
//! prepare names that collide. Two different names sharing a key is about
//! as likely as a cosmic-ray bit flip (2^-128 per pair), and the store's
//! unique index still stands behind every commit. (Two SipHash values did
//! the same at eight times the cost; keys are made for every row.)

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::OnceLock;

/// The 128-bit key of a user name, case-insensitive: two 64-bit halves
/// (kept apart so a map entry needs no 16-byte alignment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UpnKey(u64, u64);

impl UpnKey {
    pub fn of(upn: &str) -> UpnKey {
        Self::hashed(upn.to_lowercase().as_bytes())
    }

    /// The key of `alias@domain`; a short ASCII name is lower-cased on
    /// the stack (this runs for every row, and for every Manager).
    pub fn of_parts(alias: &str, domain: &str) -> UpnKey {
        let mut buf = [0u8; 128];
        let n = alias.len() + 1 + domain.len();
        if n <= buf.len() && alias.is_ascii() && domain.is_ascii() {
            buf[..alias.len()].copy_from_slice(alias.as_bytes());
            buf[alias.len()] = b'@';
            buf[alias.len() + 1..n].copy_from_slice(domain.as_bytes());
            // Lower-cased ASCII is the UTF-8 of the lower-cased name.
            buf[..n].make_ascii_lowercase();
            return Self::hashed(&buf[..n]);
        }
        Self::hashed(format!("{alias}@{domain}").to_lowercase().as_bytes())
    }

    /// `lower`: the UTF-8 of a lower-cased name.
    fn hashed(lower: &[u8]) -> UpnKey {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| RandomState::new().hash_one(0x5eed_u64));
        let h = xxhash_rust::xxh3::xxh3_128_with_seed(lower, seed);
        UpnKey((h >> 64) as u64, h as u64)
    }

    /// Which of `n` shards the key belongs to (from the half the maps do
    /// not use as their hash, so each shard's map stays evenly spread).
    pub fn shard(self, n: usize) -> usize {
        (self.1 % n.max(1) as u64) as usize
    }
}

/// Keys are SipHash values already: hashing them again is wasted work, so
/// the maps only mix the two halves.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `UpnKey`; a plain FNV-1a keeps the type total.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }
}

type KeyMap<V> = HashMap<UpnKey, V, BuildHasherDefault<KeyHasher>>;

/// User names seen so far in the file, with where they were first used (a
/// line, or a record number).
#[derive(Debug, Default)]
pub struct DuplicateIndex {
    first: KeyMap<u64>,
}

impl DuplicateIndex {
    /// Records `key` at `at`; returns the first place if it was seen
    /// before.
    pub fn first_seen(&mut self, key: UpnKey, at: u64) -> Option<u64> {
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(at);
                None
            }
        }
    }

    /// Where `key` was first used, if it was.
    pub fn get(&self, key: UpnKey) -> Option<u64> {
        self.first.get(&key).copied()
    }
}

/// Whether an existing user is active or deleted (restorable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Active,
    Deleted,
}

/// The tenant's users, active and deleted, by key.
#[derive(Debug, Default)]
pub struct ExistingUsers {
    users: KeyMap<Existing>,
}

impl ExistingUsers {
    pub fn insert(&mut self, upn: &str, state: Existing) {
        self.users.insert(UpnKey::of(upn), state);
    }

    pub fn get(&self, key: UpnKey) -> Option<Existing> {
        self.users.get(&key).copied()
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case() {
        assert_eq!(
            UpnKey::of("John@Contoso.com"),
            UpnKey::of("john@contoso.COM")
        );
        assert_ne!(
            UpnKey::of("john@contoso.com"),
            UpnKey::of("jon@contoso.com")
        );
    }

    #[test]
    fn parts_give_the_same_key() {
        assert_eq!(
            UpnKey::of_parts("John", "Contoso.COM"),
            UpnKey::of("john@contoso.com")
        );
    }

    #[test]
    fn duplicates_name_the_first_line() {
        let mut d = DuplicateIndex::default();
        assert_eq!(d.first_seen(UpnKey::of("a@x"), 2), None);
        assert_eq!(d.first_seen(UpnKey::of("b@x"), 3), None);
        assert_eq!(d.first_seen(UpnKey::of("A@X"), 9), Some(2));
    }
}
