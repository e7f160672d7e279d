//! `cargo xtask fuzz [--calls N] [--messages M]`: the fuzzer (`user/fuzz`)
//! on a booted machine. The kernel is booted with `checks`, so the fuzzer
//! has it check the mapping database after every batch of calls, and with
//! `fatal=exit`, so that a kernel fault ends the run at once. Afterwards
//! the machine must still work: every service running, the memory server
//! answering, a program running, every core's monitor answering the boot
//! driver. Prints the fuzzer's figures (calls, accepted, refused, time)
//! and fails on any fault, crash or inconsistency.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use harness::{Machine, QemuConfig};

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Args)]
pub struct FuzzOptions {
    /// Fuzz the parsers on the host instead (`crate::hostfuzz`)
    #[arg(long)]
    pub host: bool,
    /// Inputs per parser, with --host
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: u64,
    /// Seed of the inputs, with --host
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// System calls to make
    #[arg(long, default_value_t = 100_000)]
    pub calls: u64,
    /// Messages to send the services (default: a tenth of the calls)
    #[arg(long)]
    pub messages: Option<u64>,
}

/// The system's services, as `ps` names them.
const SERVICES: [&str; 5] = ["memserv", "serial", "monitor", "corectrl", "shell"];

/// Runs the fuzzer (see the module documentation).
pub fn fuzz(options: &FuzzOptions) -> Result<()> {
    if options.host {
        return crate::hostfuzz::fuzz(options.cases, options.seed).map(|_| ());
    }
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let mut config = QemuConfig::new(&images).append("fatal=exit checks");
    config.cores = 4;
    config.mem_mib = 512;
    let mut m = Machine::start(&config, "fuzz").context("cannot start QEMU")?;
    let started = Instant::now();
    m.expect("Corefish shell; type `help`.", Duration::from_secs(120))?;
    // Generous: a million calls take minutes under TCG.
    let patience = Duration::from_secs(60 + options.calls / 1000);
    let calls = run(&mut m, &format!("run fuzz {}", options.calls), patience)?;
    println!("xtask: {calls}");
    if !calls.contains("mapping database consistent at all") {
        bail!("the kernel did not check the mapping database: {calls}");
    }
    let messages = options.messages.unwrap_or(options.calls / 10).max(1);
    let sent = run(&mut m, &format!("run fuzz messages {messages}"), patience)?;
    println!("xtask: {sent}");
    healthy(&mut m)?;
    if m.lines().iter().any(|l| l.contains("FATAL")) {
        bail!("a kernel faulted (see target/qemu-logs/fuzz.log)");
    }
    println!(
        "xtask: fuzz passed in {:.0} s: no kernel fault, no service crash, the mapping database consistent at every check",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Types `line` and returns the fuzzer's verdict, which must not be a
/// failure, once the program ended with code 0.
fn run(m: &mut Machine, line: &str, patience: Duration) -> Result<String> {
    m.send(&format!("{line}\r"))?;
    let verdict = m.expect_line("the fuzzer's verdict", patience, |l| {
        l.starts_with("fuzz: ")
    })?;
    if verdict.starts_with("fuzz: FAILED") {
        bail!("{verdict}");
    }
    let end = m.expect_line("the fuzzer's end", patience, |l| {
        l.starts_with("fuzz (id ") && (l.contains("exited") || l.contains("killed"))
    })?;
    if !end.ends_with("exited with code 0") {
        bail!("{end}");
    }
    Ok(verdict)
}

/// The machine still works after the fuzzing.
fn healthy(m: &mut Machine) -> Result<()> {
    let step = Duration::from_secs(60);
    m.send("ps\r")?;
    m.expect("ID  DISP  STATE", step)?;
    for service in SERVICES {
        let line = m.expect_line(service, step, |l| l.ends_with(service))?;
        if !(line.contains("running") || line.contains("waiting")) {
            bail!("a service crashed: {line}");
        }
    }
    m.send("mem\r")?;
    m.expect("memory server: ", step)?;
    m.send("run hello a b c\r")?;
    m.expect_line("hello's end", step, |l| {
        l.starts_with("hello (id ") && l.ends_with("exited with code 3")
    })?;
    m.send("corectrl list\r")?;
    m.expect("CORE  APIC  STATE", step)?;
    for core in 1..4 {
        let prefix = format!("{core:>4}  ");
        let line = m.expect_line("a core's line", step, |l| l.starts_with(&prefix))?;
        if !line.contains(" up (") {
            bail!("core {core}'s monitor does not answer: {line}");
        }
    }
    Ok(())
}
