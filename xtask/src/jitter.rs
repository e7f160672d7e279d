//! `cargo xtask bench` (group `jitter`): Barrelfish/DC's real-time figure.
//! The `jitter` program times a count-down from 1,000 100,000 times on
//! core 1 of a 2-core machine, three ways: under `cpudriver-rt` (`corectrl
//! rt`: no interrupts, no timer, nothing else on the core), under the
//! standard kernel alone on the core (its timer on), and under the standard
//! kernel with a busy program sharing the core; each under plain TCG and
//! under TCG with `-icount shift=0` (a clock that counts instructions, so
//! only real disturbances show).

use harness::{Images, Machine, QemuConfig};
use jitterstats::Summary;

use crate::bench::{BenchOptions, STEP};
use crate::report::Figure;

/// Runs the jitter benchmark and prints one line per run.
pub fn jitter(
    images: &Images,
    options: &BenchOptions,
    report: &mut crate::report::Report,
) -> Result<(), String> {
    let samples = if options.quick { 10_000 } else { 100_000 };
    for icount in [false, true] {
        let clock = if icount { "tcg -icount shift=0" } else { "tcg" };
        let mut config = QemuConfig::new(images).append("fatal=exit");
        config.cores = 2;
        config.mem_mib = 512;
        config.accel = options.accel;
        config.icount = icount.then_some(0);
        let name = if icount {
            "bench_jitter_icount"
        } else {
            "bench_jitter"
        };
        let mut m = Machine::start(&config, name).map_err(|e| format!("{e}"))?;
        let fail = |e: harness::HarnessError| format!("{e}");
        m.expect("Corefish shell; type `help`.", STEP)
            .map_err(fail)?;
        let key = if icount { "icount" } else { "tcg" };
        m.send(&format!("corectrl rt 1 jitter {samples}\r"))
            .map_err(fail)?;
        let rt = result(&mut m)?;
        report.add(
            &format!("jitter.rt.{key}"),
            "Jitter",
            &format!("Corefish cpudriver-rt ({clock})"),
            Figure::Jitter(rt),
        );
        m.send(&format!("run --core 1 jitter {samples}\r"))
            .map_err(fail)?;
        let alone = result(&mut m)?;
        report.add(
            &format!("jitter.standard.{key}"),
            "Jitter",
            &format!("Corefish cpudriver, alone on the core ({clock})"),
            Figure::Jitter(alone),
        );
        m.send("run --core 1 busy 3600\r").map_err(fail)?;
        m.expect("started busy on core 1", STEP).map_err(fail)?;
        m.send(&format!("run --core 1 jitter {samples}\r"))
            .map_err(fail)?;
        let shared = result(&mut m)?;
        report.add(
            &format!("jitter.shared.{key}"),
            "Jitter",
            &format!("Corefish cpudriver, with `busy` on the core ({clock})"),
            Figure::Jitter(shared),
        );
    }
    Ok(())
}

/// The next jitter summary on the console.
fn result(m: &mut Machine) -> Result<Summary, String> {
    let line = m
        .expect("jitter: on core 1: ", STEP)
        .map_err(|e| format!("{e}"))?;
    Summary::parse(&line).ok_or_else(|| format!("cannot read `{line}`"))
}
