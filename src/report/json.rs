//! The verification log as JSON for scripts: `{file, encoding, delimiter,
//! dialect, rows, valid_rows, invalid_rows, errors, warnings, findings}`.

use std::io::{self, Write};

use crate::rules::Verification;

pub fn write(log: &Verification, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, log)?;
    writeln!(out)
}
