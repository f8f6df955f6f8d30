//! `onboard license add` and `onboard license list`.

use super::Ctx;
use super::output::{Page, emit_page};
use crate::cli::LicenseCommand;
use crate::error::{Error, Exit, Result};
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, cmd: LicenseCommand) -> Result<Exit> {
    match cmd {
        LicenseCommand::Add {
            tenant,
            sku,
            seats,
            name,
        } => {
            let sku = check_sku(&sku)?;
            let mut store = Store::open(&ctx.db, Create::No)?;
            let t = store.tenant(&tenant)?;
            let s = store.add_license(&t.id, &sku, seats, name.as_deref())?;
            eprintln!(
                "{}: {} seats in all, {} assigned, {} available",
                s.sku, s.total, s.assigned, s.available
            );
            if ctx.json() {
                ctx.out
                    .json(&serde_json::json!({ "tenant": t.id, "license": s }))?;
            }
            Ok(Exit::Success)
        }
        LicenseCommand::List { tenant, pages } => {
            let store = Store::open(&ctx.db, Create::No)?;
            let t = store.tenant(&tenant)?;
            let subs = Page::of(store.subscriptions(&t.id)?, pages);
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

/// SKU ids are upper-case letters, digits and `_` (ENTERPRISEPACK, SPE_E5).
fn check_sku(sku: &str) -> Result<String> {
    let s = sku.trim().to_ascii_uppercase();
    if !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(s)
    } else {
        Err(Error::usage(format!(
            "\"{sku}\" is not a SKU id (letters, digits and _, like ENTERPRISEPACK)"
        )))
    }
}
