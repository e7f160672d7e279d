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

mod compare;
mod cores;
mod environment;
mod jitter;
mod linux;
mod machine;
mod options;
pub mod paper;
mod peer;
mod plot;
mod report;
mod results;
mod scaling;
mod switch;
mod ump;
mod umpbench;
mod update;

use anyhow::{Context, Result, bail};
use harness::Images;

use std::path::Path;

use environment::Environment;
pub use options::BenchOptions;
pub use report::Report;
use report::Sink;
use results::ResultsFile;

/// A group's measurement: its figures go into the report.
type Measure = fn(&Images, &BenchOptions, &mut Report) -> Result<()>;

/// The groups, in the order they run, with their usual durations on the
/// 2-core machine (s, full and `--quick`; the progress line's estimate).
const RUN: &[(&str, Measure, f64, f64)] = &[
    ("boot", cores::measure, 150.0, 10.0),
    ("ump", ump::measure, 20.0, 5.0),
    ("switch", switch::measure, 40.0, 5.0),
    ("jitter", jitter::measure, 120.0, 10.0),
    ("linux", linux::measure, 600.0, 120.0),
    ("scaling", scaling::measure, 900.0, 60.0),
    ("update", update::measure, 30.0, 30.0),
];

/// Runs the benchmarks, prints the figures and writes `report.md` (and the
/// plots) to the options' [`out_dir`](BenchOptions::out_dir), again after
/// every group, so that a run cut short leaves all it measured; returns
/// the report, or an error naming the groups that failed (their rows in
/// the report say why).
pub fn bench(options: &BenchOptions) -> Result<Report> {
    let (images, environment) = prepare(options)?;
    let images = &images;
    let dir = options.out_dir();
    let options = &BenchOptions {
        out: Some(dir.clone()),
        ..options.clone()
    };
    let run = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // An old run to compare with is read now: a wrong name fails at once,
    // not after the run.
    if let Some(old) = &options.compare {
        results::load(old)?;
    }
    let file = ResultsFile::create(&dir, environment.meta(options, &run))?;
    println!("bench: results go to {}", file.path().display());
    let groups: Vec<_> = RUN
        .iter()
        .filter(|g| options.runs(g.0) && (g.0 != "linux" || options.linux()))
        .collect();
    let mut progress = crate::progress::Run::new(
        groups
            .iter()
            .map(|g| (g.0, if options.quick { g.3 } else { g.2 }))
            .collect(),
    );
    for &&(group, measure, _, _) in &groups {
        progress.start();
        run_group(images, &options.in_group(group), measure, &file);
        progress.finish();
        // The results are kept whatever happens to the report.
        if let Err(e) = report_from(&dir, None) {
            println!("bench: report not made: {e:#}");
        }
    }
    println!(
        "bench: for comparison, the paper (real hardware): Barrelfish/DC boots a core in 7.5 ms \
         and removes one in 0.0008 ms; Linux 3.13 brings one online in 14 ms idle / 20 ms \
         loaded and takes one offline in 46 ms / 2542 ms"
    );
    let report = report_from(&dir, options.compare.as_deref())?;
    println!("bench: the run took {}", progress.total());
    let failed: Vec<&str> = report.failures().iter().map(|r| r.key.as_str()).collect();
    if !failed.is_empty() {
        bail!("failed: {} (the report's rows say why)", failed.join(", "));
    }
    Ok(report)
}

/// Runs one group; if it fails (a guest hung, died or did not answer),
/// runs it once more from the start; if that fails too, keeps what the
/// second attempt measured and records the failure.
fn run_group(images: &Images, options: &BenchOptions, measure: Measure, file: &ResultsFile) {
    let group = options.group.unwrap_or("?");
    let attempt = |attempt| {
        let mut part = Report {
            sink: Some(Sink {
                file: file.clone(),
                group,
                attempt,
            }),
            ..Report::default()
        };
        let result = measure(images, options, &mut part);
        (part, result)
    };
    let (mut part, result) = match attempt(1) {
        (part, Ok(())) => (part, Ok(())),
        (_, Err(e)) => {
            println!("bench: {group}: {}; measuring it once more", reason(&e));
            attempt(2)
        }
    };
    if let Err(e) = result {
        let why = reason(&e);
        println!("bench: {group}: failed again: {why}");
        part.fail(group, &why);
    }
}

/// The one-line reason of a failure: the watchdog's, or the error's first
/// line (a harness error goes on with the console's tail).
pub fn reason(e: &anyhow::Error) -> String {
    match e.downcast_ref::<harness::HarnessError>() {
        Some(harness::HarnessError::Stalled { reason, .. }) => reason.clone(),
        _ => format!("{e:#}").lines().next().unwrap_or("").to_owned(),
    }
}

/// Makes a run's report and plots from its results file (`path`: the
/// run's folder or the file) alone and writes them beside it; with `old`,
/// prints its comparison with an older run. Returns the report.
pub fn report_from(path: &Path, old: Option<&Path>) -> Result<Report> {
    let records = results::load(path)?;
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map_or_else(|| ".".into(), Path::to_path_buf)
    };
    let report = Report {
        machine: records
            .first()
            .map(|r| environment::header(&r.meta))
            .unwrap_or_default(),
        rows: results::rows(&records),
        sink: None,
    };
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures, which are in the report.
    let footer = records
        .first()
        .map(|r| environment::line(&r.meta))
        .unwrap_or_default();
    if let Err(e) = jitter::plot(&report, &dir.join("jitter.png"), &footer) {
        println!("bench: jitter plot not drawn: {e:#}");
    }
    if let Err(e) = scaling::plot_rows(&report, &dir.join("scaling.png"), &footer) {
        println!("bench: scaling plot not drawn: {e:#}");
    }
    let md = dir.join("report.md");
    std::fs::write(&md, report.markdown()).with_context(|| md.display().to_string())?;
    println!("bench: report written to {}", md.display());
    if let Some(old) = old {
        let before = results::rows(&results::load(old)?);
        let table = compare::table(&before, &report.rows);
        print!("{table}");
        let path = dir.join("compare.md");
        let text = format!(
            "# {} compared with {}\n\n{table}",
            dir.display(),
            old.display()
        );
        std::fs::write(&path, text).with_context(|| path.display().to_string())?;
        println!("bench: comparison written to {}", path.display());
    }
    Ok(report)
}

/// `cargo xtask bench update`: the database workload under kernel updates
/// alone, as `cargo xtask bench --only update`.
pub fn update(options: &BenchOptions) -> Result<()> {
    bench(&BenchOptions {
        only: vec!["update".into()],
        ..options.clone()
    })
    .map(drop)
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
