//! `onboard license add`, `onboard license set` and `onboard license list`.

use super::Ctx;
use super::output::emit_page;
use crate::cli::LicenseCommand;
use crate::error::{Exit, Result};
use crate::ops::tenants;

pub fn run(ctx: &Ctx, cmd: LicenseCommand) -> Result<Exit> {
    match cmd {
        LicenseCommand::Add {
            tenant,
            sku,
            seats,
            name,
        } => {
            let added =
                tenants::add_license(&ctx.config, &tenant.id, &sku, seats, name.as_deref())?;
            let s = &added.license;
            eprintln!(
                "{}: {} seats in all, {} assigned, {} available",
                s.sku, s.total, s.assigned, s.available
            );
            if ctx.json() {
                ctx.out.json(&added)?;
            }
            Ok(Exit::Success)
        }
        LicenseCommand::Set { tenant, sku, seats } => {
            let set = tenants::set_license(&ctx.config, &tenant.id, &sku, seats)?;
            let s = &set.license;
            let was = if set.previous_total == s.total {
                "unchanged".to_string()
            } else {
                format!("was {}", set.previous_total)
            };
            eprintln!(
                "{}: {} seats in all ({was}), {} assigned, {} available",
                s.sku, s.total, s.assigned, s.available
            );
            if ctx.json() {
                ctx.out.json(&set)?;
            }
            Ok(Exit::Success)
        }
        LicenseCommand::List { tenant, pages } => {
            let subs = tenants::list_licenses(&ctx.config, &tenant.id, pages.into())?;
            let rows: Vec<Vec<String>> = subs
                .items
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
            emit_page(
                ctx.out,
                ctx.format,
                &["SKU", "Name", "Total", "Assigned", "Available"],
                &rows,
                &subs,
                ("subscription", "subscriptions"),
            )?;
            Ok(Exit::Success)
        }
    }
}
