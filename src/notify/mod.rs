//! Notifications: rendering the emails a batch sends (results for the
//! administrators, welcome for each new user), queueing them in the outbox,
//! and delivering what the outbox holds.

pub mod deliver;
pub mod queue;
pub mod render;
pub mod transport;

pub use render::{Credentials, Rendered, Templates, TenantInfo};
