//! `cargo xtask bench`: Corefish's figures beside the Linux peer's, measured in
//! QEMU on this machine (TCG unless `--accel kvm`), and `cargo xtask bench
//! update`, kernel updates under a database workload.
//!
//! This module runs the groups in order and writes the report; each group
//! measures in its own module:
//!
//! * [`cores`] (`boot`): core boot latency by phase, stop latency and the
//!   cores a stop involves, update downtime, park and unpark;
//! * [`ump`] (`ump`): UMP latency between programs on two cores;
//! * [`switch`] (`switch`): the cost of a KCB switch on a multiplexing core;
//! * [`jitter`] (`jitter`): the real-time kernel's jitter beside the
//!   standard kernel's, and the plot of every jitter histogram;
//! * [`linux`] (`linux`): the Linux peer's CPU hotplug and jitter;
//! * [`scaling`] (`scaling`): boot and stop latency against machine size;
//! * [`update`] (`bench update`): throughput of a database workload while
//!   every core's kernel is updated.
//!
//! What they share imports none of them: [`options`], [`environment`],
//! [`machine`] (start-up and the commands typed), [`report`], [`plot`],
//! [`umpbench`] (the UMP program's results) and [`peer`] (the Linux peer's
//! making, booting and output).

mod cores;
mod environment;
mod jitter;
mod linux;
mod machine;
mod options;
mod peer;
mod plot;
mod report;
mod scaling;
mod switch;
mod ump;
mod umpbench;
mod update;

use anyhow::{Context, Result};
use harness::Images;

use environment::Environment;
pub use options::BenchOptions;
pub use report::Report;

/// Runs the benchmarks, prints the figures and writes `report.md` (and the
/// plots) to the options' [`out_dir`](BenchOptions::out_dir); returns the
/// report.
pub fn bench(options: &BenchOptions) -> Result<Report> {
    let (images, environment) = prepare(options)?;
    let images = &images;
    let mut report = Report {
        machine: environment.header(options),
        rows: Vec::new(),
    };
    if options.runs("boot") {
        cores::measure(images, options, &mut report)?;
    }
    if options.runs("ump") {
        ump::measure(images, options, &mut report)?;
    }
    if options.runs("switch") {
        switch::measure(images, options, &mut report)?;
    }
    if options.runs("jitter") {
        jitter::measure(images, options, &mut report)?;
    }
    if options.runs("linux") && options.linux() {
        linux::measure(images, options, &mut report)?;
    }
    if options.runs("scaling") {
        scaling::measure(images, options, &mut report)?;
    }
    println!(
        "bench: for comparison, the paper (real hardware): Barrelfish/DC boots a core in 7.5 ms \
         and removes one in 0.0008 ms; Linux 3.13 brings one online in 14 ms idle / 20 ms \
         loaded and takes one offline in 46 ms / 2542 ms"
    );
    let dir = options.out_dir();
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures, which are in the report.
    if let Err(e) = jitter::plot(&report, &dir.join("jitter.png"), &environment.line(options)) {
        println!("bench: jitter plot not drawn: {e:#}");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, report.markdown()).with_context(|| path.display().to_string())?;
    println!("bench: report written to {}", path.display());
    Ok(report)
}

/// `cargo xtask bench update`: the database workload under kernel updates
/// (its plot and downtimes; no report).
pub fn update(options: &BenchOptions) -> Result<()> {
    let (images, _) = prepare(options)?;
    update::measure(&images, options)
}

/// Makes sure QEMU is there, builds the images and says where the figures
/// come from.
fn prepare(options: &BenchOptions) -> Result<(Images, Environment)> {
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let environment = Environment::now();
    environment.announce(options);
    Ok((images, environment))
}
