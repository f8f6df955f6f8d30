//! `onboard group add` and `onboard group list`.

use super::Ctx;
use super::output::emit_page;
use crate::cli::GroupCommand;
use crate::error::{Exit, Result};
use crate::ops::groups;

pub fn run(ctx: &Ctx, cmd: GroupCommand) -> Result<Exit> {
    match cmd {
        GroupCommand::Add { tenant, names } => {
            let added = groups::add_groups(&ctx.config, &tenant, &names)?;
            let n = added.groups.len();
            eprintln!(
                "{n} {} added to tenant {}: {}",
                if n == 1 { "group" } else { "groups" },
                added.tenant,
                added.groups.join(", ")
            );
            if ctx.json() {
                ctx.out.json(&added)?;
            }
            Ok(Exit::Success)
        }
        GroupCommand::List { tenant, pages } => {
            let groups = groups::list_groups(&ctx.config, &tenant, pages.into())?;
            let rows: Vec<Vec<String>> = groups
                .items
                .iter()
                .map(|g| vec![g.name.clone(), g.members.to_string()])
                .collect();
            emit_page(
                ctx.out,
                ctx.format,
                &["Group", "Members"],
                &rows,
                &groups,
                ("group", "groups"),
            )?;
            Ok(Exit::Success)
        }
    }
}
