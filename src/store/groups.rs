//! A tenant's groups, which the Groups column names, and their members.
//!
//! Names are unique per tenant regardless of case (the `name_key` column,
//! [`group_key`]) and keep the spelling they were created with. Members
//! are written by a commit, in the batch's transaction
//! (`batches::insert_users`).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use super::audit::audit;
use super::begin_write;
use crate::error::{Error, Result};
use crate::rules::groups::{GroupIndex, group_key};

/// One row of `group list`.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub name: String,
    /// Active users in the group (a deleted user stays in its groups, for
    /// a restore, and is not counted).
    pub members: u64,
}

impl Store {
    /// Adds the groups `names` (already checked) to `tenant`, all or none:
    /// a name the tenant has in any case is refused (exit 2), naming every
    /// such name.
    pub fn add_groups(&mut self, tenant: &str, names: &[String]) -> Result<()> {
        let now = self.now();
        let actor = self.actor().to_string();
        let tx = begin_write(self)?;
        let mut taken = Vec::new();
        for name in names {
            let found: Option<String> = tx
                .prepare_cached("SELECT name FROM groups WHERE tenant_id = ?1 AND name_key = ?2")?
                .query_row(params![tenant, group_key(name)], |r| r.get(0))
                .optional()?;
            if let Some(existing) = found {
                taken.push(match existing == *name {
                    true => format!("\"{existing}\""),
                    false => format!("\"{name}\" (as \"{existing}\")"),
                });
            }
        }
        if !taken.is_empty() {
            return Err(Error::usage(format!(
                "tenant {tenant} has the group{} {} already (group names are the same in any \
                 case); nothing was added",
                if taken.len() == 1 { "" } else { "s" },
                taken.join(", ")
            )));
        }
        for name in names {
            tx.prepare_cached(
                "INSERT INTO groups (tenant_id, name, name_key, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![tenant, name, group_key(name), now])?;
            audit(&tx, tenant, now, &actor, "group.add", name, "")?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The tenant's groups by name (in any case), with their active
    /// members.
    pub fn groups(&self, tenant: &str) -> Result<Vec<GroupRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT g.name,
                (SELECT count(*) FROM group_members m JOIN users u ON u.key = m.user_key
                 WHERE m.group_key = g.key AND u.state = 'active')
             FROM groups g WHERE g.tenant_id = ?1 ORDER BY g.name_key, g.name",
        )?;
        let rows = stmt.query_map([tenant], |r| {
            Ok(GroupRow {
                name: r.get(0)?,
                members: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The tenant's groups as the rules look them up.
    pub fn group_index(&self, tenant: &str) -> Result<GroupIndex> {
        let mut index = GroupIndex::default();
        let mut stmt = self
            .conn
            .prepare("SELECT key, name FROM groups WHERE tenant_id = ?1 ORDER BY key")?;
        let mut rows = stmt.query([tenant])?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(1)?;
            index.insert(r.get(0)?, &name);
        }
        Ok(index)
    }
}
