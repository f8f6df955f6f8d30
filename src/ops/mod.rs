//! What a person can do, face-neutral: plain option structs in, typed
//! `Serialize` results out. The terminal face (`cli`) and the web face
//! call these and nothing below them; neither holds logic the other lacks.
//! No clap, no printing: an operation returns what happened, and the face
//! decides how to show it and which exit status or HTTP status it means.

pub mod batch;
pub mod commit;
pub mod groups;
pub mod page;
pub mod templates;
pub mod tenants;
pub mod users;
pub mod verify;

pub use page::{Page, PageRequest};
