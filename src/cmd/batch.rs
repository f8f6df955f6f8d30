//! What `verify` and `commit` share: checking the batch options against the
//! store, the verification pass with its progress bar and annotated copy,
//! the seat check, and publishing the log.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Ctx;
use super::tenant::check_location;
use crate::cli::{BatchArgs, Format, Role, SignIn};
use crate::error::{Error, Result};
use crate::ingest::encoding::{self, Sniff, SniffSlot};
use crate::ingest::{CsvInput, Source};
use crate::report::{self, AnnotatedWriter, LogFormat};
use crate::rules::verify::{self, Outcome};
use crate::rules::{Code, Finding, TenantView};
use crate::store::{Store, Subscription, Tenant};

/// At most this many `--email-to` recipients (SPEC §2).
pub const MAX_RECIPIENTS: usize = 5;

/// The batch options, checked against the store.
#[derive(Debug)]
pub struct BatchPlan {
    pub tenant: Tenant,
    pub view: TenantView,
    pub sign_in_blocked: bool,
    /// For rows whose Usage Location is empty.
    pub usage_location: &'static str,
    /// The `--license` subscriptions, as the store spells them, at plan time.
    pub licenses: Vec<Subscription>,
    pub roles: Vec<Role>,
    pub force_change_password: bool,
    pub email_to: Vec<String>,
    pub welcome: bool,
}

/// Checks every option before any row is read: an unknown tenant or SKU, a
/// bad location or recipient is a usage error (exit 2), not a finding.
pub fn plan(store: &Store, args: &BatchArgs) -> Result<BatchPlan> {
    check_outputs_are_not_the_input(args)?;
    let tenant = store.tenant(&args.tenant)?;
    let usage_location = match &args.usage_location {
        Some(cc) => check_location(cc, "--usage-location")?,
        None => check_location(&tenant.usage_location, "the tenant's location")?,
    };
    if args.email_to.len() > MAX_RECIPIENTS {
        return Err(Error::usage(format!(
            "--email-to is given {} times; at most {MAX_RECIPIENTS} recipients",
            args.email_to.len()
        )));
    }
    for addr in &args.email_to {
        if !crate::rules::contact::is_email(addr)
            || addr.chars().any(crate::rules::text::is_control)
        {
            return Err(Error::usage(format!(
                "--email-to \"{addr}\" is not a valid email address"
            )));
        }
    }
    let subs = store.subscriptions(&tenant.id)?;
    let mut licenses: Vec<Subscription> = Vec::new();
    for sku in &args.licenses {
        let found = subs
            .iter()
            .find(|s| s.sku.eq_ignore_ascii_case(sku.trim()))
            .ok_or_else(|| {
                let known: Vec<&str> = subs.iter().map(|s| s.sku.as_str()).collect();
                Error::NotFound(format!(
                    "tenant {} has no subscription {sku}; its SKUs: {}",
                    tenant.id,
                    if known.is_empty() {
                        "none (add one with `onboard license add`)".into()
                    } else {
                        known.join(", ")
                    }
                ))
            })?;
        if !licenses.iter().any(|l| l.sku == found.sku) {
            licenses.push(found.clone());
        }
    }
    let mut roles = args.roles.clone();
    roles.sort_unstable();
    roles.dedup();
    if roles.is_empty() {
        roles.push(Role::User);
    }
    let mut view = TenantView::new(&tenant.id, &tenant.default_domain);
    for d in store.domains(&tenant)? {
        view.add_domain(&d.name, d.federated);
    }
    view.existing = store.existing_users(&tenant.id)?;
    Ok(BatchPlan {
        tenant,
        view,
        sign_in_blocked: args.sign_in == SignIn::Blocked,
        usage_location,
        licenses,
        roles,
        force_change_password: args.force_change_password,
        email_to: args.email_to.clone(),
        welcome: args.welcome,
    })
}

/// Refuses `--log` or `--annotated` naming the input file: it would be
/// truncated while it is being read, and the rows after the first buffer
/// lost.
fn check_outputs_are_not_the_input(args: &BatchArgs) -> Result<()> {
    let Ok(input) = std::fs::canonicalize(&args.file) else {
        // Standard input, or a file that is missing (reported when read).
        return Ok(());
    };
    for (option, path) in [("--log", &args.log), ("--annotated", &args.annotated)] {
        if let Some(path) = path
            && std::fs::canonicalize(path).is_ok_and(|p| p == input)
        {
            return Err(Error::usage(format!(
                "{option} {} is the input file; write it under another name so that the input \
                 is not overwritten",
                path.display()
            )));
        }
    }
    Ok(())
}

/// A verified file.
pub struct Verified {
    pub source: Source,
    pub sniff: Sniff,
    pub outcome: Outcome,
    /// A separate pass over the file to sniff it: only when the
    /// verification stopped before the end (an error). Normally the sniff
    /// rides along with the verification's reading, and this is zero.
    pub read_time: Duration,
    /// Reading, parsing and checking (twice for a Windows-1252 file).
    pub verify_time: Duration,
}

/// Where the annotated copy goes, and which rows it gets.
#[derive(Debug, Clone, Copy)]
pub struct Annotate<'a> {
    pub path: &'a Path,
    /// Only rows with errors (what `--skip-invalid` leaves to fix).
    pub invalid_only: bool,
}

/// Reads and verifies the file of `args`, writing the annotated copy as it
/// goes. With `keep_users`, the valid rows come back as users.
///
/// The file is read once: the verification takes the encoding the first
/// bytes announce (a BOM, else UTF-8) while the bytes it reads are sniffed
/// (is the whole file UTF-8, is there a NUL byte; the digest for a
/// commit). The annotated copy is written beside its place and only moved
/// there once the sniff agrees. When it does not, the verification runs
/// again with the right encoding: a file that is Windows-1252 as a whole,
/// or a mixed one (UTF-8 with lines that are not, which stop the first
/// reading, since only the whole file tells which it is); a NUL byte
/// refuses the file as before.
pub fn verify_file(
    ctx: &Ctx,
    args: &BatchArgs,
    plan: &BatchPlan,
    keep_users: bool,
    annotate: Option<Annotate>,
) -> Result<Verified> {
    let started = Instant::now();
    let source = Source::from_arg(&args.file)?;
    let guess = encoding::guess(&source)?;
    let bar = ctx.progress.bytes(source.size(), "verifying");
    let slot = SniffSlot::default();
    let assumed = Sniff::assumed(guess);
    let first = CsvInput::open_sniffing(&source, &assumed, &bar, keep_users, slot.clone())
        .and_then(|mut input| verify_input(&mut input, plan, keep_users, annotate));
    let sniffed = slot.lock().ok().and_then(|mut s| s.take());
    // Stopped before the end of the file (an error): sniff it all.
    let sniffing = Instant::now();
    let sniff = sniffed.unwrap_or_else(|| encoding::sniff(&source, keep_users));
    let read_time = sniffing.elapsed();
    let outcome = match (sniff, first) {
        (Err(refused), first) => {
            discard(first);
            return Err(refused);
        }
        (Ok(sniff), first) if sniff.encoding == guess && !sniff.is_mixed() => (sniff, first?),
        (Ok(sniff), first) => {
            discard(first);
            let mut input = CsvInput::open(&source, &sniff, &bar)?;
            let outcome = verify_input(&mut input, plan, keep_users, annotate)?;
            (sniff, outcome)
        }
    };
    let (sniff, (outcome, annotated)) = outcome;
    if let Some(copy) = annotated {
        copy.keep()?;
    }
    bar.finish_and_clear();
    Ok(Verified {
        source,
        sniff,
        outcome,
        read_time,
        verify_time: started.elapsed().saturating_sub(read_time),
    })
}

/// Drops what a verification on a wrong assumption wrote.
fn discard(attempt: Result<(Outcome, Option<PartialCopy>)>) {
    if let Ok((_, Some(copy))) = attempt {
        copy.discard();
    }
}

/// An annotated copy written beside its place, until the verification
/// that wrote it is confirmed.
struct PartialCopy {
    partial: PathBuf,
    path: PathBuf,
}

impl PartialCopy {
    fn keep(self) -> Result<()> {
        std::fs::rename(&self.partial, &self.path).map_err(|e| Error::io(self.path.display(), e))
    }

    fn discard(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// Verifies an open input, writing the annotated copy (beside its place)
/// when asked.
fn verify_input(
    input: &mut CsvInput,
    plan: &BatchPlan,
    keep_users: bool,
    annotate: Option<Annotate>,
) -> Result<(Outcome, Option<PartialCopy>)> {
    let Some(a) = annotate else {
        return Ok((verify::run_quietly(input, &plan.view, keep_users)?, None));
    };
    let mut partial = a.path.as_os_str().to_owned();
    partial.push(".partial");
    let copy = PartialCopy {
        partial: PathBuf::from(partial),
        path: a.path.to_path_buf(),
    };
    let mut w = AnnotatedWriter::create(&copy.partial, &input.header, input.dialect.delimiter)?;
    let outcome = verify::run(input, &plan.view, keep_users, |rec, findings| {
        if a.invalid_only && !findings.iter().any(Finding::is_error) {
            return Ok(());
        }
        w.row(rec, findings)
    });
    match outcome.and_then(|o| w.finish().map(|()| o)) {
        Ok(outcome) => Ok((outcome, Some(copy))),
        Err(e) => {
            copy.discard();
            Err(e)
        }
    }
}

/// `insufficient_seats` findings for `needed` users against the plan's
/// licences ("ENTERPRISEPACK: 12 available, 40 needed").
pub fn seat_findings(licenses: &[Subscription], needed: u64) -> Vec<Finding> {
    licenses
        .iter()
        .filter(|s| s.available < needed)
        .map(|s| {
            Finding::error(Code::InsufficientSeats, 0, 0, None).message(format!(
                "{}: {} available, {} needed; add seats with `onboard license add --tenant ... {} --seats {}`",
                s.sku,
                s.available,
                needed,
                s.sku,
                needed - s.available
            ))
        })
        .collect()
}

/// Where the log is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTo {
    /// Standard output, in `--format` (the log is the command's data).
    Stdout,
    /// Standard error as text (the log accompanies other data).
    Stderr,
}

/// Prints the log, and writes `--log` if asked.
pub fn publish(
    ctx: &Ctx,
    args: &BatchArgs,
    log: &crate::rules::Verification,
    to: LogTo,
) -> Result<()> {
    let format = match ctx.format {
        Format::Text => LogFormat::Text,
        Format::Json => LogFormat::Json,
        Format::Csv => LogFormat::Csv,
    };
    let res = match to {
        LogTo::Stdout => {
            let mut out = std::io::stdout().lock();
            report::write(log, format, &mut out).and_then(|()| out.flush())
        }
        LogTo::Stderr => report::write(log, LogFormat::Text, &mut std::io::stderr().lock()),
    };
    res.map_err(|e| Error::io("<stdout>", e))?;
    if let Some(path) = &args.log {
        report::write_file(log, path)?;
    }
    Ok(())
}
