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

use anyhow::{Context, Result, bail};
use harness::Images;

use environment::Environment;
pub use options::BenchOptions;
pub use report::Report;

/// A group's measurement: its figures go into the report.
type Measure = fn(&Images, &BenchOptions, &mut Report) -> Result<()>;

/// The groups, in the order they run.
const RUN: &[(&str, Measure)] = &[
    ("boot", cores::measure),
    ("ump", ump::measure),
    ("switch", switch::measure),
    ("jitter", jitter::measure),
    ("linux", linux::measure),
    ("scaling", scaling::measure),
];

/// Runs the benchmarks, prints the figures and writes `report.md` (and the
/// plots) to the options' [`out_dir`](BenchOptions::out_dir), again after
/// every group, so that a run cut short leaves all it measured; returns
/// the report, or an error naming the groups that failed (their rows in
/// the report say why).
pub fn bench(options: &BenchOptions) -> Result<Report> {
    let (images, environment) = prepare(options)?;
    let images = &images;
    let mut report = Report {
        machine: environment.header(options),
        rows: Vec::new(),
    };
    for &(group, measure) in RUN {
        if !options.runs(group) || (group == "linux" && !options.linux()) {
            continue;
        }
        run_group(images, &options.in_group(group), measure, &mut report);
        write(&report, options, &environment)?;
    }
    println!(
        "bench: for comparison, the paper (real hardware): Barrelfish/DC boots a core in 7.5 ms \
         and removes one in 0.0008 ms; Linux 3.13 brings one online in 14 ms idle / 20 ms \
         loaded and takes one offline in 46 ms / 2542 ms"
    );
    write(&report, options, &environment)?;
    let failed: Vec<&str> = report.failures().iter().map(|r| r.key.as_str()).collect();
    if !failed.is_empty() {
        bail!("failed: {} (the report's rows say why)", failed.join(", "));
    }
    Ok(report)
}

/// Runs one group; if it fails (a guest hung, died or did not answer),
/// runs it once more from the start; if that fails too, keeps what the
/// second attempt measured and records the failure.
fn run_group(images: &Images, options: &BenchOptions, measure: Measure, report: &mut Report) {
    let group = options.group.unwrap_or("?");
    let attempt = || {
        let mut part = Report::default();
        let result = measure(images, options, &mut part);
        (part, result)
    };
    let (part, result) = attempt();
    let (part, result) = match result {
        Ok(()) => (part, Ok(())),
        Err(e) => {
            println!("bench: {group}: {}; measuring it once more", reason(&e));
            attempt()
        }
    };
    report.rows.extend(part.rows);
    if let Err(e) = result {
        let why = reason(&e);
        println!("bench: {group}: failed again: {why}");
        report.fail(group, &why);
    }
}

/// The one-line reason of a failure: the watchdog's, or the error's first
/// line (a harness error goes on with the console's tail).
fn reason(e: &anyhow::Error) -> String {
    match e.downcast_ref::<harness::HarnessError>() {
        Some(harness::HarnessError::Stalled { reason, .. }) => reason.clone(),
        _ => format!("{e:#}").lines().next().unwrap_or("").to_owned(),
    }
}

/// Writes the report and the plots as they stand.
fn write(report: &Report, options: &BenchOptions, environment: &Environment) -> Result<()> {
    let dir = options.out_dir();
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures, which are in the report.
    if let Err(e) = jitter::plot(report, &dir.join("jitter.png"), &environment.line(options)) {
        println!("bench: jitter plot not drawn: {e:#}");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, report.markdown()).with_context(|| path.display().to_string())?;
    println!("bench: report written to {}", path.display());
    Ok(())
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
