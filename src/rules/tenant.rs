//! What the rules need to know about the tenant: its domains, its users and
//! its groups. Built by the command from the store; the rules never touch
//! the store.

use std::collections::HashMap;

use super::groups::GroupIndex;
use super::upn_index::ExistingUsers;

/// One of the tenant's domains.
#[derive(Debug, Clone)]
pub struct DomainInfo {
    pub name: String,
    pub federated: bool,
}

/// The tenant as the rules see it.
#[derive(Debug, Default)]
pub struct TenantView {
    pub id: String,
    pub default_domain: String,
    /// Keyed by lower-cased name.
    domains: HashMap<String, DomainInfo>,
    pub existing: ExistingUsers,
    /// The groups a Groups cell may name.
    pub groups: GroupIndex,
    /// The batch sends each new user a welcome email (`--welcome`), so a
    /// row without an address to send it to is worth a warning.
    pub welcome: bool,
}

impl TenantView {
    pub fn new(id: &str, default_domain: &str) -> Self {
        let mut t = TenantView {
            id: id.into(),
            default_domain: default_domain.into(),
            ..Default::default()
        };
        t.add_domain(default_domain, false);
        t
    }

    pub fn add_domain(&mut self, name: &str, federated: bool) {
        self.domains.insert(
            name.to_lowercase(),
            DomainInfo {
                name: name.to_lowercase(),
                federated,
            },
        );
    }

    /// The domain, case-insensitively.
    pub fn domain(&self, name: &str) -> Option<&DomainInfo> {
        // Most files write domains in lower case: look up without a copy.
        if !name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.domains.get(name);
        }
        self.domains.get(&name.to_lowercase())
    }

    /// A short list of the managed domains, for messages.
    pub fn managed_domains_hint(&self) -> String {
        let mut names: Vec<&str> = self
            .domains
            .values()
            .filter(|d| !d.federated)
            .map(|d| d.name.as_str())
            .collect();
        names.sort_unstable();
        let more = names.len().saturating_sub(5);
        names.truncate(5);
        let mut s = names.join(", ");
        if more > 0 {
            s.push_str(&format!(" (and {more} more)"));
        }
        s
    }
}
