//! `cargo xtask bench`: the figures of the multikernel issue, measured in
//! QEMU on this machine (TCG unless `--accel kvm`):
//!
//! * core boot latency, from `corectrl boot` to the new monitor's hello,
//!   split into the boot driver's phases (load and relocate, INIT/STARTUP
//!   to the core's first instruction, kernel initialisation, monitor
//!   start), over 20 boots of 20 different cores: once with the other
//!   cores idle, once with five cores running a busy loop;
//! * stop latency and the cores involved in a stop (the boot driver's, the
//!   stopped one, and any other whose kernel received an IPI meanwhile, as
//!   the boot driver reads from the kernels' counters), update downtime,
//!   park and unpark latency;
//! * UMP latency between programs on cores 1 and 2 (one-way and round
//!   trip, both ends spinning);
//! * the KCB switch on a multiplexing core: UMP one-way latency between
//!   two programs on core 1 that yield while they wait, once both in one
//!   OSNode (a dispatcher switch) and once in two (the server's OSNode
//!   parked on core 1: a KCB switch); the difference of the medians is
//!   the cost the second OSNode adds. Other cores idle, then two busy.
//!
//! The boot driver reports each boot's phases itself (TSC stamps from the
//! trampoline and the kernel); this module boots the machines, types the
//! commands, parses the reports and prints medians with the spread.

use std::time::Duration;

use bootctl::report::{Booted, Parked, Phases, Stopped, Unparked, Updated};
use harness::{Accel, Images, Machine, QemuConfig};

/// Boots measured per scenario.
pub const BOOTS: u32 = 20;
/// Cores loaded with a busy loop in the loaded scenario (core 0 and 1-4).
const LOADED: u32 = 5;
/// How long one step may take.
pub const STEP: Duration = Duration::from_secs(120);
/// Messages of the UMP benchmark.
const UMP_MESSAGES: u32 = 10_000;
/// Messages of the KCB switch benchmark (each is one switch each way).
const SWITCH_MESSAGES: u32 = 2_000;

/// Nanoseconds (as the boot driver's reports give them) as milliseconds.
pub fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The report of type `R` in `line` (a `bootctl::report` parser), or an
/// error that shows the line.
pub fn read<R>(line: &str, parse: fn(&str) -> Option<R>) -> Result<R, String> {
    parse(line).ok_or_else(|| format!("cannot read the report `{line}`"))
}

/// Median, minimum and maximum (`samples` is sorted in place).
pub fn spread(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    (median, samples[0], samples[n - 1])
}

/// Options of `cargo xtask bench`.
pub struct BenchOptions {
    pub accel: Accel,
    /// Only this group (`--only boot|ump|switch|jitter|linux`), or all.
    pub only: Option<String>,
    /// `bench update`: the kernel updates under the database workload.
    pub update: bool,
    /// `--quick`: few repetitions, small machines (minutes, not tens).
    pub quick: bool,
    /// `--no-linux`: Corefish only (no Linux peer).
    pub no_linux: bool,
}

/// The groups `--only` can name.
const GROUPS: &[&str] = &["boot", "ump", "switch", "jitter", "linux", "scaling"];

impl BenchOptions {
    /// Whether `group` is to run.
    fn runs(&self, group: &str) -> bool {
        self.only.as_deref().is_none_or(|g| g == group)
    }

    /// Whether the Linux peer is to run too.
    pub fn linux(&self) -> bool {
        !self.no_linux
    }

    /// Where the report and plots go: `target/bench/`, or
    /// `target/bench/quick/` for a `--quick` run.
    pub fn out_dir(&self) -> std::path::PathBuf {
        let dir = harness::workspace_root().join("target").join("bench");
        if self.quick { dir.join("quick") } else { dir }
    }

    /// Options of the smoke test: quick, Corefish only.
    pub fn smoke() -> Self {
        Self {
            accel: Accel::Tcg,
            only: None,
            update: false,
            quick: true,
            no_linux: true,
        }
    }

    /// Repetitions of a measurement (fewer with `--quick`).
    pub fn times(&self, full: u32) -> u32 {
        if self.quick { full.min(3) } else { full }
    }

    /// Parses `bench`'s arguments.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Self {
            accel: Accel::Tcg,
            only: None,
            update: false,
            quick: false,
            no_linux: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--accel" => {
                    o.accel = it.next().ok_or("--accel needs a value")?.parse()?;
                }
                "update" => o.update = true,
                "--quick" => o.quick = true,
                "--no-linux" => o.no_linux = true,
                "--only" => {
                    let group = it.next().ok_or("--only needs a value")?;
                    if !GROUPS.contains(&group.as_str()) {
                        return Err(format!(
                            "unknown benchmark group `{group}` (known: {})",
                            GROUPS.join(", ")
                        ));
                    }
                    o.only = Some(group.clone());
                }
                other => return Err(format!("unknown option `{other}`\n\n{}", crate::cli::USAGE)),
            }
        }
        Ok(o)
    }
}

/// Where the figures come from: the QEMU version, the host's cores and
/// CPU.
pub struct Environment {
    /// `qemu-system-x86_64 --version`'s first line.
    pub qemu: String,
    /// Host cores.
    pub host: usize,
    /// Host CPU model.
    pub cpu: String,
}

impl Environment {
    /// This machine's.
    pub fn now() -> Self {
        let qemu = std::process::Command::new(QemuConfig::QEMU_BINARY)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|v| v.lines().next().map(str::to_owned))
            .unwrap_or_else(|| "QEMU (version unknown)".into());
        let host = std::thread::available_parallelism().map_or(0, |n| n.get());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        Self { qemu, host, cpu }
    }

    /// One line for a plot: QEMU, accelerator, host.
    pub fn line(&self, options: &BenchOptions) -> String {
        format!(
            "{}, accel {}; host {} x {}",
            self.qemu.trim_start_matches("QEMU emulator "),
            options.accel.name(),
            self.host,
            self.cpu
        )
    }
}

/// Runs the benchmarks, prints the figures and writes
/// `target/bench/report.md` (and the plots); returns the report.
pub fn bench(options: &BenchOptions) -> Result<crate::report::Report, String> {
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let images = &images;
    let Environment { qemu, host, cpu } = Environment::now();
    println!(
        "bench: {qemu}, accel {}, {host} host cores ({cpu})",
        options.accel.name()
    );
    let mut report = crate::report::Report {
        machine: vec![
            format!("{qemu}, accelerator `{}`", options.accel.name()),
            format!("host: {cpu}, {host} cores"),
            format!(
                "run: `cargo xtask bench{}`",
                if options.quick { " --quick" } else { "" }
            ),
        ],
        rows: Vec::new(),
    };
    if options.update {
        crate::update_bench::update_bench(images, options)?;
        return Ok(report);
    }
    if options.runs("boot") {
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
            const CORES: &str = "Cores: boot, stop, update, park, unpark";
            let column =
                |f: fn(&Phases) -> u64| m.boots.iter().map(|p| ms(f(p))).collect::<Vec<f64>>();
            report.ms(
                &format!("boot.{key}"),
                CORES,
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
                    CORES,
                    &format!("  boot phase: {what}, {load}"),
                    &column(f),
                );
            }
            report.ms(
                &format!("stop.{key}"),
                CORES,
                &format!("core stop (request to the kernel's halt), {load}"),
                &m.stops,
            );
            if let (Some(&min), Some(&max)) = (m.involved.iter().min(), m.involved.iter().max()) {
                report.add(
                    &format!("involved.{key}"),
                    CORES,
                    &format!("cores involved in a stop, {load}"),
                    crate::report::Figure::Count {
                        min: u64::from(min),
                        max: u64::from(max),
                        n: m.involved.len(),
                    },
                );
            }
            report.ms(
                &format!("update.{key}"),
                CORES,
                &format!(
                    "kernel update downtime (old kernel halted to new one running the KCB), {load}"
                ),
                &m.updates,
            );
            report.ms(
                &format!("park.{key}"),
                CORES,
                &format!("park (attach a stopped KCB to a running host), {load}"),
                &m.parks,
            );
            report.ms(
                &format!("unpark.{key}"),
                CORES,
                &format!("unpark (detach it, boot a core with it), {load}"),
                &m.unparks,
            );
        }
    }
    if options.runs("ump") {
        let _step = crate::progress::step("UMP latency");
        ump_latency(images, options, false, &mut report)?;
        ump_latency(images, options, true, &mut report)?;
    }
    if options.runs("switch") {
        let _step = crate::progress::step("KCB switch");
        kcb_switch(images, options, false, &mut report)?;
        kcb_switch(images, options, true, &mut report)?;
    }
    if options.runs("jitter") {
        let _step = crate::progress::step("jitter (TCG, then -icount)");
        crate::jitter::jitter(images, options, &mut report)?;
    }
    if options.runs("linux") && options.linux() {
        let _step = crate::progress::step("the Linux peer (fetch, build, boot twice)");
        crate::linux::bench(images, options, &mut report)?;
    }
    if options.runs("scaling") {
        let _step = crate::progress::step("scaling (4 to 64 cores, Corefish and Linux)");
        crate::scaling::scaling(images, options, &mut report)?;
    }
    println!(
        "bench: for comparison, the paper (real hardware): Barrelfish/DC boots a core in 7.5 ms \
         and removes one in 0.0008 ms; Linux 3.13 brings one online in 14 ms idle / 20 ms \
         loaded and takes one offline in 46 ms / 2542 ms"
    );
    let dir = options.out_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // A plot that cannot be drawn (no font) loses the picture, not the
    // figures, which are in the report.
    if let Err(e) = crate::jitter::plot(
        &report,
        &dir.join("jitter.png"),
        &Environment::now().line(options),
    ) {
        println!("bench: jitter plot not drawn: {e}");
    }
    let path = dir.join("report.md");
    std::fs::write(&path, report.markdown()).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("bench: report written to {}", path.display());
    Ok(report)
}

/// An archive whose `boot.cfg` boots nothing: the benchmark boots cores.
pub fn quiet_archive(images: &Images) -> Result<std::path::PathBuf, String> {
    let bytes = std::fs::read(images.archive()).map_err(|e| format!("boot archive: {e}"))?;
    let archive = bootarchive::Archive::parse(&bytes).map_err(|e| format!("boot archive: {e}"))?;
    let mut builder = bootarchive::ArchiveBuilder::new();
    for module in archive
        .modules()
        .filter(|m| m.name != bootcmd::CONFIG_MODULE)
    {
        builder
            .add(module.name, module.data)
            .map_err(|e| format!("{e}"))?;
    }
    builder
        .add(
            bootcmd::CONFIG_MODULE,
            b"# cargo xtask bench boots the cores itself\n",
        )
        .map_err(|e| format!("{e}"))?;
    let path = images.dir().join("bench.img");
    std::fs::write(&path, builder.build()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn machine(
    images: &Images,
    options: &BenchOptions,
    cores: u32,
    archive: Option<std::path::PathBuf>,
    name: &str,
) -> Result<Machine, String> {
    let mut config = QemuConfig::new(images).append("fatal=exit");
    config.cores = cores;
    config.mem_mib = 1024;
    config.accel = options.accel;
    if let Some(path) = archive {
        config.archive = path;
    }
    let mut m = Machine::start(&config, name).map_err(|e| format!("{e}"))?;
    m.expect("Corefish shell; type `help`.", STEP)
        .map_err(|e| format!("{e}"))?;
    Ok(m)
}

/// What one machine measured.
struct Measured {
    boots: Vec<Phases>,
    /// Stop latencies (ms).
    stops: Vec<f64>,
    /// Cores involved in each stop.
    involved: Vec<u32>,
    /// Update downtimes (ms).
    updates: Vec<f64>,
    /// Park latencies: attaching a stopped KCB to a running host (ms).
    parks: Vec<f64>,
    /// Unpark latencies: detaching it and booting a core with it (ms).
    unparks: Vec<f64>,
}

/// Boots BOOTS cores one by one (after loading some, if `loaded`), then
/// stops each of them, then updates one core's kernel BOOTS times.
fn boot_latency(images: &Images, options: &BenchOptions, loaded: bool) -> Result<Measured, String> {
    let first = if loaded { LOADED } else { 1 };
    let boots = options.times(BOOTS);
    let cores = first + boots;
    let name = if loaded {
        "bench_boot_loaded"
    } else {
        "bench_boot_idle"
    };
    let mut m = machine(images, options, cores, Some(quiet_archive(images)?), name)?;
    let fail = |e: harness::HarnessError| format!("{e}");
    if loaded {
        for core in 1..LOADED {
            m.send(&format!("corectrl boot {core}\r")).map_err(fail)?;
            m.expect(&format!("core {core} booted: "), STEP)
                .map_err(fail)?;
        }
        m.send("run busy 3600 &\r").map_err(fail)?;
        for core in 1..LOADED {
            m.send(&format!("run --core {core} busy 3600\r"))
                .map_err(fail)?;
            m.expect(&format!("started busy on core {core}"), STEP)
                .map_err(fail)?;
        }
    }
    let mut times = Vec::new();
    for core in first..cores {
        m.send(&format!("corectrl boot {core}\r")).map_err(fail)?;
        let line = m
            .expect(&format!("core {core} booted: "), STEP)
            .map_err(fail)?;
        times.push(read(&line, Booted::parse)?.phases);
    }
    let (mut stops, mut involved) = (Vec::new(), Vec::new());
    for core in first..cores {
        m.send(&format!("corectrl stop {core}\r")).map_err(fail)?;
        let line = m
            .expect(&format!("core {core} stopped: "), STEP)
            .map_err(fail)?;
        let stop = read(&line, Stopped::parse)?;
        stops.push(ms(stop.halted_ns));
        involved.push(stop.cores_involved);
    }
    m.send(&format!("corectrl boot {first} --kcb {first}\r"))
        .map_err(fail)?;
    m.expect(&format!("core {first} booted: "), STEP)
        .map_err(fail)?;
    let mut updates = Vec::new();
    for round in 0..boots {
        let kernel = if round % 2 == 0 {
            "cpudriver-v2"
        } else {
            "cpudriver"
        };
        m.send(&format!("corectrl update {first} {kernel}\r"))
            .map_err(fail)?;
        let line = m
            .expect(&format!("core {first} updated to "), STEP)
            .map_err(fail)?;
        updates.push(ms(read(&line, Updated::parse)?.paused_ns));
    }
    // Park the first core's OSNode on the next core and bring it back.
    let host = first + 1;
    m.send(&format!("corectrl boot {host} --kcb {host}\r"))
        .map_err(fail)?;
    m.expect(&format!("core {host} booted: "), STEP)
        .map_err(fail)?;
    let (mut parks, mut unparks) = (Vec::new(), Vec::new());
    for _ in 0..boots {
        m.send(&format!("corectrl park {first} {host}\r"))
            .map_err(fail)?;
        let line = m
            .expect(&format!("core {first} parked on core {host}"), STEP)
            .map_err(fail)?;
        parks.push(ms(read(&line, Parked::parse)?.attach_ns));
        m.send(&format!("corectrl unpark {first} {first}\r"))
            .map_err(fail)?;
        let line = m
            .expect(&format!("KCB {first} unparked to core {first}"), STEP)
            .map_err(fail)?;
        unparks.push(ms(read(&line, Unparked::parse)?.boot_ns));
    }
    Ok(Measured {
        boots: times,
        stops,
        involved,
        updates,
        parks,
        unparks,
    })
}

/// UMP one-way and round-trip latency between cores 1 and 2, with the
/// other cores idle or (`loaded`) cores 0 and 3 busy.
fn ump_latency(
    images: &Images,
    options: &BenchOptions,
    loaded: bool,
    report: &mut crate::report::Report,
) -> Result<(), String> {
    let name = if loaded {
        "bench_ump_loaded"
    } else {
        "bench_ump"
    };
    let mut m = machine(images, options, 4, None, name)?;
    let fail = |e: harness::HarnessError| format!("{e}");
    let load = load_cores_0_and_3(&mut m, loaded)?;
    let key = if loaded { "loaded" } else { "idle" };
    m.send("run --core 2 umpbench serve bench\r")
        .map_err(fail)?;
    m.expect("started umpbench on core 2", STEP).map_err(fail)?;
    let messages = options.times(UMP_MESSAGES / 1000) * 1000;
    m.send(&format!("run --core 1 umpbench client bench {messages}\r"))
        .map_err(fail)?;
    for _ in 0..2 {
        let line = m
            .expect_line("a umpbench result", STEP, |l| l.contains("umpbench: "))
            .map_err(fail)?;
        let text = line
            .split_once("umpbench: ")
            .map_or(line.as_str(), |(_, t)| t);
        let (k, what) = if text.starts_with("round trip") {
            (
                "ump.rtt",
                "UMP round trip, core 1 to core 2 and back, both spinning",
            )
        } else {
            ("ump.oneway", "UMP one-way, core 1 to core 2, both spinning")
        };
        let figure = ns_figure(text).ok_or_else(|| format!("cannot read `{text}`"))?;
        report.add(
            &format!("{k}.{key}"),
            "Messages",
            &format!("{what}, {load}"),
            figure,
        );
    }
    Ok(())
}

/// If `loaded`, starts a busy loop on cores 0 and 3 of a 4-core machine
/// (cores 1 and 2 are measured); returns the condition's words.
fn load_cores_0_and_3(m: &mut Machine, loaded: bool) -> Result<&'static str, String> {
    if !loaded {
        return Ok("other cores idle");
    }
    let fail = |e: harness::HarnessError| format!("{e}");
    m.send("run busy 3600 &\r").map_err(fail)?;
    m.send("run --core 3 busy 3600\r").map_err(fail)?;
    m.expect("started busy on core 3", STEP).map_err(fail)?;
    Ok("cores 0 and 3 busy")
}

/// The figure of a `... median N ns (10% A, 90% B) over C messages` text.
pub fn ns_figure(text: &str) -> Option<crate::report::Figure> {
    let median = median_ns(text)?;
    let p10 = text
        .split_once("(10% ")?
        .1
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()?;
    let p90 = text
        .split_once("90% ")?
        .1
        .split(')')
        .next()?
        .trim()
        .parse()
        .ok()?;
    let n = text
        .split_once(" over ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(crate::report::Figure::Ns {
        median,
        p10,
        p90,
        n,
    })
}

/// The median in ns of a `umpbench: ... median N ns ...` line.
pub fn median_ns(line: &str) -> Option<f64> {
    line.split_once("median ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs the umpbench pair `name` on core 1 (the server first, already
/// started) and returns its two result lines: one-way, round trip.
fn umpbench_pair(
    m: &mut Machine,
    name: &str,
    options: &BenchOptions,
) -> Result<[String; 2], String> {
    let fail = |e: harness::HarnessError| format!("{e}");
    let messages = options.times(SWITCH_MESSAGES / 100) * 100;
    m.send(&format!(
        "run --core 1 umpbench client {name} {messages} yield\r"
    ))
    .map_err(fail)?;
    let mut lines = [String::new(), String::new()];
    for _ in 0..2 {
        let line = m
            .expect_line("a umpbench result", STEP, |l| l.contains("umpbench: "))
            .map_err(fail)?;
        let text = line
            .split_once("umpbench: ")
            .map_or(line.clone(), |(_, t)| t.to_owned());
        let slot = usize::from(text.starts_with("round trip"));
        lines[slot] = text;
    }
    Ok(lines)
}

/// KCB switch cost: yielding UMP ping-pong on core 1 within one OSNode,
/// then between OSNode 1 and OSNode 2 parked on core 1.
fn kcb_switch(
    images: &Images,
    options: &BenchOptions,
    loaded: bool,
    report: &mut crate::report::Report,
) -> Result<(), String> {
    let name = if loaded {
        "bench_switch_loaded"
    } else {
        "bench_switch_idle"
    };
    let mut m = machine(images, options, 4, None, name)?;
    let fail = |e: harness::HarnessError| format!("{e}");
    let load = load_cores_0_and_3(&mut m, loaded)?;
    m.send("run --core 1 umpbench serve one yield\r")
        .map_err(fail)?;
    m.expect("started umpbench on core 1", STEP).map_err(fail)?;
    let within = umpbench_pair(&mut m, "one", options)?;
    m.send("run --core 2 umpbench serve two yield\r")
        .map_err(fail)?;
    m.expect("started umpbench on core 2", STEP).map_err(fail)?;
    m.send("corectrl park 2 1\r").map_err(fail)?;
    m.expect("core 2 parked on core 1", STEP).map_err(fail)?;
    let between = umpbench_pair(&mut m, "two", options)?;
    let key = if loaded { "loaded" } else { "idle" };
    for (k, what, text) in [
        (
            "within",
            "dispatcher switch within one OSNode on core 1",
            &within[0],
        ),
        (
            "between",
            "KCB switch between two OSNodes on core 1",
            &between[0],
        ),
    ] {
        let figure = ns_figure(text).ok_or_else(|| format!("cannot read `{text}`"))?;
        report.add(
            &format!("switch.{k}.{key}"),
            "KCB switch",
            &format!("{what} (one-way of yielding programs), {load}"),
            figure,
        );
    }
    if let (Some(a), Some(b)) = (median_ns(&within[0]), median_ns(&between[0])) {
        println!(
            "bench: KCB switch cost, {load}: median {:.0} ns more than a dispatcher switch",
            b - a
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umpbench_medians_parse() {
        let line =
            "one-way to core 1 (yielding): median 5123 ns (10% 4000, 90% 7000) over 2000 messages";
        assert_eq!(median_ns(line), Some(5123.0));
        assert_eq!(median_ns("umpbench: failed: bad argument"), None);
    }

    #[test]
    fn spread_is_median_min_max() {
        assert_eq!(spread(&mut [3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&mut [4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
        assert!(spread(&mut []).0.is_nan());
    }
}
