//! `cargo xtask`: builds every Corefish image, boots it in QEMU, and runs
//! the tests.
//!
//! ```text
//! cargo xtask build                 build the loader, the CPU drivers and the boot archive
//! cargo xtask run [options]         build, then boot QEMU with the serial console on this terminal
//! cargo xtask test                  lints, host tests of every library, then the QEMU integration tests
//! cargo xtask lint                  cargo fmt --check and clippy (-D warnings) on every crate
//! cargo xtask bench [update] [...]  the benchmarks (see `cargo xtask help`)
//! ```
//!
//! `run` options: `--cores N` (4), `--mem MiB` (512), `--accel tcg|kvm`
//! (tcg), `--icount[=SHIFT]` (deterministic virtual clock), `--debug` (gdb
//! stub on :1234, CPU halted until gdb continues), `--append "words"`
//! (kernel command line).

mod bench;
mod build;
mod cli;
mod initramfs;
mod jitter;
mod lint;
mod linux;
mod progress;
mod qemu;
mod report;
mod run;
mod scaling;
mod test;
mod update_bench;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::build_all().map(|_| ()),
        Some("run") => cli::RunOptions::parse(&args[1..]).and_then(|o| run::run(&o)),
        Some("test") => test::test(&args[1..]),
        Some("lint") => lint::lint(),
        Some("bench") => {
            bench::BenchOptions::parse(&args[1..]).and_then(|o| bench::bench(&o).map(|_| ()))
        }
        Some("help" | "--help" | "-h") | None => {
            print!("{}", cli::USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{}", cli::USAGE)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
