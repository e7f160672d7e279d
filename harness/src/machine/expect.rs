//! Waiting for the guest's serial output: a line that matches, in order
//! (`expect`, `expect_line`), several in any order (`expect_each`), or one
//! anywhere in the output so far (`expect_seen`); and the errors that say
//! what was awaited and what the console showed last.

use std::time::{Duration, Instant};

use super::{Machine, TAIL_LINES};
use crate::HarnessError;

impl Machine {
    /// Waits until a serial line contains `text`; returns that line. Lines
    /// up to it are consumed, so consecutive calls match in order.
    pub fn expect(&mut self, text: &str, timeout: Duration) -> Result<String, HarnessError> {
        self.expect_line(
            &format!("a serial line containing {text:?}"),
            timeout,
            |line| line.contains(text),
        )
    }

    /// Waits until every one of `texts` has been on a serial line after the
    /// cursor, in any order; returns those lines in `texts`' order. The
    /// cursor ends after the last of them. For output of several cores,
    /// whose order is not fixed: each kernel writes its report lines when
    /// its core is next idle, so they may follow another core's answer.
    pub fn expect_each(
        &mut self,
        texts: &[&str],
        timeout: Duration,
    ) -> Result<Vec<String>, HarnessError> {
        let mut found: Vec<Option<String>> = vec![None; texts.len()];
        while let Some(missing) = found.iter().position(Option::is_none) {
            let what = format!("a serial line containing {:?} (any order)", texts[missing]);
            let line = self.expect_line(&what, timeout, |line| {
                texts
                    .iter()
                    .zip(&found)
                    .any(|(text, seen)| seen.is_none() && line.contains(text))
            })?;
            for (text, seen) in texts.iter().zip(found.iter_mut()) {
                if seen.is_none() && line.contains(text) {
                    *seen = Some(line.clone());
                    break;
                }
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// Waits until some serial line, before the cursor or after it,
    /// contains `text`; returns it and leaves the cursor where it was.
    pub fn expect_seen(&mut self, text: &str, timeout: Duration) -> Result<String, HarnessError> {
        let cursor = std::mem::replace(&mut self.cursor, 0);
        let found = self.expect(text, timeout);
        self.cursor = cursor;
        found
    }

    /// Waits until a serial line satisfies `matches`; returns it.
    pub fn expect_line(
        &mut self,
        what: &str,
        timeout: Duration,
        mut matches: impl FnMut(&str) -> bool,
    ) -> Result<String, HarnessError> {
        let deadline = Instant::now() + timeout;
        let (lock, ready) = &*self.console;
        let mut console = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            while self.cursor < console.lines.len() {
                let line = &console.lines[self.cursor];
                self.cursor += 1;
                if matches(line) {
                    return Ok(line.clone());
                }
                if self.watchdog.is_some_and(|w| w.is_fatal(line)) {
                    let reason = line.clone();
                    drop(console);
                    return Err(self.stalled(reason));
                }
            }
            if console.closed {
                drop(console);
                let why = match self.child.wait() {
                    Ok(status) => format!("QEMU exited first ({status})"),
                    Err(e) => format!("QEMU's output ended ({e})"),
                };
                return Err(self.unmet(what, why));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(console);
                return Err(self.unmet(what, format!("not seen within {timeout:?}")));
            }
            let mut until = deadline;
            if let Some(w) = self.watchdog {
                let silent_until = console.last_output + w.silence;
                if now >= silent_until {
                    let last = console.lines.last().cloned();
                    drop(console);
                    let silence = w.silence.as_secs_f64();
                    let reason = match last {
                        Some(last) => format!("no progress for {silence} s after {last:?}"),
                        None => format!("no progress for {silence} s: nothing printed at all"),
                    };
                    return Err(self.stalled(reason));
                }
                until = until.min(silent_until);
            }
            console = ready
                .wait_timeout(console, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn stalled(&mut self, reason: String) -> HarnessError {
        match self.unmet("", String::new()) {
            HarnessError::Unmet {
                tail, command, log, ..
            } => HarnessError::Stalled {
                reason,
                tail,
                command,
                log,
            },
            other => other,
        }
    }

    pub(super) fn unmet(&mut self, what: &str, why: String) -> HarnessError {
        let console = self.lock();
        let mut tail: Vec<String> = console
            .lines
            .iter()
            .rev()
            .take(TAIL_LINES)
            .rev()
            .cloned()
            .collect();
        if !console.partial.is_empty() {
            tail.push(format!(
                "{} (no newline yet)",
                String::from_utf8_lossy(&console.partial)
            ));
        }
        drop(console);
        HarnessError::Unmet {
            what: what.into(),
            why,
            tail,
            command: self.command.clone(),
            log: self.log.clone(),
        }
    }
}
