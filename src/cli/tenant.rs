//! `onboard tenant add` and `onboard tenant list`.

use super::Ctx;
use super::output::emit_page;
use crate::cli::TenantCommand;
use crate::error::{Exit, Result};
use crate::ops::tenants::{self, NewTenant};

pub fn run(ctx: &Ctx, cmd: TenantCommand) -> Result<Exit> {
    match cmd {
        TenantCommand::Add {
            id,
            domain,
            location,
            name,
        } => {
            let new = NewTenant {
                id,
                domain,
                location,
                name,
            };
            let tenant = tenants::add_tenant(&ctx.config, new)?;
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
            let tenants = tenants::list_tenants(&ctx.config, pages.into())?;
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
