//! Users as the verification sees them: names and states.

use super::Store;
use crate::error::Result;
use crate::rules::{Existing, ExistingUsers};

impl Store {
    /// Every user name of the tenant, active or deleted, in a compact index.
    pub fn existing_users(&self, tenant: &str) -> Result<ExistingUsers> {
        let mut out = ExistingUsers::default();
        let mut stmt = self
            .conn
            .prepare("SELECT upn, state FROM users WHERE tenant_id = ?1")?;
        let mut rows = stmt.query([tenant])?;
        while let Some(r) = rows.next()? {
            let upn: String = r.get(0)?;
            let state: String = r.get(1)?;
            let s = if state == "deleted" {
                Existing::Deleted
            } else {
                Existing::Active
            };
            out.insert(&upn, s);
        }
        Ok(out)
    }
}
