//! The Linux peer for `cargo xtask bench`: Debian's kernel image package
//! and a busybox initramfs with the static measuring program
//! `peer/hotplug`, booted in the same QEMU machine type, core count,
//! memory and accelerator as Corefish. The packages are fetched with
//! `apt-get download` (Debian's archive) and kept, with what is made from
//! them, under `target/linux/`.
//!
//! The initramfs's `/init` (busybox sh) mounts proc and sys, then, per the
//! kernel command line (`peer.rounds=N`, `peer.samples=S`,
//! `peer.phases=idle,loaded,jitter`): takes CPUs offline and online N
//! times with the other CPUs idle, then again with a busy loop on every
//! CPU, then runs the jitter loop pinned to CPU 1, and powers off.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::initramfs::Cpio;

/// The kernel metapackage; its dependency names the image package.
const KERNEL_META: &str = "linux-image-amd64";
/// The busybox build without shared libraries.
const BUSYBOX: &str = "busybox-static";

/// What the peer boots.
pub struct Peer {
    /// The kernel (`-kernel`).
    pub kernel: PathBuf,
    /// The initramfs (`-initrd`).
    pub initramfs: PathBuf,
    /// The image package's name (e.g. `linux-image-6.1.0-56-amd64`).
    pub package: String,
}

/// The `/init` script.
const INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
rounds=20
samples=100000
for word in $(cat /proc/cmdline); do
    case "$word" in
        peer.rounds=*) rounds="${word#peer.rounds=}" ;;
        peer.samples=*) samples="${word#peer.samples=}" ;;
    esac
done
phases="idle loaded jitter"
for word in $(cat /proc/cmdline); do
    case "$word" in
        peer.phases=*) phases="$(echo "${word#peer.phases=}" | tr , ' ')" ;;
    esac
done
echo "peer: $(uname -r), $(nproc) CPUs online"
for phase in $phases; do
    case "$phase" in
        idle) /bin/hotplug cycle idle "$rounds" ;;
        loaded)
            for i in $(seq 1 "$(nproc)"); do
                sh -c 'while :; do :; done' &
            done
            /bin/hotplug cycle loaded "$rounds"
            kill $(jobs -p) 2>/dev/null
            ;;
        jitter)
            label=normal
            grep -q nohz_full /proc/cmdline && label=isolated
            taskset -c 1 /bin/hotplug jitter "$label" "$samples"
            ;;
    esac
done
echo "peer: done"
poweroff -f
"#;

/// Fetches, extracts and builds what the peer needs (cached).
pub fn prepare() -> Result<Peer, String> {
    let dir = harness::workspace_root().join("target").join("linux");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let package = kernel_package()?;
    let kernel_root = extract(&dir, &package)?;
    let kernel = find_vmlinuz(&kernel_root.join("boot"))?;
    let busybox_root = extract(&dir, BUSYBOX)?;
    let busybox = std::fs::read(busybox_root.join("bin").join("busybox"))
        .map_err(|e| format!("busybox: {e}"))?;
    let hotplug = std::fs::read(build_hotplug()?).map_err(|e| format!("hotplug: {e}"))?;
    let mut cpio = Cpio::new();
    for d in ["bin", "dev", "proc", "sys", "tmp"] {
        cpio.dir(d, 0o755);
    }
    cpio.file("bin/busybox", 0o755, &busybox);
    cpio.file("bin/hotplug", 0o755, &hotplug);
    cpio.file("init", 0o755, INIT.as_bytes());
    let initramfs = dir.join("initramfs.cpio");
    std::fs::write(&initramfs, cpio.finish())
        .map_err(|e| format!("{}: {e}", initramfs.display()))?;
    Ok(Peer {
        kernel,
        initramfs,
        package,
    })
}

/// The image package the kernel metapackage depends on; if Debian's
/// package lists are not there yet (a fresh machine), they are fetched
/// first (as root).
fn kernel_package() -> Result<String, String> {
    resolve_kernel_package().or_else(|first| {
        let status = Command::new("apt-get")
            .arg("update")
            .status()
            .map_err(|e| format!("{first}; apt-get update: {e}"))?;
        if !status.success() {
            return Err(format!("{first}; apt-get update failed (run it as root)"));
        }
        resolve_kernel_package()
    })
}

fn resolve_kernel_package() -> Result<String, String> {
    let out = Command::new("apt-cache")
        .args(["depends", KERNEL_META])
        .output()
        .map_err(|e| format!("apt-cache (Debian's package tools are needed): {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Depends: "))
        .filter(|p| p.starts_with("linux-image-"))
        .map(str::to_owned)
        .ok_or_else(|| format!("cannot tell which package {KERNEL_META} depends on"))
}

/// Downloads `package` into `dir` (once) and extracts it; returns the
/// extracted tree.
fn extract(dir: &Path, package: &str) -> Result<PathBuf, String> {
    let root = dir.join(format!("{package}.root"));
    if root.is_dir() {
        return Ok(root);
    }
    let deb = match find_deb(dir, package) {
        Some(deb) => deb,
        None => {
            let status = Command::new("apt-get")
                .args(["download", package])
                .current_dir(dir)
                .status()
                .map_err(|e| format!("apt-get: {e}"))?;
            if !status.success() {
                return Err(format!("apt-get download {package} failed"));
            }
            find_deb(dir, package).ok_or_else(|| format!("no .deb for {package} after download"))?
        }
    };
    let partial = dir.join(format!("{package}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&partial)
        .status()
        .map_err(|e| format!("dpkg-deb: {e}"))?;
    if !status.success() {
        return Err(format!("dpkg-deb -x {} failed", deb.display()));
    }
    std::fs::rename(&partial, &root).map_err(|e| format!("{}: {e}", root.display()))?;
    Ok(root)
}

fn find_deb(dir: &Path, package: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
}

fn find_vmlinuz(boot: &Path) -> Result<PathBuf, String> {
    std::fs::read_dir(boot)
        .map_err(|e| format!("{}: {e}", boot.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .ok_or_else(|| format!("no vmlinuz in {}", boot.display()))
}

/// Builds `peer/hotplug` as a static executable; returns its path.
fn build_hotplug() -> Result<PathBuf, String> {
    let target = harness::workspace_root().join("target").join("peer");
    let status = Command::new(crate::build::cargo())
        .args([
            "build",
            "--quiet",
            "--release",
            "--package",
            "hotplug",
            "--target",
            crate::build::TARGET,
        ])
        .arg("--target-dir")
        .arg(&target)
        .env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+crt-static")
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(String::from("building peer/hotplug failed"));
    }
    Ok(target
        .join(crate::build::TARGET)
        .join("release")
        .join("hotplug"))
}

/// Boots the peer twice (the second time with CPU 1 isolated: `isolcpus=1
/// nohz_full=1`, for the jitter loop) and prints its figures beside
/// Corefish's.
pub fn bench(
    images: &harness::Images,
    options: &crate::bench::BenchOptions,
    report: &mut crate::report::Report,
) -> Result<(), String> {
    let peer = prepare()?;
    let rounds = options.times(20);
    let samples = if options.quick { 10_000 } else { 100_000 };
    println!(
        "bench: Linux peer: Debian's {}, busybox initramfs, same QEMU machine (q35, 4 cores, 512 MiB)",
        peer.package
    );
    for (name, isolate) in [
        ("bench_linux", ""),
        ("bench_linux_isolated", " isolcpus=1 nohz_full=1"),
    ] {
        let mut config = harness::QemuConfig::new(images);
        config.loader = peer.kernel.clone();
        config.archive = peer.initramfs.clone();
        config.cmdline =
            format!("console=ttyS0 panic=-1 peer.rounds={rounds} peer.samples={samples}{isolate}");
        config.cores = 4;
        config.mem_mib = 512;
        config.accel = options.accel;
        let mut m = harness::Machine::start(&config, name).map_err(|e| format!("{e}"))?;
        m.expect("peer: done", std::time::Duration::from_secs(900))
            .map_err(|e| format!("{e}"))?;
        let lines = m.lines();
        if isolate.is_empty() {
            for (label, key, what) in [
                (
                    "idle offline",
                    "linux.offline.idle",
                    "Linux: CPU offline, other CPUs idle",
                ),
                (
                    "idle online",
                    "linux.online.idle",
                    "Linux: CPU online, other CPUs idle",
                ),
                (
                    "loaded offline",
                    "linux.offline.loaded",
                    "Linux: CPU offline, every CPU busy",
                ),
                (
                    "loaded online",
                    "linux.online.loaded",
                    "Linux: CPU online, every CPU busy",
                ),
            ] {
                let samples: Vec<f64> = lines.iter().filter_map(|l| step_ms(l, label)).collect();
                if samples.is_empty() {
                    return Err(format!("the peer reported no `{label}` steps"));
                }
                report.ms(key, "Linux peer (same emulator)", what, &samples);
            }
        }
        let summary = lines
            .iter()
            .filter(|l| l.contains("peer: ") && l.contains(" samples: "))
            .find_map(|l| jitterstats::Summary::parse(l))
            .ok_or("the peer reported no jitter")?;
        let histogram = lines
            .iter()
            .filter(|l| l.contains("peer: "))
            .find_map(|l| jitterstats::Histogram::parse(l))
            .ok_or("the peer reported no jitter histogram")?;
        let (key, label) = if isolate.is_empty() {
            ("jitter.linux.normal", "Linux on a normal CPU (tcg)")
        } else {
            (
                "jitter.linux.isolated",
                "Linux on an isolcpus nohz_full CPU (tcg)",
            )
        };
        crate::jitter::add(report, key, label, (histogram, summary));
    }
    Ok(())
}

/// The milliseconds of a line `peer: LABEL cpuK MS ms`.
pub fn step_ms(line: &str, label: &str) -> Option<f64> {
    let rest = line.split_once(&format!("peer: {label} cpu"))?.1;
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_init_script_is_valid_shell() {
        let path = std::env::temp_dir().join(format!("corefish-init-{}.sh", std::process::id()));
        std::fs::write(&path, INIT).unwrap();
        let status = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(status.success(), "sh -n rejects the peer's /init");
    }

    #[test]
    fn steps_parse() {
        assert_eq!(
            step_ms("peer: idle offline cpu2 46.125 ms", "idle offline"),
            Some(46.125)
        );
        assert_eq!(
            step_ms("peer: idle online cpu2 46.125 ms", "idle offline"),
            None
        );
        assert_eq!(
            step_ms("peer: loaded online cpu3 x ms", "loaded online"),
            None
        );
    }
}
