//! Tenants, their domains and their subscriptions: add them, list them,
//! show one tenant whole, set a subscription's seats. Every value is
//! checked here, so both faces refuse the same ones.

use serde::Serialize;

use super::{Page, PageRequest};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rules::location::usage_location;
use crate::store::tenants::{TenantSummary, UserCounts};
use crate::store::{Create, Domain, Subscription, Tenant};

/// A tenant to add.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub id: String,
    /// The default domain, `PREFIX.onmicrosoft.com`.
    pub domain: String,
    /// Default usage location, ISO 3166-1 alpha-2.
    pub location: String,
    /// Display name; the id when `None`.
    pub name: Option<String>,
}

/// Adds a tenant (creating the store if there is none yet).
pub fn add_tenant(cfg: &Config, new: NewTenant) -> Result<Tenant> {
    let tenant = Tenant {
        name: new.name.unwrap_or_else(|| new.id.clone()),
        id: check_id(&new.id)?,
        default_domain: check_default_domain(&new.domain)?,
        usage_location: check_location(&new.location, "--location")?.to_string(),
    };
    let mut store = super::open(cfg, Create::IfMissing)?;
    store.add_tenant(&tenant)?;
    Ok(tenant)
}

pub fn list_tenants(cfg: &Config, req: PageRequest) -> Result<Page<TenantSummary>> {
    let store = super::open(cfg, Create::No)?;
    Ok(Page::of(store.tenants()?, req))
}

/// One tenant whole, for `tenant show` (and the API's `GET
/// /tenants/{id}`): each part is one store query and one field, so a new
/// part of a tenant (its groups, its directory) is one more of each.
#[derive(Debug, Clone, Serialize)]
pub struct TenantDetail {
    pub tenant: Tenant,
    pub domains: Vec<Domain>,
    /// With their seats: total, assigned, available.
    pub subscriptions: Vec<Subscription>,
    pub users: UserCounts,
}

/// The tenant `id` (in any case) whole. Users deleted more than 30 days
/// ago are purged first when the write lock is free, as `users list`
/// does, so the deleted count is of users that can still be restored.
pub fn show_tenant(cfg: &Config, id: &str) -> Result<TenantDetail> {
    let mut store = super::open(cfg, Create::No)?;
    let tenant = store.tenant(id)?;
    store.purge_unless_busy(&tenant.id)?;
    Ok(TenantDetail {
        domains: store.domains(&tenant)?,
        subscriptions: store.subscriptions(&tenant.id)?,
        users: store.user_counts(&tenant.id)?,
        tenant,
    })
}

/// A domain just added.
#[derive(Debug, Clone, Serialize)]
pub struct AddedDomain {
    pub tenant: String,
    pub domain: String,
    pub federated: bool,
}

pub fn add_domain(
    cfg: &Config,
    tenant: &str,
    domain: &str,
    federated: bool,
) -> Result<AddedDomain> {
    let name = check_domain(domain)?;
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    store.add_domain(&t.id, &name, federated)?;
    Ok(AddedDomain {
        tenant: t.id,
        domain: name,
        federated,
    })
}

pub fn list_domains(cfg: &Config, tenant: &str, req: PageRequest) -> Result<Page<Domain>> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    Ok(Page::of(store.domains(&t)?, req))
}

/// A subscription after seats were added to it.
#[derive(Debug, Clone, Serialize)]
pub struct AddedLicense {
    pub tenant: String,
    pub license: Subscription,
}

/// Adds a subscription, or `seats` more seats to an existing one.
pub fn add_license(
    cfg: &Config,
    tenant: &str,
    sku: &str,
    seats: u64,
    name: Option<&str>,
) -> Result<AddedLicense> {
    let sku = check_sku(sku)?;
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let license = store.add_license(&t.id, &sku, seats, name)?;
    Ok(AddedLicense {
        tenant: t.id,
        license,
    })
}

/// A subscription whose total was set.
#[derive(Debug, Clone, Serialize)]
pub struct SetLicense {
    pub tenant: String,
    /// The total it had before.
    pub previous_total: u64,
    pub license: Subscription,
}

/// Sets the total seats of the tenant's subscription `sku`; never below
/// the seats assigned (refused, exit 3, naming how many are in use).
pub fn set_license(cfg: &Config, tenant: &str, sku: &str, seats: u64) -> Result<SetLicense> {
    let sku = check_sku(sku)?;
    let mut store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    let (previous_total, license) = store.set_license(&t.id, &sku, seats)?;
    Ok(SetLicense {
        tenant: t.id,
        previous_total,
        license,
    })
}

pub fn list_licenses(cfg: &Config, tenant: &str, req: PageRequest) -> Result<Page<Subscription>> {
    let store = super::open(cfg, Create::No)?;
    let t = store.tenant(tenant)?;
    Ok(Page::of(store.subscriptions(&t.id)?, req))
}

/// Tenant ids are short and safe to type: letters, digits, `- _ .`.
fn check_id(id: &str) -> Result<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::usage(format!(
            "tenant id \"{id}\" is not valid: use 1 to 64 letters, digits, - _ or ."
        )))
    }
}

fn check_default_domain(domain: &str) -> Result<String> {
    let d = domain.trim().to_ascii_lowercase();
    let prefix = d.strip_suffix(".onmicrosoft.com").unwrap_or("");
    let ok = !prefix.is_empty()
        && prefix.len() <= 27
        && prefix.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(d)
    } else {
        Err(Error::usage(format!(
            "--domain \"{domain}\" is not a default domain: use PREFIX.onmicrosoft.com, where PREFIX is \
             1 to 27 letters and digits"
        )))
    }
}

/// An ISO 3166-1 alpha-2 code from an option, upper-cased.
pub fn check_location(code: &str, option: &str) -> Result<&'static str> {
    usage_location(code.trim()).ok_or_else(|| {
        Error::usage(format!(
            "{option} \"{code}\" is not an ISO 3166-1 alpha-2 country code (for example US, GB, DE)"
        ))
    })
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
/// User names are limited to 48-character domains, so longer ones are refused
/// here rather than at every row.
fn check_domain(domain: &str) -> Result<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.len() <= 48 && d.contains('.') && d.split('.').all(label_ok) {
        Ok(d)
    } else {
        Err(Error::usage(format!(
            "\"{domain}\" is not a domain name that can hold user names (letters, digits and \
             hyphens in dot-separated labels, at most 48 characters)"
        )))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_domains_and_licenses_through_the_operations() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::new(dir.path().join("s.db"));
        let new = |id: &str| NewTenant {
            id: id.into(),
            domain: format!("{id}.onmicrosoft.com"),
            location: "gb".into(),
            name: None,
        };
        let t = add_tenant(&cfg, new("contoso")).unwrap();
        assert_eq!(
            (t.name.as_str(), t.usage_location.as_str()),
            ("contoso", "GB")
        );
        assert_eq!(
            add_tenant(&cfg, new("Contoso")).unwrap_err().code(),
            "usage"
        );
        assert_eq!(add_tenant(&cfg, new("bad id")).unwrap_err().code(), "usage");
        let d = add_domain(&cfg, "CONTOSO", "Contoso.COM.", false).unwrap();
        assert_eq!(
            (d.tenant.as_str(), d.domain.as_str()),
            ("contoso", "contoso.com")
        );
        let l = add_license(&cfg, "contoso", "ems", 5, None).unwrap();
        assert_eq!((l.license.sku.as_str(), l.license.available), ("EMS", 5));
        let page = list_licenses(&cfg, "contoso", PageRequest::default()).unwrap();
        assert_eq!(page.total, 1);
        let domains = list_domains(&cfg, "contoso", PageRequest::default()).unwrap();
        assert_eq!(domains.total, 2);
        assert_eq!(list_tenants(&cfg, PageRequest::default()).unwrap().total, 1);
        assert_eq!(
            list_domains(&cfg, "nobody", PageRequest::default())
                .unwrap_err()
                .code(),
            "not_found"
        );
    }
}
