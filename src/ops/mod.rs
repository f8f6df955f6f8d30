//! What a person can do, face-neutral: plain option structs in, typed
//! `Serialize` results out. The terminal face (`cli`) and the web face
//! call these and nothing below them; neither holds logic the other lacks.
//! No clap, no printing: an operation returns what happened, and the face
//! decides how to show it and which exit status or HTTP status it means.

pub mod batch;
pub mod commit;
pub mod groups;
pub mod history;
pub mod outbox;
pub mod page;
pub mod templates;
pub mod tenants;
pub mod users;
pub mod verify;

pub use page::{Page, PageRequest};

use crate::config::Config;
use crate::error::Result;
use crate::store::{Create, Store};

/// The store the configuration names, opened with its settings.
pub(crate) fn open(cfg: &Config, create: Create) -> Result<Store> {
    Store::open(&cfg.db, create, &cfg.store)
}

/// What the operations' unit tests share: a store in a folder of their own.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use super::tenants::{self, NewTenant};
    use crate::config::Config;

    /// A store in `dir` with tenant contoso (default domain
    /// contoso.onmicrosoft.com, contoso.com managed, location US, the
    /// sample's groups), hashing at the cheapest argon2 cost.
    pub fn contoso(dir: &Path) -> Config {
        let mut cfg = Config::new(dir.join("s.db"));
        cfg.argon2 = crate::password::Cost::parse("m=8,t=1,p=1").unwrap_or(cfg.argon2);
        let new = NewTenant {
            id: "contoso".into(),
            domain: "contoso.onmicrosoft.com".into(),
            location: "US".into(),
            name: None,
        };
        tenants::add_tenant(&cfg, new).expect("tenant");
        tenants::add_domain(&cfg, "contoso", "contoso.com", false).expect("domain");
        // The groups the sample names.
        let groups: Vec<String> = ["All Staff", "Sales", "Engineering"]
            .iter()
            .map(|g| g.to_string())
            .collect();
        super::groups::add_groups(&cfg, "contoso", &groups).expect("groups");
        cfg
    }

    /// The sample template of `samples/`.
    pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv");
}
