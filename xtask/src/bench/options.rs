//! The options of `cargo xtask bench` (as clap reads them) and what they
//! decide: which groups run, how many repetitions, where the report goes.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use harness::{Accel, QemuConfig, Watchdog};

/// The groups `--only` can name.
pub const GROUPS: &[&str] = &[
    "boot", "ump", "switch", "jitter", "linux", "scaling", "update",
];
/// How long a guest may print nothing by default (s).
pub const DEFAULT_WATCHDOG_S: u64 = 120;

/// Options of `cargo xtask bench` (`bench update` takes only `--accel`).
#[derive(Debug, Clone, Args)]
pub struct BenchOptions {
    /// QEMU accelerator
    #[arg(long, global = true, value_name = "tcg|kvm", default_value = "tcg")]
    pub accel: Accel,
    /// Only these groups of benchmarks (comma-separated)
    #[arg(long, value_name = "GROUP,...", value_delimiter = ',',
          value_parser = clap::builder::PossibleValuesParser::new(GROUPS))]
    pub only: Vec<String>,
    /// Few repetitions, small machines (minutes, not tens); the run's
    /// folder is named <date-time>-quick
    #[arg(long)]
    pub quick: bool,
    /// Corefish only (no Linux peer)
    #[arg(long)]
    pub no_linux: bool,
    /// Give up on a guest that prints nothing for this many seconds (or
    /// prints a lockup, panic or kernel fault); it is booted once more,
    /// then its group's rows say why
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_WATCHDOG_S,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub watchdog: u64,
    /// Tests only: every guest of this group starts with its processors
    /// stopped (QEMU -S), so it prints nothing and the watchdog must act
    #[arg(long, value_name = "GROUP", hide = true)]
    pub inject_hang: Option<String>,
    /// Compare this run with an older one: its results.jsonl (or folder)
    #[arg(long, global = true, value_name = "OLD_RESULTS")]
    pub compare: Option<PathBuf>,
    /// The group running now (set by the bench, not on the command line).
    #[arg(skip)]
    pub group: Option<&'static str>,
    /// Where the report goes instead of the usual folder (tests).
    #[arg(skip)]
    pub out: Option<PathBuf>,
}

impl BenchOptions {
    /// Options of the smoke test: quick, Corefish only.
    pub fn smoke() -> Self {
        Self {
            accel: Accel::Tcg,
            only: Vec::new(),
            quick: true,
            no_linux: true,
            watchdog: DEFAULT_WATCHDOG_S,
            inject_hang: None,
            compare: None,
            group: None,
            out: None,
        }
    }

    /// The options as they would be typed (for the results file).
    pub fn describe(&self) -> String {
        let mut words = vec![format!("--accel {}", self.accel.name())];
        if self.quick {
            words.push("--quick".into());
        }
        if self.no_linux {
            words.push("--no-linux".into());
        }
        if !self.only.is_empty() {
            words.push(format!("--only {}", self.only.join(",")));
        }
        if self.watchdog != DEFAULT_WATCHDOG_S {
            words.push(format!("--watchdog {}", self.watchdog));
        }
        if let Some(group) = &self.inject_hang {
            words.push(format!("--inject-hang {group}"));
        }
        words.join(" ")
    }

    /// These options while `group` runs.
    pub fn in_group(&self, group: &'static str) -> Self {
        Self {
            group: Some(group),
            ..self.clone()
        }
    }

    /// Arms the watchdog on a guest's configuration and, in a test, makes
    /// the guest hang.
    pub fn guard(&self, config: &mut QemuConfig) {
        config.watchdog = Some(Watchdog::guest(Duration::from_secs(self.watchdog)));
        if self.inject_hang.is_some() && self.inject_hang.as_deref() == self.group {
            config.extra.push("-S".into());
        }
    }

    /// Whether `group` is to run.
    pub fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }

    /// Whether the Linux peer is to run too.
    pub fn linux(&self) -> bool {
        !self.no_linux
    }

    /// Where the run's results, report and plots go: its own folder
    /// `target/bench/<UTC date-time>[-quick]`, made by this call (once,
    /// when the run starts).
    pub fn out_dir(&self) -> PathBuf {
        if let Some(out) = &self.out {
            return out.clone();
        }
        let stamp = std::process::Command::new("date")
            .args(["-u", "+%Y%m%d-%H%M%S"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(
                || format!("run-{}", std::process::id()),
                |s| s.trim().to_owned(),
            );
        let name = if self.quick {
            format!("{stamp}-quick")
        } else {
            stamp
        };
        let base = harness::workspace_root().join("target").join("bench");
        let _ = std::fs::create_dir_all(&base);
        // Made here, atomically: two runs started in the same second get
        // folders of their own.
        for i in 1..1000 {
            let dir = match i {
                1 => base.join(&name),
                i => base.join(format!("{name}-{i}")),
            };
            if std::fs::create_dir(&dir).is_ok() {
                return dir;
            }
        }
        base.join(name)
    }

    /// Repetitions of a measurement (fewer with `--quick`).
    pub fn times(&self, full: u32) -> u32 {
        if self.quick { full.min(3) } else { full }
    }

    /// Jitter samples per run (fewer with `--quick`).
    pub fn jitter_samples(&self) -> u32 {
        if self.quick { 10_000 } else { 100_000 }
    }
}
