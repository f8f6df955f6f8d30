//! The terminal face: the command line ([`args`], clap), one module per
//! command, and printing ([`output`]); [`dispatch`] picks the command.

pub mod args;
pub mod commit;
pub mod demo;
pub mod domain;
pub mod group;
pub mod license;
pub mod outbox;
pub mod output;
pub mod template;
pub mod tenant;
pub mod users;
pub mod verify;

use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Exit, Result};
use crate::password::Cost;
use crate::progress::Progress;
pub use args::*;
use output::Out;

/// What every command gets from the global options.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub config: Config,
    pub format: Format,
    pub progress: Progress,
    /// Where the command's data goes.
    pub out: Out,
}

impl Ctx {
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// The one [`Config`], from the global options and the environment: the
/// only place below `main` that reads it (besides clap's `env` options).
pub fn config(db: PathBuf) -> Result<Config> {
    let mut config = Config::new(db);
    config.argon2 = Cost::from_setting(std::env::var("ONBOARD_ARGON2").ok().as_deref())?;
    Ok(config)
}

/// Says so when a command about to hash uses a cost below OWASP's
/// minimum: `ONBOARD_ARGON2` is a real setting, and a weak one is never
/// silent.
pub fn warn_weak_cost(config: &Config) {
    let cost = config.argon2;
    if cost.is_below_owasp() {
        eprintln!(
            "warning: ONBOARD_ARGON2 (m={},t={},p={}) is below OWASP's minimum for argon2id \
             (m=19456,t=2,p=1): passwords hashed now are easier to crack",
            cost.m_kib, cost.t, cost.p
        );
    }
}

pub fn dispatch(cli: Cli) -> Result<Exit> {
    let ctx = Ctx {
        config: config(cli.db)?,
        format: cli.format,
        progress: Progress::new(cli.quiet),
        out: Out::Stdout,
    };
    match cli.command {
        Command::Tenant(c) => tenant::run(&ctx, c),
        Command::Domain(c) => domain::run(&ctx, c),
        Command::Group(c) => group::run(&ctx, c),
        Command::License(c) => license::run(&ctx, c),
        Command::Template(c) => template::run(&ctx, c),
        Command::Verify(args) => verify::run(&ctx, &args),
        Command::Commit(args) => commit::run(&ctx, &args),
        Command::Users(c) => users::run(&ctx, c),
        Command::Outbox(c) => outbox::run(&ctx, c),
        Command::Demo { dir } => demo::run(&ctx, dir),
    }
}
