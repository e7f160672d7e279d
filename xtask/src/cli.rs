//! The command line of `cargo xtask`: its commands, as clap parses them
//! (clap also writes the usage text from the comments here and on the
//! options). The options of `run` and `bench`, and what every command does,
//! are in the command's own module.

use clap::{Args, Parser, Subcommand};

use crate::bench::BenchOptions;
use crate::fuzz::FuzzOptions;
use crate::run::RunOptions;

/// Builds every Corefish image, boots it in QEMU, runs the tests and the
/// benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    args_override_self = true
)]
pub struct Cli {
    /// What to do (without one, the usage is printed).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the loader, every CPU driver image and the boot archive
    Build,
    /// Build, then make the bootable ISO target/corefish/corefish.iso
    /// (GRUB, multiboot2; BIOS and UEFI; a CD or `dd` to a USB stick)
    Image,
    /// Build, then boot Corefish in QEMU on this terminal (Ctrl-A X quits)
    Run(RunOptions),
    /// Lints, host tests of every library crate, a benchmark smoke test,
    /// then the QEMU integration tests
    Test {
        /// Arguments for the QEMU tests' harness (e.g. a test-name filter)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        filter: Vec<String>,
    },
    /// cargo fmt --check and clippy (-D warnings) on every crate, images
    /// included
    Lint,
    /// The benchmarks: a run's results and report in target/bench/<run>/,
    /// or `bench update`, or `bench report DIR`
    ///
    /// Core boot latency by phase, stop, update, park, unpark (20 each,
    /// others idle and busy), UMP latency, KCB switch cost, jitter (RT and
    /// standard kernel, TCG and -icount), scaling (4 to 64 cores), the
    /// Linux peer (Debian's kernel: CPU hotplug, jitter). Every row goes to
    /// target/bench/<run>/results.jsonl as it is measured; report.md and
    /// the plots are made from it after every group.
    Bench(BenchArgs),
    /// The fuzzer on a booted machine: hostile system calls (the kernel
    /// checking its mapping database after every batch), then hostile
    /// messages to the services, then a health check
    Fuzz(FuzzOptions),
    /// The soak: decoupled operations, updates that roll back, tracing and
    /// kernel faults at random while programs exchange checked messages
    /// and queries check their answers, `corectrl list` checked after each
    Soak(crate::soak::SoakOptions),
    /// A `corectrl trace N dump` captured in a serial log, as a Chrome
    /// trace-event file (Perfetto, chrome://tracing)
    Trace {
        /// The serial log (every `trace N @...` line in it is read)
        log: std::path::PathBuf,
        /// Where to write the JSON (default: the log's name with `.json`)
        #[arg(long, short)]
        out: Option<std::path::PathBuf>,
    },
}

/// Arguments of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// `update` instead of the figures.
    #[command(subcommand)]
    pub update: Option<BenchCommand>,
    /// The options (they may stand before or after `update`).
    #[command(flatten)]
    pub options: BenchOptions,
}

/// What `cargo xtask bench` can do instead of its figures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Kernel updates of every core under a TPC-H workload (the group
    /// `update` alone): throughput plot (update.png) and downtimes
    Update,
    /// Rebuilds a run's report and plots from its results file alone
    /// (with --compare, compares it with an older run)
    Report {
        /// The run's folder (target/bench/<run>) or its results.jsonl
        dir: std::path::PathBuf,
        /// Also writes its paper table into the README (for the kept
        /// baseline, docs/bench-baseline)
        #[arg(long)]
        readme: bool,
    },
}

#[cfg(test)]
mod tests {
    use harness::Accel;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(["cargo xtask"].iter().chain(args))
    }

    fn run(args: &[&str]) -> Result<RunOptions, String> {
        let args: Vec<&str> = ["run"].iter().chain(args).copied().collect();
        match parse(&args).map_err(|e| e.to_string())?.command {
            Some(Command::Run(o)) => Ok(o),
            other => panic!("not `run`: {other:?}"),
        }
    }

    fn bench(args: &[&str]) -> (bool, BenchOptions) {
        let args: Vec<&str> = ["bench"].iter().chain(args).copied().collect();
        match parse(&args).unwrap().command {
            Some(Command::Bench(b)) => (b.update.is_some(), b.options),
            other => panic!("not `bench`: {other:?}"),
        }
    }

    #[test]
    fn defaults_and_every_option() {
        let d = run(&[]).unwrap();
        assert_eq!(
            (d.cores, d.mem_mib, d.accel, d.icount, d.debug),
            (4, 512, Accel::Tcg, None, false)
        );
        let o = run(&[
            "--cores",
            "16",
            "--mem",
            "1024",
            "--accel",
            "kvm",
            "--icount=5",
            "--debug",
            "--append",
            "a=1",
            "--append",
            "b",
        ])
        .unwrap();
        assert_eq!(
            (o.cores, o.mem_mib, o.accel, o.icount, o.debug),
            (16, 1024, Accel::Kvm, Some(5), true)
        );
        assert_eq!(o.append.join(" "), "a=1 b");
        assert_eq!(run(&["--icount"]).unwrap().icount, Some(3));
        assert_eq!(run(&["--cores", "2", "--cores", "3"]).unwrap().cores, 3);
    }

    #[test]
    fn bad_options_are_refused() {
        assert!(
            run(&["--cores"])
                .unwrap_err()
                .contains("a value is required")
        );
        assert!(run(&["--cores", "0"]).unwrap_err().contains("1..=255"));
        assert!(run(&["--cores", "x"]).is_err());
        assert!(
            run(&["--accel", "hvf"])
                .unwrap_err()
                .contains("unknown accelerator")
        );
        assert!(run(&["--icount", "5"]).is_err());
        assert!(
            run(&["--frobnicate"])
                .unwrap_err()
                .contains("unexpected argument")
        );
        assert!(parse(&["frobnicate"]).is_err());
    }

    #[test]
    fn bench_options_stand_anywhere() {
        let (update, o) = bench(&[]);
        assert!(!update);
        assert_eq!(
            (o.accel, o.only, o.quick, o.no_linux),
            (Accel::Tcg, Vec::<String>::new(), false, false)
        );
        let (update, o) = bench(&["--quick", "update", "--accel", "kvm"]);
        assert!(update && o.quick);
        assert_eq!(o.accel, Accel::Kvm);
        let (update, o) = bench(&["--no-linux", "--only", "scaling"]);
        assert!(!update && o.no_linux);
        assert_eq!(o.only, ["scaling"]);
        let (_, o) = bench(&["--only", "ump,switch"]);
        assert_eq!(o.only, ["ump", "switch"]);
        assert!(parse(&["bench", "--only", "nothing"]).is_err());
        assert!(parse(&["bench", "--only", "ump,nothing"]).is_err());
        // A kept run's report, compared with an older one.
        match parse(&[
            "bench",
            "report",
            "target/bench/new",
            "--compare",
            "target/bench/old",
        ])
        .unwrap()
        .command
        {
            Some(Command::Bench(BenchArgs {
                update: Some(BenchCommand::Report { dir, readme }),
                options,
            })) => {
                assert!(!readme);
                assert_eq!(dir, std::path::Path::new("target/bench/new"));
                assert_eq!(
                    options.compare.as_deref(),
                    Some(std::path::Path::new("target/bench/old"))
                );
            }
            other => panic!("not `bench report`: {other:?}"),
        }
        assert!(parse(&["bench", "--watchdog", "3"]).is_err());
    }

    #[test]
    fn test_passes_its_arguments_on() {
        for args in [["boot", "--nocapture"], ["--nocapture", "boot"]] {
            let args: Vec<&str> = ["test"].iter().chain(&args).copied().collect();
            match parse(&args).unwrap().command {
                Some(Command::Test { filter }) => assert_eq!(filter, args[1..]),
                other => panic!("not `test`: {other:?}"),
            }
        }
    }

    #[test]
    fn fuzz_takes_calls_and_messages() {
        let fuzz = |args: &[&str]| {
            let args: Vec<&str> = ["fuzz"].iter().chain(args).copied().collect();
            match parse(&args).unwrap().command {
                Some(Command::Fuzz(o)) => (o.calls, o.messages),
                other => panic!("not `fuzz`: {other:?}"),
            }
        };
        assert_eq!(fuzz(&[]), (100_000, None));
        assert_eq!(fuzz(&["--calls", "1000000"]), (1_000_000, None));
        assert_eq!(fuzz(&["--calls", "5", "--messages", "7"]), (5, Some(7)));
        assert!(parse(&["fuzz", "--calls", "many"]).is_err());
        let host = |args: &[&str]| {
            let args: Vec<&str> = ["fuzz"].iter().chain(args).copied().collect();
            match parse(&args).unwrap().command {
                Some(Command::Fuzz(o)) => (o.host, o.cases, o.seed),
                other => panic!("not `fuzz`: {other:?}"),
            }
        };
        assert_eq!(host(&[]), (false, 1_000_000, 1));
        assert_eq!(
            host(&["--host", "--cases", "500", "--seed", "9"]),
            (true, 500, 9)
        );
    }
}
