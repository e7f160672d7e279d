//! A watchdog on a guest: a machine that prints nothing for a set time, or
//! prints a line that says its kernel is stuck or dead, is not waited on
//! any longer. [`Machine::watch`](crate::Machine::watch) arms it; every
//! `expect` of that machine then fails at once with
//! [`HarnessError::Stalled`](crate::HarnessError::Stalled), whatever its
//! own timeout.

use std::time::Duration;

/// What the console says when a guest kernel is stuck or dead (Linux's
/// lockup detectors, panics and oopses; a Corefish kernel's fault report).
pub const GUEST_FATAL: &[&str] = &[
    "soft lockup",
    "hard LOCKUP",
    "self-detected stall",
    "detected stalls on CPUs",
    "Kernel panic",
    "BUG: kernel NULL pointer",
    "general protection fault",
    "Oops:",
    "!!! ",
];

/// When a guest counts as hung.
#[derive(Debug, Clone, Copy)]
pub struct Watchdog {
    /// Longest the console may stay silent.
    pub silence: Duration,
    /// Lines that end the wait at once (any containing one of them).
    pub fatal: &'static [&'static str],
}

impl Watchdog {
    /// Silent for at most `silence`; [`GUEST_FATAL`] lines end the wait.
    pub fn guest(silence: Duration) -> Self {
        Self {
            silence,
            fatal: GUEST_FATAL,
        }
    }

    /// Whether `line` says the guest is stuck or dead.
    pub fn is_fatal(&self, line: &str) -> bool {
        self.fatal.iter().any(|f| line.contains(f))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::HarnessError;
    use crate::machine::tests::shell;

    #[test]
    fn a_silent_guest_is_given_up_after_its_silence() {
        let mut m = shell(
            "echo booting; echo still going; sleep 600",
            "watchdog_silent",
        );
        m.watch(Watchdog::guest(Duration::from_millis(700)));
        let started = Instant::now();
        let err = m
            .expect("never printed", Duration::from_secs(600))
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        match &err {
            HarnessError::Stalled { reason, .. } => {
                assert!(reason.contains("no progress for 0.7 s after"), "{reason}");
                assert!(reason.contains("still going"), "{reason}");
            }
            other => panic!("not stalled: {other}"),
        }
    }

    #[test]
    fn a_lockup_line_ends_the_wait_at_once() {
        let mut m = shell(
            "echo ok; echo 'watchdog: BUG: soft lockup - CPU#10 stuck for 22s!'; sleep 600",
            "watchdog_lockup",
        );
        m.watch(Watchdog::guest(Duration::from_secs(120)));
        let started = Instant::now();
        let err = m
            .expect("never printed", Duration::from_secs(600))
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        let text = err.to_string();
        assert!(text.contains("soft lockup - CPU#10"), "{text}");
    }

    #[test]
    fn a_talking_guest_is_waited_on_as_long_as_asked() {
        let mut m = shell(
            "for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.3; done; echo done",
            "watchdog_talking",
        );
        m.watch(Watchdog::guest(Duration::from_secs(1)));
        assert_eq!(m.expect("done", Duration::from_secs(30)).unwrap(), "done");
    }
}
