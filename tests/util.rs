//! What every integration test needs: a fresh work folder with its own
//! store, the built `onboard` binary run inside it, and the verification log
//! parsed from its JSON form.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;
use tempfile::TempDir;

/// The tenant every test verifies against, as `Work::with_tenant` creates it.
pub const TENANT: &str = "contoso";
pub const DEFAULT_DOMAIN: &str = "contoso.onmicrosoft.com";
pub const SEATS: u64 = 5;
/// The test tenant's groups: the ones the sample names.
pub const GROUPS: [&str; 3] = ["All Staff", "Sales", "Engineering"];

/// A fixture file of the repository.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A file of `samples/`.
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// Every password the fixtures hold (fixtures/passwords.txt); none may ever
/// be printed or written by `verify`.
pub fn fixture_passwords() -> Vec<String> {
    let text = fs::read_to_string(fixture("passwords.txt")).unwrap();
    let list: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(list.len() > 10, "passwords.txt looks truncated");
    list
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

impl Run {
    /// Asserts the exit status, showing both streams when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temporary folder with its own store, deleted when the test ends.
pub struct Work {
    dir: TempDir,
    db: PathBuf,
}

impl Work {
    /// An empty folder; the store does not exist yet.
    pub fn new() -> Work {
        let dir = tempfile::Builder::new()
            .prefix("onboard-test-")
            .tempdir()
            .unwrap();
        let db = dir.path().join("onboard.db");
        Work { dir, db }
    }

    /// A folder whose store has the test tenant: default domain
    /// contoso.onmicrosoft.com (location US), contoso.com managed,
    /// fabrikam.com federated, ENTERPRISEPACK with 5 seats, and the
    /// groups of the sample ([`GROUPS`]).
    pub fn with_tenant() -> Work {
        Work::with_seats(SEATS)
    }

    /// The test tenant with `seats` seats of ENTERPRISEPACK.
    pub fn with_seats(seats: u64) -> Work {
        let w = Work::new();
        w.run(&[
            "tenant",
            "add",
            TENANT,
            "--domain",
            DEFAULT_DOMAIN,
            "--location",
            "US",
            "--name",
            "Contoso",
        ])
        .expect(0);
        w.run(&["domain", "add", "--tenant", TENANT, "contoso.com"])
            .expect(0);
        w.run(&[
            "domain",
            "add",
            "--tenant",
            TENANT,
            "fabrikam.com",
            "--federated",
        ])
        .expect(0);
        w.run(&[
            "license",
            "add",
            "--tenant",
            TENANT,
            "ENTERPRISEPACK",
            "--seats",
            &seats.to_string(),
        ])
        .expect(0);
        let mut add = vec!["group", "add", "--tenant", TENANT];
        add.extend(GROUPS);
        w.run(&add).expect(0);
        w
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// The work folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every row of every table, in a stable order: equal dumps mean an
    /// unchanged store.
    pub fn dump(&self) -> String {
        dump(&self.db)
    }

    /// The single integer a query returns.
    pub fn count(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A path in the work folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name` in the work folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, bytes).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The binary, in the work folder, with this folder's store.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_onboard"));
        c.current_dir(self.dir.path())
            .env_remove("ONBOARD_DB")
            .env_remove("ONBOARD_SMTP_URL")
            .arg("--db")
            .arg(&self.db)
            .arg("--quiet")
            // Tests that create many users need no real hashing cost.
            .env("ONBOARD_ARGON2", "m=64,t=1,p=1");
        c
    }

    /// Runs the binary with `args`; it must not panic.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// Runs the binary with extra environment variables; it must not panic.
    pub fn run_env<S: AsRef<std::ffi::OsStr>>(&self, env: &[(&str, &str)], args: &[S]) -> Run {
        let mut cmd = self.command();
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_command(cmd, args, None)
    }

    /// Runs the binary with `input` on standard input.
    pub fn run_with_stdin<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
        input: Option<&[u8]>,
    ) -> Run {
        run_command(self.command(), args, input)
    }
    /// `onboard verify FILE --tenant contoso --format json ARGS...`.
    pub fn verify(&self, file: &Path, args: &[&str]) -> (i32, Log) {
        let mut all: Vec<std::ffi::OsString> = vec![
            "--format".into(),
            "json".into(),
            "verify".into(),
            file.into(),
            "--tenant".into(),
            TENANT.into(),
        ];
        all.extend(args.iter().map(Into::into));
        let run = self.run(&all);
        assert!(
            run.code == 0 || run.code == 1,
            "verify {} exited {}: {}",
            file.display(),
            run.code,
            run.stderr
        );
        let log: Log = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not a JSON log ({e}):\n{}", run.stdout));
        (run.code, log)
    }

    /// Puts a user straight into the store (there is no command for it on
    /// this branch yet), active or deleted, with its search entry.
    pub fn add_user(&self, upn: &str, deleted: bool) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let state = if deleted { "deleted" } else { "active" };
        let key = onboard::store::search::key(upn, upn);
        let segment = onboard::store::search::add(
            &conn,
            TENANT,
            state,
            &[&key],
            onboard::store::search::BLOCK_BYTES,
        )
        .unwrap()[0];
        conn.execute(
            "INSERT INTO users (id, tenant_id, upn, display_name, usage_location, password_hash, \
             state, deleted_at, created_at, search_key, segment) \
             VALUES (?1, ?2, ?3, ?4, 'US', '$argon2id$test', ?5, ?6, 0, ?7, ?8)",
            rusqlite::params![
                uuid::Uuid::new_v4().to_string(),
                TENANT,
                upn,
                upn,
                state,
                // Deleted just now: within the 30-day restore window.
                deleted.then(|| {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs() as i64
                }),
                key,
                segment,
            ],
        )
        .unwrap();
    }
}

/// The JSON verification log (SPEC §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    pub file: String,
    pub encoding: String,
    pub delimiter: String,
    pub dialect: String,
    pub rows: u64,
    pub valid_rows: u64,
    pub invalid_rows: u64,
    pub errors: u64,
    pub warnings: u64,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub line: u64,
    pub record: u64,
    pub column: Option<String>,
    pub severity: String,
    pub code: String,
    pub message: String,
    pub value: Option<String>,
}

impl Log {
    /// (line, column, code) of every finding, in order.
    pub fn lines_columns_codes(&self) -> Vec<(u64, Option<&str>, &str)> {
        self.findings
            .iter()
            .map(|f| (f.line, f.column.as_deref(), f.code.as_str()))
            .collect()
    }

    /// The codes, in order.
    pub fn codes(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// Checks the counts against the findings.
    #[track_caller]
    pub fn assert_consistent(&self) {
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == "error")
            .count() as u64;
        let warnings = self
            .findings
            .iter()
            .filter(|f| f.severity == "warning")
            .count() as u64;
        assert_eq!(self.errors, errors, "errors count");
        assert_eq!(self.warnings, warnings, "warnings count");
        assert_eq!(self.rows, self.valid_rows + self.invalid_rows, "row counts");
        let mut invalid: Vec<u64> = self
            .findings
            .iter()
            .filter(|f| f.severity == "error" && f.record > 0)
            .map(|f| f.record)
            .collect();
        invalid.dedup();
        assert_eq!(self.invalid_rows, invalid.len() as u64, "invalid rows");
    }
}

/// Every row of every table of the store at `db`, in a stable order.
pub fn dump(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = c
        // Ordinary tables only: a full-text index's virtual and shadow
        // tables are derived from them.
        .prepare(
            "SELECT name FROM pragma_table_list \
             WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        // Every column orders the rows: tables WITHOUT ROWID have no rowid.
        let n: usize = c
            .query_row(
                &format!("SELECT count(*) FROM pragma_table_info('{t}')"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        let mut stmt = c
            .prepare(&format!(
                "SELECT * FROM \"{t}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
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

/// A CSV of `n` valid users (our template, bare aliases `u<prefix><i>`,
/// no password, groups or manager).
pub fn users_csv(prefix: &str, n: usize) -> String {
    let mut s = onboard::columns::template_header();
    s.push_str("\r\n");
    for i in 0..n {
        s.push_str(&format!(
            "u{prefix}{i},First{i},Last{i},User {prefix} {i},Engineer,R&D,B{i},+1 425 555 {:04},,,,1 Main St,\
             Redmond,WA,98052,United States,US,,,\r\n",
            i % 10_000
        ));
    }
    s
}

/// (User Name, Password) of every row of a results file, the `'` of
/// formula escaping removed; checks the header first.
pub fn results_rows(path: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "User Name",
            "Display Name",
            "Password",
            "Licenses",
            "Roles",
            "Sign-in"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[2].trim_start_matches('\'').to_string(),
            )
        })
        .collect()
}

/// The passwords of a results file.
pub fn results_passwords(path: &Path) -> Vec<String> {
    results_rows(path).into_iter().map(|(_, p)| p).collect()
}

/// Whether `needle` occurs in `hay` (a file's bytes, an output).
pub fn contains(hay: &[u8], needle: impl AsRef<[u8]>) -> bool {
    let needle = needle.as_ref();
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A raw email with every part's body decoded, to search: lettre picks
/// quoted-printable or base64 for a part by which is shorter, and that
/// depends on the passwords in it.
pub fn readable(raw: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut encoding = String::new();
    let mut in_body = false;
    let mut body = String::new();
    let flush = |encoding: &str, body: &mut String, out: &mut String| {
        match encoding {
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default();
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
            "quoted-printable" => out.push_str(&decode_qp(body)),
            _ => out.push_str(body),
        }
        body.clear();
    };
    for line in raw.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare.starts_with("--") {
            flush(&encoding, &mut body, &mut out);
            (in_body, encoding) = (false, String::new());
            out.push_str(line);
        } else if in_body {
            body.push_str(line);
        } else {
            if let Some(v) = bare
                .to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
            {
                encoding = v.trim().to_string();
            }
            in_body = bare.is_empty();
            out.push_str(line);
        }
    }
    flush(&encoding, &mut body, &mut out);
    out
}

/// Quoted-printable: soft line breaks joined, `=XX` back to its byte.
fn decode_qp(body: &str) -> String {
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What tera's HTML auto-escaping makes of a value.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}

/// The tenant the library-level fuzz and property tests verify against:
/// a managed and a federated domain, an active and a deleted user.
pub fn fuzz_tenant() -> onboard::rules::TenantView {
    use onboard::rules::Existing;
    let mut t = onboard::rules::TenantView::new("contoso", "contoso.onmicrosoft.com");
    t.add_domain("contoso.com", false);
    t.add_domain("fabrikam.com", true);
    t.existing
        .insert("adele.vance@contoso.onmicrosoft.com", Existing::Active);
    t.existing.insert("gone@contoso.com", Existing::Deleted);
    t
}

/// Runs `cmd` with `args` and `input` on standard input; it must not panic.
fn run_command<S: AsRef<std::ffi::OsStr>>(
    mut cmd: Command,
    args: &[S],
    input: Option<&[u8]>,
) -> Run {
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = input {
        let mut stdin = child.stdin.take().unwrap();
        // The binary reads all of standard input before it writes, so
        // writing first cannot deadlock.
        stdin.write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    };
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "onboard panicked: {}",
        run.stderr
    );
    run
}

/// The sample template of `samples/`.
pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv");

/// `onboard commit` of the sample template for the test tenant, plus `extra`.
pub fn commit_sample(w: &Work, extra: &[&str]) -> Run {
    let mut args = vec!["commit", SAMPLE, "--tenant", TENANT];
    args.extend_from_slice(extra);
    w.run(&args)
}
