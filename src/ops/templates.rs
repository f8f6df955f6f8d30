//! The blank and the sample template (SPEC §3), and writing one to a file.
//!
//! Both are UTF-8 with a BOM and CRLF line ends so Excel opens them
//! correctly. The sample is `samples/users.csv`, built into the binary, so
//! the file a person tries first and the one the command writes are the
//! same bytes. A file is never the store, never replaces an existing file
//! unless `force` (a filled template is the administrator's work), and with
//! `force` replaces it in one step (SPEC §11).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::columns;
use crate::error::{Error, Result};
use crate::files::{Name, PathGuard, Privacy, Staged};

/// The sample template, exactly as shipped in `samples/`.
pub const SAMPLE: &[u8] = include_bytes!("../../samples/users.csv");

/// Which template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Blank,
    Sample,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Blank => "blank",
            Kind::Sample => "sample",
        }
    }

    /// The template's bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Kind::Blank => blank(),
            Kind::Sample => SAMPLE.to_vec(),
        }
    }
}

/// The blank template's bytes.
pub fn blank() -> Vec<u8> {
    format!("\u{feff}{}\r\n", columns::template_header()).into_bytes()
}

/// Writes the template to `path` (never the store at `db`); the name used.
pub fn write(kind: Kind, path: &Path, force: bool, db: &Path) -> Result<PathBuf> {
    PathGuard::new().store(db).output("-o", path)?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::usage(format!(
            "{} already exists and may be a filled template; choose another name, or add --force \
             to replace it",
            path.display()
        )));
    }
    let name = if force { Name::Replace } else { Name::New };
    let mut staged = Staged::create(path, name, Privacy::Ordinary)?;
    staged
        .file()
        .write_all(&kind.bytes())
        .map_err(|e| Error::io(path.display(), e))?;
    staged.sync()?;
    staged.publish()
}
