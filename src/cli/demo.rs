//! `onboard demo`: the whole pipeline on a fresh store in a new folder,
//! narrated, so a new user sees every stage and the files it leaves.
//!
//! It runs the same command functions a person would call, with the
//! command line for each step printed first. Email goes to `.eml` files in
//! the demo folder (never to an SMTP server, even if `ONBOARD_SMTP_URL` is
//! set), and the folder is kept so its files can be opened afterwards. In a
//! folder that has files already (`--dir`), every name the demo picks that
//! is taken gets `-2`, `-3` ... (SPEC §11), and the list at the end shows
//! the names used.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::output::Out;
use super::{Ctx, commit, domain, group, license, template, tenant, verify};
use crate::cli::{
    BatchArgs, CommitArgs, DomainCommand, GroupCommand, LicenseCommand, PageArgs, Role, SignIn,
    TemplateArgs, TemplateCommand, TenantCommand,
};
use crate::error::{Error, Exit, Result};
use crate::files::unused_name;

/// The groups the sample template names (samples/users.csv).
pub const SAMPLE_GROUPS: [&str; 3] = ["All Staff", "Sales", "Engineering"];

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
    // Names the demo picks never replace a file already in the folder.
    let file = |name: &str| unused_name(&dir.join(name));
    let db = file("onboard.db");
    // With --format json the steps print nothing on standard output and
    // the narration goes to standard error: the demo's one document is
    // the list of files at the end.
    let mut config = ctx.config.clone();
    config.db = db.clone();
    let ctx = Ctx {
        config,
        out: if ctx.json() { Out::Discard } else { ctx.out },
        ..ctx.clone()
    };
    let narrate = |text: &str| -> Result<()> {
        if ctx.json() {
            eprint!("{text}");
            Ok(())
        } else {
            ctx.out.text(text)
        }
    };
    narrate(&format!("onboard demo in {}\n\n", dir.display()))?;
    let step = |n: u32, title: &str, commands: &[&str]| narrate(&step_text(n, title, commands));

    step(
        1,
        "create a customer tenant with a managed and a federated domain",
        &[
            "onboard tenant add contoso --domain contoso.onmicrosoft.com --location US --name \"Contoso Ltd\"",
            "onboard domain add --tenant contoso contoso.com",
            "onboard domain add --tenant contoso fabrikam.com --federated",
        ],
    )?;
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
        "buy two subscriptions, and make the groups the sample puts people in",
        &[
            "onboard license add --tenant contoso ENTERPRISEPACK --seats 25 --name \"Office 365 E3\"",
            "onboard license add --tenant contoso SPE_E5 --seats 3 --name \"Microsoft 365 E5\"",
            "onboard group add --tenant contoso \"All Staff\" Sales Engineering",
        ],
    )?;
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
    group::run(
        &ctx,
        GroupCommand::Add {
            tenant: "contoso".into(),
            names: SAMPLE_GROUPS.iter().map(|g| g.to_string()).collect(),
        },
    )?;

    let blank = file("blank.csv");
    let users = file("users.csv");
    let mistakes = file("users-with-errors.csv");
    let verification = file("verification.csv");
    let checked = file("users-with-errors.checked.csv");
    let results = file("results.csv");
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    step(
        3,
        "download the blank and the sample template",
        &[
            &format!("onboard template blank -o {}", name(&blank)),
            &format!("onboard template sample -o {}", name(&users)),
        ],
    )?;
    let to = |path: &Path| TemplateArgs {
        output: Some(path.to_path_buf()),
        force: false,
    };
    template::run(&ctx, TemplateCommand::Blank(to(&blank)))?;
    template::run(&ctx, TemplateCommand::Sample(to(&users)))?;

    step(
        4,
        "verify a file with mistakes: every problem at once, with its line (exit status 1)",
        &[&format!(
            "onboard verify {} --tenant contoso --log {} --annotated {}",
            name(&mistakes),
            name(&verification),
            name(&checked)
        )],
    )?;
    write_new(&mistakes, USERS_WITH_ERRORS)?;
    let mut check = batch_args(&mistakes);
    check.log = Some(verification.clone());
    check.annotated = Some(checked.clone());
    let status = verify::run(&ctx, &check)?;
    narrate(&format!("(exit status {})\n", status as u8))?;

    step(
        5,
        "commit the clean file: users, seats and emails in one transaction",
        &[
            &format!(
                "onboard commit {} --tenant contoso --license ENTERPRISEPACK --force-change-password \\",
                name(&users)
            ),
            &format!(
                "  --email-to it-admin@example.com --welcome --results {}",
                name(&results)
            ),
        ],
    )?;
    let mut commit_args = CommitArgs {
        batch: batch_args(&users),
        skip_invalid: false,
        dry_run: false,
        results: Some(results.clone()),
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
    )?;
    license::run(
        &ctx,
        LicenseCommand::List {
            tenant: "contoso".into(),
            pages: PageArgs {
                page: 1,
                per_page: 20,
            },
        },
    )?;

    let files = [
        (&db, "the store (SQLite, mode 0600)"),
        (&blank, "the blank template"),
        (&users, "the sample template, committed in step 5"),
        (&mistakes, "the file with mistakes of step 4"),
        (&verification, "its verification log, safe to open in Excel"),
        (&checked, "the same file with a Verification column"),
        (
            &results,
            "the created users with their temporary passwords (mode 0600)",
        ),
    ];
    let outbox = db.with_file_name("outbox");
    if ctx.json() {
        let list: Vec<serde_json::Value> = files
            .iter()
            .map(|(p, what)| serde_json::json!({ "path": p.display().to_string(), "what": what }))
            .collect();
        Out::Stdout.json(&serde_json::json!({
            "dir": dir.display().to_string(),
            "store": db.display().to_string(),
            "outbox": outbox.display().to_string(),
            "files": list,
        }))?;
        return Ok(Exit::Success);
    }
    let mut text = String::from("\nfiles:\n");
    for (path, what) in files {
        text.push_str(&format!("  {:<60} {what}\n", path.display()));
    }
    text.push_str(&format!(
        "  {:<60} the emails, as .eml files (no --smtp given)\n",
        outbox.display()
    ));
    text.push_str(&format!(
        "\nnext: onboard --db {} tenant list\n",
        db.display()
    ));
    ctx.out.text(&text)?;
    Ok(Exit::Success)
}

/// The narration of one step, with the command line for it.
fn step_text(n: u32, title: &str, commands: &[&str]) -> String {
    let mut text = format!("\n== {n}. {title}\n");
    for c in commands {
        // A continuation line (indented) carries on the command above it.
        let prompt = if c.starts_with(' ') { "" } else { "$ " };
        text.push_str(&format!("{prompt}{c}\n"));
    }
    text.push('\n');
    text
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path.display(), e))?;
    f.write_all(bytes).map_err(|e| Error::io(path.display(), e))
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
        smtp: Default::default(),
    }
}
