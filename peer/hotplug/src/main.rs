//! `hotplug`: the Linux peer's measuring program (a static binary in the
//! peer's initramfs; `cargo xtask bench` boots Debian's kernel with it in
//! the same QEMU machine type, core count, memory and accelerator as
//! Corefish).
//!
//! * `hotplug cycle LABEL ROUNDS`: takes the last CPU offline and online
//!   again through `/sys/devices/system/cpu/cpuK/online`, ROUNDS times (as
//!   Corefish's benchmark stops and boots its last core, with the others
//!   idle or each running a busy loop), and prints each step's wall time:
//!   `peer: LABEL offline cpuK MS ms` and `peer: LABEL online cpuK MS ms`.
//!   The time is that of the `write` to sysfs, which returns when the
//!   kernel has finished taking the CPU down or bringing it up (Linux's
//!   CPU hotplug, as the paper measured it).
//! * `hotplug jitter LABEL SAMPLES`: the jitter loop of Corefish's `jitter`
//!   program (a counter counted down from 1,000, timed with the TSC) on the
//!   CPU it runs on (pin it with `taskset`), summarised the same way:
//!   `peer: LABEL jitter: <jitterstats::Summary>`.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use jitterstats::{Histogram, Summary};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cycle", label, rounds] => rounds
            .parse()
            .map_err(|_| String::from("bad count"))
            .and_then(|n| cycle(label, n)),
        ["jitter", label, samples] => samples
            .parse()
            .map_err(|_| String::from("bad count"))
            .map(|n| jitter(label, n)),
        _ => Err(String::from(
            "usage: hotplug cycle LABEL ROUNDS | hotplug jitter LABEL SAMPLES",
        )),
    };
    if let Err(e) = result {
        println!("peer: failed: {e}");
        std::process::exit(1);
    }
}

/// The CPUs present (`/sys/devices/system/cpu/present`, e.g. `0-3`).
fn cpus() -> Result<u32, String> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/present")
        .map_err(|e| format!("/sys/devices/system/cpu/present: {e}"))?;
    let last = text.trim().rsplit(['-', ',']).next().unwrap_or("0");
    last.parse::<u32>()
        .map(|n| n + 1)
        .map_err(|_| format!("cannot read `{}`", text.trim()))
}

/// Writes `value` to CPU `cpu`'s `online` file; returns how long it took.
fn set_online(cpu: u32, value: &str) -> Result<Duration, String> {
    let path = format!("/sys/devices/system/cpu/cpu{cpu}/online");
    let mut file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    let start = Instant::now();
    file.write_all(value.as_bytes())
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(start.elapsed())
}

fn cycle(label: &str, rounds: u32) -> Result<(), String> {
    let n = cpus()?;
    if n < 2 {
        return Err(String::from("only one CPU"));
    }
    let cpu = n - 1;
    for _ in 0..rounds {
        let off = set_online(cpu, "0")?;
        println!("peer: {label} offline cpu{cpu} {:.3} ms", ms(off));
        let on = set_online(cpu, "1")?;
        println!("peer: {label} online cpu{cpu} {:.3} ms", ms(on));
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The counter the jitter loop counts down (shared, so every store happens).
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn one_sample() -> u64 {
    // SAFETY: `rdtsc` only reads the time-stamp counter.
    let start = unsafe { core::arch::x86_64::_rdtsc() };
    COUNTER.store(1000, Ordering::Relaxed);
    while COUNTER.load(Ordering::Relaxed) != 0 {
        COUNTER.store(COUNTER.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
    }
    // SAFETY: as above.
    unsafe { core::arch::x86_64::_rdtsc() - start }
}

fn jitter(label: &str, samples: usize) {
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..1000 {
        std::hint::black_box(one_sample());
    }
    let mut cycles: Vec<u64> = (0..samples.max(1)).map(|_| one_sample()).collect();
    let histogram = Histogram::of(&cycles);
    println!("peer: {label} jitter: {histogram}");
    if let Some(summary) = Summary::of(&mut cycles) {
        println!("peer: {label} jitter: {summary}");
    }
}
