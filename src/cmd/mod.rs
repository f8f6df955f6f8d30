//! One module per command; [`dispatch`] picks it. A command checks its
//! options, wires the pipeline stages together and decides the exit status.

pub mod batch;
pub mod commit;
pub mod demo;
pub mod domain;
pub mod license;
pub mod outbox;
pub mod output;
pub mod template;
pub mod tenant;
pub mod users;
pub mod verify;

use std::path::PathBuf;

use crate::cli::{Cli, Command, Format};
use crate::error::{Exit, Result};
use crate::progress::Progress;
use output::Out;

/// What every command gets from the global options.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub db: PathBuf,
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

pub fn dispatch(cli: Cli) -> Result<Exit> {
    let ctx = Ctx {
        db: cli.db,
        format: cli.format,
        progress: Progress::new(cli.quiet),
        out: Out::Stdout,
    };
    match cli.command {
        Command::Tenant(c) => tenant::run(&ctx, c),
        Command::Domain(c) => domain::run(&ctx, c),
        Command::License(c) => license::run(&ctx, c),
        Command::Template(c) => template::run(&ctx, c),
        Command::Verify(args) => verify::run(&ctx, &args),
        Command::Commit(args) => commit::run(&ctx, &args),
        Command::Users(c) => users::run(&ctx, c),
        Command::Outbox(c) => outbox::run(&ctx, c),
        Command::Demo { dir } => demo::run(&ctx, dir),
    }
}
