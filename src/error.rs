//! The errors that stop a command, and the exit status each one means.
//!
//! Findings about rows are not errors: they are data in the verification log
//! and decide exit status 1. What is here stops the run: exit 2 for a
//! command that could not run (usage, unreadable input, unknown tenant),
//! exit 3 for a commit the store's state refused. `main` is the only place
//! that prints these. Messages are lower case and name the file, line, user
//! or setting concerned, and never hold a password.

use std::fmt::Display;
use std::io;

use thiserror::Error;

/// Exit status of a command that ran to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (warnings allowed).
    Success = 0,
    /// The verification found errors; nothing was committed.
    Invalid = 1,
}

/// An error that stops a command.
#[derive(Debug, Error)]
pub enum Error {
    /// Bad command-line use: an option value, a combination, a limit.
    #[error("{0}")]
    Usage(String),

    /// The input file is unreadable or is not a usable CSV template.
    #[error("{file}: {message}")]
    Input { file: String, message: String },

    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },

    /// The tenant, SKU or user named on the command line does not exist.
    #[error("{0}")]
    NotFound(String),

    /// The store's state refused the change (seats, a user created meanwhile,
    /// the store locked past its timeout).
    #[error("{0}")]
    Refused(String),

    /// The store could not be opened or used.
    #[error("store {path}: {message}")]
    Store { path: String, message: String },

    /// Ctrl-C; the message says what was kept (exit 130).
    #[error("{0}")]
    Interrupted(String),

    /// A database error with no better explanation.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    pub fn input(file: impl Display, message: impl Into<String>) -> Error {
        Error::Input {
            file: file.to_string(),
            message: message.into(),
        }
    }

    pub fn io(path: impl Display, source: io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// The process exit status for this error (SPEC §2).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Refused(_) => 3,
            Error::Interrupted(_) => 130,
            Error::Sql(e) if is_busy(e) => 3,
            _ => 2,
        }
    }
}

/// Whether SQLite gave up waiting for another writer.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
