//! The settings every operation runs with, built once by a face from its
//! flags and the environment, and passed down: nothing below the faces
//! reads the environment.

use std::path::PathBuf;

use crate::password::Cost;
use crate::store;

/// The From address of notifications when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "onboard <onboard@localhost>";

/// What the operations need to know about where and how they run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store (`--db`, `ONBOARD_DB`).
    pub db: PathBuf,
    /// How the store behaves: busy timeout, search tuning, test hooks.
    pub store: store::Settings,
    /// The argon2id cost for new hashes (`ONBOARD_ARGON2`, else OWASP's).
    pub argon2: Cost,
    /// The From address of notifications (`ONBOARD_MAIL_FROM`).
    pub mail_from: String,
}

impl Config {
    /// A configuration for the store at `db` with the default settings.
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            store: store::Settings::default(),
            argon2: Cost::OWASP,
            mail_from: DEFAULT_MAIL_FROM.to_string(),
        }
    }
}
