//! End-to-end measurements of the whole pipeline on generated files, with
//! the floors they are judged against, measured in the same run:
//!
//! - `verify` of 100k and 1M rows (wall time, rows/s, peak RSS) against the
//!   parse floor (a bare `csv` `ByteRecord` pass over the same file), and
//!   of the same million rows with a Manager column, each row's manager
//!   another row's user name (before or after it), against the file
//!   without the column;
//! - `commit` of 10k rows at the default argon2id cost against the hashing
//!   floor (the same number of hashes on all cores, hashed before and after
//!   the commit);
//! - the non-hashing phases of a 100k-row commit (from its phase timings);
//! - `users list --search` on a 1M-user tenant.
//!
//! Run with `cargo bench --bench pipeline` (add `-- --quick` to skip the
//! million-row parts, `-- --verify-only` to stop after the verify rows).
//! The plain files have the 18-column header of earlier versions (the same
//! bytes every earlier measurement used); the file with managers has the
//! template's 20.
//! Besides the plain generated files, verify runs on a million rows shaped
//! like administrators' real exports (CJK names, quoted nicknames with
//! doubled quotes, commas in quoted cells, 1 % invalid) with its JSON log
//! written, against the single-threaded parse of the same file. It prints a table; nothing is asserted, numbers are
//! reported as measured. Generated files are synced to disk before any
//! timing, and the verify rows and their floors are medians of three runs.

#[path = "support/generate.rs"]
mod generate;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use onboard::password::{self, Cost};
use onboard::secret::Secret;

const BIN: &str = env!("CARGO_BIN_EXE_onboard");

/// Wall time and peak RSS of one run of the binary.
struct Measured {
    wall: Duration,
    max_rss_kib: i64,
    stdout: String,
    code: i32,
}

fn run(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Measured {
    let mut cmd = Command::new(BIN);
    cmd.arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn onboard");
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    // VmHWM is the process's own high-water mark: the last reading before
    // it exits is its peak (sampled every 2 ms).
    let status_file = format!("/proc/{}/status", child.id());
    let mut max_rss_kib = -1;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        let peak = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<i64>().ok())
        });
        max_rss_kib = max_rss_kib.max(peak.unwrap_or(-1));
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    Measured {
        wall,
        max_rss_kib,
        stdout: reader.join().unwrap_or_default(),
        code: status.code().unwrap_or(-1),
    }
}

fn generate(path: &Path, rows: usize, invalid_per_mille: u32) {
    let shape = generate::Shape {
        profile: generate::Profile::Plain,
        columns: generate::Columns::Earlier,
    };
    generate_shaped(path, rows, invalid_per_mille, shape);
}

fn generate_shaped(path: &Path, rows: usize, invalid_per_mille: u32, shape: generate::Shape) {
    let mut out = BufWriter::new(File::create(path).expect("create"));
    generate::write_shaped(&mut out, rows, invalid_per_mille, 1, shape).expect("generate");
    // Written back to disk before anything is timed: the kernel's
    // writeback of a fresh 168 MB file otherwise runs during the first
    // measurements and takes a good part of a core.
    let file = out.into_inner().expect("flush");
    file.sync_all().expect("sync");
}

/// The run with the median wall time of `n` runs.
fn median_of(n: usize, mut once: impl FnMut() -> Measured) -> Measured {
    let mut runs: Vec<Measured> = (0..n).map(|_| once()).collect();
    runs.sort_by_key(|m| m.wall);
    runs.swap_remove(n / 2)
}

/// The parse floor: one `ByteRecord` reused over the whole file.
fn parse_floor(path: &Path) -> (Duration, u64) {
    let started = Instant::now();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .expect("open");
    let mut rec = csv::ByteRecord::new();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut rec).expect("read") {
        n += 1;
    }
    (started.elapsed(), n)
}

/// `commit --format json` of a generated file of `rows` clean rows into
/// tenant contoso, at the argon2 `cost` given.
fn commit_generated(db: &Path, dir: &Path, rows: usize, extra: &[&str], cost: &str) -> Measured {
    let path = dir.join(format!("commit-{rows}.csv"));
    generate(&path, rows, 0);
    let file = path.to_string_lossy().into_owned();
    let results = dir
        .join(format!("results-{rows}.csv"))
        .to_string_lossy()
        .into_owned();
    // Each commit gets a tenant of its own: generated files share names.
    let tenant = format!("t{rows}");
    let domain = format!("t{rows}.onmicrosoft.com");
    let setup: [&[&str]; 2] = [
        &[
            "tenant",
            "add",
            &tenant,
            "--domain",
            &domain,
            "--location",
            "US",
        ],
        &[
            "license",
            "add",
            "--tenant",
            &tenant,
            "ENTERPRISEPACK",
            "--seats",
            "2000000",
        ],
    ];
    for args in setup {
        assert_eq!(run(db, args, &[]).code, 0, "setup {args:?} failed");
    }
    let mut args = vec![
        "--format",
        "json",
        "commit",
        &file,
        "--tenant",
        &tenant,
        "--results",
        &results,
    ];
    args.extend_from_slice(extra);
    run(db, &args, &[("ONBOARD_ARGON2", cost)])
}

/// One table row: wall time, rate, peak RSS and the ratio to `floor`.
fn against_floor(label: &str, m: &Measured, items: usize, unit: &str, floor: Duration) {
    println!(
        "{label:<44} {:>10.3} {:>10.0} {unit} {:>9} MiB {:>9.2}x",
        secs(m.wall),
        items as f64 / secs(m.wall),
        m.max_rss_kib / 1024,
        secs(m.wall) / secs(floor)
    );
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let verify_only = std::env::args().any(|a| a == "--verify-only");
    let dir = std::env::temp_dir().join(format!("onboard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    let db = dir.join("onboard.db");
    let f = |name: &str| -> PathBuf { dir.join(name) };
    let setup = |args: &[&str]| {
        let m = run(&db, args, &[]);
        assert_eq!(m.code, 0, "setup {args:?} failed");
    };
    setup(&[
        "tenant",
        "add",
        "contoso",
        "--domain",
        "contoso.onmicrosoft.com",
        "--location",
        "US",
    ]);
    setup(&["domain", "add", "--tenant", "contoso", "contoso.com"]);
    setup(&[
        "license",
        "add",
        "--tenant",
        "contoso",
        "ENTERPRISEPACK",
        "--seats",
        "2000000",
    ]);
    setup(&[
        "tenant",
        "add",
        "big",
        "--domain",
        "bigcorp.onmicrosoft.com",
        "--location",
        "US",
    ]);

    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "onboard pipeline benchmark ({cpus} cores, {})",
        std::env::consts::ARCH
    );
    println!();
    println!(
        "{:<44} {:>10} {:>14} {:>12} {:>10}",
        "measure", "wall s", "rate", "peak RSS", "vs floor"
    );

    let sizes: &[usize] = if quick {
        &[100_000]
    } else {
        &[100_000, 1_000_000]
    };
    let shape = |profile, columns| generate::Shape { profile, columns };
    let plain = shape(generate::Profile::Plain, generate::Columns::Earlier);
    let mut cases: Vec<(usize, generate::Shape, u32)> =
        sizes.iter().map(|&rows| (rows, plain, 5)).collect();
    if !quick {
        // The same rows with each one's Manager another row's user name.
        let managers = shape(generate::Profile::Plain, generate::Columns::Managers);
        cases.push((1_000_000, managers, 5));
        // Shaped like admins' real exports, 1 % invalid, with the JSON log
        // written: what verify costs on the files people have.
        let admins = shape(generate::Profile::Admins, generate::Columns::Earlier);
        cases.push((1_000_000, admins, 10));
    }
    for (rows, shape, invalid) in cases {
        let admins = shape.profile == generate::Profile::Admins;
        let with_managers = shape.columns == generate::Columns::Managers;
        let name = match (admins, with_managers) {
            (true, _) => "admins",
            (_, true) => "managers",
            _ => "verify",
        };
        let path = f(&format!("{name}-{rows}.csv"));
        generate_shaped(&path, rows, invalid, shape);
        let mb = std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6;
        // Medians of three runs each: a shared two-core machine varies by
        // 10-20 % from run to run.
        let mut floors: Vec<(Duration, u64)> = (0..3).map(|_| parse_floor(&path)).collect();
        floors.sort();
        let (floor, n) = floors[1];
        let p = path.to_string_lossy().into_owned();
        let log = f(&format!("{name}-{rows}.log.json"))
            .to_string_lossy()
            .into_owned();
        let mut args = vec!["verify", &p, "--tenant", "contoso"];
        if admins {
            args.extend(["--log", &log]);
        }
        // The file with managers against the same rows without the column,
        // their runs taken in turn (this machine drifts by 10-20 %).
        let plain = f(&format!("verify-{rows}.csv"))
            .to_string_lossy()
            .into_owned();
        let plain_args = ["verify", plain.as_str(), "--tenant", "contoso"];
        let mut without: Vec<Measured> = Vec::new();
        let m = median_of(3, || {
            if with_managers {
                without.push(run(&db, &plain_args, &[]));
            }
            run(&db, &args, &[])
        });
        let label = match (admins, with_managers) {
            (true, _) => format!(
                "verify {rows} admins' rows ({mb:.0} MB) +log, exit {}",
                m.code
            ),
            (_, true) => format!("verify {rows} rows + Manager ({mb:.0} MB), exit {}", m.code),
            _ => format!("verify {rows} rows ({mb:.0} MB), exit {}", m.code),
        };
        against_floor(&label, &m, rows, "r/s", floor);
        let label = format!("  parse floor (csv ByteRecord, {n} records)");
        println!(
            "{label:<44} {:>10.3} {:>10.0} r/s",
            secs(floor),
            n as f64 / secs(floor)
        );
        if with_managers {
            without.sort_by_key(|m| m.wall);
            let without = without.swap_remove(1);
            println!(
                "{:<44} {:>10.3} {:>10.0} r/s {:>9} MiB   with managers: {:.2}x",
                "  the same rows without a Manager column",
                secs(without.wall),
                rows as f64 / secs(without.wall),
                without.max_rss_kib / 1024,
                secs(m.wall) / secs(without.wall)
            );
        }
    }
    if verify_only {
        return;
    }

    // Commit 10k rows at the default cost, against N hashes on all cores.
    // The floor is hashed just before the commit and again just after it,
    // and the mean is the floor: this machine's speed drifts by several
    // per cent over the minutes one of them takes, and a floor measured on
    // one side only put the same commit at 0.90x and at 1.10x.
    let n = 10_000;
    let hashing_floor = || {
        let secrets: Vec<Secret> = (0..n).map(|_| password::generate("x")).collect();
        let refs: Vec<&Secret> = secrets.iter().collect();
        let started = Instant::now();
        password::hash_all(Cost::OWASP, &refs, &onboard::progress::Quiet).expect("hash");
        started.elapsed()
    };
    let before = hashing_floor();
    let m = commit_generated(
        &db,
        &dir,
        n,
        &["--license", "ENTERPRISEPACK"],
        "m=19456,t=2,p=1",
    );
    assert_eq!(m.code, 0, "the 10k commit failed");
    let after = hashing_floor();
    let floor = (before + after) / 2;
    let label = format!("commit {n} rows, default argon2id, exit {}", m.code);
    against_floor(&label, &m, n, "u/s", floor);
    let label = format!("  hashing floor ({n} hashes, {cpus} cores)");
    println!(
        "{label:<44} {:>10.3} {:>10.0} h/s   mean of {:.3} before and {:.3} after",
        secs(floor),
        n as f64 / secs(floor),
        secs(before),
        secs(after)
    );
    let hash_ms = json(&m.stdout)["timings"]["hash_ms"]
        .as_f64()
        .unwrap_or(f64::NAN);
    println!(
        "{:<44} {:>10.3}",
        "  (the commit's own hashing phase)",
        hash_ms / 1000.0
    );

    // The non-hashing phases of a 100k-row commit.
    let rows = 100_000;
    let m = commit_generated(
        &db,
        &dir,
        rows,
        &["--license", "ENTERPRISEPACK"],
        "m=8,t=1,p=1",
    );
    assert_eq!(m.code, 0, "the 100k commit failed");
    let t = &json(&m.stdout)["timings"];
    let ms = |k: &str| t[k].as_f64().unwrap_or(f64::NAN);
    // The results file is written and synced before the transaction; the
    // messages are rendered before it too.
    let non_hashing = ms("read_ms")
        + ms("verify_ms")
        + ms("render_ms")
        + ms("results_ms")
        + ms("transaction_ms")
        + ms("notify_ms");
    println!(
        "{:<44} {:>10.3} {:>14} {:>9} MiB",
        format!("commit {rows} rows, non-hashing phases, exit {}", m.code),
        non_hashing / 1000.0,
        "",
        m.max_rss_kib / 1024
    );
    println!(
        "{:<44} read {:.0} ms, verify {:.0} ms, render {:.0} ms, results {:.0} ms, \
         transaction {:.0} ms (hash {:.0} ms at m=8)",
        "",
        ms("read_ms"),
        ms("verify_ms"),
        ms("render_ms"),
        ms("results_ms"),
        ms("transaction_ms"),
        ms("hash_ms")
    );
    // Everything else the process did besides hashing: starting, opening
    // the store, checking the options, the summary.
    println!(
        "{:<44} {:>10.3}",
        "  the whole commit less its hashing",
        secs(m.wall) - ms("hash_ms") / 1000.0
    );

    // users list --search on a 1M-user tenant.
    if !quick {
        let rows = 1_000_000;
        let path = f("tenant-1m.csv");
        generate(&path, rows, 0);
        let p = path.to_string_lossy().into_owned();
        let results = f("results-1m.csv").to_string_lossy().into_owned();
        let setup_run = run(
            &db,
            &[
                "--format",
                "json",
                "commit",
                &p,
                "--tenant",
                "big",
                "--skip-invalid",
                "--results",
                &results,
            ],
            &[("ONBOARD_ARGON2", "m=8,t=1,p=1")],
        );
        let created = json(&setup_run.stdout)["created"].as_u64().unwrap_or(0);
        println!(
            "{:<44} {:>10.3}   ({created} users created)",
            "  (setup: commit of the 1M-user tenant)",
            secs(setup_run.wall)
        );
        for term in ["smith", "zz-no-such-name", "bigcorp"] {
            let m = run(
                &db,
                &["users", "list", "--tenant", "big", "--search", term],
                &[],
            );
            let total = m.stdout.lines().last().unwrap_or("").to_string();
            println!(
                "{:<44} {:>10.3} {:>14} {:>9} MiB   {total}",
                format!("users list --search {term}"),
                secs(m.wall),
                "",
                m.max_rss_kib / 1024
            );
        }
        let m = run(&db, &["users", "list", "--tenant", "big"], &[]);
        println!(
            "{:<44} {:>10.3}",
            "users list (first page, no search)",
            secs(m.wall)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
