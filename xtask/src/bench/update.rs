//! `cargo xtask bench update`: kernel updates under a database workload
//! (the paper's second use case). A 4-core machine runs `tpchq` (Q1 and Q6
//! over `lineitem` at scale 0.1, [`SCALE_MILLI`], a worker on every OSNode, the
//! coordinator on OSNode 0) while the boot driver updates every core in
//! turn to `cpudriver-v2` and back (its own, core 0, in place). The coordinator reports the rounds
//! (both queries on every worker) finished in each 250 ms of the guest's
//! clock; the kernels' log lines give the moment each update resumed its
//! OSNode (same clock). Writes `target/bench/update.png` (throughput over
//! time, updates marked) and prints each update's downtime (how long the
//! OSNode's dispatchers did not run, as the boot driver measures it).
//!
//! The Linux peer then runs the same engine (`lib/tpch` in the peer's
//! `measure tpch`: a worker thread pinned to each of its 4 CPUs, the main
//! thread coordinating) at the same scale and interval, without updates
//! (row `workload.linux.rate`); both must compute the same answers.

use std::path::Path;

use anyhow::{Context, Result, bail};
use harness::{Images, Machine};
use plotters::prelude::*;

use super::environment::Environment;
use super::machine::{STEP, command, machine, ms, update};
use super::options::BenchOptions;
use super::plot::canvas;
use super::report::Report;

/// The TPC-H scale, in thousandths: 0.1 (600,000 rows, about 20 MiB of
/// table across the four OSNodes, each worker's part from the memory
/// server through its monitor).
const SCALE_MILLI: u32 = 100;
/// Its reporting interval (ms).
const INTERVAL_MS: u64 = 250;
/// Intervals waited before the first update and between updates.
const SETTLE_INTERVALS: usize = 8;

/// One update as measured.
struct Update {
    core: u32,
    kernel: &'static str,
    /// Guest seconds when the new kernel resumed the OSNode.
    at_s: f64,
    /// How long its programs paused (ms).
    paused_ms: f64,
}

/// Runs the benchmark, prints the figures and draws the plot.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("database workload under kernel updates");
    let mut m = machine(images, options, 4, None, "bench_update")?;
    let started = command(
        &mut m,
        &format!("run tpchq run {SCALE_MILLI} 0 {INTERVAL_MS} 0 1 2 3 &"),
        "tpch: 4 workers on cores",
    )?;
    let stop = started
        .split("stop with `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .with_context(|| format!("no stop command in `{started}`"))?
        .to_owned();
    let settle = |m: &mut Machine| -> Result<()> {
        for _ in 0..SETTLE_INTERVALS {
            m.expect("tpch: interval ", STEP)?;
        }
        Ok(())
    };
    settle(&mut m)?;
    let mut updates = Vec::new();
    for core in 0..=3u32 {
        for kernel in ["cpudriver-v2", "cpudriver"] {
            let paused_ms = ms(update(&mut m, core, kernel)?.paused_ns);
            updates.push(Update {
                core,
                kernel,
                at_s: 0.0,
                paused_ms,
            });
            settle(&mut m)?;
        }
    }
    let done = command(&mut m, &format!("run {stop}"), "tpch: done: ")?;
    let lines = m.lines();
    drop(m);
    // When each update resumed its OSNode, from the new kernels' lines (in
    // order, one per update).
    let mut resumed = lines.iter().filter_map(|l| resume_time(l));
    for u in &mut updates {
        let (core, at) = resumed
            .by_ref()
            .find(|&(core, _)| core == u.core)
            .with_context(|| format!("no resume line for core {}", u.core))?;
        debug_assert_eq!(core, u.core);
        u.at_s = at;
    }
    let intervals: Vec<(f64, f64)> = lines
        .iter()
        .filter_map(|l| interval(l))
        .map(|(at_ms, rounds)| {
            (
                at_ms as f64 / 1000.0,
                rounds as f64 * 1000.0 / INTERVAL_MS as f64,
            )
        })
        .collect();
    if intervals.is_empty() {
        bail!("the workload reported no intervals");
    }
    for u in &updates {
        println!(
            "bench: update of core {} to {:<13} at {:7.3} s: OSNode {} paused {:.3} ms",
            u.core, u.kernel, u.at_s, u.core, u.paused_ms
        );
    }
    let (all, during) = summary(&intervals, &updates);
    let section = "Kernel updates under TPC-H (bench update)";
    let scale = f64::from(SCALE_MILLI) / 1000.0;
    report.rate(
        "workload.rate.all",
        section,
        &format!("query rounds (Q1 + Q6, 4 workers, scale {scale}) per second, every interval"),
        &all,
    );
    report.rate(
        "workload.rate.updating",
        section,
        "query rounds per second, intervals with an update",
        &during,
    );
    let pauses = |on_0: bool| -> Vec<f64> {
        updates
            .iter()
            .filter(|u| (u.core == 0) == on_0)
            .map(|u| u.paused_ms)
            .collect()
    };
    report.ms(
        "workload.pause.core0",
        section,
        "OSNode pause, core 0 updated in place (to v2 and back)",
        &pauses(true),
    );
    report.ms(
        "workload.pause.others",
        section,
        "OSNode pause, cores 1-3 updated (to v2 and back)",
        &pauses(false),
    );
    println!(
        "bench: {}",
        done.split_once("tpch: ").map_or(done.as_str(), |(_, t)| t)
    );
    if options.linux() {
        let linux = on_linux(images, options)?;
        if answers(&linux.lines) != answers(&lines) {
            bail!(
                "Corefish's and Linux's answers differ: {:?} and {:?}",
                answers(&lines),
                answers(&linux.lines)
            );
        }
        report.rate(
            "workload.linux.rate",
            section,
            &format!(
                "Linux: the same engine, a worker thread on each of 4 CPUs, scale {scale}, rounds per second, every interval (no updates)"
            ),
            &linux.rates,
        );
    }
    let dir = options.out_dir();
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let path = dir.join("update.png");
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures above.
    match plot(
        &path,
        &intervals,
        &updates,
        &Environment::now().line(options),
    ) {
        Ok(()) => println!("bench: plot written to {}", path.display()),
        Err(e) => println!("bench: plot not drawn: {e:#}"),
    }
    Ok(())
}

/// What the Linux peer's run of the engine gave.
struct OnLinux {
    lines: Vec<String>,
    /// Rounds per second of every interval.
    rates: Vec<f64>,
}

/// How long the peer runs the engine (s).
const LINUX_SECONDS: u32 = 10;

/// Runs the engine on a 4-CPU Linux peer.
fn on_linux(images: &Images, options: &BenchOptions) -> Result<OnLinux> {
    let peer = super::peer::prepare()?;
    let config = peer.config(
        images,
        options,
        4,
        &format!("peer.phases=tpch peer.tpch={SCALE_MILLI},{LINUX_SECONDS},{INTERVAL_MS}"),
    );
    let lines = super::peer::run(&config, "bench_update_linux", STEP * 5)?;
    if let Some(failed) = lines.iter().find(|l| l.contains("peer: failed: ")) {
        bail!("the peer's engine: {failed}");
    }
    let rates: Vec<f64> = lines
        .iter()
        .filter_map(|l| interval(l))
        .map(|(_, rounds)| rounds as f64 * 1000.0 / INTERVAL_MS as f64)
        .collect();
    if rates.is_empty() {
        bail!("the peer's engine reported no intervals");
    }
    Ok(OnLinux { lines, rates })
}

/// The answers a run printed: the text after `tpch: Q1 digest ` and after
/// `tpch: Q6 revenue ` (the same words on both systems).
fn answers(lines: &[String]) -> Option<(String, String)> {
    let after = |what: &str| {
        lines
            .iter()
            .find_map(|l| Some(l.split_once(what)?.1.trim().to_owned()))
    };
    Some((after("tpch: Q1 digest ")?, after("tpch: Q6 revenue ")?))
}

/// `(core, guest seconds)` of a kernel line `[   t cN] INFO  core N (APIC
/// A) runs OSNode K under ..., resume R`.
pub fn resume_time(line: &str) -> Option<(u32, f64)> {
    let rest = line.strip_prefix('[')?;
    let (stamp, rest) = rest.split_once(']')?;
    let mut stamp = stamp.split_whitespace();
    let at: f64 = stamp.next()?.parse().ok()?;
    let core: u32 = stamp.next()?.strip_prefix('c')?.parse().ok()?;
    (rest.contains(" runs OSNode ") && rest.contains(", resume ")).then_some((core, at))
}

/// `(ms, rounds)` of a line `tpch: interval I at MS ms: R rounds`.
pub fn interval(line: &str) -> Option<(u64, u64)> {
    let rest = line.split_once("tpch: interval ")?.1;
    let (_, rest) = rest.split_once(" at ")?;
    let (ms, rest) = rest.split_once(" ms: ")?;
    let rounds = rest.strip_suffix(" rounds")?;
    Some((ms.trim().parse().ok()?, rounds.trim().parse().ok()?))
}

/// Median throughput over the run, and over the intervals in which an
/// update resumed its OSNode.
fn summary(intervals: &[(f64, f64)], updates: &[Update]) -> (Vec<f64>, Vec<f64>) {
    let width = INTERVAL_MS as f64 / 1000.0;
    let during: Vec<f64> = intervals
        .iter()
        .filter(|(end, _)| {
            updates
                .iter()
                .any(|u| u.at_s > end - width && u.at_s <= *end)
        })
        .map(|&(_, q)| q)
        .collect();
    (intervals.iter().map(|&(_, q)| q).collect(), during)
}

/// Draws the throughput over time, with the updates marked, to `path`.
fn plot(path: &Path, intervals: &[(f64, f64)], updates: &[Update], footer: &str) -> Result<()> {
    let root = canvas(path, (1200, 500), footer)?;
    let x_max = intervals.iter().map(|&(t, _)| t).fold(0.0, f64::max) + 0.5;
    let x_min = intervals.iter().map(|&(t, _)| t).fold(f64::MAX, f64::min) - 0.5;
    let y_max = intervals.iter().map(|&(_, q)| q).fold(0.0, f64::max) * 1.15 + 1.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "tpchq (Q1 + Q6, 4 workers, scale {}) while cores 0-3 are updated to cpudriver-v2 and back",
                f64::from(SCALE_MILLI) / 1000.0
            ),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_min.max(0.0)..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("guest time since reset (s)")
        .y_desc("query rounds per second")
        .draw()?;
    chart.draw_series(LineSeries::new(intervals.iter().copied(), &BLUE))?;
    for u in updates {
        chart.draw_series(LineSeries::new(
            [(u.at_s, 0.0), (u.at_s, y_max)],
            RED.stroke_width(1),
        ))?;
        let label = match u.kernel {
            "cpudriver" => format!("core {} back", u.core),
            other => format!(
                "core {} to {}",
                u.core,
                other.trim_start_matches("cpudriver-")
            ),
        };
        chart.draw_series(std::iter::once(Text::new(
            label,
            (u.at_s, y_max * 0.97),
            ("sans-serif", 13),
        )))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse() {
        assert_eq!(
            interval("tpch: interval 3 at 2250 ms: 41 rounds"),
            Some((2250, 41))
        );
        assert_eq!(interval("tpch: interval x"), None);
        assert_eq!(
            resume_time(
                "[    3.25 c2] INFO  core 2 (APIC 2) runs OSNode 2 under `cpudriver-v2 0.1.0-v2`, resume 1"
            ),
            Some((2, 3.25))
        );
        assert_eq!(
            resume_time("[    0.5 c1] INFO  core 1 (APIC 1) runs OSNode 1 under `cpudriver 0.1.0`"),
            None
        );
    }
}
