//! `cargo xtask run`: boot Corefish with the serial console on this
//! terminal; its options (the machine's size, accelerator, clock, debug
//! stub and kernel command line).

use anyhow::{Context, Result, bail};
use clap::Args;
use harness::{Accel, QemuConfig};

/// Default `-icount` shift: 8 ns per instruction.
const DEFAULT_ICOUNT_SHIFT: &str = "3";

/// Options of `cargo xtask run`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct RunOptions {
    /// Number of cores
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=255))]
    pub cores: u32,
    /// Memory in MiB
    #[arg(long = "mem", value_name = "MiB", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(64..=1 << 20))]
    pub mem_mib: u32,
    /// QEMU accelerator
    #[arg(long, value_name = "tcg|kvm", default_value = "tcg")]
    pub accel: Accel,
    /// Deterministic virtual clock, 2^SHIFT ns per instruction (default
    /// shift 3)
    #[arg(long, value_name = "SHIFT", num_args = 0..=1, require_equals = true,
          default_missing_value = DEFAULT_ICOUNT_SHIFT,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub icount: Option<u32>,
    /// Start a gdb stub on localhost:1234 and wait for gdb
    #[arg(long)]
    pub debug: bool,
    /// Add words to the kernel command line (e.g. "log=debug"); may be
    /// given more than once
    #[arg(long, value_name = "WORDS", allow_hyphen_values = true)]
    pub append: Vec<String>,
}

/// Builds, then runs QEMU until it exits.
pub fn run(options: &RunOptions) -> Result<()> {
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let mut config = QemuConfig::new(&images);
    config.cores = options.cores;
    config.mem_mib = options.mem_mib;
    config.accel = options.accel;
    config.icount = options.icount;
    config.debug = options.debug;
    let words = options.append.join(" ");
    let config = if words.is_empty() {
        config
    } else {
        config.append(&words)
    };
    eprintln!("xtask: {}", config.command_line("mon:stdio"));
    eprintln!(
        "xtask: serial console follows; Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor"
    );
    if options.debug {
        eprintln!(
            "xtask: waiting for gdb: gdb -ex 'target remote :1234' {}",
            images.kernel("cpudriver").display()
        );
    }
    let status = config
        .command("mon:stdio")
        .status()
        .context("cannot start QEMU")?;
    match status.code() {
        // Quit from the monitor (Ctrl-A X), or an orderly shutdown.
        Some(0) => Ok(()),
        Some(code) => match harness::ExitCode::from_qemu_status(code) {
            Some(harness::ExitCode::Success) => Ok(()),
            Some(harness::ExitCode::Failure) => {
                bail!("Corefish stopped on a fatal error (see above)")
            }
            None => bail!("QEMU exited with status {code}"),
        },
        None => bail!("QEMU was ended by a signal"),
    }
}
