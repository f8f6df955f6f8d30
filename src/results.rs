//! The results file of a commit: `User Name,Display Name,Password,Licenses`
//! for every created user. It is the one file that holds plaintext
//! passwords, so it is created with mode 0600, never overwrites an existing
//! file, and is opened *before* the transaction: if it cannot be created, no
//! users are created whose passwords would be lost.
//!
//! UTF-8 with a BOM and CRLF, for Excel. A value that starts with
//! `= + - @` is written with a leading `'` so Excel shows it as text rather
//! than running it; the `'` is not part of the value (generated passwords
//! never start with such a character).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::report::formula_safe;

pub const HEADER: [&str; 4] = ["User Name", "Display Name", "Password", "Licenses"];

/// An open, still empty results file.
pub struct ResultsFile {
    path: PathBuf,
    file: Option<File>,
}

impl ResultsFile {
    /// Creates `path` (mode 0600); fails if it exists.
    pub fn create(path: &Path) -> Result<ResultsFile> {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::usage(format!(
                    "{}: the results file already exists; choose another --results path \
                     (it would hold passwords, so it is never overwritten)",
                    path.display()
                ))
            } else {
                Error::io(path.display(), e)
            }
        })?;
        Ok(ResultsFile {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the rows and closes the file.
    pub fn write<'a>(mut self, rows: impl Iterator<Item = [&'a str; 4]>) -> Result<PathBuf> {
        let shown = self.path.display().to_string();
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::usage("results file already written"))?;
        let mut out = BufWriter::new(file);
        out.write_all(b"\xEF\xBB\xBF")
            .map_err(|e| Error::io(&shown, e))?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let io = |e: csv::Error| Error::io(&shown, e.into());
        w.write_record(HEADER).map_err(io)?;
        for row in rows {
            w.write_record(row.iter().map(|c| formula_safe(c).into_owned()))
                .map_err(io)?;
        }
        w.flush().map_err(|e| Error::io(&shown, e))?;
        Ok(self.path.clone())
    }

    /// Removes the unused file (the commit did not happen).
    pub fn discard(mut self) {
        self.file.take();
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for ResultsFile {
    fn drop(&mut self) {
        // Dropped unwritten (an error on the way): leave no empty file.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let f = ResultsFile::create(&p).unwrap();
        assert!(ResultsFile::create(&p).is_err());
        f.write([["a@x", "A", "-Pw1!", "E3"]].into_iter()).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("a@x,A,'-Pw1!,E3\r\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn dropped_unwritten_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        drop(ResultsFile::create(&p).unwrap());
        assert!(!p.exists());
    }
}
