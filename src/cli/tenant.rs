//! `onboard tenant add` and `onboard tenant list`.

use super::Ctx;
use super::output::{Page, emit_page};
use crate::cli::TenantCommand;
use crate::error::{Error, Exit, Result};
use crate::rules::location::usage_location;
use crate::store::{Create, Store, Tenant};

pub fn run(ctx: &Ctx, cmd: TenantCommand) -> Result<Exit> {
    match cmd {
        TenantCommand::Add {
            id,
            domain,
            location,
            name,
        } => {
            let tenant = Tenant {
                name: name.unwrap_or_else(|| id.clone()),
                id: check_id(&id)?,
                default_domain: check_default_domain(&domain)?,
                usage_location: check_location(&location, "--location")?.to_string(),
            };
            let mut store = Store::open(&ctx.db, Create::IfMissing)?;
            store.add_tenant(&tenant)?;
            eprintln!(
                "tenant {} added: default domain {}, usage location {}",
                tenant.id, tenant.default_domain, tenant.usage_location
            );
            if ctx.json() {
                ctx.out.json(&serde_json::json!({ "tenant": tenant }))?;
            }
            Ok(Exit::Success)
        }
        TenantCommand::List { pages } => {
            let store = Store::open(&ctx.db, Create::No)?;
            let tenants = Page::of(store.tenants()?, pages);
            let rows: Vec<Vec<String>> = tenants
                .items
                .iter()
                .map(|t| {
                    vec![
                        t.tenant.id.clone(),
                        t.tenant.name.clone(),
                        t.tenant.default_domain.clone(),
                        t.tenant.usage_location.clone(),
                        t.active_users.to_string(),
                        t.deleted_users.to_string(),
                        format!("{}/{}", t.seats_assigned, t.seats_total),
                    ]
                })
                .collect();
            emit_page(
                ctx.out,
                ctx.format,
                &[
                    "ID",
                    "Name",
                    "Default domain",
                    "Location",
                    "Users",
                    "Deleted",
                    "Seats used",
                ],
                &rows,
                &tenants,
                ("tenant", "tenants"),
            )?;
            Ok(Exit::Success)
        }
    }
}

/// Tenant ids are short and safe to type: letters, digits, `- _ .`.
fn check_id(id: &str) -> Result<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::usage(format!(
            "tenant id \"{id}\" is not valid: use 1 to 64 letters, digits, - _ or ."
        )))
    }
}

fn check_default_domain(domain: &str) -> Result<String> {
    let d = domain.trim().to_ascii_lowercase();
    let prefix = d.strip_suffix(".onmicrosoft.com").unwrap_or("");
    let ok = !prefix.is_empty()
        && prefix.len() <= 27
        && prefix.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(d)
    } else {
        Err(Error::usage(format!(
            "--domain \"{domain}\" is not a default domain: use PREFIX.onmicrosoft.com, where PREFIX is \
             1 to 27 letters and digits"
        )))
    }
}

/// An ISO 3166-1 alpha-2 code from an option, upper-cased.
pub fn check_location(code: &str, option: &str) -> Result<&'static str> {
    usage_location(code.trim()).ok_or_else(|| {
        Error::usage(format!(
            "{option} \"{code}\" is not an ISO 3166-1 alpha-2 country code (for example US, GB, DE)"
        ))
    })
}
