//! `onboard template blank` and `onboard template sample` (SPEC §3).
//!
//! Both are written as UTF-8 with a BOM and CRLF line ends so Excel opens
//! them correctly. The sample is `samples/users.csv`, built into the binary,
//! so the file a person tries first and the one the command writes are the
//! same bytes.

use std::io::Write;
use std::path::Path;

use crate::cli::TemplateCommand;
use crate::columns;
use crate::error::{Error, Exit, Result};

/// The sample template, exactly as shipped in `samples/`.
pub const SAMPLE: &[u8] = include_bytes!("../../samples/users.csv");

/// The blank template's bytes.
pub fn blank() -> Vec<u8> {
    format!("\u{feff}{}\r\n", columns::template_header()).into_bytes()
}

pub fn run(cmd: TemplateCommand) -> Result<Exit> {
    let (bytes, output) = match cmd {
        TemplateCommand::Blank { output } => (blank(), output),
        TemplateCommand::Sample { output } => (SAMPLE.to_vec(), output),
    };
    match output {
        Some(path) => write_file(&path, &bytes)?,
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| Error::io("<stdout>", e))?,
    }
    Ok(Exit::Success)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path.display(), e))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
