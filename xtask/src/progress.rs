//! Progress for long benchmark runs: a spinner with the step's name and
//! the time it has taken, on the terminal (stderr) only, so that the
//! figures on stdout and the logs of non-interactive runs stay clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A step in progress; the spinner goes when it is dropped.
pub struct Step(ProgressBar);

/// Starts showing `what`.
pub fn step(what: &str) -> Step {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    Step(bar)
}

impl Drop for Step {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
