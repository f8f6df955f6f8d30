//! What `verify` and `commit` share: checking the batch options against the
//! store, the verification pass with its progress bar and annotated copy,
//! the seat check, and publishing the log.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::Ctx;
use super::tenant::check_location;
use crate::cli::{BatchArgs, Format, Role, SignIn};
use crate::error::{Error, Result};
use crate::ingest::encoding::{self, Sniff, TextEncoding};
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
    /// The first pass (encoding, digest).
    pub read_time: Duration,
    /// The second pass (parse and rules).
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
/// The sniff (is the whole file UTF-8, no NUL byte; the digest for a
/// commit) reads the whole file, and so does the verification; rather than
/// one after the other, they run side by side, the verification taking the
/// encoding the file's first bytes announce. Nothing is reported before the
/// sniff confirms it; when the sniff finds otherwise (a file without BOM
/// that is not UTF-8 is Windows-1252), the verification starts again with
/// the right encoding.
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
    let (sniff, read_time, outcome) = std::thread::scope(|s| -> Result<_> {
        let sniffing = s.spawn(|| {
            // Only a commit records the file's digest.
            let sniff = encoding::sniff(&source, keep_users);
            (sniff, started.elapsed())
        });
        let mut pending = Some(sniffing);
        let mut sniffed: Option<(Sniff, Duration)> = None;
        let mut wait = || -> Result<TextEncoding> {
            if let Some(handle) = pending.take() {
                let (sniff, took) = handle
                    .join()
                    .map_err(|_| Error::input(source.name(), "the encoding check stopped"))?;
                sniffed = Some((sniff?, took));
            }
            Ok(sniffed.as_ref().map_or(guess, |(s, _)| s.encoding))
        };
        let first = match CsvInput::open(&source, &Sniff::assumed(guess), &bar) {
            Ok(mut input) => verify_input(&mut input, plan, keep_users, annotate, || {
                Ok(wait()? == guess)
            }),
            // The file is refused as what it seemed; it may be something else.
            Err(e) if wait()? == guess => Err(e),
            Err(_) => Ok(None),
        };
        let outcome = first?;
        wait()?;
        let (sniff, read_time) = sniffed
            .ok_or_else(|| Error::input(source.name(), "the encoding check did not finish"))?;
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => {
                let mut input = CsvInput::open(&source, &sniff, &bar)?;
                verify_input(&mut input, plan, keep_users, annotate, || Ok(true))?
                    .ok_or_else(|| Error::input(source.name(), "the verification stopped"))?
            }
        };
        Ok((sniff, read_time, outcome))
    })?;
    bar.finish_and_clear();
    Ok(Verified {
        source,
        sniff,
        outcome,
        read_time,
        verify_time: started.elapsed().saturating_sub(read_time),
    })
}

/// Verifies an open input, writing the annotated copy when asked; `None`
/// when `gate` said the input was opened on a wrong assumption. The copy is
/// only created once the gate has said yes.
fn verify_input(
    input: &mut CsvInput,
    plan: &BatchPlan,
    keep_users: bool,
    annotate: Option<Annotate>,
    gate: impl FnOnce() -> Result<bool>,
) -> Result<Option<Outcome>> {
    let annotated: RefCell<Option<(AnnotatedWriter, bool)>> = RefCell::new(None);
    let (header, delimiter) = (input.header.clone(), input.dialect.delimiter);
    let confirm = || -> Result<bool> {
        if !gate()? {
            return Ok(false);
        }
        if let Some(a) = annotate {
            let w = AnnotatedWriter::create(a.path, &header, delimiter)?;
            *annotated.borrow_mut() = Some((w, a.invalid_only));
        }
        Ok(true)
    };
    let outcome =
        verify::run_gated(
            input,
            &plan.view,
            keep_users,
            confirm,
            |rec, findings| match annotated.borrow_mut().as_mut() {
                Some((_, true)) if !findings.iter().any(Finding::is_error) => Ok(()),
                Some((w, _)) => w.row(rec, findings),
                None => Ok(()),
            },
        )?;
    if let Some((w, _)) = annotated.into_inner() {
        w.finish()?;
    }
    Ok(outcome)
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
