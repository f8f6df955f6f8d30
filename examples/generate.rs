//! Writes a generated users file, for measuring `onboard verify` by hand:
//!
//! ```sh
//! cargo run --release --example generate -- users-1m.csv 1000000 5
//! onboard verify users-1m.csv --tenant contoso
//! ```
//!
//! Arguments: PATH ROWS [INVALID_PER_MILLE (default 5)] [SEED (default 1)]
//! [--admins] [--earlier | --managers]: with `--admins`, rows shaped like
//! administrators' real exports (CJK names, quoted nicknames, commas in
//! quoted cells); with `--earlier`, the 18-column header of earlier
//! versions; with `--managers`, every row's Manager another row's user
//! name, before or after it.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let profile = match args.iter().position(|a| a == "--admins") {
        Some(i) => {
            args.remove(i);
            generate::Profile::Admins
        }
        None => generate::Profile::Plain,
    };
    let mut columns = generate::Columns::Template;
    for (flag, c) in [
        ("--earlier", generate::Columns::Earlier),
        ("--managers", generate::Columns::Managers),
    ] {
        if let Some(i) = args.iter().position(|a| a == flag) {
            args.remove(i);
            columns = c;
        }
    }
    let usage =
        "usage: generate PATH ROWS [INVALID_PER_MILLE] [SEED] [--admins] [--earlier | --managers]";
    let (Some(path), Some(rows)) = (args.first(), args.get(1).and_then(|r| r.parse().ok())) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let invalid = match args.get(2).map(|s| s.parse::<u32>()) {
        None => 5,
        Some(Ok(n)) if n <= 1000 => n,
        Some(_) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let seed = match args.get(3).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let written = File::create(path).and_then(|f| {
        let mut out = BufWriter::with_capacity(1 << 20, f);
        let shape = generate::Shape { profile, columns };
        generate::write_shaped(&mut out, rows, invalid, seed, shape)
    });
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {rows} rows to {path} ({invalid} per mille invalid, seed {seed}, {profile:?}, \
                 {columns:?})"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
