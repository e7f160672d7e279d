//! `cargo xtask soak [--ops N] [--seed S] [--cores C]`: the soak of
//! `qemu_tests::soak` for as long as asked (`tests/soak.rs` runs 100
//! operations in the test suite): the decoupled operations at random,
//! updates that roll back, tracing, kernel faults recovered, while
//! programs exchange checksummed messages and the database workload checks
//! its answers; `corectrl list` checked against a model after every
//! operation. Prints the operations by kind, the messages checked, the
//! query rounds and the time; fails on the first inconsistency.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use harness::{Machine, QemuConfig};
use indicatif::{ProgressBar, ProgressStyle};
use qemu_tests::soak::{self, Soak};

/// Options of `cargo xtask soak`.
#[derive(Debug, Args)]
pub struct SoakOptions {
    /// Operations
    #[arg(long, default_value_t = 10_000)]
    pub ops: usize,
    /// Seed of the operations' choice
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Cores (OSNodes 1 to C-2 move among cores 1 to C-1)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(4..=16))]
    pub cores: u32,
    /// Messages each program sends each peer (default: 300 per operation)
    #[arg(long)]
    pub messages: Option<u64>,
}

/// Runs the soak (see the module documentation).
pub fn soak(options: &SoakOptions) -> Result<()> {
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let plan = Soak {
        ops: options.ops,
        seed: options.seed,
        cores: options.cores,
        messages: options.messages.unwrap_or(options.ops as u64 * 300),
        tpch: true,
    };
    let mut config = QemuConfig::new(&images).append("fatal=exit");
    config.cores = plan.cores;
    config.mem_mib = 512;
    let mut m = Machine::start(&config, "soak").context("cannot start QEMU")?;
    m.expect("Corefish shell; type `help`.", Duration::from_secs(120))?;
    let bar = ProgressBar::new(plan.ops as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "soak {bar:40} {pos}/{len} operations, {elapsed} ({eta} left)",
        )
        .context("the progress bar")?,
    );
    let report = soak::run(&mut m, &plan, |done| bar.set_position(done as u64)).map_err(|e| {
        anyhow!(
            "soak (seed {}): {e}; log in target/qemu-logs/soak.log",
            plan.seed
        )
    })?;
    bar.finish_and_clear();
    println!(
        "xtask: soak of {} operations on {} cores (seed {}) in {:.1} s: {}",
        plan.ops,
        plan.cores,
        plan.seed,
        report.elapsed.as_secs_f64(),
        report
            .per_kind
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "xtask: {} `corectrl list` checks against the model; {} messages checked (in order, intact, none lost or repeated); {} query rounds, every answer the host's",
        report.list_checks, report.messages, report.tpch_rounds
    );
    Ok(())
}
