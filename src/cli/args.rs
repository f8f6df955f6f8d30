//! The command line: one clap `Command` per SPEC §2 command, one args
//! struct each. Parsing only; checking values against the store happens in
//! the command modules.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ops::PageRequest;
use crate::ops::batch::BatchOptions;
pub use crate::ops::batch::{Role, SignIn};
use crate::ops::commit::CommitOptions;

/// Create user accounts in bulk from a CSV template: verify every row, then
/// commit the whole batch in one transaction.
#[derive(Debug, Parser)]
#[command(
    name = "onboard",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "Start with `onboard demo` for a guided run, or:\n  \
    onboard tenant add contoso --domain contoso.onmicrosoft.com --location US\n  \
    onboard template sample -o users.csv\n  \
    onboard verify users.csv --tenant contoso")]
pub struct Cli {
    /// The SQLite store.
    #[arg(
        long,
        global = true,
        env = "ONBOARD_DB",
        default_value = "onboard.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,

    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// How commands print their data on standard output.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// CSV, where a command prints a table.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Customer tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// A tenant's domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// A tenant's subscriptions and seats.
    #[command(subcommand)]
    License(LicenseCommand),
    /// A tenant's groups, which the Groups column of a file names.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Download the CSV template.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Check every row of a filled template; writes nothing to the store.
    #[command(after_help = "Examples:\n  \
        onboard verify users.csv --tenant contoso\n  \
        onboard verify users.csv --tenant contoso --license ENTERPRISEPACK --log check.csv \
        --annotated users-checked.csv\n  \
        cat users.csv | onboard verify - --tenant contoso --format json")]
    Verify(BatchArgs),
    /// Verify again, then create the whole batch in one transaction and send
    /// the passwords.
    #[command(after_help = "Examples:\n  \
        onboard commit users.csv --tenant contoso --license ENTERPRISEPACK --email-to it@contoso.com\n  \
        onboard commit users.csv --tenant contoso --dry-run\n  \
        onboard commit users.csv --tenant contoso --skip-invalid --annotated to-fix.csv")]
    Commit(CommitArgs),
    /// The tenant's users: list, delete, restore, reset a password.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Queued and sent messages.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The batches committed: file, SHA-256, settings, counts, who, when.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Who changed what, and when.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// A guided run of the whole pipeline on a fresh store in a temporary folder.
    #[command(after_help = "Example:\n  onboard demo")]
    Demo {
        /// Keep the demo here instead of a new temporary folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Display Name, User Name, Status and Assigned licences, 20 a page.
    #[command(
        after_help = "Examples:\n  onboard users list --tenant contoso --search adele\n  \
        onboard users list --tenant contoso --unlicensed\n  \
        onboard users list --tenant contoso --status deleted --format csv"
    )]
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(long, value_enum, default_value_t = UserStatus::Active)]
        status: UserStatus,
        /// Part of a display name or user name, any case.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only users holding this licence.
        #[arg(long, value_name = "SKU", conflicts_with = "unlicensed")]
        license: Option<String>,
        /// Only users holding no licence.
        #[arg(long)]
        unlicensed: bool,
        /// Only users whose sign-in is allowed, or blocked.
        #[arg(long, value_name = "STATUS", value_parser = parse_sign_in())]
        sign_in: Option<SignIn>,
        #[command(flatten)]
        pages: PageArgs,
    },
    /// Every field of one user: state, licences, roles, sign-in, batch, days left to restore.
    #[command(after_help = "Example:\n  onboard users show --tenant contoso adele.vance")]
    Show {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(value_name = "UPN")]
        upn: String,
    },
    /// Soft delete: the users can be restored for 30 days; their seats are freed now.
    #[command(after_help = "Examples:\n  \
        onboard users delete --tenant contoso adele.vance@contoso.onmicrosoft.com alex.wilber\n  \
        onboard users delete --tenant contoso --file leavers.csv")]
    Delete(NamesArgs),
    /// Bring back users deleted less than 30 days ago, with their licences where seats are free.
    #[command(after_help = "Example:\n  onboard users restore --tenant contoso adele.vance")]
    Restore(NamesArgs),
    /// Assign or revoke a licence for one or many users, all or none.
    #[command(subcommand)]
    License(UsersLicenseCommand),
    /// Block sign-in for the users.
    #[command(after_help = "Example:\n  onboard users block --tenant contoso --file leavers.csv")]
    Block(NamesArgs),
    /// Allow sign-in for the users again.
    #[command(after_help = "Example:\n  onboard users unblock --tenant contoso adele.vance")]
    Unblock(NamesArgs),
    /// Replace the users' roles (`user` alone means no admin role).
    #[command(after_help = "Example:\n  \
        onboard users roles --tenant contoso --role helpdesk-admin --role user-admin alex.wilber")]
    Roles {
        #[command(flatten)]
        names: NamesArgs,
        /// A role the users hold afterwards (repeatable).
        #[arg(long = "role", value_name = "NAME", value_parser = parse_role(), required = true)]
        roles: Vec<Role>,
    },
    /// A new generated temporary password, shown once.
    #[command(
        after_help = "Example:\n  onboard users reset-password --tenant contoso adele.vance --force-change-password \
        --email-to it@contoso.com"
    )]
    ResetPassword {
        #[command(flatten)]
        tenant: TenantArg,
        #[arg(value_name = "UPN")]
        upn: String,
        /// Also email the new password here (1 to 5).
        #[arg(long = "email-to", value_name = "ADDR")]
        email_to: Vec<String>,
        /// The user must change it at next sign-in [default: as before].
        #[arg(long, conflicts_with = "no_force_change_password")]
        force_change_password: bool,
        /// The user need not change it at next sign-in [default: as before].
        #[arg(long)]
        no_force_change_password: bool,
        /// Folder with email templates that replace the built-in ones.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        #[command(flatten)]
        smtp: SmtpArg,
    },
}

/// `users license assign|revoke`.
#[derive(Debug, Subcommand)]
pub enum UsersLicenseCommand {
    /// One seat of SKU for each user who lacks it; refused whole if seats are short.
    #[command(after_help = "Example:\n  \
        onboard users license assign --tenant contoso --sku EMS --file sales.csv")]
    Assign {
        /// The SKU id, e.g. ENTERPRISEPACK.
        #[arg(long, value_name = "SKU")]
        sku: String,
        #[command(flatten)]
        names: NamesArgs,
    },
    /// Take SKU back from each user who holds it; the seats are free again.
    #[command(after_help = "Example:\n  \
        onboard users license revoke --tenant contoso --sku EMS adele.vance")]
    Revoke {
        #[arg(long, value_name = "SKU")]
        sku: String,
        #[command(flatten)]
        names: NamesArgs,
    },
}

/// The users a change is for: names, a file, or both.
#[derive(Debug, Clone, Args)]
pub struct NamesArgs {
    #[command(flatten)]
    pub tenant: TenantArg,
    /// User names; a bare alias means the tenant's default domain.
    #[arg(value_name = "UPN", required_unless_present = "file")]
    pub upns: Vec<String>,
    /// A CSV with a User Name column (a filled template or an export works);
    /// `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UserStatus {
    Active,
    Deleted,
    All,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// The tenant's committed batches, newest first.
    #[command(after_help = "Example:\n  onboard batch list --tenant contoso")]
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        pages: PageArgs,
    },
    /// One batch: the file as given, its SHA-256, the settings, the counts, who and when.
    #[command(
        after_help = "Example:\n  onboard batch show --tenant contoso 0f8e2a4c-1b7d-4c39-9a51-3d2e6f0b7c18"
    )]
    Show {
        #[command(flatten)]
        tenant: TenantArg,
        /// The batch id (`batch list` shows them; a commit prints its own).
        #[arg(value_name = "BATCH")]
        batch: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The audit log, newest first: one entry per user changed and one per batch.
    #[command(after_help = "Examples:\n  \
        onboard audit list --tenant contoso --since 2025-03-01\n  \
        onboard audit list --tenant contoso --user adele.vance --format json\n  \
        onboard audit list --since 2025-03-01T09:30:00+01:00 --format csv")]
    List {
        /// Only this tenant's entries [default: every tenant's].
        #[arg(long = "tenant", value_name = "ID")]
        tenant: Option<String>,
        /// Entries at or after TIME: RFC 3339 (2025-03-01T09:30:00Z), or a date (midnight UTC).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only the changes to this user (no batch entries); a bare alias needs --tenant.
        #[arg(long, value_name = "UPN")]
        user: Option<String>,
        #[command(flatten)]
        pages: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Messages with their status (queued, sent, written, failed), attempts and the server's
    /// reply, the file or the last error (never their bodies).
    #[command(after_help = "Example:\n  onboard outbox list --status queued")]
    List {
        #[arg(long, value_enum, default_value_t = OutboxStatus::All)]
        status: OutboxStatus,
        #[command(flatten)]
        pages: PageArgs,
    },
    /// Deliver every message still queued (retries those that failed for now).
    ///
    /// A message goes the way it was queued: one queued by a command run with --smtp is sent
    /// only with --smtp (or ONBOARD_SMTP_URL), or written as an .eml file with --eml; one
    /// queued without --smtp is written to outbox/ beside the store.
    #[command(
        after_help = "Examples:\n  onboard outbox send --smtp smtp://user:pass@mail.example.com:587?tls=required\n  \
        onboard outbox send --eml"
    )]
    Send {
        #[command(flatten)]
        smtp: SmtpArg,
        /// Write the messages queued for SMTP as .eml files to outbox/ beside the store instead.
        #[arg(long)]
        eml: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutboxStatus {
    Queued,
    Sent,
    Written,
    Failed,
    All,
}

/// `commit`: the batch options plus what only a commit has.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    #[command(flatten)]
    pub batch: BatchArgs,

    /// Commit the valid rows only; the invalid ones go to the annotated file.
    #[arg(long)]
    pub skip_invalid: bool,

    /// Do everything inside the transaction, then roll back; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// CSV of the created users with their temporary passwords (mode 0600)
    /// (default: onboard-results-BATCH_ID.csv).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Add a customer tenant; its default domain is managed.
    #[command(after_help = "Example:\n  \
        onboard tenant add contoso --domain contoso.onmicrosoft.com --location US --name \"Contoso Ltd\"")]
    Add {
        /// Short id used with --tenant (letters, digits, - _ .).
        id: String,
        /// The default domain, PREFIX.onmicrosoft.com.
        #[arg(long)]
        domain: String,
        /// Default usage location, ISO 3166-1 alpha-2 (US, GB, DE...).
        #[arg(long)]
        location: String,
        /// Display name; the id when omitted.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants with user and seat counts.
    #[command(after_help = "Example:\n  onboard tenant list --format json")]
    List {
        #[command(flatten)]
        pages: PageArgs,
    },
    /// One tenant: its domains, subscriptions with seats, and user counts.
    #[command(after_help = "Example:\n  onboard tenant show contoso")]
    Show {
        /// The tenant id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain to a tenant (managed unless --federated).
    #[command(after_help = "Example:\n  onboard domain add --tenant contoso contoso.com")]
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// The domain name, e.g. contoso.com.
        domain: String,
        /// Users of a federated domain are created on premises, not here.
        #[arg(long)]
        federated: bool,
    },
    /// List a tenant's domains.
    #[command(after_help = "Example:\n  onboard domain list --tenant contoso")]
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        pages: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add groups to a tenant, all or none (names are unique in any case).
    #[command(
        after_help = "Example:\n  onboard group add --tenant contoso Sales \"Research & Development\""
    )]
    Add {
        /// The tenant id (`onboard tenant list` shows them).
        #[arg(long)]
        tenant: String,
        /// Group names: 1 to 256 characters, no `;` (it separates names in the Groups column).
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// The tenant's groups with their active members.
    #[command(after_help = "Example:\n  onboard group list --tenant contoso --format json")]
    List {
        /// The tenant id (`onboard tenant list` shows them).
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        pages: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Add a subscription, or N more seats to an existing one.
    #[command(after_help = "Example:\n  \
        onboard license add --tenant contoso ENTERPRISEPACK --seats 25 --name \"Office 365 E3\"")]
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        /// The SKU id, e.g. ENTERPRISEPACK.
        sku: String,
        #[arg(long)]
        seats: u64,
        /// Product name shown in lists.
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a subscription's total seats; never below the seats assigned.
    #[command(
        after_help = "Example:\n  onboard license set --tenant contoso ENTERPRISEPACK --seats 20"
    )]
    Set {
        #[command(flatten)]
        tenant: TenantArg,
        /// The SKU id, e.g. ENTERPRISEPACK.
        sku: String,
        /// The new total.
        #[arg(long)]
        seats: u64,
    },
    /// SKU, name, total, assigned and available seats.
    #[command(after_help = "Example:\n  onboard license list --tenant contoso")]
    List {
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        pages: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// The blank template: the header only.
    #[command(after_help = "Example:\n  onboard template blank -o users.csv")]
    Blank(TemplateArgs),
    /// The header plus example rows that verify cleanly.
    #[command(after_help = "Example:\n  onboard template sample -o sample.csv")]
    Sample(TemplateArgs),
}

/// Where a template goes.
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// Write here instead of standard output (an existing file is kept
    /// unless --force).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists (a filled template is work: not by default).
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Which page of a list.
#[derive(Debug, Clone, Copy, Args)]
pub struct PageArgs {
    /// The page to show, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub page: u64,
    /// Rows on a page, 1 to 1000.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub per_page: u64,
}

/// Options shared by `verify` and `commit`.
#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    /// The filled template; `-` reads standard input.
    pub file: PathBuf,

    #[command(flatten)]
    pub tenant: TenantArg,

    /// Sign-in status for every user of the batch.
    #[arg(long, default_value = "allowed", value_parser = parse_sign_in())]
    pub sign_in: SignIn,

    /// ISO 3166-1 alpha-2 code for rows whose Usage Location is empty
    /// [default: the tenant's location].
    #[arg(long, value_name = "CC")]
    pub usage_location: Option<String>,

    /// Give every user one seat of this SKU (repeatable).
    #[arg(long = "license", value_name = "SKU")]
    pub licenses: Vec<String>,

    /// Role for every user (repeatable) [default: user].
    #[arg(long = "role", value_name = "NAME", value_parser = parse_role())]
    pub roles: Vec<Role>,

    /// Users must change their password at first sign-in.
    #[arg(long)]
    pub force_change_password: bool,

    /// Recipient of the results email with the temporary passwords (1 to 5).
    #[arg(long = "email-to", value_name = "ADDR")]
    pub email_to: Vec<String>,

    /// Also email each new user their credentials at their Alternate email address.
    #[arg(long)]
    pub welcome: bool,

    /// Write the verification log here: .csv, .json, else text.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Write the input back with a Verification column.
    #[arg(long, value_name = "FILE")]
    pub annotated: Option<PathBuf>,

    /// Folder with email templates that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    #[command(flatten)]
    pub smtp: SmtpArg,
}

/// Whether the command line asks for `--format json`, read before it is
/// parsed, so that even a command line clap refuses is answered in JSON.
pub fn asks_for_json(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

/// Prints `{"error": {...}}` (and, for a commit, whether it committed) on
/// standard output: the one JSON document of a command that could not run.
pub fn print_json_error(e: &crate::Error, commit: bool) {
    let mut doc = serde_json::json!({ "error": super::error_json(e) });
    if commit {
        let committed = matches!(e, crate::Error::Committed { .. });
        doc["committed"] = serde_json::Value::Bool(committed);
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{doc:#}");
}

/// `--role`: one of the roles of SPEC §2, listed in `--help`.
fn parse_role() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(Role::NAMES).map(|s| s.parse::<Role>().unwrap_or(Role::User))
}

/// `--sign-in allowed|blocked`.
fn parse_sign_in() -> impl TypedValueParser<Value = SignIn> {
    PossibleValuesParser::new(SignIn::NAMES).map(|s| s.parse::<SignIn>().unwrap_or_default())
}

impl From<PageArgs> for PageRequest {
    fn from(a: PageArgs) -> PageRequest {
        PageRequest {
            page: a.page,
            per_page: a.per_page,
        }
    }
}

impl From<&BatchArgs> for BatchOptions {
    fn from(a: &BatchArgs) -> BatchOptions {
        BatchOptions {
            file: a.file.clone(),
            tenant: a.tenant.id.clone(),
            sign_in: a.sign_in,
            usage_location: a.usage_location.clone(),
            licenses: a.licenses.clone(),
            roles: a.roles.clone(),
            force_change_password: a.force_change_password,
            email_to: a.email_to.clone(),
            welcome: a.welcome,
            log: a.log.clone(),
            annotated: a.annotated.clone(),
            templates: a.templates.clone(),
            smtp: a.smtp.url.clone(),
        }
    }
}

impl From<&CommitArgs> for CommitOptions {
    fn from(a: &CommitArgs) -> CommitOptions {
        CommitOptions {
            batch: (&a.batch).into(),
            skip_invalid: a.skip_invalid,
            dry_run: a.dry_run,
            results: a.results.clone(),
        }
    }
}

/// `--tenant ID`: the tenant a command works on.
#[derive(Debug, Clone, Args)]
pub struct TenantArg {
    /// The tenant id (`onboard tenant list` shows them).
    #[arg(long = "tenant", value_name = "ID")]
    pub id: String,
}

/// `--smtp URL`, or `ONBOARD_SMTP_URL`: where messages are sent.
#[derive(Debug, Clone, Default, Args)]
pub struct SmtpArg {
    /// SMTP transport, e.g. smtp://user:pass@host:587?tls=required.
    #[arg(
        long = "smtp",
        env = "ONBOARD_SMTP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub url: Option<String>,
}

impl From<&str> for TenantArg {
    fn from(id: &str) -> TenantArg {
        TenantArg { id: id.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own checks of every command (unique argument names, valid
    /// defaults), which it otherwise makes only when that command is run.
    #[test]
    fn every_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
