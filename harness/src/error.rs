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
            Self::Io(e) => write!(f, "serial console I/O: {e}"),
        }
    }
}

// Tests return `Result<(), HarnessError>`; the test runner prints errors
// with `Debug`, so make that the full report.
impl std::fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for HarnessError {}
