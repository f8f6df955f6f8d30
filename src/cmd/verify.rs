//! `onboard verify`: read and check everything, write nothing to the store.
//! Exit 0 when there are no errors (warnings allowed), 1 when there are.

use super::Ctx;
use super::batch;
use crate::cli::BatchArgs;
use crate::error::{Exit, Result};
use crate::store::{Create, Store};

pub fn run(ctx: &Ctx, args: &BatchArgs) -> Result<Exit> {
    let store = Store::open(&ctx.db, Create::No)?;
    let plan = batch::plan(&store, args)?;
    drop(store);
    let annotate = args.annotated.as_deref().map(|path| batch::Annotate {
        path,
        invalid_only: false,
    });
    let mut verified = batch::verify_file(ctx, args, &plan, false, annotate)?;
    let log = &mut verified.outcome.log;
    for f in batch::seat_findings(&plan.licenses, log.rows) {
        log.push_batch_finding(f);
    }
    batch::publish(ctx, args, log, batch::LogTo::Stdout)?;
    Ok(if log.has_errors() {
        Exit::Invalid
    } else {
        Exit::Success
    })
}
