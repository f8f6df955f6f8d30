//! Running the real binary in a fresh folder per test, with a store made the
//! way the README makes one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// A temporary folder with a store in it.
pub struct Work {
    pub dir: TempDir,
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "the binary panicked:\n{}",
            run.stderr
        );
        run
    }

    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_onboard")
}

impl Work {
    /// An empty folder.
    pub fn empty() -> Work {
        Work {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A folder with tenant `contoso` (domains contoso.onmicrosoft.com,
    /// contoso.com, federated fabrikam.com) and ENTERPRISEPACK seats.
    pub fn contoso(seats: u64) -> Work {
        let w = Work::empty();
        w.run(&[
            "tenant",
            "add",
            "contoso",
            "--domain",
            "contoso.onmicrosoft.com",
            "--location",
            "US",
        ])
        .ok();
        w.run(&["domain", "add", "--tenant", "contoso", "contoso.com"])
            .ok();
        w.run(&[
            "domain",
            "add",
            "--tenant",
            "contoso",
            "fabrikam.com",
            "--federated",
        ])
        .ok();
        w.run(&[
            "license",
            "add",
            "--tenant",
            "contoso",
            "ENTERPRISEPACK",
            "--seats",
            &seats.to_string(),
        ])
        .ok();
        w
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("onboard.db")
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// A command with `--db` set, run in the folder, with a low argon2 cost
    /// so tests that create many users stay fast.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.dir.path())
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env("ONBOARD_ARGON2", "m=64,t=1,p=1")
            .env_remove("ONBOARD_SMTP_URL")
            .env_remove("ONBOARD_DB")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    /// Every row of every table, in a stable order: equal dumps mean an
    /// unchanged store.
    pub fn dump(&self) -> String {
        dump(&self.db())
    }

    pub fn count(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open(self.db()).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

pub fn dump(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY rowid"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
    }
    out
}

/// A CSV of `n` valid users (our template, bare aliases `u<prefix><i>`).
pub fn users_csv(prefix: &str, n: usize) -> String {
    let mut s = String::from(
        "User Name,First Name,Last Name,Display Name,Job Title,Department,Office Number,Office Phone,\
         Mobile Phone,Fax,Alternate email address,Address,City,State or Province,ZIP or Postal Code,\
         Country or Region,Usage Location,Password\r\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "u{prefix}{i},First{i},Last{i},User {prefix} {i},Engineer,R&D,B{i},+1 425 555 {:04},,,,1 Main St,\
             Redmond,WA,98052,United States,US,\r\n",
            i % 10_000
        ));
    }
    s
}
