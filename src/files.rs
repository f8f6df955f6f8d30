//! Writing files without ever costing the administrator one (SPEC §11).
//!
//! - [`PathGuard`]: before a command opens the store or reads its input,
//!   each output it was asked to write is compared with the store (and its
//!   `-wal`, `-shm` and `-journal` files), the input, and the command's
//!   other outputs. Paths are compared after resolving symbolic links (a
//!   dangling link too: what it would create is what counts), and a file
//!   that exists is also compared by device and inode, so a hard link to
//!   the store is caught as well. A clash is a usage error (exit 2) naming
//!   both files.
//! - [`Staged`]: a file is written beside its place under a temporary
//!   name and moved there only when the command ends in a way that keeps
//!   its outputs. A file the user named ([`Name::Replace`]) is then
//!   renamed over the old one in one step, so a run that fails or is
//!   killed leaves the old file as it was. A file onboard names itself
//!   ([`Name::Unique`]) never replaces anything: when its name is taken it
//!   gets `-2`, `-3` ... before the extension, and the caller prints the
//!   name used.
//! - [`private_file_options`]: files that hold passwords or their hashes
//!   are created with mode 0600, before a byte is written.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How many symbolic links are followed before a path is taken as it is
/// (the kernel's own limit for one lookup).
const MAX_LINKS: usize = 40;

/// One file a command must not overwrite, as found on disk.
#[derive(Debug, Clone)]
struct Identity {
    /// What the file is, for messages ("the store", "the input file").
    what: String,
    /// The path as given, for messages.
    shown: PathBuf,
    /// The absolute path with every link resolved.
    resolved: PathBuf,
    /// Device and inode, when the file exists.
    id: Option<(u64, u64)>,
}

impl Identity {
    fn of(what: impl Into<String>, path: &Path) -> Identity {
        let resolved = resolve(path);
        Identity {
            what: what.into(),
            shown: path.to_path_buf(),
            id: file_id(&resolved),
            resolved,
        }
    }

    fn same_file(&self, other: &Identity) -> bool {
        self.resolved == other.resolved || (self.id.is_some() && self.id == other.id)
    }
}

/// The files a command must leave alone, and the outputs it has accepted.
#[derive(Debug, Default)]
pub struct PathGuard {
    taken: Vec<Identity>,
}

impl PathGuard {
    pub fn new() -> PathGuard {
        PathGuard::default()
    }

    /// The store and the files SQLite keeps beside it. Their names are
    /// protected both as given and as resolved, because SQLite names its
    /// `-wal` file after the path it opened.
    pub fn store(mut self, db: &Path) -> PathGuard {
        self.taken.push(Identity::of("the store", db));
        let resolved = resolve(db);
        for suffix in ["-wal", "-shm", "-journal"] {
            for base in [db, resolved.as_path()] {
                let mut name = base.as_os_str().to_owned();
                name.push(suffix);
                self.taken.push(Identity::of(
                    format!("the store's {suffix} file"),
                    Path::new(&name),
                ));
            }
        }
        self
    }

    /// The input file (`-`, standard input, is no file).
    pub fn input(mut self, file: &Path) -> PathGuard {
        if file.as_os_str() != "-" {
            self.taken.push(Identity::of("the input file", file));
        }
        self
    }

    /// Accepts `path` as the output of `option` unless it is a protected
    /// file or an output already accepted.
    pub fn output(&mut self, option: &str, path: &Path) -> Result<()> {
        if path.is_dir() {
            return Err(Error::usage(format!(
                "{option} {} is a folder; give a file name",
                path.display()
            )));
        }
        let candidate = Identity::of(format!("the {option} file"), path);
        if let Some(clash) = self.taken.iter().find(|t| t.same_file(&candidate)) {
            let same_name = clash.shown == candidate.shown;
            let which = if same_name {
                String::new()
            } else {
                format!(" ({})", clash.shown.display())
            };
            return Err(Error::usage(format!(
                "{option} {} would overwrite {}{which}; give the {} another name. Nothing was \
                 read or changed",
                path.display(),
                clash.what,
                option.trim_start_matches('-'),
            )));
        }
        self.taken.push(candidate);
        Ok(())
    }

    /// [`PathGuard::output`] for an optional path.
    pub fn maybe_output(&mut self, option: &str, path: Option<&Path>) -> Result<()> {
        match path {
            Some(p) => self.output(option, p),
            None => Ok(()),
        }
    }
}

/// `path` made absolute, with its symbolic links resolved: the links of its
/// folders by the file system, the last component's links (which may point
/// to a file that does not exist yet) one by one.
fn resolve(path: &Path) -> PathBuf {
    let mut p = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for _ in 0..MAX_LINKS {
        let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            break;
        }
        let Ok(target) = std::fs::read_link(&p) else {
            break;
        };
        p = match p.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => match std::fs::canonicalize(dir) {
            Ok(dir) => dir.join(name),
            Err(_) => p,
        },
        _ => std::fs::canonicalize(&p).unwrap_or(p),
    }
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// Options that create a new file only its owner can read and write
/// (`create_new`: an existing file is an error; change it for the cases
/// that want otherwise).
pub fn private_file_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// How a staged file takes its final name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    /// The user named it: an existing file of that name is replaced.
    Replace,
    /// The user named it, and it must not exist (the results file).
    New,
    /// onboard chose it: a taken name becomes `name-2.ext`, `name-3.ext` ...
    Unique,
}

/// Mode bits of a new staged file: 0600 for files with secrets, else what
/// the umask allows, or the mode of the file being replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    Private,
    Ordinary,
}

/// A file being written beside its final place.
#[derive(Debug)]
pub struct Staged {
    temp: tempfile::NamedTempFile,
    dest: PathBuf,
    name: Name,
}

impl Staged {
    /// A new, empty temporary file in `dest`'s folder. A missing folder is
    /// an error now, before anything else is done.
    pub fn create(dest: &Path, name: Name, privacy: Privacy) -> Result<Staged> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "onboard".into());
        let prefix = format!("{file_name}.");
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".partial");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = match (privacy, name) {
                (Privacy::Private, _) => 0o600,
                (Privacy::Ordinary, Name::Replace) => std::fs::metadata(dest)
                    .map(|m| m.permissions().mode() & 0o777)
                    .unwrap_or(0o666),
                (Privacy::Ordinary, _) => 0o666,
            };
            b.permissions(std::fs::Permissions::from_mode(mode));
        }
        let temp = b
            .tempfile_in(dir)
            .map_err(|e| Error::io(dest.display(), explain_create(e, dir)))?;
        Ok(Staged {
            temp,
            dest: dest.to_path_buf(),
            name,
        })
    }

    /// The file to write into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// A second handle on the file, for a writer that owns its file.
    pub fn handle(&self) -> Result<File> {
        self.temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::io(self.dest.display(), e))
    }

    /// Where the file is until it is published.
    #[cfg(test)]
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes the file's bytes to the disk: a full disk shows here, before
    /// anything depends on the file.
    pub fn sync(&self) -> Result<()> {
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| Error::io(self.dest.display(), e))
    }

    /// Moves the file to its final name and returns that name. On failure
    /// the temporary file is removed, unless `keep_on_failure`: then the
    /// error names where it stayed.
    pub fn publish(self) -> Result<PathBuf> {
        self.finish(false).map_err(|(e, _)| e)
    }

    /// [`Staged::publish`] for a file that must not be lost (the passwords
    /// of a committed batch): when it cannot take its name, it stays where
    /// it is, and the error's second half is that path.
    pub fn publish_or_keep(self) -> std::result::Result<PathBuf, (Error, PathBuf)> {
        self.finish(true)
            .map_err(|(e, p)| (e, p.unwrap_or_default()))
    }

    fn finish(self, keep: bool) -> std::result::Result<PathBuf, (Error, Option<PathBuf>)> {
        let Staged {
            mut temp,
            dest,
            name,
        } = self;
        let mut n = 1u32;
        loop {
            let target = match name {
                Name::Unique => numbered(&dest, n),
                _ => dest.clone(),
            };
            let result = match name {
                Name::Replace => temp.persist(&target),
                Name::New | Name::Unique => temp.persist_noclobber(&target),
            };
            match result {
                Ok(_) => {
                    sync_folder(&target);
                    return Ok(target);
                }
                Err(e)
                    if name == Name::Unique && e.error.kind() == io::ErrorKind::AlreadyExists =>
                {
                    temp = e.file;
                    n += 1;
                }
                Err(e) => {
                    let error = if e.error.kind() == io::ErrorKind::AlreadyExists {
                        Error::usage(format!(
                            "{}: the file appeared meanwhile and is not replaced",
                            target.display()
                        ))
                    } else {
                        Error::io(target.display(), e.error)
                    };
                    if !keep {
                        return Err((error, None));
                    }
                    return match e.file.keep() {
                        Ok((_, path)) => Err((error, Some(path))),
                        Err(k) => Err((error, Some(k.file.path().to_path_buf()))),
                    };
                }
            }
        }
    }
}

/// `path` itself for `n == 1`, else `stem-n.ext` beside it.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    if n <= 1 {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

/// The first of `path`, `stem-2.ext`, `stem-3.ext` ... that does not exist
/// yet (for folders and stores, which are not staged).
pub fn unused_name(path: &Path) -> PathBuf {
    (1..)
        .map(|n| numbered(path, n))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| path.to_path_buf())
}

/// Makes a rename durable: the folder's entry is on disk too.
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// A clearer error for a temporary file that cannot be created.
fn explain_create(e: io::Error, dir: &Path) -> io::Error {
    if e.kind() == io::ErrorKind::NotFound {
        io::Error::new(
            e.kind(),
            format!("the folder {} does not exist", dir.display()),
        )
    } else {
        e
    }
}

/// The staged outputs of one command, published together when it ends in
/// a way that keeps its outputs (exit 0, 1 or 4), dropped otherwise.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<Staged>,
}

impl Outputs {
    /// Adds each staged file there is.
    pub fn add_all(&mut self, files: impl IntoIterator<Item = Option<Staged>>) {
        self.staged.extend(files.into_iter().flatten());
    }

    /// Publishes every staged file, in the order they were added; the
    /// final names.
    pub fn publish(self) -> Result<Vec<PathBuf>> {
        self.staged.into_iter().map(Staged::publish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn guard(dir: &Path) -> PathGuard {
        PathGuard::new()
            .store(&dir.join("onboard.db"))
            .input(&dir.join("in.csv"))
    }

    #[test]
    fn refuses_the_store_its_companions_the_input_and_a_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("onboard.db"), b"store").unwrap();
        std::fs::write(d.join("in.csv"), b"input").unwrap();
        for bad in ["onboard.db", "onboard.db-wal", "onboard.db-shm", "in.csv"] {
            let err = guard(d).output("--log", &d.join(bad)).unwrap_err();
            assert_eq!(err.code(), "usage", "{bad}");
        }
        let dotted = d.join("sub/../onboard.db");
        std::fs::create_dir(d.join("sub")).unwrap();
        assert!(guard(d).output("--log", &dotted).is_err());
        let mut g = guard(d);
        g.output("--log", &d.join("log.csv")).unwrap();
        let err = g.output("--annotated", &d.join("log.csv")).unwrap_err();
        assert!(err.to_string().contains("the --log file"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn sees_through_symbolic_and_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("onboard.db"), b"store").unwrap();
        std::os::unix::fs::symlink(d.join("onboard.db"), d.join("soft")).unwrap();
        std::fs::hard_link(d.join("onboard.db"), d.join("hard")).unwrap();
        // A dangling link to where SQLite will put its WAL.
        std::os::unix::fs::symlink("onboard.db-wal", d.join("dangling")).unwrap();
        for bad in ["soft", "hard", "dangling"] {
            assert!(guard(d).output("-o", &d.join(bad)).is_err(), "{bad}");
        }
        assert!(guard(d).output("-o", &d.join("other")).is_ok());
    }

    #[test]
    fn staged_files_replace_atomically_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("log.txt");
        std::fs::write(&dest, b"old").unwrap();
        let mut s = Staged::create(&dest, Name::Replace, Privacy::Ordinary).unwrap();
        s.file().write_all(b"new").unwrap();
        drop(s);
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let mut s = Staged::create(&dest, Name::Replace, Privacy::Ordinary).unwrap();
        s.file().write_all(b"new").unwrap();
        assert_eq!(s.publish().unwrap(), dest);
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn names_onboard_picks_never_replace() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("r.csv");
        std::fs::write(&dest, b"keep").unwrap();
        std::fs::write(dir.path().join("r-2.csv"), b"keep too").unwrap();
        let s = Staged::create(&dest, Name::Unique, Privacy::Private).unwrap();
        assert_eq!(s.publish().unwrap(), dir.path().join("r-3.csv"));
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep");
        let s = Staged::create(&dest, Name::New, Privacy::Private).unwrap();
        let (err, kept) = s.publish_or_keep().unwrap_err();
        assert_eq!(err.code(), "usage");
        assert!(kept.exists());
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep");
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_from_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = Staged::create(&dir.path().join("r.csv"), Name::New, Privacy::Private).unwrap();
        let mode = std::fs::metadata(s.temp_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let p = s.publish().unwrap();
        let mode = std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn numbered_names() {
        assert_eq!(numbered(Path::new("a/r.csv"), 1), Path::new("a/r.csv"));
        assert_eq!(numbered(Path::new("a/r.csv"), 2), Path::new("a/r-2.csv"));
        assert_eq!(numbered(Path::new("outbox"), 3), Path::new("outbox-3"));
    }
}
