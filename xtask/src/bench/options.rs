//! The options of `cargo xtask bench` (as clap reads them) and what they
//! decide: which groups run, how many repetitions, where the report goes.

use std::path::PathBuf;

use clap::Args;
use harness::Accel;

/// The groups `--only` can name.
pub const GROUPS: &[&str] = &["boot", "ump", "switch", "jitter", "linux", "scaling"];

/// Options of `cargo xtask bench` (`bench update` takes only `--accel`).
#[derive(Debug, Clone, Args)]
pub struct BenchOptions {
    /// QEMU accelerator
    #[arg(long, global = true, value_name = "tcg|kvm", default_value = "tcg")]
    pub accel: Accel,
    /// Only this group of benchmarks
    #[arg(long, value_name = "GROUP",
          value_parser = clap::builder::PossibleValuesParser::new(GROUPS))]
    pub only: Option<String>,
    /// Few repetitions, small machines (minutes, not tens); the report goes
    /// to target/bench/quick/
    #[arg(long)]
    pub quick: bool,
    /// Corefish only (no Linux peer)
    #[arg(long)]
    pub no_linux: bool,
}

impl BenchOptions {
    /// Options of the smoke test: quick, Corefish only.
    pub fn smoke() -> Self {
        Self {
            accel: Accel::Tcg,
            only: None,
            quick: true,
            no_linux: true,
        }
    }

    /// Whether `group` is to run.
    pub fn runs(&self, group: &str) -> bool {
        self.only.as_deref().is_none_or(|g| g == group)
    }

    /// Whether the Linux peer is to run too.
    pub fn linux(&self) -> bool {
        !self.no_linux
    }

    /// Where the report and plots go: `target/bench/`, or
    /// `target/bench/quick/` for a `--quick` run.
    pub fn out_dir(&self) -> PathBuf {
        let dir = harness::workspace_root().join("target").join("bench");
        if self.quick { dir.join("quick") } else { dir }
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
