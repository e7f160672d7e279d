//! `cargo xtask bench` (group `linux`): the Linux peer (see [`super::peer`])
//! on the same emulated machine as Corefish: CPU offline and online with
//! the other CPUs idle and busy, and the jitter loop on a normal CPU and on
//! an isolated one (`isolcpus=1 nohz_full=1`), beside Corefish's figures.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use harness::Images;
use jitterstats::{Histogram, Summary};

use super::options::BenchOptions;
use super::peer;
use super::report::Report;

/// How long one boot of the peer may take.
const TIMEOUT: Duration = Duration::from_secs(900);

/// Boots the peer twice (the second time with CPU 1 isolated, for the
/// jitter loop) and adds its figures to the report.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("the Linux peer (fetch, build, boot twice)");
    let peer = peer::prepare()?;
    let rounds = options.times(20);
    let samples = options.jitter_samples();
    println!(
        "bench: Linux peer: Debian's {}, busybox initramfs, same QEMU machine (q35, {} cores, {} MiB preallocated)",
        peer.package,
        super::cores::CORES,
        super::machine::MEM_MIB
    );
    for (name, isolate) in [
        ("bench_linux", ""),
        ("bench_linux_isolated", " isolcpus=1 nohz_full=1"),
    ] {
        let config = peer.config(
            images,
            options,
            super::cores::CORES,
            &format!("peer.rounds={rounds} peer.samples={samples}{isolate}"),
        );
        let lines = peer::run(&config, name, TIMEOUT)?;
        if isolate.is_empty() {
            hotplug(&lines, report)?;
        }
        let (key, label) = if isolate.is_empty() {
            ("jitter.linux.normal", "Linux on a normal CPU (tcg)")
        } else {
            (
                "jitter.linux.isolated",
                "Linux on an isolcpus nohz_full CPU (tcg)",
            )
        };
        report.jitter(key, label, jitter(&lines)?);
    }
    Ok(())
}

/// Adds the CPU offline and online times of the peer's `lines`.
fn hotplug(lines: &[String], report: &mut Report) -> Result<()> {
    let loaded = super::cores::load_words();
    for (label, key, what) in [
        (
            "idle offline",
            "linux.offline.idle",
            String::from("others idle"),
        ),
        (
            "idle online",
            "linux.online.idle",
            String::from("others idle"),
        ),
        ("loaded offline", "linux.offline.loaded", loaded.clone()),
        ("loaded online", "linux.online.loaded", loaded.clone()),
    ] {
        let samples = peer::steps(lines, label);
        if samples.is_empty() {
            bail!("the peer reported no `{label}` steps");
        }
        let step = if label.ends_with("offline") {
            "last CPU offline"
        } else {
            "last CPU online"
        };
        report.ms(
            key,
            "Linux peer (same emulator)",
            &format!("Linux: {step}, {what}"),
            &samples,
        );
    }
    Ok(())
}

/// The jitter histogram and summary in the peer's `lines`.
fn jitter(lines: &[String]) -> Result<(Histogram, Summary)> {
    let summary = lines
        .iter()
        .filter(|l| l.contains("peer: ") && l.contains(" samples: "))
        .find_map(|l| Summary::parse(l))
        .context("the peer reported no jitter")?;
    let histogram = lines
        .iter()
        .filter(|l| l.contains("peer: "))
        .find_map(|l| Histogram::parse(l))
        .context("the peer reported no jitter histogram")?;
    Ok((histogram, summary))
}
