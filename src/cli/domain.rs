//! `onboard domain add` and `onboard domain list`.

use super::Ctx;
use super::output::emit_page;
use crate::cli::DomainCommand;
use crate::error::{Exit, Result};
use crate::ops::tenants;

pub fn run(ctx: &Ctx, cmd: DomainCommand) -> Result<Exit> {
    match cmd {
        DomainCommand::Add {
            tenant,
            domain,
            federated,
        } => {
            let added = tenants::add_domain(&ctx.config, &tenant.id, &domain, federated)?;
            let kind = if federated { "federated" } else { "managed" };
            eprintln!(
                "domain {} added to tenant {} ({kind})",
                added.domain, added.tenant
            );
            if ctx.json() {
                ctx.out.json(&added)?;
            }
            Ok(Exit::Success)
        }
        DomainCommand::List { tenant, pages } => {
            let domains = tenants::list_domains(&ctx.config, &tenant.id, pages.into())?;
            let rows: Vec<Vec<String>> = domains
                .items
                .iter()
                .map(|d| {
                    vec![
                        d.name.clone(),
                        if d.federated { "federated" } else { "managed" }.into(),
                        if d.default { "yes" } else { "" }.into(),
                    ]
                })
                .collect();
            emit_page(
                ctx.out,
                ctx.format,
                &["Domain", "Type", "Default"],
                &rows,
                &domains,
                ("domain", "domains"),
            )?;
            Ok(Exit::Success)
        }
    }
}
