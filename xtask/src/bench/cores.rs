//! `cargo xtask bench` (group `boot`): what a core's life costs, on a
//! machine whose `boot.cfg` boots nothing, the same machine and load as the
//! Linux peer's (`super::peer`): 4 cores, the last one measured; idle, or
//! with one busy loop on every other core.
//!
//! * core boot latency, from `corectrl boot` to the new monitor's hello,
//!   split into the boot driver's phases (load and relocate, INIT/STARTUP
//!   to the core's first instruction, kernel initialisation, monitor
//!   start), and the stop that follows it, 20 times in turn on the last
//!   core (as Linux takes its last CPU offline and online again), each boot
//!   with a new KCB;
//! * stop latency (request to halt: an idle core is taken without an
//!   interrupt), the cores involved in a stop (the boot driver's, the
//!   stopped one if it was interrupted, and any other whose kernel received
//!   an IPI meanwhile, as the boot driver reads from the kernels'
//!   counters), update downtime, park and unpark latency;
//! * the stop of a core that runs a program (`busy`), 20 times: request to
//!   halt, and the stopped core's own share (its stop interrupt to the
//!   halt).
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

/// Boot and stop rounds per scenario.
const ROUNDS: u32 = 20;
/// Cores of the machine (the Linux peer's CPUs).
pub const CORES: u32 = 4;
/// The core booted and stopped (the peer's CPU taken offline and online).
const TARGET: u32 = CORES - 1;
/// The core that hosts the target's OSNode for park and unpark.
const HOST: u32 = CORES - 2;
/// The report's section.
const SECTION: &str = "Cores: boot, stop, update, park, unpark";

/// How the loaded scenario is loaded, in the words both systems' rows use:
/// one busy loop on every vCPU but the one measured, on this many host
/// cores.
pub fn load_words() -> String {
    let host = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "others busy ({} of {CORES} vCPUs run a busy loop, {host} host cores)",
        CORES - 1
    )
}

/// What one machine measured.
#[derive(Default)]
struct Measured {
    boots: Vec<Phases>,
    /// Stop latencies (ms).
    stops: Vec<f64>,
    /// Stop latencies of a core that runs a program (ms): it cannot be
    /// taken idle, its kernel is interrupted.
    busy_stops: Vec<f64>,
    /// The stopped core's share of those: interrupt entry to halt (ms).
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
            ("loaded", load_words())
        } else {
            ("idle", String::from("others idle"))
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
        &format!("stop.{key}.busy"),
        SECTION,
        &format!("core stop, the core running a program (request to the kernel's halt), {load}"),
        &m.busy_stops,
    );
    report.ms(
        &format!("stop.{key}.busy.kernel"),
        SECTION,
        &format!(
            "  stop on the core running a program (stop interrupt entering its kernel to the halt), {load}"
        ),
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

/// Boots the target core and stops it again, ROUNDS times (after loading
/// the other cores, if `loaded`); then boots it with the last KCB and
/// updates its kernel ROUNDS times; then parks its OSNode on the host core
/// and brings it back ROUNDS times.
fn boot_latency(images: &Images, options: &BenchOptions, loaded: bool) -> Result<Measured> {
    let rounds = options.times(ROUNDS);
    let name = if loaded {
        "bench_boot_loaded"
    } else {
        "bench_boot_idle"
    };
    let mut m = machine(images, options, CORES, Some(quiet_archive(images)?), name)?;
    if loaded {
        for core in 1..TARGET {
            boot_line(&mut m, core, "")?;
        }
        m.send("run busy 3600 &\r")?;
        for core in 1..TARGET {
            command(
                &mut m,
                &format!("run --core {core} busy 3600"),
                &format!("started busy on core {core}"),
            )?;
        }
    } else {
        // The host for park and unpark, idle.
        boot_line(&mut m, HOST, "")?;
    }
    let mut measured = Measured::default();
    let mut last_kcb = 0;
    for _ in 0..rounds {
        measured.boots.push(boot(&mut m, TARGET)?.phases);
        let stop = stop(&mut m, TARGET)?;
        measured.stops.push(ms(stop.halted_ns));
        measured.stops_seen.push(ms(stop.seen_ns));
        measured.involved.push(stop.cores_involved);
        last_kcb = stop.kcb;
    }
    boot_line(&mut m, TARGET, &format!(" --kcb {last_kcb}"))?;
    for round in 0..rounds {
        let kernel = if round % 2 == 0 {
            "cpudriver-v2"
        } else {
            "cpudriver"
        };
        measured
            .updates
            .push(ms(update(&mut m, TARGET, kernel)?.paused_ns));
    }
    let kcb = u32::try_from(last_kcb)?;
    for _ in 0..rounds {
        measured
            .parks
            .push(ms(park(&mut m, TARGET, HOST)?.attach_ns));
        measured
            .unparks
            .push(ms(unpark(&mut m, kcb, TARGET)?.boot_ns));
    }
    // A core that runs a program is not idle: its kernel is interrupted.
    stop(&mut m, TARGET)?;
    for _ in 0..rounds {
        boot(&mut m, TARGET)?;
        command(
            &mut m,
            &format!("run --core {TARGET} busy 3600"),
            &format!("started busy on core {TARGET}"),
        )?;
        let stop = stop(&mut m, TARGET)?;
        measured.busy_stops.push(ms(stop.halted_ns));
        measured.stops_in_kernel.extend(stop.in_kernel_ns.map(ms));
    }
    Ok(measured)
}
