//! The `onboard` binary: parse, run, print the error and pick the exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let json = onboard::cli::asks_for_json(std::env::args_os());
    let cli = match onboard::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are answers, not errors.
            if json && e.use_stderr() {
                let error = onboard::Error::usage(e.render().to_string().trim().to_string());
                onboard::cli::print_json_error(&error, false);
            }
            e.exit()
        }
    };
    let commit = matches!(cli.command, onboard::cli::Command::Commit(_));
    match onboard::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(onboard::Error::ClosedStdout) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("onboard: {e}");
            if json {
                onboard::cli::print_json_error(&e, commit);
            }
            ExitCode::from(onboard::cli::exit_code(&e))
        }
    }
}
