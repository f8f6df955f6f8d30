//! The audit log: one entry per change, written inside the transaction of
//! the change it records.

use rusqlite::params;

/// Appends an audit entry inside the caller's transaction.
pub fn audit(
    tx: &rusqlite::Connection,
    tenant: &str,
    at: i64,
    action: &str,
    subject: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, at, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![tenant, at, action, subject, detail])?;
    Ok(())
}
