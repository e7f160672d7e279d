//! `cargo xtask`: builds every Corefish image, boots it in QEMU, and runs
//! the tests and the benchmarks.
//!
//! ```text
//! cargo xtask build                 build the loader, the CPU drivers and the boot archive
//! cargo xtask image                 build, then make target/corefish/corefish.iso (GRUB: BIOS and UEFI)
//! cargo xtask run [options]         build, then boot QEMU with the serial console on this terminal
//! cargo xtask test [FILTER...]      lints, host tests, a benchmark smoke test, then the QEMU integration tests
//! cargo xtask lint                  cargo fmt --check and clippy (-D warnings) on every crate
//! cargo xtask bench [update] [...]  the benchmarks (see `cargo xtask bench --help`)
//! cargo xtask bench report DIR      a run's report rebuilt from its results file
//! cargo xtask fuzz [--calls N]      the fuzzer on a booted machine (calls, then messages)
//! cargo xtask fuzz --host [--cases N] [--seed S]  the parsers of outside input, fuzzed on the host
//! cargo xtask trace LOG [--out FILE]  a trace dump in a serial log, as a Chrome trace-event file
//! cargo xtask soak [--ops N] [--seed S] [--cores C]  operations and failures at random, checked
//! ```
//!
//! `run` options: `--cores N` (4), `--mem MiB` (512), `--accel tcg|kvm`
//! (tcg), `--icount[=SHIFT]` (deterministic virtual clock), `--debug` (gdb
//! stub on :1234, CPU halted until gdb continues), `--append "words"`
//! (kernel command line).
//!
//! This file only dispatches: [`cli`] reads the command line, each command
//! has its module, and a failure is printed with its causes (`xtask: what
//! failed: why`) and ends the run with a non-zero status.

mod bench;
mod build;
mod cli;
mod fuzz;
mod hostfuzz;
mod image;
mod initramfs;
mod lint;
mod packages;
mod progress;
mod qemu;
mod run;
mod soak;
mod test;
mod trace;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use cli::{BenchCommand, Cli, Command};

fn main() -> ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command.
fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Build) => build::build_all().map(drop),
        Some(Command::Image) => image::image().map(drop),
        Some(Command::Run(options)) => run::run(&options),
        Some(Command::Test { filter }) => test::test(&filter),
        Some(Command::Lint) => lint::lint(),
        Some(Command::Fuzz(options)) => fuzz::fuzz(&options),
        Some(Command::Trace { log, out }) => trace::convert(&log, out.as_deref()),
        Some(Command::Soak(options)) => soak::soak(&options),
        Some(Command::Bench(args)) => match args.update {
            Some(BenchCommand::Update) => {
                let o = &args.options;
                if o.quick || o.no_linux || !o.only.is_empty() {
                    anyhow::bail!("`bench update` takes only --accel");
                }
                bench::update(o)
            }
            Some(BenchCommand::Report { dir, readme }) => {
                let report = bench::report_from(&dir, args.options.compare.as_deref())?;
                if readme {
                    bench::paper::write_readme(&bench::paper::table(&report), &dir)?;
                }
                Ok(())
            }
            None => bench::bench(&args.options).map(drop),
        },
        None => Cli::command()
            .print_help()
            .context("cannot print the usage"),
    }
}
