//! `onboard template blank` and `onboard template sample` (SPEC §3): the
//! bytes on standard output, or written to `-o FILE` (`ops::templates`).

use serde::Serialize;

use super::Ctx;
use crate::cli::TemplateCommand;
use crate::error::{Exit, Result};
use crate::ops::templates::{self, Kind};

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
    let (kind, args) = match cmd {
        TemplateCommand::Blank(a) => (Kind::Blank, a),
        TemplateCommand::Sample(a) => (Kind::Sample, a),
    };
    let bytes = kind.bytes();
    let file = match &args.output {
        Some(path) => {
            let written = templates::write(kind, path, args.force, &ctx.config.db)?;
            eprintln!("wrote {}", written.display());
            Some(written.display().to_string())
        }
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
            template: kind.name(),
            bytes: bytes.len(),
            content: file
                .is_none()
                .then_some(text.trim_start_matches('\u{feff}')),
            file,
        })?;
    }
    Ok(Exit::Success)
}
