//! The terminal face: the command line ([`args`], clap), one module per
//! command, and printing ([`output`]); [`dispatch`] picks the command.

pub mod actor;
pub mod args;
pub mod audit;
pub mod bars;
pub mod batch;
pub mod commit;
pub mod demo;
pub mod domain;
pub mod group;
pub mod interrupt;
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
pub use args::*;
use bars::Bars;
use output::Out;

/// What every command gets from the global options.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub config: Config,
    pub format: Format,
    /// Bars on the terminal, and Ctrl-C.
    pub progress: Bars,
    /// Where the command's data goes.
    pub out: Out,
}

impl Ctx {
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// The one `Config`, from the global options and the environment: the
/// only place below `main` that reads it (besides clap's `env` options).
/// A setting that does not parse is ignored, as before, except the argon2
/// cost, whose mistakes are worth an error.
pub fn config(db: PathBuf) -> Result<Config> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let number = |name: &str| var(name).and_then(|v| v.trim().parse::<u64>().ok());
    let mut config = Config::new(db);
    config.argon2 = Cost::from_setting(var("ONBOARD_ARGON2").as_deref())?;
    if let Some(from) = var("ONBOARD_MAIL_FROM") {
        config.mail_from = from;
    }
    let s = &mut config.store;
    if let Some(ms) = number("ONBOARD_BUSY_TIMEOUT_MS") {
        s.busy_timeout = std::time::Duration::from_millis(ms);
    }
    if let Some(n) = number("ONBOARD_SEARCH_BLOCK_BYTES") {
        s.search_block_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = number("ONBOARD_SEARCH_KEEP") {
        s.search_keep = usize::try_from(n).unwrap_or(usize::MAX);
    }
    s.actor = actor::current();
    test_hooks(s);
    Ok(config)
}

/// The test hooks (SPEC §11): a settable clock and a cap on the store's
/// size, read only by builds with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
fn test_hooks(s: &mut crate::store::Settings) {
    let number = |name: &str| std::env::var(name).ok()?.trim().parse::<i64>().ok();
    s.now = number("ONBOARD_NOW");
    s.max_page_count = number("ONBOARD_MAX_PAGE_COUNT").and_then(|n| u64::try_from(n).ok());
}

/// A release build has no test hooks: the real clock, no cap.
#[cfg(not(feature = "test-hooks"))]
fn test_hooks(_: &mut crate::store::Settings) {}

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

/// The exit status of SPEC §2 for an error that stopped a command.
pub fn exit_code(e: &crate::Error) -> u8 {
    use crate::Error;
    match e {
        e if e.is_refused() => 3,
        Error::Committed { .. } => 4,
        Error::Interrupted(_) => 130,
        Error::ClosedStdout => 0,
        _ => 2,
    }
}

/// An error's JSON with the exit status it means here.
pub fn error_json(e: &crate::Error) -> serde_json::Value {
    let mut v = e.to_json();
    v["exit"] = exit_code(e).into();
    v
}

pub fn dispatch(cli: Cli) -> Result<Exit> {
    let ctx = Ctx {
        config: config(cli.db)?,
        format: cli.format,
        progress: Bars::new(cli.quiet),
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
        Command::Batch(c) => batch::run(&ctx, c),
        Command::Audit(c) => audit::run(&ctx, c),
        Command::Demo { dir } => demo::run(&ctx, dir),
    }
}
