//! How long work shows how far it has got, and learns that it should stop.
//!
//! The stages (reading a file, hashing, the transaction, delivery) take a
//! `&dyn Progress` from the operation that runs them: the terminal face
//! gives indicatif bars and Ctrl-C (`cli::bars`), a web face a progress
//! channel and a closed request, tests [`Quiet`]. Nothing below the faces
//! reaches for a global flag or a terminal.

use std::io::Read;
use std::sync::Arc;

/// What a phase counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Items,
}

/// Progress reports and cancellation, for one operation.
pub trait Progress: Send + Sync {
    /// A meter for one phase of the work (`verifying`, `hashing`,
    /// `sending`), over `len` units when known.
    fn meter(&self, phase: &'static str, unit: Unit, len: Option<u64>) -> Meter;

    /// Whether the person asked the work to stop (Ctrl-C). The stages look
    /// at safe points: between hashes, between users inside the
    /// transaction and just before it commits, between messages.
    fn cancelled(&self) -> bool {
        false
    }
}

/// What a meter drives: a bar, a channel, nothing.
pub trait Gauge: Send + Sync {
    fn add(&self, n: u64);
    fn done(&self);
}

/// Counts one phase of the work. Clones count on the same meter; a hidden
/// meter counts nothing.
#[derive(Clone, Default)]
pub struct Meter(Option<Arc<dyn Gauge>>);

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Meter"
        } else {
            "Meter(hidden)"
        })
    }
}

impl Meter {
    pub fn new(gauge: impl Gauge + 'static) -> Meter {
        Meter(Some(Arc::new(gauge)))
    }

    /// A meter that shows nothing.
    pub fn hidden() -> Meter {
        Meter(None)
    }

    pub fn inc(&self, n: u64) {
        if let Some(g) = &self.0 {
            g.add(n);
        }
    }

    /// The phase is over (a bar is cleared).
    pub fn finish(&self) {
        if let Some(g) = &self.0 {
            g.done();
        }
    }

    /// `inner`, counting the bytes read from it.
    pub fn wrap_read<R: Read>(&self, inner: R) -> Metered<R> {
        Metered {
            inner,
            meter: self.clone(),
        }
    }
}

/// A reader that counts what passes through it on a [`Meter`].
pub struct Metered<R> {
    inner: R,
    meter: Meter,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.inc(n as u64);
        Ok(n)
    }
}

/// No reports and never cancelled: tests, and work nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn meter(&self, _: &'static str, _: Unit, _: Option<u64>) -> Meter {
        Meter::hidden()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Count(Arc<AtomicU64>);

    impl Gauge for Count {
        fn add(&self, n: u64) {
            self.0.fetch_add(n, Ordering::Relaxed);
        }
        fn done(&self) {}
    }

    #[test]
    fn a_metered_reader_counts_its_bytes_and_clones_share_the_count() {
        let seen = Arc::new(AtomicU64::new(0));
        let meter = Meter::new(Count(Arc::clone(&seen)));
        let mut out = Vec::new();
        meter
            .wrap_read(&b"hello, world"[..])
            .read_to_end(&mut out)
            .unwrap();
        meter.clone().inc(3);
        assert_eq!(seen.load(Ordering::Relaxed), 15);
        Meter::hidden().inc(1);
        assert!(!Quiet.cancelled());
    }
}
