//! `log` output on the console, each line stamped with the time since
//! machine reset (from the TSC) and the logical core id; warnings and
//! errors are written at once, the rest deferred (`console`):
//!
//! ```text
//! [    0.153201 c0] INFO  memory: 511 MiB usable
//! ```

use log::{Level, LevelFilter, Log, Metadata, Record};

struct ConsoleLogger;

static LOGGER: ConsoleLogger = ConsoleLogger;

impl Log for ConsoleLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ns = crate::time::now_ns();
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let line = format_args!(
            "[{:5}.{:06} c{}] {level} {}\n",
            ns / 1_000_000_000,
            ns % 1_000_000_000 / 1000,
            crate::identity::this_core().core_id,
            record.args()
        );
        // Reports wait for a quiet moment; trouble is written at once.
        if record.level() <= Level::Warn {
            crate::console::write_fmt(line);
        } else {
            crate::console::defer_fmt(line);
        }
    }

    fn flush(&self) {}
}

/// The level named by the command line's `log=` value.
pub fn parse_level(value: &str) -> Option<LevelFilter> {
    match value {
        "off" => Some(LevelFilter::Off),
        "error" => Some(LevelFilter::Error),
        "warn" => Some(LevelFilter::Warn),
        "info" => Some(LevelFilter::Info),
        "debug" => Some(LevelFilter::Debug),
        "trace" => Some(LevelFilter::Trace),
        _ => None,
    }
}

/// Installs the logger at `level`.
pub fn init(level: LevelFilter) {
    // Only fails if a logger is already installed, which leaves it in place.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}
