//! The results file of a commit: `User Name,Display Name,Password,Licenses,
//! Roles,Sign-in` for every created user (SPEC §13: roles joined with `;`,
//! sign-in `allowed` or `blocked`). It is the one file that holds plaintext
//! passwords, and after the commit it may be their only copy (SPEC §11):
//!
//! - it is written in full, with mode 0600 from its first byte, and synced
//!   to disk *before* the transaction opens, beside its final name: a full
//!   disk or a missing folder refuses the commit (exit 2) instead of
//!   committing users whose passwords would be lost;
//! - after the commit it is moved to its name without replacing anything
//!   (a `--results` path that exists is refused before anything is read;
//!   the default name gets `-2`, `-3` ... if it is taken); if that move
//!   fails, the file stays where it was written and the message says where;
//! - it is removed only when the transaction did not commit.
//!
//! UTF-8 with a BOM and CRLF, for Excel. A value that starts with
//! `= + - @` is written with a leading `'` so Excel shows it as text rather
//! than running it; the `'` is not part of the value (generated passwords
//! never start with such a character).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::{Name, Privacy, Staged};
use crate::report::formula_safe;

pub const HEADER: [&str; 6] = [
    "User Name",
    "Display Name",
    "Password",
    "Licenses",
    "Roles",
    "Sign-in",
];

/// Refuses a `--results` path that exists: it may hold the passwords of an
/// earlier batch.
pub fn check_new(path: &Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::usage(format!(
            "--results {}: the file already exists; choose another name (a results file may hold \
             the only copy of a batch's passwords, so it is never replaced). Nothing was read or \
             changed",
            path.display()
        )));
    }
    Ok(())
}

/// A results file written in full and synced, waiting for its name.
#[derive(Debug)]
pub struct ResultsFile {
    staged: Staged,
}

impl ResultsFile {
    /// Writes the rows beside `dest` and syncs them to disk. `chosen` is
    /// true when onboard picked the name (it then never replaces a file).
    pub fn write<'a>(
        dest: &Path,
        chosen: bool,
        rows: impl Iterator<Item = [&'a str; 6]>,
    ) -> Result<ResultsFile> {
        let name = if chosen { Name::Unique } else { Name::New };
        let mut staged = Staged::create(dest, name, Privacy::Private)?;
        let shown = dest.display().to_string();
        {
            let mut out = BufWriter::new(staged.file());
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
        }
        staged.sync()?;
        Ok(ResultsFile { staged })
    }

    /// Where the rows are until [`ResultsFile::publish`].
    #[cfg(test)]
    pub fn temp_path(&self) -> &Path {
        self.staged.temp_path()
    }

    /// Moves the file to its name (the transaction has committed). When it
    /// cannot be, the file is kept where it is, and the error comes with
    /// that path.
    pub fn publish(self) -> std::result::Result<PathBuf, (Error, PathBuf)> {
        self.staged.publish_or_keep()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_written_before_its_name_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        let row = ["a@x", "A", "-Pw1!", "E3", "user", "allowed"];
        let f = ResultsFile::write(&p, false, [row].into_iter()).unwrap();
        assert!(!p.exists());
        let text = std::fs::read_to_string(f.temp_path()).unwrap();
        assert!(text.contains("a@x,A,'-Pw1!,E3,user,allowed\r\n"));
        assert_eq!(f.publish().unwrap(), p);
        assert!(check_new(&p).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // The default name of a later batch moves aside.
        let f = ResultsFile::write(&p, true, std::iter::empty()).unwrap();
        assert_eq!(f.publish().unwrap(), dir.path().join("r-2.csv"));
    }

    #[test]
    fn dropped_before_the_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        drop(ResultsFile::write(&p, false, std::iter::empty()).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_missing_folder_is_an_error_before_anything() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/r.csv");
        let err = ResultsFile::write(&p, false, std::iter::empty()).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
