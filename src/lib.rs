//! `onboard`: bulk user onboarding from a CSV template.
//!
//! The modules follow the pipeline, and data flows one way:
//! [`ingest`] turns bytes into records with their line numbers, [`rules`]
//! turns records into findings and checked users, [`report`] writes the
//! verification log, [`store`] applies checked users to the SQLite store.
//! [`cli`] is the terminal face: one module per command.

pub mod cli;
pub mod columns;
pub mod config;
pub mod error;
pub(crate) mod files;
pub mod finding;
pub mod ingest;
pub mod notify;
pub mod ops;
pub mod password;
pub mod progress;
pub mod report;
pub(crate) mod results;
pub mod rules;
pub mod secret;
pub mod store;
pub(crate) mod time;

pub use error::{Error, Exit, Result};

/// Runs one parsed command line.
pub fn run(cli: cli::Cli) -> Result<Exit> {
    cli::dispatch(cli)
}
