//! Subscriptions (SKUs with seats) and what is assigned of them.
//!
//! "Assigned" is always counted from `license_assignments`, never kept as a
//! counter, so it cannot drift from what the users hold.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::Store;
use super::audit::audit;
use super::begin_write;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub sku: String,
    pub name: String,
    pub total: u64,
    pub assigned: u64,
    pub available: u64,
}

impl Subscription {
    /// "ENTERPRISEPACK: 12 available, 40 needed" when `needed` seats do not
    /// fit: the one wording of a seat shortage, wherever it is found.
    pub fn shortage(&self, needed: u64) -> Option<String> {
        (self.available < needed).then(|| {
            format!(
                "{}: {} available, {} needed",
                self.sku, self.available, needed
            )
        })
    }
}

/// The subscriptions of `tenant` with their counts, on any connection or
/// transaction (the commit re-reads them inside its transaction).
pub fn subscriptions(
    conn: &rusqlite::Connection,
    tenant: &str,
) -> rusqlite::Result<Vec<Subscription>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.sku, s.name, s.total_seats,
            (SELECT count(*) FROM license_assignments a
              WHERE a.tenant_id = s.tenant_id AND a.sku = s.sku AND a.state = 'assigned')
         FROM subscriptions s WHERE s.tenant_id = ?1 ORDER BY s.sku",
    )?;
    let rows = stmt.query_map([tenant], |r| {
        let total: u64 = r.get(2)?;
        let assigned: u64 = r.get(3)?;
        Ok(Subscription {
            sku: r.get(0)?,
            name: r.get(1)?,
            total,
            assigned,
            available: total.saturating_sub(assigned),
        })
    })?;
    rows.collect()
}

impl Store {
    /// Adds a subscription, or `seats` more seats to an existing one.
    pub fn add_license(
        &mut self,
        tenant: &str,
        sku: &str,
        seats: u64,
        name: Option<&str>,
    ) -> Result<Subscription> {
        let tenant = &self.tenant(tenant)?.id;
        let now = self.now();
        let actor = self.actor().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT sku FROM subscriptions WHERE tenant_id = ?1 AND sku = ?2",
                params![tenant, sku],
                |r| r.get(0),
            )
            .optional()?;
        let seats_i = i64::try_from(seats).map_err(|_| Error::usage("--seats is too large"))?;
        match existing {
            Some(_) => {
                tx.execute(
                    "UPDATE subscriptions SET total_seats = total_seats + ?3,
                        name = coalesce(?4, name)
                     WHERE tenant_id = ?1 AND sku = ?2",
                    params![tenant, sku, seats_i, name],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO subscriptions (tenant_id, sku, name, total_seats, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![tenant, sku, name.unwrap_or(sku), seats_i, now],
                )?;
            }
        }
        audit(
            &tx,
            tenant,
            now,
            &actor,
            "license.add",
            sku,
            &format!("+{seats} seats"),
        )?;
        tx.commit()?;
        self.subscriptions(tenant)?
            .into_iter()
            .find(|s| s.sku.eq_ignore_ascii_case(sku))
            .ok_or_else(|| {
                Error::Internal(format!(
                    "the subscription {sku} vanished after it was written"
                ))
            })
    }

    /// Sets the subscription's total to `seats` and returns the total it
    /// had and the subscription now. Never below the seats assigned: that
    /// is refused (exit 3), naming how many are in use, and changes
    /// nothing. Setting the total it has already changes nothing either,
    /// and writes no audit entry.
    pub fn set_license(
        &mut self,
        tenant: &str,
        sku: &str,
        seats: u64,
    ) -> Result<(u64, Subscription)> {
        let tenant = self.tenant(tenant)?.id;
        let now = self.now();
        let actor = self.actor().to_string();
        let seats_i = i64::try_from(seats).map_err(|_| Error::usage("--seats is too large"))?;
        let tx = begin_write(self)?;
        let Some(sub) = subscriptions(&tx, &tenant)?
            .into_iter()
            .find(|s| s.sku.eq_ignore_ascii_case(sku))
        else {
            return Err(Error::NotFound(format!(
                "tenant {tenant} has no subscription {sku}; `onboard license list --tenant \
                 {tenant}` shows its subscriptions, `onboard license add` adds one"
            )));
        };
        if seats < sub.assigned {
            let n = sub.assigned;
            let are = if n == 1 { "seat is" } else { "seats are" };
            return Err(Error::Refused(format!(
                "{}: {n} {are} assigned; set at least {n} (nothing was changed)",
                sub.sku
            )));
        }
        let before = sub.total;
        if seats != before {
            tx.execute(
                "UPDATE subscriptions SET total_seats = ?3 WHERE tenant_id = ?1 AND sku = ?2",
                params![tenant, sub.sku, seats_i],
            )?;
            audit(
                &tx,
                &tenant,
                now,
                &actor,
                "license.set",
                &sub.sku,
                &format!("from {before} to {seats} seats"),
            )?;
        }
        tx.commit()?;
        Ok((
            before,
            Subscription {
                total: seats,
                available: seats - sub.assigned,
                ..sub
            },
        ))
    }

    pub fn subscriptions(&self, tenant: &str) -> Result<Vec<Subscription>> {
        Ok(subscriptions(&self.conn, tenant)?)
    }
}
