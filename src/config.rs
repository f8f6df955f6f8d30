//! The settings every operation runs with, built once by a face from its
//! flags and the environment, and passed down: nothing below the faces
//! reads the environment.

use std::path::PathBuf;

use crate::password::Cost;

/// What the operations need to know about where and how they run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store (`--db`, `ONBOARD_DB`).
    pub db: PathBuf,
    /// The argon2id cost for new hashes (`ONBOARD_ARGON2`, else OWASP's).
    pub argon2: Cost,
}

impl Config {
    /// A configuration for the store at `db` with the default settings.
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            argon2: Cost::OWASP,
        }
    }
}
