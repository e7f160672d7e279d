//! The Linux peer that `cargo xtask bench` measures beside Corefish (groups
//! `linux` and `scaling`): Debian's kernel image package and a busybox
//! initramfs with the static measuring program `peer/measure`, booted in
//! the same QEMU machine type, core count, memory and accelerator as
//! Corefish; and the reading of its `peer: ...` lines. The packages are
//! fetched with `apt-get download` (Debian's archive) and kept, with what
//! is made from them, under `target/linux/`.
//!
//! The initramfs's `/init` (busybox sh) mounts proc and sys, then, per the
//! kernel command line (`peer.rounds=N`, `peer.samples=S`,
//! `peer.phases=idle,loaded,jitter,all,tpch`, `peer.tpch=SF,SECONDS,MS`):
//! takes the last CPU offline and online N times with the other CPUs idle,
//! then again with a busy loop pinned to every other CPU (Corefish's load:
//! one per other vCPU), runs the jitter loop pinned to CPU 1, brings every
//! CPU that is offline online (`all`, booted with `maxcpus=1`), runs
//! `tpchq`'s engine with a worker per CPU (`tpch`), and powers off.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use harness::{Images, Machine, QemuConfig};

use super::options::BenchOptions;
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
tpch="100 10 250"
for word in $(cat /proc/cmdline); do
    case "$word" in
        peer.rounds=*) rounds="${word#peer.rounds=}" ;;
        peer.samples=*) samples="${word#peer.samples=}" ;;
        peer.tpch=*) tpch="$(echo "${word#peer.tpch=}" | tr , ' ')" ;;
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
        idle) /bin/measure cycle idle "$rounds" ;;
        loaded)
            last=$(($(nproc) - 1))
            for i in $(seq 0 $((last - 1))); do
                taskset -c "$i" sh -c 'while :; do :; done' &
            done
            echo "peer: loaded: a busy loop on each of CPUs 0-$((last - 1)), CPU $last measured"
            /bin/measure cycle loaded "$rounds"
            kill $(jobs -p) 2>/dev/null
            ;;
        jitter)
            label=normal
            grep -q nohz_full /proc/cmdline && label=isolated
            taskset -c 1 /bin/measure jitter "$label" "$samples"
            ;;
        all) /bin/measure online-all ;;
        tpch) /bin/measure tpch $tpch ;;
    esac
done
echo "peer: done"
poweroff -f
"#;

/// Fetches, extracts and builds what the peer needs (cached).
pub fn prepare() -> Result<Peer> {
    let dir = harness::workspace_root().join("target").join("linux");
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let package = kernel_package()?;
    let kernel_root = extract(&dir, &package)?;
    let kernel = find_vmlinuz(&kernel_root.join("boot"))?;
    let busybox_root = extract(&dir, BUSYBOX)?;
    let busybox = std::fs::read(busybox_root.join("bin").join("busybox")).context("busybox")?;
    let measure = std::fs::read(build_measure()?).context("measure")?;
    let mut cpio = Cpio::new();
    for d in ["bin", "dev", "proc", "sys", "tmp"] {
        cpio.dir(d, 0o755);
    }
    cpio.file("bin/busybox", 0o755, &busybox);
    cpio.file("bin/measure", 0o755, &measure);
    cpio.file("init", 0o755, INIT.as_bytes());
    let initramfs = dir.join("initramfs.cpio");
    std::fs::write(&initramfs, cpio.finish()).with_context(|| initramfs.display().to_string())?;
    Ok(Peer {
        kernel,
        initramfs,
        package,
    })
}

/// The image package the kernel metapackage depends on; if Debian's
/// package lists are not there yet (a fresh machine), they are fetched
/// first (as root).
fn kernel_package() -> Result<String> {
    resolve_kernel_package().or_else(|first| {
        let status = Command::new("apt-get")
            .arg("update")
            .status()
            .with_context(|| format!("{first:#}; apt-get update"))?;
        if !status.success() {
            bail!("{first:#}; apt-get update failed (run it as root)");
        }
        resolve_kernel_package()
    })
}

fn resolve_kernel_package() -> Result<String> {
    let out = Command::new("apt-cache")
        .args(["depends", KERNEL_META])
        .output()
        .context("apt-cache (Debian's package tools are needed)")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Depends: "))
        .filter(|p| p.starts_with("linux-image-"))
        .map(str::to_owned)
        .with_context(|| format!("cannot tell which package {KERNEL_META} depends on"))
}

/// Downloads `package` into `dir` (once) and extracts it; returns the
/// extracted tree.
fn extract(dir: &Path, package: &str) -> Result<PathBuf> {
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
                .context("apt-get")?;
            if !status.success() {
                bail!("apt-get download {package} failed");
            }
            find_deb(dir, package)
                .with_context(|| format!("no .deb for {package} after download"))?
        }
    };
    let partial = dir.join(format!("{package}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&partial)
        .status()
        .context("dpkg-deb")?;
    if !status.success() {
        bail!("dpkg-deb -x {} failed", deb.display());
    }
    std::fs::rename(&partial, &root).with_context(|| root.display().to_string())?;
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

fn find_vmlinuz(boot: &Path) -> Result<PathBuf> {
    std::fs::read_dir(boot)
        .with_context(|| boot.display().to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .ok_or_else(|| anyhow!("no vmlinuz in {}", boot.display()))
}

/// Builds `peer/measure` as a static executable; returns its path.
fn build_measure() -> Result<PathBuf> {
    let target = harness::workspace_root().join("target").join("peer");
    let status = Command::new(crate::build::cargo())
        .args([
            "build",
            "--quiet",
            "--release",
            "--package",
            "measure",
            "--target",
            crate::build::TARGET,
        ])
        .arg("--target-dir")
        .arg(&target)
        .env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+crt-static")
        .env_remove("RUSTFLAGS")
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building peer/measure failed");
    }
    Ok(target
        .join(crate::build::TARGET)
        .join("release")
        .join("measure"))
}

/// The peer kernel's command line, every word needed:
/// * `console=ttyS0`: the kernel's messages and `/init`'s output on the
///   serial port, which the bench reads;
/// * `panic=-1`: a panic reboots at once, and QEMU (`-no-reboot`) exits,
///   instead of hanging until a timeout;
/// * `cryptomgr.notests`: no self-tests of the crypto algorithms at boot.
///   They measure nothing the bench uses (CPU hotplug and timing), take
///   seconds under TCG, and one of them (`alg_test`) was seen stuck in a
///   soft lockup with 32 CPUs, hanging a whole run.
///
/// The `peer.*` words are `/init`'s own (what to measure).
const PEER_CMDLINE: &str = "console=ttyS0 panic=-1 cryptomgr.notests";

impl Peer {
    /// A `cores`-CPU peer with the memory of Corefish's machines (preallocated as theirs), the options' accelerator and
    /// `peer_words` on its command line, for a benchmark to adjust.
    pub fn config(
        &self,
        images: &Images,
        options: &BenchOptions,
        cores: u32,
        peer_words: &str,
    ) -> QemuConfig {
        let mut config = QemuConfig::new(images);
        config.loader = self.kernel.clone();
        config.archive = self.initramfs.clone();
        config.cmdline = format!("{PEER_CMDLINE} {peer_words}");
        config.cores = cores;
        config.mem_mib = super::machine::MEM_MIB;
        config.prealloc = true;
        config.accel = options.accel;
        options.guard(&mut config);
        config
    }
}

/// Boots the peer machine `name`, waits up to `timeout` for it to finish
/// and returns its console lines.
pub fn run(config: &QemuConfig, name: &str, timeout: Duration) -> Result<Vec<String>> {
    let mut m = Machine::start(config, name)?;
    m.expect("peer: done", timeout)?;
    Ok(m.lines())
}

/// The milliseconds of every `peer: LABEL cpuK MS ms` line in `lines`.
pub fn steps(lines: &[String], label: &str) -> Vec<f64> {
    lines.iter().filter_map(|l| step_ms(l, label)).collect()
}

/// The milliseconds of a line `peer: LABEL cpuK MS ms`.
fn step_ms(line: &str, label: &str) -> Option<f64> {
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
