//! `onboard tenant add`, `onboard tenant list` and `onboard tenant show`.

use std::io::Write;

use super::Ctx;
use super::output::{emit_page, fields, table};
use crate::cli::TenantCommand;
use crate::error::{Exit, Result};
use crate::ops::tenants::{self, NewTenant, TenantDetail};

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
        TenantCommand::Show { id } => {
            let detail = tenants::show_tenant(&ctx.config, &id)?;
            if ctx.json() {
                ctx.out.json(&detail)?;
            } else {
                ctx.out.with(|w| show(w, &detail))?;
            }
            Ok(Exit::Success)
        }
    }
}

/// `tenant show` as text: the tenant's fields, then a table per part.
fn show(w: &mut dyn Write, d: &TenantDetail) -> std::io::Result<()> {
    let t = &d.tenant;
    fields(
        w,
        &[
            ("Tenant", t.id.clone()),
            ("Name", t.name.clone()),
            ("Default domain", t.default_domain.clone()),
            ("Usage location", t.usage_location.clone()),
            (
                "Users",
                format!("{} active, {} deleted", d.users.active, d.users.deleted),
            ),
        ],
    )?;
    writeln!(w)?;
    writeln!(w, "Domains")?;
    let domains: Vec<Vec<String>> = d
        .domains
        .iter()
        .map(|dom| {
            vec![
                dom.name.clone(),
                if dom.federated {
                    "federated"
                } else {
                    "managed"
                }
                .into(),
                if dom.default { "yes" } else { "" }.into(),
            ]
        })
        .collect();
    table(w, &["Name", "Type", "Default"], &domains)?;
    writeln!(w)?;
    writeln!(w, "Subscriptions")?;
    if d.subscriptions.is_empty() {
        return writeln!(w, "(none: `onboard license add` adds one)");
    }
    let subs: Vec<Vec<String>> = d
        .subscriptions
        .iter()
        .map(|s| {
            vec![
                s.sku.clone(),
                s.name.clone(),
                s.total.to_string(),
                s.assigned.to_string(),
                s.available.to_string(),
            ]
        })
        .collect();
    table(w, &["SKU", "Name", "Total", "Assigned", "Available"], &subs)
}
