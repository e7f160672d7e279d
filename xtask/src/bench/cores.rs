//! `cargo xtask bench` (group `boot`): what a core's life costs, on a
//! machine whose `boot.cfg` boots nothing.
//!
//! * core boot latency, from `corectrl boot` to the new monitor's hello,
//!   split into the boot driver's phases (load and relocate, INIT/STARTUP
//!   to the core's first instruction, kernel initialisation, monitor
//!   start), over 20 boots of 20 different cores: once with the other
//!   cores idle, once with five cores running a busy loop;
//! * stop latency and the cores involved in a stop (the boot driver's, the
//!   stopped one, and any other whose kernel received an IPI meanwhile, as
//!   the boot driver reads from the kernels' counters), update downtime,
//!   park and unpark latency.
//!
//! The boot driver reports each boot's phases itself (TSC stamps from the
//! trampoline and the kernel); this module types the commands, reads the
//! reports and adds their medians with the spread to the report.

use anyhow::Result;
use bootctl::report::Phases;
use harness::Images;

use super::machine::{
    boot, boot_line, command, machine, ms, park, quiet_archive, stop, unpark, update,
};
use super::options::BenchOptions;
use super::report::{Figure, Report};

/// Boots measured per scenario.
const BOOTS: u32 = 20;
/// Cores loaded with a busy loop in the loaded scenario (core 0 and 1-4).
const LOADED: u32 = 5;
/// The report's section.
const SECTION: &str = "Cores: boot, stop, update, park, unpark";

/// What one machine measured.
struct Measured {
    boots: Vec<Phases>,
    /// Stop latencies (ms).
    stops: Vec<f64>,
    /// The stopped core's share of them: interrupt entry to halt (ms).
    stops_in_kernel: Vec<f64>,
    /// Request to the boot driver seeing the halt (ms).
    stops_seen: Vec<f64>,
    /// Cores involved in each stop.
    involved: Vec<u32>,
    /// Update downtimes (ms).
    updates: Vec<f64>,
    /// Park latencies: attaching a stopped KCB to a running host (ms).
    parks: Vec<f64>,
    /// Unpark latencies: detaching it and booting a core with it (ms).
    unparks: Vec<f64>,
}

/// Measures with the other cores idle, then loaded.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    for loaded in [false, true] {
        let _step = crate::progress::step(if loaded {
            "cores: boot, stop, update, park, unpark (others busy)"
        } else {
            "cores: boot, stop, update, park, unpark (others idle)"
        });
        let m = boot_latency(images, options, loaded)?;
        let (key, load) = if loaded {
            ("loaded", format!("{LOADED} other cores busy"))
        } else {
            ("idle", String::from("other cores idle"))
        };
        add(report, &m, key, &load);
    }
    Ok(())
}

/// Adds what one machine measured to the report (rows `boot.KEY`, ...).
fn add(report: &mut Report, m: &Measured, key: &str, load: &str) {
    let column = |f: fn(&Phases) -> u64| m.boots.iter().map(|p| ms(f(p))).collect::<Vec<f64>>();
    report.ms(
        &format!("boot.{key}"),
        SECTION,
        &format!("core boot (corectrl boot to monitor hello), {load}"),
        &column(|t| t.total_ns),
    );
    for (phase, what, f) in [
        (
            "load",
            "load and relocate the image, KCB, parameters",
            (|t: &Phases| t.load_ns) as fn(&Phases) -> u64,
        ),
        (
            "start",
            "INIT/STARTUP to the core's first instruction",
            |t| t.start_ns,
        ),
        ("kernel", "kernel initialisation", |t| t.kernel_ns),
        ("monitor", "monitor start", |t| t.monitor_ns),
    ] {
        report.ms(
            &format!("boot.{key}.{phase}"),
            SECTION,
            &format!("  boot phase: {what}, {load}"),
            &column(f),
        );
    }
    report.ms(
        &format!("stop.{key}"),
        SECTION,
        &format!("core stop (request to the kernel's halt), {load}"),
        &m.stops,
    );
    report.ms(
        &format!("stop.{key}.kernel"),
        SECTION,
        &format!("  stop on the core (stop interrupt entering its kernel to the halt), {load}"),
        &m.stops_in_kernel,
    );
    report.ms(
        &format!("stop.{key}.seen"),
        SECTION,
        &format!("  stop seen (request to the boot driver reading the halt), {load}"),
        &m.stops_seen,
    );
    if let (Some(&min), Some(&max)) = (m.involved.iter().min(), m.involved.iter().max()) {
        report.add(
            &format!("involved.{key}"),
            SECTION,
            &format!("cores involved in a stop, {load}"),
            Figure::Count {
                min: u64::from(min),
                max: u64::from(max),
                n: m.involved.len(),
            },
        );
    }
    for (row, what, samples) in [
        (
            "update",
            "kernel update downtime (old kernel halted to new one running the KCB)",
            &m.updates,
        ),
        (
            "park",
            "park (attach a stopped KCB to a running host)",
            &m.parks,
        ),
        (
            "unpark",
            "unpark (detach it, boot a core with it)",
            &m.unparks,
        ),
    ] {
        report.ms(
            &format!("{row}.{key}"),
            SECTION,
            &format!("{what}, {load}"),
            samples,
        );
    }
}

/// Boots BOOTS cores one by one (after loading some, if `loaded`), then
/// stops each of them, then updates one core's kernel BOOTS times, then
/// parks and unparks its OSNode BOOTS times.
fn boot_latency(images: &Images, options: &BenchOptions, loaded: bool) -> Result<Measured> {
    let first = if loaded { LOADED } else { 1 };
    let boots = options.times(BOOTS);
    let cores = first + boots;
    let name = if loaded {
        "bench_boot_loaded"
    } else {
        "bench_boot_idle"
    };
    let mut m = machine(images, options, cores, Some(quiet_archive(images)?), name)?;
    if loaded {
        for core in 1..LOADED {
            boot_line(&mut m, core, "")?;
        }
        m.send("run busy 3600 &\r")?;
        for core in 1..LOADED {
            command(
                &mut m,
                &format!("run --core {core} busy 3600"),
                &format!("started busy on core {core}"),
            )?;
        }
    }
    let mut times = Vec::new();
    for core in first..cores {
        times.push(boot(&mut m, core)?.phases);
    }
    let (mut stops, mut involved) = (Vec::new(), Vec::new());
    let (mut stops_in_kernel, mut stops_seen) = (Vec::new(), Vec::new());
    for core in first..cores {
        let stop = stop(&mut m, core)?;
        stops.push(ms(stop.halted_ns));
        stops_in_kernel.push(ms(stop.in_kernel_ns));
        stops_seen.push(ms(stop.seen_ns));
        involved.push(stop.cores_involved);
    }
    boot_line(&mut m, first, &format!(" --kcb {first}"))?;
    let mut updates = Vec::new();
    for round in 0..boots {
        let kernel = if round % 2 == 0 {
            "cpudriver-v2"
        } else {
            "cpudriver"
        };
        updates.push(ms(update(&mut m, first, kernel)?.paused_ns));
    }
    // Park the first core's OSNode on the next core and bring it back.
    let host = first + 1;
    boot_line(&mut m, host, &format!(" --kcb {host}"))?;
    let (mut parks, mut unparks) = (Vec::new(), Vec::new());
    for _ in 0..boots {
        parks.push(ms(park(&mut m, first, host)?.attach_ns));
        unparks.push(ms(unpark(&mut m, first, first)?.boot_ns));
    }
    Ok(Measured {
        boots: times,
        stops,
        stops_in_kernel,
        stops_seen,
        involved,
        updates,
        parks,
        unparks,
    })
}
