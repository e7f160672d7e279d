//! `cargo xtask bench` (group `scaling`): core boot and stop latency on
//! machines of 4, 8, 16, 32 and 64 cores (`--quick`: 4 and 8), for
//! Corefish (the boot driver boots cores 1 to k of a machine whose
//! `boot.cfg` boots nothing, then stops them) and for the Linux peer (CPU
//! online/offline with the other CPUs idle); plotted as latency against
//! cores in `target/bench/scaling.png`. Every Corefish stop must involve
//! two cores, whatever the machine's size.

use std::path::Path;

use bootctl::report::{Booted, Stopped};
use harness::{Images, Machine, QemuConfig};
use plotters::prelude::*;

use crate::bench::{BenchOptions, STEP};
use crate::report::Report;

/// Machine sizes.
const SIZES: &[u32] = &[4, 8, 16, 32, 64];
/// Boots (and stops) per size.
const BOOTS: u32 = 5;

/// Memory for an `n`-core machine: every core's kernel gets 8 MiB.
fn mem_mib(cores: u32) -> u32 {
    1024 + 16 * cores
}

/// Runs the scaling measurements.
pub fn scaling(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<(), String> {
    let sizes: &[u32] = if options.quick { &SIZES[..2] } else { SIZES };
    let boots = options.times(BOOTS);
    let peer = if options.linux() {
        Some(crate::linux::prepare()?)
    } else {
        None
    };
    let mut series: Vec<(&str, Vec<(f64, f64)>)> = vec![
        ("Corefish: boot a core", Vec::new()),
        ("Corefish: stop a core", Vec::new()),
        ("Linux: CPU online", Vec::new()),
        ("Linux: CPU offline", Vec::new()),
    ];
    for &cores in sizes {
        let (boot, stop) = corefish(images, options, cores, boots)?;
        report.ms(
            &format!("scaling.boot.{cores}"),
            "Scaling",
            &format!("Corefish: boot a core, {cores}-core machine"),
            &boot,
        );
        report.ms(
            &format!("scaling.stop.{cores}"),
            "Scaling",
            &format!("Corefish: stop a core, {cores}-core machine"),
            &stop,
        );
        let x = f64::from(cores);
        if let Some(s) = crate::report::Spread::of(&boot) {
            series[0].1.push((x, s.median));
        }
        if let Some(s) = crate::report::Spread::of(&stop) {
            series[1].1.push((x, s.median));
        }
        if let Some(peer) = &peer {
            let (online, offline) = linux(images, options, peer, cores, boots)?;
            report.ms(
                &format!("scaling.linux.online.{cores}"),
                "Scaling",
                &format!("Linux: CPU online, {cores}-CPU machine"),
                &online,
            );
            report.ms(
                &format!("scaling.linux.offline.{cores}"),
                "Scaling",
                &format!("Linux: CPU offline, {cores}-CPU machine"),
                &offline,
            );
            if let Some(s) = crate::report::Spread::of(&online) {
                series[2].1.push((x, s.median));
            }
            if let Some(s) = crate::report::Spread::of(&offline) {
                series[3].1.push((x, s.median));
            }
        }
    }
    let path = options.out_dir().join("scaling.png");
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).map_err(|e| format!("{e}"))?;
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures, which are in the report.
    match plot(
        &path,
        &series,
        &crate::bench::Environment::now().line(options),
    ) {
        Ok(()) => println!("bench: scaling plot written to {}", path.display()),
        Err(e) => println!("bench: scaling plot not drawn: {e}"),
    }
    Ok(())
}

/// Boots cores 1..=boots of a `cores`-core Corefish machine and stops them;
/// returns the boot and the stop times (ms).
fn corefish(
    images: &Images,
    options: &BenchOptions,
    cores: u32,
    boots: u32,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let fail = |e: harness::HarnessError| format!("{e}");
    let mut config = QemuConfig::new(images).append("fatal=exit");
    config.cores = cores;
    config.mem_mib = mem_mib(cores);
    config.accel = options.accel;
    config.archive = crate::bench::quiet_archive(images)?;
    let mut m = Machine::start(&config, &format!("bench_scaling_{cores}")).map_err(fail)?;
    m.expect("Corefish shell; type `help`.", STEP * 3)
        .map_err(fail)?;
    let (mut boot, mut stop) = (Vec::new(), Vec::new());
    for core in 1..=boots.min(cores - 1) {
        m.send(&format!("corectrl boot {core}\r")).map_err(fail)?;
        let line = m
            .expect(&format!("core {core} booted: "), STEP)
            .map_err(fail)?;
        let booted = crate::bench::read(&line, Booted::parse)?;
        boot.push(crate::bench::ms(booted.phases.total_ns));
    }
    for core in 1..=boots.min(cores - 1) {
        m.send(&format!("corectrl stop {core}\r")).map_err(fail)?;
        let line = m
            .expect(&format!("core {core} stopped: "), STEP)
            .map_err(fail)?;
        let stopped = crate::bench::read(&line, Stopped::parse)?;
        stop.push(crate::bench::ms(stopped.halted_ns));
        if stopped.cores_involved != 2 {
            return Err(format!(
                "a stop on {cores} cores involved more than 2: `{line}`"
            ));
        }
    }
    Ok((boot, stop))
}

/// Takes CPUs of a `cores`-CPU Linux machine offline and online `rounds`
/// times (others idle); returns the online and offline times (ms).
fn linux(
    images: &Images,
    options: &BenchOptions,
    peer: &crate::linux::Peer,
    cores: u32,
    rounds: u32,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let fail = |e: harness::HarnessError| format!("{e}");
    let mut config = QemuConfig::new(images);
    config.loader = peer.kernel.clone();
    config.archive = peer.initramfs.clone();
    config.cmdline = format!("console=ttyS0 panic=-1 peer.rounds={rounds} peer.phases=idle");
    config.cores = cores;
    config.mem_mib = mem_mib(cores);
    config.accel = options.accel;
    let mut m = Machine::start(&config, &format!("bench_scaling_linux_{cores}")).map_err(fail)?;
    m.expect("peer: done", std::time::Duration::from_secs(1800))
        .map_err(fail)?;
    let lines = m.lines();
    let online = lines
        .iter()
        .filter_map(|l| crate::linux::step_ms(l, "idle online"))
        .collect();
    let offline = lines
        .iter()
        .filter_map(|l| crate::linux::step_ms(l, "idle offline"))
        .collect();
    Ok((online, offline))
}

fn plot(path: &Path, series: &[(&str, Vec<(f64, f64)>)], footer: &str) -> Result<(), String> {
    crate::update_bench::register_font()?;
    let err = |e: DrawingAreaErrorKind<_>| format!("plot: {e}");
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    crate::jitter::footer(&root, footer).map_err(err)?;
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
        .build_cartesian_2d((2.0..x_max * 1.5).log_scale(), (y_min..y_max).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("cores")
        .y_desc("ms (log scale)")
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in series.iter().enumerate() {
        if pts.is_empty() {
            continue;
        }
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
