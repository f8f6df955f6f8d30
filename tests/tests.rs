//! The integration tests, as one binary (one link, one process start-up):
//! each module covers one area and every test gets a fresh work folder and
//! store (`util::Work`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/generate.rs"]
mod generate;

mod after_batch;
mod architecture;
mod bad_input;
mod commit;
mod faults;
mod fuzz;
mod generator;
mod groups;
mod history;
mod logs;
mod managers;
mod migrations;
mod notify;
mod props;
mod protected;
mod reading;
mod samples;
mod scripts;
mod search;
mod security;
mod snapshots;
mod users;
mod util;
mod vendors;
mod verify;
