//! `onboard commit`: the summary (or, when nothing was committed, the log)
//! on standard output, what went wrong on standard error, and the exit
//! status of SPEC §2: 0, 1, 3, 4 or 130.

use super::Ctx;
use super::interrupt;
use super::verify::{print_log, print_log_to_stderr};
use crate::cli::CommitArgs;
use crate::error::{Exit, Result};
use crate::ops::commit::{self, Outcome, Report, Status};

pub fn run(ctx: &Ctx, args: &CommitArgs) -> Result<Exit> {
    // From here on Ctrl-C is a request, answered at safe points with what
    // was kept (src/interrupt.rs).
    interrupt::watch()?;
    super::warn_weak_cost(&ctx.config);
    let outcome = commit::commit(&ctx.config, &args.into(), &ctx.progress)?;
    let exit = match outcome.status {
        Status::Done => Exit::Success,
        Status::Invalid => Exit::Invalid,
        Status::Refused => Exit::Refused,
        Status::Partial => Exit::Partial,
        Status::Interrupted => Exit::Interrupted,
    };
    print(ctx, &outcome, exit)?;
    Ok(exit)
}

fn print(ctx: &Ctx, o: &Outcome, exit: Exit) -> Result<()> {
    if ctx.json() {
        let mut doc = serde_json::to_value(o.document())
            .map_err(|e| crate::Error::Internal(format!("the commit's report: {e}")))?;
        if let Some(error) = doc.get_mut("error").filter(|e| e.is_object()) {
            error["exit"] = (exit as u8).into();
        }
        ctx.out.json(&doc)?;
    } else if o.status == Status::Invalid && o.report.verification.errors > 0 {
        print_log(ctx, &o.log)?;
    } else {
        if !o.log.findings.is_empty() {
            print_log_to_stderr(&o.log)?;
        }
        if o.report.batch_id.is_some() {
            ctx.out.text(&summary(&o.report))?;
        }
    }
    if let Some(r) = &o.report.results_file {
        eprintln!(
            "warning: {r} holds the temporary passwords in clear (mode 0600); hand them out, then delete it"
        );
    }
    if let Some(m) = &o.message {
        match o.status {
            Status::Invalid | Status::Done => eprintln!("{m}"),
            _ => eprintln!("onboard: {m}"),
        }
    }
    Ok(())
}

/// The text summary of a commit that ran its transaction.
fn summary(s: &Report) -> String {
    let verb = if s.dry_run {
        "dry run, rolled back: would create"
    } else {
        "created"
    };
    let mut text = format!(
        "batch {} for tenant {}: {verb} {} users from {} ({} rows, {} skipped as invalid)\n",
        s.batch_id.as_deref().unwrap_or_default(),
        s.tenant,
        s.created,
        s.file,
        s.rows,
        s.skipped
    );
    for l in &s.licenses {
        text.push_str(&format!(
            "  {}: {} of {} seats assigned, {} available\n",
            l.sku, l.assigned, l.total, l.available
        ));
    }
    text.push_str(&format!(
        "  roles: {}; sign-in: {}\n",
        s.roles.join(", "),
        s.sign_in
    ));
    if let Some(a) = &s.annotated_file {
        text.push_str(&format!("  rows to fix: {a}\n"));
    }
    if let Some(r) = &s.results_file {
        text.push_str(&format!("  results: {r}\n"));
    }
    if s.messages_queued > 0 {
        text.push_str(&format!(
            "  messages: {} queued, {} sent\n",
            s.messages_queued, s.messages_sent
        ));
    }
    let t = &s.timings;
    text.push_str(&format!(
        "  timings: read {:.0} ms, verify {:.0} ms, hash {:.0} ms, render {:.0} ms, results \
         {:.0} ms, transaction {:.0} ms, notify {:.0} ms\n",
        t.read_ms, t.verify_ms, t.hash_ms, t.render_ms, t.results_ms, t.transaction_ms, t.notify_ms
    ));
    text
}
