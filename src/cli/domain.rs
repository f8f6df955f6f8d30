//! `onboard domain add` and `onboard domain list`.

use super::Ctx;
use super::output::{Page, emit_page};
use crate::cli::DomainCommand;
use crate::error::{Error, Exit, Result};
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, cmd: DomainCommand) -> Result<Exit> {
    match cmd {
        DomainCommand::Add {
            tenant,
            domain,
            federated,
        } => {
            let name = check_domain(&domain)?;
            let mut store = Store::open(&ctx.db, Create::No)?;
            let t = store.tenant(&tenant)?;
            store.add_domain(&t.id, &name, federated)?;
            let kind = if federated { "federated" } else { "managed" };
            eprintln!("domain {name} added to tenant {} ({kind})", t.id);
            if ctx.json() {
                ctx.out.json(&serde_json::json!({
                    "tenant": t.id, "domain": name, "federated": federated,
                }))?;
            }
            Ok(Exit::Success)
        }
        DomainCommand::List { tenant, pages } => {
            let store = Store::open(&ctx.db, Create::No)?;
            let t = store.tenant(&tenant)?;
            let domains = Page::of(store.domains(&t)?, pages);
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

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
/// User names are limited to 48-character domains, so longer ones are refused
/// here rather than at every row.
fn check_domain(domain: &str) -> Result<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.len() <= 48 && d.contains('.') && d.split('.').all(label_ok) {
        Ok(d)
    } else {
        Err(Error::usage(format!(
            "\"{domain}\" is not a domain name that can hold user names (letters, digits and \
             hyphens in dot-separated labels, at most 48 characters)"
        )))
    }
}
