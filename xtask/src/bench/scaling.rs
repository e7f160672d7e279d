//! `cargo xtask bench` (group `scaling`): core boot and stop latency on
//! machines of 4, 8, 16, 32 and 64 cores (`--quick`: 4 and 8), for
//! Corefish (the boot driver boots cores 1 to k of a machine whose
//! `boot.cfg` boots nothing, then stops them) and for the Linux peer (CPU
//! online/offline with the other CPUs idle); plotted as latency against
//! cores in `target/bench/scaling.png`. No Corefish stop may involve more
//! than two cores (the boot driver's, and the stopped one if it was
//! interrupted), whatever the machine's size.
//!
//! On the largest machine both systems also bring up every other core, one
//! after another: Corefish with `corectrl boot all` (after its rounds, all
//! the cores that are off, first starts of the image on most of them), Linux
//! booted with `maxcpus=1` and then every other CPU brought online through
//! sysfs (rows `scaling.all.corefish.N` and `scaling.all.linux.N`; one
//! sample each: the Linux side takes tens of seconds at 64 CPUs).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use harness::Images;
use plotters::prelude::*;

use super::machine::{STEP, boot, boot_all, config, ms, quiet_archive, start, stop};
use super::options::BenchOptions;
use super::peer::{self, Peer};
use super::plot::{canvas, legend};
use super::report::{Figure, Report};

/// Machine sizes.
const SIZES: &[u32] = &[4, 8, 16, 32, 64];
/// Boots (and stops) per size.
const BOOTS: u32 = 5;
/// How long one boot of the Linux peer may take.
const PEER_TIMEOUT: Duration = Duration::from_secs(1800);

/// Memory for an `n`-core machine (both systems get the same; a Corefish
/// core needs under 2 MiB of it, the rest is room for Linux's per-CPU areas
/// and keeps the figures comparable with earlier runs).
fn mem_mib(cores: u32) -> u32 {
    1024 + 16 * cores
}

/// Runs the scaling measurements.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("scaling (4 to 64 cores, Corefish and Linux)");
    let sizes: &[u32] = if options.quick { &SIZES[..2] } else { SIZES };
    let boots = options.times(BOOTS);
    let peer = if options.linux() {
        Some(peer::prepare()?)
    } else {
        None
    };
    // Each machine size of each system is booted at most twice; one that
    // fails twice gets a failure row and the others are measured all the
    // same.
    let largest = sizes.last().copied();
    for &cores in sizes {
        let all = Some(cores) == largest;
        let measured = twice(|| corefish(images, options, cores, boots, all));
        let machine = format!("{cores}-core machine");
        match measured {
            Ok((boot, stop, every)) => {
                add(report, SERIES[0], "boot", cores, &machine, &boot);
                add(report, SERIES[1], "stop", cores, &machine, &stop);
                if let Some(every) = every {
                    report.ms(
                        &format!("scaling.all.corefish.{cores}"),
                        "Scaling",
                        &format!(
                            "Corefish: boot the {} other cores of a {machine} one after another (`corectrl boot all`)",
                            cores - 1
                        ),
                        &[every],
                    );
                }
            }
            Err(why) => report.fail(&format!("scaling.corefish.{cores}"), &why),
        }
        if all && let Some(peer) = &peer {
            match twice(|| linux_all(images, options, peer, cores)) {
                Ok(every) => report.ms(
                    &format!("scaling.all.linux.{cores}"),
                    "Scaling",
                    &format!(
                        "Linux: bring the {} other CPUs of a {cores}-CPU machine online one after another (booted with maxcpus=1)",
                        cores - 1
                    ),
                    &[every],
                ),
                Err(why) => report.fail(&format!("scaling.all.linux.{cores}"), &why),
            }
        }
        if let Some(peer) = &peer {
            let measured = twice(|| linux(images, options, peer, cores, boots));
            let machine = format!("{cores}-CPU machine");
            let (online, offline) = match measured {
                Ok(times) => times,
                Err(why) => {
                    report.fail(&format!("scaling.linux.{cores}"), &why);
                    continue;
                }
            };
            add(report, SERIES[2], "linux.online", cores, &machine, &online);
            add(
                report,
                SERIES[3],
                "linux.offline",
                cores,
                &machine,
                &offline,
            );
        }
    }
    Ok(())
}

/// Runs `measure` once, and once more if that fails; the reason of the
/// second failure in a line.
fn twice<T>(mut measure: impl FnMut() -> Result<T>) -> Result<T, String> {
    match measure() {
        Ok(t) => return Ok(t),
        Err(e) => println!("bench: {}; once more", super::reason(&e)),
    }
    measure().map_err(|e| super::reason(&e))
}

/// The plot's series: (name, row key between `scaling.` and the size).
const SERIES: [(&str, &str); 4] = [
    ("Corefish: boot a core", "boot"),
    ("Corefish: stop a core", "stop"),
    ("Linux: CPU online", "linux.online"),
    ("Linux: CPU offline", "linux.offline"),
];

/// Adds the row `scaling.KEY.CORES` (its text: the series' name and
/// `machine`).
fn add(
    report: &mut Report,
    (name, _): (&str, &str),
    key: &str,
    cores: u32,
    machine: &str,
    samples: &[f64],
) {
    report.ms(
        &format!("scaling.{key}.{cores}"),
        "Scaling",
        &format!("{name}, {machine}"),
        samples,
    );
}

/// Draws `scaling.png` at `path` from the report's scaling rows (their
/// medians against the machine size), if it has any.
pub fn plot_rows(report: &Report, path: &Path, footer: &str) -> Result<()> {
    let series: Vec<(&str, Vec<(f64, f64)>)> = SERIES
        .iter()
        .map(|&(name, key)| {
            let prefix = format!("scaling.{key}.");
            let points = report
                .rows
                .iter()
                .filter_map(|r| {
                    let cores: f64 = r.key.strip_prefix(&prefix)?.parse().ok()?;
                    match r.figure {
                        Figure::Ms(s) => Some((cores, s.median)),
                        _ => None,
                    }
                })
                .collect();
            (name, points)
        })
        .collect();
    if series.iter().all(|(_, p)| p.is_empty()) {
        return Ok(());
    }
    plot(path, &series, footer)
}

/// Boots cores 1..=boots of a `cores`-core Corefish machine and stops them;
/// returns the boot and the stop times (ms), and with `all`, the time
/// `corectrl boot all` took then (ms).
fn corefish(
    images: &Images,
    options: &BenchOptions,
    cores: u32,
    boots: u32,
    all: bool,
) -> Result<(Vec<f64>, Vec<f64>, Option<f64>)> {
    let mut config = config(images, options, cores);
    config.mem_mib = mem_mib(cores);
    config.archive = quiet_archive(images)?;
    let mut m = start(&config, &format!("bench_scaling_{cores}"), STEP * 3)?;
    let (mut boots_ms, mut stops_ms) = (Vec::new(), Vec::new());
    for core in 1..=boots.min(cores - 1) {
        boots_ms.push(ms(boot(&mut m, core)?.phases.total_ns));
    }
    for core in 1..=boots.min(cores - 1) {
        let stopped = stop(&mut m, core)?;
        stops_ms.push(ms(stopped.halted_ns));
        // The boot driver's core, and the stopped one if it was interrupted.
        if stopped.cores_involved > 2 {
            bail!("a stop on {cores} cores involved more than 2: `{stopped}`");
        }
    }
    let every = if all {
        let booted = boot_all(&mut m)?;
        if booted.booted != cores - 1 || booted.tried != cores - 1 {
            bail!("`boot all` on {cores} cores: `{booted}`");
        }
        Some(ms(booted.total_ns))
    } else {
        None
    };
    Ok((boots_ms, stops_ms, every))
}

/// Boots a `cores`-CPU Linux peer with one CPU online and brings the others
/// online one after another; returns the whole time (ms).
fn linux_all(images: &Images, options: &BenchOptions, peer: &Peer, cores: u32) -> Result<f64> {
    let mut config = peer.config(images, options, cores, "peer.phases=all maxcpus=1");
    config.mem_mib = mem_mib(cores);
    let lines = peer::run(
        &config,
        &format!("bench_scaling_linux_all_{cores}"),
        PEER_TIMEOUT,
    )?;
    let expected = format!("peer: all online {} cpus ", cores - 1);
    lines
        .iter()
        .find_map(|l| {
            l.split_once(&expected)?
                .1
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("the peer on {cores} CPUs did not report `{expected}...`"))
}

/// Takes CPUs of a `cores`-CPU Linux machine offline and online `rounds`
/// times (others idle); returns the online and offline times (ms).
fn linux(
    images: &Images,
    options: &BenchOptions,
    peer: &Peer,
    cores: u32,
    rounds: u32,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut config = peer.config(
        images,
        options,
        cores,
        &format!("peer.rounds={rounds} peer.phases=idle"),
    );
    config.mem_mib = mem_mib(cores);
    let lines = peer::run(
        &config,
        &format!("bench_scaling_linux_{cores}"),
        PEER_TIMEOUT,
    )?;
    let (online, offline) = (
        peer::steps(&lines, "idle online"),
        peer::steps(&lines, "idle offline"),
    );
    if online.is_empty() || offline.is_empty() {
        bail!("the peer on {cores} cores reported no online or offline steps");
    }
    Ok((online, offline))
}

/// Draws the series (medians against cores, log-log) to `path`.
fn plot(path: &Path, series: &[(&str, Vec<(f64, f64)>)], footer: &str) -> Result<()> {
    let root = canvas(path, (1000, 600), footer)?;
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let y_max = points.clone().map(|&(_, y)| y).fold(1.0, f64::max) * 2.0;
    let y_min = points.map(|&(_, y)| y).fold(f64::MAX, f64::min).min(1.0) / 2.0;
    let x_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(x, _)| x))
        .fold(4.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Core boot and stop latency against machine size (medians)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((2.0..x_max * 1.5).log_scale(), (y_min..y_max).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("cores")
        .y_desc("ms (log scale)")
        .draw()?;
    for (i, (name, pts)) in series.iter().enumerate() {
        if pts.is_empty() {
            continue;
        }
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    legend(&mut chart)?;
    root.present()?;
    Ok(())
}
