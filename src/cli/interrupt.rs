//! Ctrl-C during `commit`.
//!
//! A commit must end all or nothing, and the administrator must learn which
//! of the two it was. [`watch`] replaces SIGINT's default (kill the process
//! wherever it is) with a flag that the commit checks at safe points (as
//! [`super::bars::Bars`]' cancellation, which the stages ask for): while
//! hashing, before the transaction, after each user inside it and just
//! before it commits (an interrupted transaction is rolled back), and
//! between messages after it (the results file is still written, undelivered
//! messages stay queued). A second Ctrl-C ends the process at once (exit
//! 130), which the store survives like a kill.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Starts catching SIGINT for the rest of the process.
pub fn watch() -> Result<()> {
    if FLAG.get().is_some() {
        return Ok(());
    }
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use signal_hook::consts::SIGINT;
        let err = |e: std::io::Error| Error::io("SIGINT handler", e);
        // Registered first: on a second Ctrl-C the flag is already set and
        // the process exits.
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&flag))
            .map_err(err)?;
        signal_hook::flag::register(SIGINT, Arc::clone(&flag)).map_err(err)?;
    }
    let _ = FLAG.set(flag);
    Ok(())
}

/// Whether Ctrl-C was pressed since [`watch`].
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::Relaxed))
}
