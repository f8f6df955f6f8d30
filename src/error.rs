//! The errors that stop a command, and the exit status each one means
//! (SPEC §2).
//!
//! Findings about rows are not errors: they are data in the verification log
//! and decide exit status 1. What is here stops the run: exit 2 for a
//! command that could not run (usage, unreadable input, unknown tenant),
//! exit 3 for a change the store's state refused, exit 4 for a failure
//! after a batch was committed ([`Error::Committed`]: its message always
//! starts with the batch, so nobody takes it for "nothing happened"), 130
//! for Ctrl-C. The faces alone turn them into exit statuses
//! (`cli::exit_code`) or, later, HTTP statuses; `main` is the only place
//! that prints them, as text on standard error and, with `--format json`,
//! as one JSON document on standard output. Messages are lower case and name the file, line, user
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
    /// The store refused the change; the command reported it itself.
    Refused = 3,
    /// The change was committed, but not all of it went through (rows
    /// skipped, messages left queued); the command reported what.
    Partial = 4,
    /// Ctrl-C after the change was committed; the command reported what was
    /// kept.
    Interrupted = 130,
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

    /// A batch was committed, then something after its transaction failed
    /// (the results file's name, the delivery): exit 4.
    #[error("batch {batch} was committed ({users} users), but {message}")]
    Committed {
        batch: String,
        users: u64,
        message: String,
    },

    /// Something that cannot happen did, or a part of onboard itself failed
    /// (a built-in template, the hashing library): not the person's
    /// mistake, and said so.
    #[error("internal error: {0} (please report it)")]
    Internal(String),

    /// Standard output was closed by its reader (`onboard users list |
    /// head -1`): not an error, the command ends quietly with exit 0.
    #[error("standard output is closed")]
    ClosedStdout,

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

    /// A failed write to standard output: a closed pipe is the reader's
    /// choice, not an error.
    pub fn stdout(e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::ClosedStdout
        } else {
            Error::io("<stdout>", e)
        }
    }

    /// Ctrl-C before anything was committed.
    pub fn nothing_committed() -> Error {
        Error::Interrupted("interrupted: nothing was committed".into())
    }

    /// The store's state refused the change (seats, a race, a lock held
    /// past the timeout): nothing was written, and trying again may work.
    pub fn is_refused(&self) -> bool {
        match self {
            Error::Refused(_) => true,
            Error::Sql(e) => is_busy(e),
            _ => false,
        }
    }

    /// A stable name for the kind of error, for scripts (`--format json`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Input { .. } => "input",
            Error::Io { .. } => "io",
            Error::NotFound(_) => "not_found",
            Error::Refused(_) => "refused",
            Error::Store { .. } => "store",
            Error::Interrupted(_) => "interrupted",
            Error::Committed { .. } => "committed",
            Error::Internal(_) => "internal",
            Error::ClosedStdout => "closed_stdout",
            Error::Sql(e) if is_busy(e) => "refused",
            Error::Sql(_) => "database",
        }
    }

    /// `{"code", "message"}`: the `error` member of a JSON answer (the
    /// terminal face adds the exit status it chose).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code(),
            "message": self.to_string(),
        })
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
