//! Temporary passwords: generating them, and hashing every password with
//! argon2id before it goes near the store.
//!
//! The generator draws from `rand::rng()` (ChaCha12 seeded from the OS, a
//! CSPRNG) and always meets the policy of `rules::password`, which its tests
//! check. Hashing uses OWASP's argon2id parameters (m = 19 MiB, t = 2, p = 1)
//! and stores the PHC string, which carries its own parameters and salt, so
//! a later change of cost does not break older hashes. Hashing is the slow
//! step of a commit (~27 ms a hash on one core), so it runs on all cores
//! before the transaction opens.

use std::cell::RefCell;

use crate::progress::{Progress, Unit};
use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordHash, PasswordVerifier, Version,
};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rules::password::problems;
use crate::secret::Secret;

/// Length of a generated password.
pub const GENERATED_LEN: usize = 16;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
/// Symbols that survive CSV files, email bodies and being read aloud: no
/// quotes, backslash, comma, semicolon, angle brackets or space.
const SYMBOLS: &[u8] = b"!#$%&*+-=?@^_~";

/// A new temporary password that meets the policy and does not contain
/// `alias`. Look-alike characters (I, l, O, 0, 1) are left out because these
/// passwords are read off a sheet and typed.
pub fn generate(alias: &str) -> Secret {
    let mut rng = rand::rng();
    loop {
        let mut chars: Vec<u8> = Vec::with_capacity(GENERATED_LEN);
        for set in [UPPER, LOWER, DIGITS, SYMBOLS] {
            chars.push(*set.choose(&mut rng).unwrap_or(&b'x'));
        }
        let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
        while chars.len() < GENERATED_LEN {
            chars.push(all[rng.random_range(0..all.len())]);
        }
        chars.shuffle(&mut rng);
        // A leading = + - @ would be taken for a formula in a spreadsheet.
        if !chars[0].is_ascii_alphanumeric() {
            continue;
        }
        let candidate = String::from_utf8(chars).unwrap_or_default();
        if problems(&candidate, alias).is_empty() {
            return Secret::new(candidate);
        }
    }
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Cost {
    /// OWASP's recommendation for argon2id.
    pub const OWASP: Cost = Cost {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// OWASP's equivalent minimums for argon2id with one lane: memory in
    /// KiB and passes, each pair as strong as the others.
    const OWASP_MINIMUMS: [(u32, u32); 5] = [
        (46 * 1024, 1),
        (19 * 1024, 2),
        (12 * 1024, 3),
        (9 * 1024, 4),
        (7 * 1024, 5),
    ];

    /// The cost given as `ONBOARD_ARGON2` (`m=19456,t=2,p=1`), for tests and
    /// benchmarks that create many users; OWASP's when it is not set.
    pub fn from_setting(setting: Option<&str>) -> Result<Cost> {
        match setting.map(str::trim) {
            Some(v) if !v.is_empty() => Cost::parse(v),
            _ => Ok(Cost::OWASP),
        }
    }

    /// Weaker than every one of OWASP's minimums: worth a warning wherever
    /// it hashes.
    pub fn is_below_owasp(&self) -> bool {
        !Self::OWASP_MINIMUMS
            .iter()
            .any(|&(m, t)| self.m_kib >= m && self.t >= t)
    }

    pub fn parse(s: &str) -> Result<Cost> {
        let mut cost = Cost::OWASP;
        for part in s.split(',') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let n: u32 = v.trim().parse().map_err(|_| bad_cost(s))?;
            match k.trim() {
                "m" => cost.m_kib = n,
                "t" => cost.t = n,
                "p" => cost.p = n,
                _ => return Err(bad_cost(s)),
            }
        }
        cost.hasher()?;
        Ok(cost)
    }

    fn hasher(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.m_kib, self.t, self.p, None).map_err(|e| {
            Error::usage(format!(
                "ONBOARD_ARGON2: {e} (m is in KiB, at least 8 per lane; t ≥ 1; p ≥ 1)"
            ))
        })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

fn bad_cost(s: &str) -> Error {
    Error::usage(format!(
        "ONBOARD_ARGON2 \"{s}\" is not like m=19456,t=2,p=1"
    ))
}

thread_local! {
    /// Each hashing thread keeps its argon2 memory (19 MiB at the default
    /// cost) for the next hash. Allocating and freeing it per hash, as
    /// `hash_password` does, let the allocator's footprint grow to over
    /// 600 MiB on a 1,000-user commit.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Hashes one password into a PHC string (`$argon2id$v=19$m=...`).
pub fn hash(argon: &Argon2<'_>, password: &Secret) -> Result<String> {
    // The error names the parameter at fault, never the password.
    let failed =
        |e: &dyn std::fmt::Display| Error::Internal(format!("password hashing failed: {e}"));
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let mut out = [0u8; 32];
    MEMORY
        .with_borrow_mut(|blocks| {
            let n = argon.params().block_count();
            if blocks.len() != n {
                blocks.clear();
                blocks.resize(n, Block::new());
            }
            argon.hash_password_into_with_memory(
                password.expose().as_bytes(),
                &salt,
                &mut out,
                &mut blocks[..],
            )
        })
        .map_err(|e| failed(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Hashes every password on all cores, in input order, advancing `bar`.
pub fn hash_all(cost: Cost, passwords: &[&Secret], progress: &dyn Progress) -> Result<Vec<String>> {
    let argon = cost.hasher()?;
    let meter = progress.meter("hashing", Unit::Items, Some(passwords.len() as u64));
    let hashes = passwords
        .par_iter()
        .map(|p| {
            // Ctrl-C stops a long hashing run (nothing is committed yet).
            if progress.cancelled() {
                return Err(Error::nothing_committed());
            }
            let h = hash(&argon, p);
            meter.inc(1);
            h
        })
        .collect();
    meter.finish();
    hashes
}

/// Whether `password` matches the PHC string `phc`.
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_below_every_owasp_minimum_are_flagged() {
        assert!(!Cost::OWASP.is_below_owasp());
        assert!(!Cost::parse("m=47104,t=1,p=1").unwrap().is_below_owasp());
        assert!(!Cost::parse("m=7168,t=5,p=1").unwrap().is_below_owasp());
        assert!(Cost::parse("m=19455,t=2,p=1").unwrap().is_below_owasp());
        assert!(Cost::parse("m=8,t=1,p=1").unwrap().is_below_owasp());
        assert_eq!(Cost::from_setting(None).unwrap(), Cost::OWASP);
        assert_eq!(Cost::from_setting(Some(" ")).unwrap(), Cost::OWASP);
    }

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..2000 {
            let p = generate("abc");
            assert_eq!(p.expose().len(), GENERATED_LEN);
            assert!(problems(p.expose(), "abc").is_empty(), "{}", p.expose());
        }
    }

    #[test]
    fn generated_passwords_differ() {
        let a = generate("x");
        let b = generate("x");
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let cost = Cost {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        let secret = Secret::new("Welcome-2026!");
        let hashes = hash_all(cost, &[&secret, &secret], &crate::progress::Quiet).unwrap();
        assert!(hashes[0].starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_ne!(hashes[0], hashes[1], "each hash has its own salt");
        assert!(!hashes[0].contains("Welcome-2026!"));
        assert!(verify(&hashes[0], "Welcome-2026!"));
        assert!(!verify(&hashes[0], "welcome-2026!"));
    }

    #[test]
    fn owasp_is_the_default_and_costs_parse() {
        assert_eq!(Cost::parse("m=19456,t=2,p=1").unwrap(), Cost::OWASP);
        assert_eq!(
            Cost::parse("m=64,t=1").unwrap(),
            Cost {
                m_kib: 64,
                t: 1,
                p: 1
            }
        );
        assert!(Cost::parse("m=1,t=1,p=1").is_err());
        assert!(Cost::parse("banana").is_err());
    }
}
