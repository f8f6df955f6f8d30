//! `onboard demo`: the whole pipeline on a fresh store in a new folder,
//! narrated, so a new user sees every stage and the files it leaves.
//!
//! It runs the same command functions a person would call, with the
//! command line for each step printed first. Email goes to `.eml` files in
//! the demo folder (never to an SMTP server, even if `ONBOARD_SMTP_URL` is
//! set), and the folder is kept so its files can be opened afterwards.

use std::path::{Path, PathBuf};

use super::{Ctx, commit, domain, license, template, tenant, verify};
use crate::cli::{
    BatchArgs, CommitArgs, DomainCommand, LicenseCommand, Role, SignIn, TemplateCommand,
    TenantCommand,
};
use crate::error::{Error, Exit, Result};

/// The file with typical mistakes the demo verifies.
pub const USERS_WITH_ERRORS: &[u8] = include_bytes!("../../samples/users-with-errors.csv");

pub fn run(ctx: &Ctx, dir: Option<PathBuf>) -> Result<Exit> {
    let dir = match dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "onboard-demo-{}",
            &uuid::Uuid::new_v4().to_string()[..8]
        )),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
    let db = dir.join("onboard.db");
    if db.exists() {
        return Err(Error::usage(format!(
            "{} already has a store; give the demo an empty folder",
            dir.display()
        )));
    }
    let ctx = Ctx {
        db: db.clone(),
        ..ctx.clone()
    };
    let file = |name: &str| dir.join(name);
    println!("onboard demo in {}\n", dir.display());

    step(
        1,
        "create a customer tenant with a managed and a federated domain",
        &[
            "onboard tenant add contoso --domain contoso.onmicrosoft.com --location US --name \"Contoso Ltd\"",
            "onboard domain add --tenant contoso contoso.com",
            "onboard domain add --tenant contoso fabrikam.com --federated",
        ],
    );
    tenant::run(
        &ctx,
        TenantCommand::Add {
            id: "contoso".into(),
            domain: "contoso.onmicrosoft.com".into(),
            location: "US".into(),
            name: Some("Contoso Ltd".into()),
        },
    )?;
    domain::run(
        &ctx,
        DomainCommand::Add {
            tenant: "contoso".into(),
            domain: "contoso.com".into(),
            federated: false,
        },
    )?;
    domain::run(
        &ctx,
        DomainCommand::Add {
            tenant: "contoso".into(),
            domain: "fabrikam.com".into(),
            federated: true,
        },
    )?;

    step(
        2,
        "buy two subscriptions",
        &[
            "onboard license add --tenant contoso ENTERPRISEPACK --seats 25 --name \"Office 365 E3\"",
            "onboard license add --tenant contoso SPE_E5 --seats 3 --name \"Microsoft 365 E5\"",
        ],
    );
    license::run(
        &ctx,
        LicenseCommand::Add {
            tenant: "contoso".into(),
            sku: "ENTERPRISEPACK".into(),
            seats: 25,
            name: Some("Office 365 E3".into()),
        },
    )?;
    license::run(
        &ctx,
        LicenseCommand::Add {
            tenant: "contoso".into(),
            sku: "SPE_E5".into(),
            seats: 3,
            name: Some("Microsoft 365 E5".into()),
        },
    )?;

    step(
        3,
        "download the blank and the sample template",
        &[
            "onboard template blank -o blank.csv",
            "onboard template sample -o users.csv",
        ],
    );
    template::run(TemplateCommand::Blank {
        output: Some(file("blank.csv")),
    })?;
    template::run(TemplateCommand::Sample {
        output: Some(file("users.csv")),
    })?;

    step(
        4,
        "verify a file with mistakes: every problem at once, with its line (exit status 1)",
        &[
            "onboard verify users-with-errors.csv --tenant contoso --log verification.csv --annotated users-with-errors.checked.csv",
        ],
    );
    write(&file("users-with-errors.csv"), USERS_WITH_ERRORS)?;
    let mut check = batch_args(&file("users-with-errors.csv"));
    check.log = Some(file("verification.csv"));
    check.annotated = Some(file("users-with-errors.checked.csv"));
    let status = verify::run(&ctx, &check)?;
    println!("(exit status {})", status as u8);

    step(
        5,
        "commit the clean file: users, seats and emails in one transaction",
        &[
            "onboard commit users.csv --tenant contoso --license ENTERPRISEPACK --force-change-password \\",
            "  --email-to it-admin@example.com --welcome --results results.csv",
        ],
    );
    let mut commit_args = CommitArgs {
        batch: batch_args(&file("users.csv")),
        skip_invalid: false,
        dry_run: false,
        results: Some(file("results.csv")),
    };
    commit_args.batch.licenses = vec!["ENTERPRISEPACK".into()];
    commit_args.batch.force_change_password = true;
    commit_args.batch.email_to = vec!["it-admin@example.com".into()];
    commit_args.batch.welcome = true;
    commit::run(&ctx, &commit_args)?;

    step(
        6,
        "the seats after the batch",
        &["onboard license list --tenant contoso"],
    );
    license::run(
        &ctx,
        LicenseCommand::List {
            tenant: "contoso".into(),
        },
    )?;

    println!("\nfiles:");
    for (name, what) in [
        ("onboard.db", "the store (SQLite, mode 0600)"),
        ("blank.csv", "the blank template"),
        ("users.csv", "the sample template, committed in step 5"),
        ("users-with-errors.csv", "the file with mistakes of step 4"),
        (
            "verification.csv",
            "its verification log, safe to open in Excel",
        ),
        (
            "users-with-errors.checked.csv",
            "the same file with a Verification column",
        ),
        (
            "results.csv",
            "the created users with their temporary passwords (mode 0600)",
        ),
        ("outbox", "the emails, as .eml files (no --smtp given)"),
    ] {
        println!("  {:<60} {what}", dir.join(name).display());
    }
    println!("\nnext: onboard --db {} tenant list", db.display());
    Ok(Exit::Success)
}

fn step(n: u32, title: &str, commands: &[&str]) {
    println!("\n== {n}. {title}");
    for c in commands {
        // A continuation line (indented) carries on the command above it.
        let prompt = if c.starts_with(' ') { "" } else { "$ " };
        println!("{prompt}{c}");
    }
    println!();
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path.display(), e))
}

fn batch_args(file: &Path) -> BatchArgs {
    BatchArgs {
        file: file.to_path_buf(),
        tenant: "contoso".into(),
        sign_in: SignIn::Allowed,
        usage_location: None,
        licenses: vec![],
        roles: vec![Role::User],
        force_change_password: false,
        email_to: vec![],
        welcome: false,
        log: None,
        annotated: None,
        templates: None,
        smtp: None,
    }
}
