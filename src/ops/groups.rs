//! A tenant's groups, for the Groups column (SPEC §2, §3): add them, list
//! them with their members.
//!
//! A group name is what a Groups cell can name: 1 to 256 characters
//! without control characters and without `;` (the cell's separator),
//! surrounding spaces removed; unique in its tenant in any case. `add` is
//! all or nothing: a name given twice or one the tenant has already refuses
//! the whole command (exit 2), naming each.

use serde::Serialize;

use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rules::groups::{SEPARATOR, group_key};
use crate::rules::text::is_control;
use crate::store::Create;
use crate::store::groups::GroupRow;

/// The longest group name, in characters.
pub const MAX_NAME: usize = 256;

/// Groups just added.
#[derive(Debug, Clone, Serialize)]
pub struct AddedGroups {
    pub tenant: String,
    pub groups: Vec<String>,
}

/// Adds the groups `names` to `tenant`, all or none.
pub fn add_groups(cfg: &Config, tenant: &str, names: &[String]) -> Result<AddedGroups> {
    let mut checked: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let name = check_name(name)?;
        if let Some(first) = checked.iter().find(|n| group_key(n) == group_key(&name)) {
            return Err(Error::usage(format!(
                "the group \"{name}\" is given twice (as \"{first}\"; group names are the same in \
                 any case); nothing was added"
            )));
        }
        checked.push(name);
    }
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    store.add_groups(&t.id, &checked)?;
    Ok(AddedGroups {
        tenant: t.id,
        groups: checked,
    })
}

/// The tenant's groups by name, with their active members.
pub fn list_groups(cfg: &Config, tenant: &str, req: PageRequest) -> Result<Page<GroupRow>> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    Ok(Page::of(store.groups(&t.id)?, req))
}

/// A group name as a Groups cell can name it.
fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    let problem = if n.is_empty() {
        Some("is empty".to_string())
    } else if n.chars().count() > MAX_NAME {
        Some(format!("is longer than {MAX_NAME} characters"))
    } else if n.contains(SEPARATOR) {
        Some(format!(
            "holds \"{SEPARATOR}\", which separates group names in the Groups column"
        ))
    } else if n.chars().any(is_control) {
        Some("holds a control character".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(n.to_string()),
        Some(p) => Err(Error::usage(format!(
            "the group name \"{}\" {p}; nothing was added",
            n.escape_debug()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tenants::{NewTenant, add_tenant};

    #[test]
    fn groups_are_added_all_or_nothing_and_unique_in_any_case() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::new(dir.path().join("s.db"));
        add_tenant(
            &cfg,
            NewTenant {
                id: "contoso".into(),
                domain: "contoso.onmicrosoft.com".into(),
                location: "US".into(),
                name: None,
            },
        )
        .unwrap();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let added = add_groups(&cfg, "CONTOSO", &names(&[" Sales ", "Équipe été"])).unwrap();
        assert_eq!(added.groups, ["Sales", "Équipe été"]);
        for bad in [
            &["x;y"][..],
            &["  "],
            &["Ops", "OPS"],
            &["Marketing", "ÉQUIPE ÉTÉ"],
        ] {
            let e = add_groups(&cfg, "contoso", &names(bad)).unwrap_err();
            assert_eq!(e.code(), "usage", "{bad:?}: {e}");
        }
        let page = list_groups(&cfg, "contoso", PageRequest::default()).unwrap();
        let listed: Vec<(&str, u64)> = page
            .items
            .iter()
            .map(|g| (g.name.as_str(), g.members))
            .collect();
        // By lower-cased name, as `users list` orders names (by code point).
        assert_eq!(listed, [("Sales", 0), ("Équipe été", 0)]);
        assert_eq!(page.total, 2);
    }
}
