//! What happened: the batches committed and the audit log (SPEC §13
//! "History").
//!
//! Both lists are newest first, the way an administrator asks "what just
//! happened?": page 1 is the latest. Within one second, entries are in
//! the reverse of the order they were written, so a commit's
//! `batch.commit` comes before its users' `user.create` entries.

use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Create;
use crate::store::audit::{AuditEntry, AuditFilter};
use crate::store::batches::BatchRecord;

/// The tenant's batches, newest first.
pub fn batches(cfg: &Config, tenant: &str, req: PageRequest) -> Result<Page<BatchRecord>> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let (total, items) = store.batches(&t.id, req.offset(), req.per_page)?;
    Ok(Page::from_parts(items, total, req))
}

/// One batch of the tenant. An id the tenant does not have is unknown
/// (exit 2), also when another tenant has it.
pub fn batch(cfg: &Config, tenant: &str, id: &str) -> Result<BatchRecord> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    store.batch(&t.id, id)?.ok_or_else(|| {
        Error::NotFound(format!(
            "tenant {} has no batch \"{id}\"; `onboard batch list --tenant {}` shows its batches",
            t.id, t.id
        ))
    })
}

/// What `audit list` is asked for, as typed.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// One tenant (any case); every tenant when `None`.
    pub tenant: Option<String>,
    /// At or after this time: RFC 3339, or a date meaning midnight UTC.
    pub since: Option<String>,
    /// The changes to this user: a user name, or a bare alias of the
    /// tenant's default domain (which needs `tenant`).
    pub user: Option<String>,
}

/// The audit entries `q` selects, newest first.
pub fn audit(cfg: &Config, q: &AuditQuery, req: PageRequest) -> Result<Page<AuditEntry>> {
    let since = q.since.as_deref().map(since).transpose()?;
    let store = super::open(cfg, Create::No)?;
    let tenant = q.tenant.as_deref().map(|t| store.tenant(t)).transpose()?;
    let user = match (q.user.as_deref().map(str::trim), &tenant) {
        (None, _) => None,
        (Some(""), _) => return Err(Error::usage("--user needs a user name")),
        (Some(u), _) if u.contains('@') => Some(u.to_string()),
        (Some(alias), Some(t)) => Some(format!("{alias}@{}", t.default_domain)),
        (Some(alias), None) => {
            return Err(Error::usage(format!(
                "--user {alias} is a bare alias: give the full user name \
                 ({alias}@DOMAIN), or --tenant ID for the tenant's default domain"
            )));
        }
    };
    let filter = AuditFilter {
        tenant: tenant.as_ref().map(|t| t.id.as_str()),
        since,
        user: user.as_deref(),
    };
    let (total, items) = store.audit_entries(&filter, req.offset(), req.per_page)?;
    Ok(Page::from_parts(items, total, req))
}

/// `--since`: Unix seconds, or a usage error that shows what is accepted.
fn since(text: &str) -> Result<i64> {
    crate::time::parse(text).ok_or_else(|| {
        Error::usage(format!(
            "--since \"{text}\" is not a time: use RFC 3339 (2025-03-01T09:30:00Z, \
             2025-03-01T10:30:00+01:00) or a date (2025-03-01, meaning midnight UTC)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tenants::{self, NewTenant};

    fn setup(dir: &std::path::Path) -> Config {
        let mut cfg = Config::new(dir.join("s.db"));
        cfg.store.actor = "alice".into();
        for id in ["contoso", "fabrikam"] {
            tenants::add_tenant(
                &cfg,
                NewTenant {
                    id: id.into(),
                    domain: format!("{id}.onmicrosoft.com"),
                    location: "US".into(),
                    name: None,
                },
            )
            .unwrap();
        }
        cfg
    }

    fn query(tenant: Option<&str>, since: Option<&str>, user: Option<&str>) -> AuditQuery {
        AuditQuery {
            tenant: tenant.map(Into::into),
            since: since.map(Into::into),
            user: user.map(Into::into),
        }
    }

    #[test]
    fn the_log_by_tenant_time_and_actor() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = setup(dir.path());
        cfg.store.now = Some(2_000_000_000);
        cfg.store.actor = "bob".into();
        tenants::add_license(&cfg, "contoso", "EMS", 5, None).unwrap();

        let all = audit(&cfg, &AuditQuery::default(), PageRequest::default()).unwrap();
        let seen: Vec<(&str, &str, Option<&str>)> = all
            .items
            .iter()
            .map(|e| (e.tenant.as_str(), e.action.as_str(), e.actor.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("contoso", "license.add", Some("bob")),
                ("fabrikam", "tenant.add", Some("alice")),
                ("contoso", "tenant.add", Some("alice")),
            ]
        );
        let one = audit(
            &cfg,
            &query(Some("CONTOSO"), None, None),
            PageRequest::default(),
        );
        assert_eq!(one.unwrap().total, 2);
        let later = audit(
            &cfg,
            &query(None, Some("2033-05-18"), None),
            PageRequest::default(),
        );
        assert_eq!(later.unwrap().total, 1);
        let at = audit(
            &cfg,
            &query(None, Some("2033-05-18T03:33:20Z"), None),
            PageRequest::default(),
        );
        assert_eq!(at.unwrap().total, 1, "--since is inclusive");
        let after = audit(
            &cfg,
            &query(None, Some("2033-05-18T03:33:21Z"), None),
            PageRequest::default(),
        );
        assert_eq!(after.unwrap().total, 0);
    }

    #[test]
    fn refusals_are_usage_or_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = setup(dir.path());
        let err = |q: AuditQuery| audit(&cfg, &q, PageRequest::default()).unwrap_err();
        let e = err(query(None, Some("last tuesday"), None));
        assert_eq!(e.code(), "usage");
        assert!(
            e.to_string().contains("\"last tuesday\" is not a time"),
            "{e}"
        );
        let e = err(query(None, None, Some("adele")));
        assert_eq!(e.code(), "usage");
        assert!(e.to_string().contains("bare alias"), "{e}");
        assert_eq!(err(query(Some("nobody"), None, None)).code(), "not_found");
        assert_eq!(
            batch(&cfg, "contoso", "no-such-batch").unwrap_err().code(),
            "not_found"
        );
        let none = batches(&cfg, "fabrikam", PageRequest::default()).unwrap();
        assert_eq!((none.total, none.page, none.pages), (0, 1, 1));
    }
}
