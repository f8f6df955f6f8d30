//! The integration tests: one binary, one module per area, each test in a
//! fresh folder with its own store (see `harness`).
#![allow(clippy::unwrap_used)]

mod commit;
mod harness;
mod notify;
mod snapshots;
