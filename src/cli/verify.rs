//! `onboard verify`: the log on standard output; exit 0 when there are no
//! errors (warnings allowed), 1 when there are.

use super::Ctx;
use crate::cli::BatchArgs;
use crate::error::{Error, Exit, Result};
use crate::ops;
use crate::report::{self, LogFormat};
use crate::rules::Verification;

pub fn run(ctx: &Ctx, args: &BatchArgs) -> Result<Exit> {
    let log = ops::verify::verify(&ctx.config, &args.into(), &ctx.progress)?;
    print_log(ctx, &log)?;
    Ok(if log.has_errors() {
        Exit::Invalid
    } else {
        Exit::Success
    })
}

/// The log on standard output, in `--format`.
pub fn print_log(ctx: &Ctx, log: &Verification) -> Result<()> {
    let format = match ctx.format {
        super::Format::Text => LogFormat::Text,
        super::Format::Json => LogFormat::Json,
        super::Format::Csv => LogFormat::Csv,
    };
    ctx.out.with(|out| report::write(log, format, out))
}

/// The log on standard error, as text: it accompanies other data.
pub fn print_log_to_stderr(log: &Verification) -> Result<()> {
    report::write(log, LogFormat::Text, &mut std::io::stderr().lock())
        .map_err(|e| Error::io("<stderr>", e))
}
