//! The audit log: one entry per change, written inside the transaction of
//! the change it records (so a refused or rolled-back change leaves none),
//! and read back by `audit list`.
//!
//! An entry is the tenant, the time (Unix seconds), who acted (the
//! store's [`Settings::actor`](super::Settings::actor)), a stable action
//! code (`user.create`, `batch.commit`, ...: the list is in the README),
//! its subject (a user name for the `user.*` and `license.*` changes of a
//! user, else the batch id, tenant id, domain or SKU) and a detail for
//! people.

use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::error::Result;

/// Appends an audit entry inside the caller's transaction.
pub fn audit(
    tx: &rusqlite::Connection,
    tenant: &str,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, at, actor, action, subject, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![tenant, at, actor, action, subject, detail])?;
    Ok(())
}

/// One entry, as `audit list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub tenant: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: i64,
    /// `None` for entries written before actors were recorded.
    pub actor: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Which entries `audit list` shows. Values are as the store spells
/// them: the tenant's id, a full user name.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    /// One tenant's entries; every tenant's when `None`.
    pub tenant: Option<&'a str>,
    /// Entries at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// The changes to this user (any case); leaves out the batch entries.
    pub user: Option<&'a str>,
}

impl AuditFilter<'_> {
    /// The `WHERE` clause (named parameters `:tenant`, `:since`, `:user`)
    /// and its values.
    fn clause(&self) -> (String, Vec<Named>) {
        let mut terms = Vec::new();
        let mut values: Vec<Named> = Vec::new();
        if let Some(t) = self.tenant {
            terms.push("tenant_id = :tenant");
            values.push((":tenant", t.to_string().into()));
        }
        if let Some(s) = self.since {
            terms.push("at >= :since");
            values.push((":since", s.into()));
        }
        if let Some(u) = self.user {
            terms.push("subject = :user COLLATE NOCASE AND action <> 'batch.commit'");
            values.push((":user", u.to_string().into()));
        }
        let clause = if terms.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", terms.join(" AND "))
        };
        (clause, values)
    }
}

impl Store {
    /// The entries `filter` selects, newest first (by time, then by the
    /// order they were written): `limit` of them from the `offset`th on,
    /// and how many there are in all.
    pub fn audit_entries(
        &self,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<AuditEntry>)> {
        let (clause, mut values) = filter.clause();
        let total: u64 = self.conn.query_row(
            &format!("SELECT count(*) FROM audit_log {clause}"),
            &*bound(&values),
            |r| r.get(0),
        )?;
        values.push((":limit", clamp(limit).into()));
        values.push((":offset", clamp(offset).into()));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, tenant_id, at, actor, action, subject, detail FROM audit_log {clause}
             ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"
        ))?;
        let entries = stmt
            .query_map(&*bound(&values), |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    tenant: r.get(1)?,
                    at: r.get(2)?,
                    actor: r.get(3)?,
                    action: r.get(4)?,
                    subject: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok((total, entries))
    }
}

type Named = (&'static str, rusqlite::types::Value);

/// Named values as rusqlite binds them.
fn bound(values: &[Named]) -> Vec<(&'static str, &dyn rusqlite::ToSql)> {
    values
        .iter()
        .map(|(k, v)| (*k, v as &dyn rusqlite::ToSql))
        .collect()
}

/// A count or position as SQLite's integer.
pub(super) fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
