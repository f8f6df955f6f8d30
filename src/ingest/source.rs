//! Where the CSV bytes come from: a file on disk, or standard input (`-`).
//!
//! Standard input is read into memory once, because a file may need a
//! second pass (a Windows-1252 file is only known as such at its end, and
//! is then read again) and a pipe cannot be rewound. Files are opened once
//! per pass and streamed, so their size does not matter.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;

/// A readable CSV input.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Memory { name: String, bytes: Arc<[u8]> },
}

impl Source {
    /// The command-line argument: a path, or `-` for standard input.
    pub fn from_arg(arg: &Path) -> Result<Source, Error> {
        if arg.as_os_str() == "-" {
            let mut bytes = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("<stdin>", e))?;
            return Ok(Source::Memory {
                name: "<stdin>".into(),
                bytes: bytes.into(),
            });
        }
        let meta = std::fs::metadata(arg).map_err(|e| Error::io(arg.display(), e))?;
        if meta.is_dir() {
            return Err(Error::input(arg.display(), "is a folder, not a CSV file"));
        }
        Ok(Source::File(arg.to_path_buf()))
    }

    /// In-memory bytes under a display name (tests, fuzzing).
    pub fn from_bytes(name: &str, bytes: impl Into<Arc<[u8]>>) -> Source {
        Source::Memory {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    /// How findings and messages name this input.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Memory { name, .. } => name.clone(),
        }
    }

    /// Size in bytes, for progress bars.
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Source::Memory { bytes, .. } => Some(bytes.len() as u64),
        }
    }

    /// Opens the input from its first byte.
    pub fn open(&self) -> Result<Box<dyn Read + Send>, Error> {
        match self {
            Source::File(p) => {
                let f = File::open(p).map_err(|e| Error::io(p.display(), e))?;
                Ok(Box::new(f))
            }
            Source::Memory { bytes, .. } => Ok(Box::new(Cursor::new(Arc::clone(bytes)))),
        }
    }
}
