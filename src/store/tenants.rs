//! Tenants and their domains.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use super::audit::audit;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub default_domain: String,
    pub usage_location: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub name: String,
    pub federated: bool,
    pub default: bool,
}

/// A tenant with its counts, for `tenant list`.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSummary {
    #[serde(flatten)]
    pub tenant: Tenant,
    pub active_users: u64,
    pub deleted_users: u64,
    pub seats_total: u64,
    pub seats_assigned: u64,
}

/// A tenant's users by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    pub active: u64,
    /// Deleted less than 30 days ago (and not yet purged): restorable.
    pub deleted: u64,
}

impl Store {
    pub fn add_tenant(&mut self, t: &Tenant) -> Result<()> {
        let now = self.now();
        let actor = self.actor().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<String> = tx
            .query_row(
                "SELECT id FROM tenants WHERE id = ?1 COLLATE NOCASE",
                [&t.id],
                |r| r.get(0),
            )
            .optional()?;
        match exists {
            Some(id) if id == t.id => {
                return Err(Error::usage(format!("tenant {} already exists", t.id)));
            }
            Some(id) => {
                return Err(Error::usage(format!(
                    "tenant {id} already exists (tenant ids are the same in any case); choose                      another id, or use {id}"
                )));
            }
            None => {}
        }
        let taken: Option<String> = tx
            .query_row(
                "SELECT tenant_id FROM domains WHERE name = ?1",
                [&t.default_domain],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(Error::usage(format!(
                "the domain {} already belongs to another tenant",
                t.default_domain
            )));
        }
        tx.execute(
            "INSERT INTO tenants (id, name, default_domain, usage_location, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.id, t.name, t.default_domain, t.usage_location, now],
        )?;
        tx.execute(
            "INSERT INTO domains (tenant_id, name, federated, created_at) VALUES (?1, ?2, 0, ?3)",
            params![t.id, t.default_domain, now],
        )?;
        audit(
            &tx,
            &t.id,
            now,
            &actor,
            "tenant.add",
            &t.id,
            &t.default_domain,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The tenant, or a not-found error naming it.
    /// The tenant whose id is `id` in any case (ids are unique regardless
    /// of case and keep the spelling they were created with).
    pub fn tenant(&self, id: &str) -> Result<Tenant> {
        self.conn
            .query_row(
                "SELECT id, name, default_domain, usage_location FROM tenants
                 WHERE id = ?1 COLLATE NOCASE ORDER BY id = ?1 DESC LIMIT 1",
                [id],
                |r| {
                    Ok(Tenant {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        default_domain: r.get(2)?,
                        usage_location: r.get(3)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "unknown tenant \"{id}\"; `onboard tenant list` shows the tenants of this store"
                ))
            })
    }

    pub fn tenants(&self) -> Result<Vec<TenantSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.name, t.default_domain, t.usage_location,
                (SELECT count(*) FROM users u WHERE u.tenant_id = t.id AND u.state = 'active'),
                (SELECT count(*) FROM users u WHERE u.tenant_id = t.id AND u.state = 'deleted'),
                (SELECT coalesce(sum(total_seats), 0) FROM subscriptions s WHERE s.tenant_id = t.id),
                (SELECT count(*) FROM license_assignments a
                   WHERE a.tenant_id = t.id AND a.state = 'assigned')
             FROM tenants t ORDER BY t.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TenantSummary {
                tenant: Tenant {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    default_domain: r.get(2)?,
                    usage_location: r.get(3)?,
                },
                active_users: r.get(4)?,
                deleted_users: r.get(5)?,
                seats_total: r.get(6)?,
                seats_assigned: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many active and deleted users the tenant has.
    pub fn user_counts(&self, tenant: &str) -> Result<UserCounts> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'deleted')
             FROM users WHERE tenant_id = ?1",
            [tenant],
            |r| {
                Ok(UserCounts {
                    active: r.get(0)?,
                    deleted: r.get(1)?,
                })
            },
        )?)
    }

    pub fn add_domain(&mut self, tenant: &str, name: &str, federated: bool) -> Result<()> {
        let tenant = &self.tenant(tenant)?.id;
        let now = self.now();
        let actor = self.actor().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let owner: Option<String> = tx
            .query_row(
                "SELECT tenant_id FROM domains WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        match owner {
            Some(o) if &o == tenant => {
                return Err(Error::usage(format!(
                    "{name} is already a domain of tenant {tenant}"
                )));
            }
            Some(_) => {
                return Err(Error::usage(format!(
                    "the domain {name} already belongs to another tenant"
                )));
            }
            None => {}
        }
        tx.execute(
            "INSERT INTO domains (tenant_id, name, federated, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![tenant, name, federated, now],
        )?;
        let kind = if federated { "federated" } else { "managed" };
        audit(&tx, tenant, now, &actor, "domain.add", name, kind)?;
        tx.commit()?;
        Ok(())
    }

    pub fn domains(&self, tenant: &Tenant) -> Result<Vec<Domain>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, federated FROM domains WHERE tenant_id = ?1 ORDER BY name")?;
        let rows = stmt.query_map([&tenant.id], |r| {
            let name: String = r.get(0)?;
            Ok(Domain {
                default: name.eq_ignore_ascii_case(&tenant.default_domain),
                name,
                federated: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
