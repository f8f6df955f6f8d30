//! Progress bars on standard error, only for a person at a terminal: never
//! in a pipe, never with `--quiet` (SPEC §10); and Ctrl-C as the
//! cancellation the stages look for (`cli::interrupt`).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{Gauge, Meter, Progress, Unit};

/// The terminal's [`Progress`]: whether bars are drawn in this run.
#[derive(Debug, Clone, Copy)]
pub struct Bars {
    visible: bool,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        Bars {
            visible: !quiet && std::io::stderr().is_terminal(),
        }
    }

    fn bar(&self, len: Option<u64>, template: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::new_spinner(),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

impl Progress for Bars {
    fn meter(&self, phase: &'static str, unit: Unit, len: Option<u64>) -> Meter {
        if !self.visible {
            return Meter::hidden();
        }
        let template = match unit {
            Unit::Bytes => "{msg:10} [{bar:40}] {binary_bytes}/{binary_total_bytes} ({eta})",
            Unit::Items => "{msg:10} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
        };
        let bar = self.bar(len, template);
        bar.set_message(phase);
        Meter::new(Bar(bar))
    }

    fn cancelled(&self) -> bool {
        super::interrupt::requested()
    }
}

/// An indicatif bar as a [`Gauge`].
struct Bar(ProgressBar);

impl Gauge for Bar {
    fn add(&self, n: u64) {
        self.0.inc(n);
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}
