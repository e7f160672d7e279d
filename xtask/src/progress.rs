//! Progress for long benchmark runs: a spinner with the step's name and
//! the time it has taken, on the terminal (stderr) only, so that the
//! figures on stdout and the logs of non-interactive runs stay clean.

use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Every bar on the terminal, so that the run's line and a step's spinner
/// each keep their own line.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

/// A step in progress; the spinner goes when it is dropped.
pub struct Step(ProgressBar);

/// Starts showing `what`.
pub fn step(what: &str) -> Step {
    let bar = bars().add(ProgressBar::new_spinner());
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

/// A whole run's progress: which group runs, and about how long the rest
/// will take (the groups' usual durations, scaled by how the finished
/// groups compared with theirs), on the terminal; the total at the end.
pub struct Run {
    bar: ProgressBar,
    /// Each group's usual duration (s), in order.
    groups: Vec<(&'static str, f64)>,
    done: usize,
    started: std::time::Instant,
    group_started: std::time::Instant,
    /// Seconds the finished groups took, and were expected to take.
    actual: f64,
    expected: f64,
}

impl Run {
    /// A run of `groups` (name, usual seconds).
    pub fn new(groups: Vec<(&'static str, f64)>) -> Self {
        let bar = bars().add(ProgressBar::new(groups.len() as u64));
        if let Ok(style) =
            ProgressStyle::with_template("[{elapsed_precise}] group {pos}/{len}: {msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(500));
        let now = std::time::Instant::now();
        Self {
            bar,
            groups,
            done: 0,
            started: now,
            group_started: now,
            actual: 0.0,
            expected: 0.0,
        }
    }

    /// The next group starts.
    pub fn start(&mut self) {
        self.group_started = std::time::Instant::now();
        let Some(&(name, _)) = self.groups.get(self.done) else {
            return;
        };
        let scale = if self.expected > 0.0 {
            self.actual / self.expected
        } else {
            1.0
        };
        let left: f64 = self.groups[self.done..].iter().map(|g| g.1).sum::<f64>() * scale;
        self.bar.set_position(self.done as u64 + 1);
        self.bar
            .set_message(format!("{name}; about {} left", minutes(left)));
    }

    /// The current group ended.
    pub fn finish(&mut self) {
        if let Some(&(_, usual)) = self.groups.get(self.done) {
            self.actual += self.group_started.elapsed().as_secs_f64();
            self.expected += usual;
        }
        self.done += 1;
    }

    /// The whole run's time, as printed at its end.
    pub fn total(&self) -> String {
        minutes(self.started.elapsed().as_secs_f64())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// `s` seconds as `12 min 5 s` (or `40 s`).
pub fn minutes(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}
