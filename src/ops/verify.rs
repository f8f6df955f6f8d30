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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Quiet;

    #[test]
    fn the_sample_verifies_and_seats_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::ops::testing::contoso(dir.path());
        crate::ops::tenants::add_license(&cfg, "contoso", "EMS", 2, None).unwrap();
        let mut opts = BatchOptions {
            file: crate::ops::testing::SAMPLE.into(),
            tenant: "contoso".into(),
            log: Some(dir.path().join("log.json")),
            ..BatchOptions::default()
        };
        let log = verify(&cfg, &opts, &Quiet).unwrap();
        assert_eq!((log.rows, log.errors, log.warnings), (6, 0, 0));
        assert!(dir.path().join("log.json").exists());
        opts.licenses = vec!["ems".into()];
        let log = verify(&cfg, &opts, &Quiet).unwrap();
        assert_eq!(log.errors, 1);
        assert_eq!(log.findings[0].code.as_str(), "insufficient_seats");
        // An output aimed at the store is refused before anything is read.
        opts.log = Some(cfg.db.clone());
        assert_eq!(verify(&cfg, &opts, &Quiet).unwrap_err().code(), "usage");
    }
}
