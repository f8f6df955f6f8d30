//! `onboard template blank` and `onboard template sample` (SPEC §3).
//!
//! Both are written as UTF-8 with a BOM and CRLF line ends so Excel opens
//! them correctly. The sample is `samples/users.csv`, built into the binary,
//! so the file a person tries first and the one the command writes are the
//! same bytes.
//!
//! `-o FILE` never replaces an existing file unless `--force` (a filled
//! template is the administrator's work), never the store, and with
//! `--force` replaces it in one step (SPEC §11).

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::Ctx;
use crate::cli::{TemplateArgs, TemplateCommand};
use crate::columns;
use crate::error::{Error, Exit, Result};
use crate::files::{Name, PathGuard, Privacy, Staged};

/// The sample template, exactly as shipped in `samples/`.
pub const SAMPLE: &[u8] = include_bytes!("../../samples/users.csv");

/// The blank template's bytes.
pub fn blank() -> Vec<u8> {
    format!("\u{feff}{}\r\n", columns::template_header()).into_bytes()
}

/// What `--format json` prints.
#[derive(Debug, Serialize)]
struct Written<'a> {
    template: &'a str,
    file: Option<String>,
    bytes: usize,
    /// The template itself when it went to standard output.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
}

pub fn run(ctx: &Ctx, cmd: TemplateCommand) -> Result<Exit> {
    let (kind, bytes, args) = match cmd {
        TemplateCommand::Blank(a) => ("blank", blank(), a),
        TemplateCommand::Sample(a) => ("sample", SAMPLE.to_vec(), a),
    };
    let file = match &args.output {
        Some(path) => Some(write_file(ctx, path, &args, &bytes)?),
        None if ctx.json() => None,
        None => {
            return ctx
                .out
                .with(|w| w.write_all(&bytes))
                .map(|()| Exit::Success);
        }
    };
    if ctx.json() {
        let text = String::from_utf8_lossy(&bytes);
        ctx.out.json(&Written {
            template: kind,
            bytes: bytes.len(),
            content: file
                .is_none()
                .then_some(text.trim_start_matches('\u{feff}')),
            file,
        })?;
    }
    Ok(Exit::Success)
}

fn write_file(ctx: &Ctx, path: &Path, args: &TemplateArgs, bytes: &[u8]) -> Result<String> {
    PathGuard::new().store(&ctx.db).output("-o", path)?;
    if !args.force && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::usage(format!(
            "{} already exists and may be a filled template; choose another name, or add --force \
             to replace it",
            path.display()
        )));
    }
    let name = if args.force { Name::Replace } else { Name::New };
    let mut staged = Staged::create(path, name, Privacy::Ordinary)?;
    staged
        .file()
        .write_all(bytes)
        .map_err(|e| Error::io(path.display(), e))?;
    staged.sync()?;
    let written = staged.publish()?;
    eprintln!("wrote {}", written.display());
    Ok(written.display().to_string())
}
