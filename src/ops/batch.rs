//! What `verify` and `commit` share: the protected paths, checking the
//! batch options against the store, the templates and the transport, the
//! verification pass with its progress bar and annotated copy, the seat
//! check, and the log. Output files are staged (`crate::files`): the
//! command publishes them when it ends with exit 0, 1 or 4.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use super::tenants::check_location;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::files::{Name, PathGuard, Privacy, Staged};
use crate::ingest::encoding::{self, Sniff, SniffSlot};
use crate::ingest::{CsvInput, Source};
use crate::notify::Templates;
use crate::notify::transport::Route;
use crate::progress::{Progress, Unit};
use crate::report::{self, AnnotatedWriter, LogFormat};
use crate::rules::verify::{self, Outcome};
use crate::rules::{Code, Finding, TenantView};
use crate::store::{Store, Subscription, Tenant};

/// At most this many `--email-to` recipients (SPEC §2).
pub const MAX_RECIPIENTS: usize = 5;

/// Sign-in status for the users of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignIn {
    #[default]
    Allowed,
    Blocked,
}

impl SignIn {
    pub const NAMES: [&'static str; 2] = ["allowed", "blocked"];
}

impl FromStr for SignIn {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<SignIn, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allowed" => Ok(SignIn::Allowed),
            "blocked" => Ok(SignIn::Blocked),
            _ => Err(format!("\"{s}\" is not allowed or blocked")),
        }
    }
}

/// Roles a new user can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    User,
    GlobalAdmin,
    UserAdmin,
    HelpdeskAdmin,
    ServiceSupportAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::User,
        Role::GlobalAdmin,
        Role::UserAdmin,
        Role::HelpdeskAdmin,
        Role::ServiceSupportAdmin,
    ];

    pub const NAMES: [&'static str; 5] = [
        "user",
        "global-admin",
        "user-admin",
        "helpdesk-admin",
        "service-support-admin",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::GlobalAdmin => "global-admin",
            Role::UserAdmin => "user-admin",
            Role::HelpdeskAdmin => "helpdesk-admin",
            Role::ServiceSupportAdmin => "service-support-admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Role, String> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("\"{s}\" is not a role: {}", Role::NAMES.join(", ")))
    }
}

/// What `verify` and `commit` are asked to do (SPEC §2's shared options).
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// The filled template; `-` is standard input.
    pub file: PathBuf,
    pub tenant: String,
    pub sign_in: SignIn,
    /// For rows whose Usage Location is empty; the tenant's when `None`.
    pub usage_location: Option<String>,
    pub licenses: Vec<String>,
    pub roles: Vec<Role>,
    pub force_change_password: bool,
    pub email_to: Vec<String>,
    pub welcome: bool,
    pub log: Option<PathBuf>,
    pub annotated: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    pub smtp: Option<String>,
}

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

/// The files a batch command must leave alone, with its `--log` and
/// `--annotated` outputs accepted: checked before the store is opened or
/// the input read (SPEC §11).
pub fn guard(cfg: &Config, args: &BatchOptions) -> Result<PathGuard> {
    let mut guard = PathGuard::new().store(&cfg.db).input(&args.file);
    guard.maybe_output("--log", args.log.as_deref())?;
    guard.maybe_output("--annotated", args.annotated.as_deref())?;
    Ok(guard)
}

/// Checks every option before any row is read: an unknown tenant or SKU, a
/// bad location or recipient is a usage error (exit 2), not a finding.
pub fn plan(store: &Store, args: &BatchOptions) -> Result<BatchPlan> {
    let tenant = store.tenant(&args.tenant)?;
    let usage_location = match &args.usage_location {
        Some(cc) => check_location(cc, "--usage-location")?,
        None => check_location(&tenant.usage_location, "the tenant's location")?,
    };
    check_recipients(&args.email_to)?;
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
    view.groups = store.group_index(&tenant.id)?;
    view.welcome = args.welcome;
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

/// 1 to [`MAX_RECIPIENTS`] `--email-to` addresses, each one the mail
/// transport can send to (exit 2 otherwise, for `verify` as for `commit`).
pub fn check_recipients(email_to: &[String]) -> Result<()> {
    if email_to.len() > MAX_RECIPIENTS {
        return Err(Error::usage(format!(
            "--email-to is given {} times; at most {MAX_RECIPIENTS} recipients",
            email_to.len()
        )));
    }
    for addr in email_to {
        if !crate::rules::contact::is_email(addr)
            || addr.chars().any(crate::rules::text::is_control)
        {
            return Err(Error::usage(format!(
                "--email-to \"{addr}\" is not a valid email address"
            )));
        }
    }
    Ok(())
}

/// How the batch's messages would be made and sent: the templates, loaded
/// and test-rendered, and the transport, parsed. `verify` checks them as
/// `commit` does (no connection is made), so a broken template or SMTP URL
/// shows before the slow part, not after it.
pub struct Delivery {
    pub templates: Templates,
    pub route: Route,
}

impl Delivery {
    pub fn prepare(cfg: &Config, args: &BatchOptions) -> Result<Delivery> {
        Ok(Delivery {
            templates: Templates::load(args.templates.as_deref())?,
            route: crate::notify::transport::from_options(args.smtp.as_deref(), &cfg.db)?,
        })
    }
}

/// A verified file.
pub struct Verified {
    pub source: Source,
    pub sniff: Sniff,
    pub outcome: Outcome,
    /// The annotated copy, written in full, waiting to take its name when
    /// the command ends in a way that keeps its outputs.
    pub annotated: Option<Staged>,
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
    /// A name the user gave replaces its file; one onboard chose never does.
    pub name: Name,
}

/// Reads and verifies the file of `args`, writing the annotated copy as it
/// goes. With `keep_users`, the valid rows come back as users.
///
/// The file is read once: the verification takes the encoding the first
/// bytes announce (a BOM, else UTF-8) while the bytes it reads are sniffed
/// (is the whole file UTF-8, is there a NUL byte; the digest for a
/// commit). The annotated copy is staged beside its place and only kept
/// once the sniff agrees. When it does not, the verification runs again
/// with the right encoding: a file that is Windows-1252 as a whole, or a
/// mixed one (UTF-8 with lines that are not, which stop the first reading,
/// since only the whole file tells which it is); a NUL byte refuses the
/// file as before.
pub fn verify_file(
    progress: &dyn Progress,
    args: &BatchOptions,
    plan: &BatchPlan,
    keep_users: bool,
    annotate: Option<Annotate>,
) -> Result<Verified> {
    let started = Instant::now();
    let source = Source::from_arg(&args.file)?;
    let guess = encoding::guess(&source)?;
    let bar = progress.meter("verifying", Unit::Bytes, source.size());
    let slot = SniffSlot::default();
    let assumed = Sniff::assumed(guess);
    let first = CsvInput::open_sniffing(&source, &assumed, &bar, keep_users, slot.clone())
        .and_then(|mut input| verify_input(&mut input, plan, keep_users, annotate));
    let sniffed = slot.lock().ok().and_then(|mut s| s.take());
    // Stopped before the end of the file (an error): sniff it all.
    let sniffing = Instant::now();
    let sniff = sniffed.unwrap_or_else(|| encoding::sniff(&source, keep_users));
    let read_time = sniffing.elapsed();
    // A first attempt on a wrong assumption is dropped with its copy.
    let (sniff, (outcome, mut annotated)) = match (sniff, first) {
        (Err(refused), _) => return Err(refused),
        (Ok(sniff), first) if sniff.encoding == guess && !sniff.is_mixed() => (sniff, first?),
        (Ok(sniff), _) => {
            let mut input = CsvInput::open(&source, &sniff, &bar)?;
            let outcome = verify_input(&mut input, plan, keep_users, annotate)?;
            (sniff, outcome)
        }
    };
    bar.finish();
    // The Manager checks that need the whole file found something after
    // the copy's rows were written: the copy is made again from the log.
    if let Some(a) = annotate.filter(|_| outcome.late_findings > 0) {
        drop(annotated.take());
        let bar = progress.meter("annotating", Unit::Bytes, source.size());
        let mut input = CsvInput::open(&source, &sniff, &bar)?;
        annotated = Some(annotate_again(&mut input, &outcome.log.findings, a)?);
        bar.finish();
    }
    Ok(Verified {
        source,
        sniff,
        outcome,
        annotated,
        read_time,
        verify_time: started.elapsed().saturating_sub(read_time),
    })
}

/// Verifies an open input, writing the annotated copy (staged beside its
/// place) when asked.
fn verify_input(
    input: &mut CsvInput,
    plan: &BatchPlan,
    keep_users: bool,
    annotate: Option<Annotate>,
) -> Result<(Outcome, Option<Staged>)> {
    let Some(a) = annotate else {
        return Ok((verify::run_quietly(input, &plan.view, keep_users)?, None));
    };
    let staged = Staged::create(a.path, a.name, Privacy::Ordinary)?;
    let shown = a.path.display().to_string();
    let mut w = AnnotatedWriter::new(
        staged.handle()?,
        &shown,
        &input.header,
        input.dialect.delimiter,
    )?;
    let outcome = verify::run(input, &plan.view, keep_users, |rec, findings| {
        if a.invalid_only && !findings.iter().any(Finding::is_error) {
            return Ok(());
        }
        w.row(rec, findings)
    })?;
    w.finish()?;
    Ok((outcome, Some(staged)))
}

/// Writes the annotated copy of `input` with the findings of its log
/// (`findings`, the rows' in file order), for when they are only all known
/// once the whole file is read.
fn annotate_again(input: &mut CsvInput, findings: &[Finding], a: Annotate) -> Result<Staged> {
    let staged = Staged::create(a.path, a.name, Privacy::Ordinary)?;
    let shown = a.path.display().to_string();
    let mut w = AnnotatedWriter::new(
        staged.handle()?,
        &shown,
        &input.header,
        input.dialect.delimiter,
    )?;
    let rows: Vec<&Finding> = findings.iter().filter(|f| f.record > 0).collect();
    let mut at = 0;
    let mut own: Vec<Finding> = Vec::new();
    while let Some(pieces) = input.next_pieces()? {
        for piece in &pieces {
            for rec in piece.records() {
                own.clear();
                while at < rows.len() && rows[at].record < rec.record {
                    at += 1;
                }
                while at < rows.len() && rows[at].record == rec.record {
                    own.push(rows[at].clone());
                    at += 1;
                }
                if a.invalid_only && !own.iter().any(Finding::is_error) {
                    continue;
                }
                w.row(&rec, &own)?;
            }
        }
    }
    w.finish()?;
    Ok(staged)
}

/// `insufficient_seats` findings for `needed` users against the plan's
/// licences ("ENTERPRISEPACK: 12 available, 40 needed").
pub fn seat_findings(licenses: &[Subscription], needed: u64) -> Vec<Finding> {
    licenses
        .iter()
        .filter_map(|s| {
            let short = s.shortage(needed)?;
            Some(
                Finding::error(Code::InsufficientSeats, 0, 0, None).message(format!(
                    "{short}; add seats with `onboard license add --tenant ... {} --seats {}`",
                    s.sku,
                    needed - s.available
                )),
            )
        })
        .collect()
}

/// Writes the `--log` file, if asked for, staged beside its place.
pub fn stage_log(args: &BatchOptions, log: &crate::rules::Verification) -> Result<Option<Staged>> {
    let Some(path) = &args.log else {
        return Ok(None);
    };
    let mut staged = Staged::create(path, Name::Replace, Privacy::Ordinary)?;
    let mut out = BufWriter::new(staged.file());
    report::write(log, LogFormat::for_path(path), &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io(path.display(), e))?;
    drop(out);
    Ok(Some(staged))
}
