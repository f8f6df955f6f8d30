//! The rules of SPEC §5: records in, findings and checked users out.
//!
//! One file per family of columns; [`verify::run`] drives them over a file.
//! Every finding has a stable [`Code`]. Rules read the tenant through a
//! [`TenantView`] the command builds, and never touch the store. The
//! Manager checks that need the whole file run once it is read
//! ([`managers`]).

mod byteset;
pub mod checked;
pub mod contact;
pub mod groups;
pub mod location;
pub mod managers;
pub mod password;
pub mod reading;
pub mod row;
pub mod sign_in;
pub mod tenant;
pub mod text;
pub mod upn_index;
pub mod username;
pub mod verify;

pub use crate::finding::{Code, Finding, HIDDEN, Severity};
pub use checked::NewUser;
pub use tenant::TenantView;
pub use upn_index::{Existing, ExistingUsers};
pub use verify::{Outcome, Verification};
