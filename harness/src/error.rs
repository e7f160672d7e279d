//! Harness failures, each carrying what is needed to understand it.

use std::path::PathBuf;

/// Why a QEMU run did not do what a test expected.
pub enum HarnessError {
    /// An image is missing: `cargo xtask build` has not run.
    MissingImage(PathBuf),
    /// QEMU could not be started.
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// A wait ran out of time or QEMU ended first.
    Unmet {
        /// What was awaited.
        what: String,
        /// Why it failed (timeout, exit).
        why: String,
        /// The last serial lines.
        tail: Vec<String>,
        /// The QEMU command line.
        command: String,
        /// The serial log file.
        log: PathBuf,
    },
    /// The watchdog gave up on the guest: silent too long, or its console
    /// said its kernel is stuck or dead.
    Stalled {
        /// Why, in a line (`no progress for 120 s after "..."`, or the
        /// console line).
        reason: String,
        /// The last serial lines.
        tail: Vec<String>,
        /// The QEMU command line.
        command: String,
        /// The serial log file.
        log: PathBuf,
    },
    /// Writing to the serial console failed.
    Io(std::io::Error),
}

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingImage(path) => {
                write!(
                    f,
                    "image {} is missing: build the images with `cargo xtask build` (or run `cargo xtask test`)",
                    path.display()
                )
            }
            Self::Spawn { command, error } => write!(f, "cannot start QEMU ({error}): {command}"),
            Self::Unmet {
                what,
                why,
                tail,
                command,
                log,
            } => {
                writeln!(f, "{what}: {why}")?;
                tail_and_command(f, tail, command, log)
            }
            Self::Stalled {
                reason,
                tail,
                command,
                log,
            } => {
                writeln!(f, "the guest stopped making progress: {reason}")?;
                tail_and_command(f, tail, command, log)
            }
            Self::Io(e) => write!(f, "serial console I/O: {e}"),
        }
    }
}

fn tail_and_command(
    f: &mut std::fmt::Formatter<'_>,
    tail: &[String],
    command: &str,
    log: &std::path::Path,
) -> std::fmt::Result {
    writeln!(
        f,
        "--- last {} serial lines (full log: {}) ---",
        tail.len(),
        log.display()
    )?;
    for line in tail {
        writeln!(f, "{line}")?;
    }
    writeln!(f, "--- QEMU command line ---")?;
    write!(f, "{command}")
}

// Tests return `Result<(), HarnessError>`; the test runner prints errors
// with `Debug`, so make that the full report.
impl std::fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for HarnessError {}
