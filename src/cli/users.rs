//! `onboard users ...` (SPEC §2, §9, §13): the operations are `ops::users`;
//! this prints what they did and picks the exit status: 1 when a named
//! user cannot be changed (nothing changed) or `show` names no user, 3 when
//! the seats are short, 4 when a reset's email was not delivered.

use super::Ctx;
use super::output::{emit_page, table};
use crate::cli::{Format, NamesArgs, UserStatus, UsersCommand, UsersLicenseCommand};
use crate::error::{Error, Exit, Result};
use crate::ops::users::{self, Change, Changed, Names, ResetOptions};
use crate::store::users::{ListFilter, StatusFilter, UserListRow};

pub fn run(ctx: &Ctx, cmd: UsersCommand) -> Result<Exit> {
    let cfg = &ctx.config;
    match cmd {
        UsersCommand::List {
            tenant,
            status,
            search,
            license,
            unlicensed,
            sign_in,
            pages,
        } => {
            let status = match status {
                UserStatus::Active => StatusFilter::Active,
                UserStatus::Deleted => StatusFilter::Deleted,
                UserStatus::All => StatusFilter::All,
            };
            let filter = ListFilter {
                license,
                unlicensed,
                sign_in_blocked: sign_in.map(|s| s == super::SignIn::Blocked),
            };
            let page = users::list(
                cfg,
                &tenant.id,
                status,
                search.as_deref(),
                &filter,
                pages.into(),
            )?;
            list(ctx, status, &page)
        }
        UsersCommand::Show { tenant, upn } => show(ctx, &tenant.id, &upn),
        UsersCommand::Delete(names) => change(ctx, &names, &Change::Delete),
        UsersCommand::Restore(names) => change(ctx, &names, &Change::Restore),
        UsersCommand::License(UsersLicenseCommand::Assign { sku, names }) => {
            change(ctx, &names, &Change::Assign { sku })
        }
        UsersCommand::License(UsersLicenseCommand::Revoke { sku, names }) => {
            change(ctx, &names, &Change::Revoke { sku })
        }
        UsersCommand::Block(names) => change(ctx, &names, &Change::Block),
        UsersCommand::Unblock(names) => change(ctx, &names, &Change::Unblock),
        UsersCommand::Roles { names, roles } => change(ctx, &names, &Change::Roles(roles)),
        UsersCommand::ResetPassword {
            tenant,
            upn,
            email_to,
            force_change_password,
            no_force_change_password,
            templates,
            smtp,
        } => {
            let opts = ResetOptions {
                tenant: tenant.id,
                user: upn,
                email_to,
                force_change_password: match (force_change_password, no_force_change_password) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                templates,
                smtp: smtp.url,
            };
            reset_password(ctx, &opts)
        }
    }
}

/// The users list: a table that always says which page it is (with the
/// days left to restore in a list of deleted users), or the JSON page.
fn list(ctx: &Ctx, status: StatusFilter, page: &crate::ops::Page<UserListRow>) -> Result<Exit> {
    let deleted = status != StatusFilter::Active;
    let mut headers = vec!["Display Name", "User Name", "Status", "Assigned"];
    if deleted {
        headers.push("Days left");
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|u| {
            let mut row = vec![
                u.display_name.clone(),
                u.user_name.clone(),
                shown_status(&u.status).into(),
                u.assigned.to_string(),
            ];
            if deleted {
                row.push(u.days_left.map(|d| d.to_string()).unwrap_or_default());
            }
            row
        })
        .collect();
    if ctx.format == Format::Text {
        let mut text = Vec::new();
        table(&mut text, &headers, &rows).map_err(|e| Error::io("<stdout>", e))?;
        ctx.out.text(&String::from_utf8_lossy(&text))?;
        ctx.out.line(&page.footer("user", "users"))?;
    } else {
        emit_page(
            ctx.out,
            ctx.format,
            &headers,
            &rows,
            page,
            ("user", "users"),
        )?;
    }
    Ok(Exit::Success)
}

/// "Active" or "Deleted", as the admin center shows it.
fn shown_status(status: &str) -> &'static str {
    if status == "deleted" {
        "Deleted"
    } else {
        "Active"
    }
}

/// `users show`: every field; an unknown name exits 1.
fn show(ctx: &Ctx, tenant: &str, upn: &str) -> Result<Exit> {
    let Some(u) = users::show(&ctx.config, tenant, upn)? else {
        eprintln!("onboard: {upn}: no such user in tenant {tenant}");
        if ctx.json() {
            ctx.out.json(&serde_json::json!({ "user": null }))?;
        }
        return Ok(Exit::Invalid);
    };
    if ctx.json() {
        ctx.out.json(&u)?;
        return Ok(Exit::Success);
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    let deleted = match (u.deleted_at, u.days_left) {
        (Some(at), Some(days)) => {
            format!("{} ({days} days left to restore)", crate::time::rfc3339(at))
        }
        _ => "-".into(),
    };
    let fields: Vec<(&str, String)> = vec![
        ("User Name", u.user_name.clone()),
        ("Display Name", u.display_name.clone()),
        ("First Name", u.first_name.clone()),
        ("Last Name", u.last_name.clone()),
        ("Job Title", u.job_title.clone()),
        ("Department", u.department.clone()),
        ("Office Number", u.office_number.clone()),
        ("Office Phone", u.office_phone.clone()),
        ("Mobile Phone", u.mobile_phone.clone()),
        ("Fax", u.fax.clone()),
        ("Alternate email address", u.alternate_email.clone()),
        ("Address", u.address.clone()),
        ("City", u.city.clone()),
        ("State or Province", u.state.clone()),
        ("ZIP or Postal Code", u.postal_code.clone()),
        ("Country or Region", u.country.clone()),
        ("Usage Location", u.usage_location.clone()),
        ("Status", shown_status(&u.status).into()),
        ("Sign-in", u.sign_in.clone()),
        (
            "Must change password",
            if u.force_change_password { "yes" } else { "no" }.into(),
        ),
        ("Licenses", list(&u.licenses)),
        ("Roles", list(&u.roles)),
        ("Batch", u.batch.clone().unwrap_or_else(|| "-".into())),
        ("Created", crate::time::readable(u.created_at)),
        ("Deleted", deleted),
        ("Id", u.id.clone()),
    ];
    let rows: Vec<Vec<String>> = fields
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    ctx.out.with(|w| table(w, &["Field", "Value"], &rows))?;
    Ok(Exit::Success)
}

/// A change to users: every user, or (exit 1) none and every bad name.
fn change(ctx: &Ctx, args: &NamesArgs, change: &Change) -> Result<Exit> {
    let names = Names {
        names: args.upns.clone(),
        file: args.file.clone(),
    };
    let done = users::change(&ctx.config, &args.tenant.id, &names, change)?;
    if ctx.json() {
        ctx.out.json(&done)?;
    } else if done.refused.is_empty() {
        ctx.out.text(&summary(&done))?;
    }
    for u in &done.users {
        for w in &u.warnings {
            eprintln!("warning: {}: {w}", u.user);
        }
    }
    if done.refused.is_empty() {
        return Ok(Exit::Success);
    }
    // Like a verification log: every name that cannot change, where it was.
    let rows: Vec<Vec<String>> = done
        .refused
        .iter()
        .map(|r| {
            vec![
                r.line.map_or_else(|| "-".into(), |l| l.to_string()),
                r.user.clone(),
                r.code.to_string(),
                r.message.clone(),
            ]
        })
        .collect();
    let mut text = Vec::new();
    table(&mut text, &["line", "user", "code", "message"], &rows)
        .map_err(|e| Error::io("<stderr>", e))?;
    eprint!("{}", String::from_utf8_lossy(&text));
    eprintln!(
        "nothing was changed: {} of the users named cannot be changed ({})",
        done.refused.len(),
        done.action
    );
    Ok(Exit::Invalid)
}

/// "adele.vance@contoso.onmicrosoft.com: deleted" lines, and a count.
fn summary(done: &Changed) -> String {
    let verb = match done.action {
        "user.delete" => "deleted (restorable for 30 days; seats freed)",
        "user.restore" => "restored",
        "license.assign" => "licence assigned",
        "license.revoke" => "licence revoked",
        "user.block" => "sign-in blocked",
        "user.unblock" => "sign-in allowed",
        _ => "roles set",
    };
    let mut text = String::new();
    for u in &done.users {
        let note = if u.changed {
            verb
        } else {
            "unchanged (already so)"
        };
        text.push_str(&format!("{}: {note}\n", u.user));
    }
    text
}

fn reset_password(ctx: &Ctx, opts: &ResetOptions) -> Result<Exit> {
    super::warn_weak_cost(&ctx.config);
    let reset = users::reset_password(&ctx.config, opts)?;
    if ctx.json() {
        let mut doc =
            serde_json::to_value(&reset).map_err(|e| Error::Internal(format!("the reset: {e}")))?;
        if let Some(m) = &reset.undelivered {
            doc["error"] = serde_json::json!({
                "code": "committed", "message": m, "exit": Exit::Partial as u8,
            });
        }
        ctx.out.json(&doc)?;
    } else {
        ctx.out.line(&format!(
            "new temporary password for {}: {}",
            reset.user, reset.password
        ))?;
        eprintln!(
            "{}",
            if reset.force_change_password {
                "the user must choose a new password at next sign-in"
            } else {
                "the user may keep this password after signing in"
            }
        );
    }
    match &reset.undelivered {
        Some(m) => {
            eprintln!("onboard: {m}");
            Ok(Exit::Partial)
        }
        None => Ok(Exit::Success),
    }
}
