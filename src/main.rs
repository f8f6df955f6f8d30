//! The `onboard` binary: parse, run, print the error and pick the exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = onboard::cli::Cli::parse();
    match onboard::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            eprintln!("onboard: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
