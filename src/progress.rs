//! Progress bars on standard error, only for a person at a terminal: never
//! in a pipe, never with `--quiet` (SPEC §10).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether bars are drawn in this run.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            visible: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A bar that never draws (tests, libraries).
    pub fn hidden() -> Progress {
        Progress { visible: false }
    }

    /// A bar over `len` bytes, or a spinner when the length is unknown.
    pub fn bytes(&self, len: Option<u64>, what: &str) -> ProgressBar {
        let bar = self.bar(
            len,
            "{msg:10} [{bar:40}] {binary_bytes}/{binary_total_bytes} ({eta})",
        );
        bar.set_message(what.to_string());
        bar
    }

    /// A bar over `len` items.
    pub fn items(&self, len: u64, what: &str) -> ProgressBar {
        let bar = self.bar(
            Some(len),
            "{msg:10} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
        );
        bar.set_message(what.to_string());
        bar
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
