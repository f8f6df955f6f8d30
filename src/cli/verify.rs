//! `onboard verify`: read and check everything, write nothing to the store.
//! Exit 0 when there are no errors (warnings allowed), 1 when there are.
//!
//! It checks what `commit` would check before its slow part: the paths
//! (SPEC §11), the options, the templates and the SMTP URL (parsed and
//! test-rendered; no connection is made), the recipients and the seats.

use super::Ctx;
use super::batch;
use crate::cli::BatchArgs;
use crate::error::{Exit, Result};
use crate::files::{Name, Outputs};
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, args: &BatchArgs) -> Result<Exit> {
    batch::guard(ctx, args)?;
    let store = Store::open(&ctx.db, Create::No)?;
    let plan = batch::plan(&store, args)?;
    drop(store);
    batch::Delivery::prepare(ctx, args)?;
    let annotate = args.annotated.as_deref().map(|path| batch::Annotate {
        path,
        invalid_only: false,
        name: Name::Replace,
    });
    let mut verified = batch::verify_file(ctx, args, &plan, false, annotate)?;
    let log = &mut verified.outcome.log;
    for f in batch::seat_findings(&plan.licenses, log.rows) {
        log.push_batch_finding(f);
    }
    // The files first: a reader that closes standard output early still
    // gets them.
    let mut outputs = Outputs::default();
    outputs.add_all([verified.annotated.take(), batch::stage_log(args, log)?]);
    outputs.publish()?;
    batch::print_log(ctx, log, batch::LogTo::Stdout)?;
    Ok(if log.has_errors() {
        Exit::Invalid
    } else {
        Exit::Success
    })
}
