//! Verifying a batch: read and check everything, write nothing to the
//! store (SPEC §6).
//!
//! It checks what a commit would check before its slow part: the paths
//! (SPEC §11), the options, the templates and the SMTP URL (parsed and
//! test-rendered; no connection is made), the recipients and the seats.
//! The log and annotated files are published before the verification is
//! returned, so a reader that closes the face's output early still gets
//! them.

use super::batch::{self, Annotate, BatchOptions};
use crate::config::Config;
use crate::error::Result;
use crate::files::{Name, Outputs};
use crate::progress::Progress;
use crate::rules::Verification;
use crate::store::Create;

/// Verifies the batch of `opts`; the log, with the seat findings.
pub fn verify(cfg: &Config, opts: &BatchOptions, progress: &dyn Progress) -> Result<Verification> {
    batch::guard(cfg, opts)?;
    let store = super::open(cfg, Create::No)?;
    let plan = batch::plan(&store, opts)?;
    drop(store);
    batch::Delivery::prepare(cfg, opts)?;
    let annotate = opts.annotated.as_deref().map(|path| Annotate {
        path,
        invalid_only: false,
        name: Name::Replace,
    });
    let mut verified = batch::verify_file(progress, opts, &plan, false, annotate)?;
    let mut log = verified.outcome.log;
    for f in batch::seat_findings(&plan.licenses, log.rows) {
        log.push_batch_finding(f);
    }
    let mut outputs = Outputs::default();
    outputs.add_all([verified.annotated.take(), batch::stage_log(opts, &log)?]);
    outputs.publish()?;
    Ok(log)
}
