//! Where the figures come from: the QEMU version, the accelerator, the
//! host's cores and CPU, as the report's header, the line printed at the
//! start and the footer of every plot give them.

use harness::QemuConfig;

use super::options::BenchOptions;
use super::results::Meta;

/// This machine, as read when a run (or a group that reports it on its
/// own plot) starts.
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

    /// Prints where the figures come from (the first line of a run).
    pub fn announce(&self, options: &BenchOptions) {
        println!(
            "bench: {}, accel {}, {} host cores ({})",
            self.qemu,
            options.accel.name(),
            self.host,
            self.cpu
        );
    }

    /// What every record of run `run` says of where and how it measured.
    pub fn meta(&self, options: &BenchOptions, run: &str) -> Meta {
        let commit = std::process::Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(harness::workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(|| "unknown".into(), |s| s.trim().to_owned());
        Meta {
            run: run.into(),
            commit,
            host_cpu: self.cpu.clone(),
            host_cores: self.host,
            qemu: self.qemu.clone(),
            accel: options.accel.name().into(),
            options: options.describe(),
        }
    }

    /// One line for a plot: QEMU, accelerator, host.
    pub fn line(&self, options: &BenchOptions) -> String {
        line(&self.meta(options, ""))
    }
}

/// The lines of a report's header.
pub fn header(meta: &Meta) -> Vec<String> {
    vec![
        format!("{}, accelerator `{}`", meta.qemu, meta.accel),
        format!("host: {}, {} cores", meta.host_cpu, meta.host_cores),
        format!(
            "run `{}`: `cargo xtask bench {}` at commit `{}`",
            meta.run, meta.options, meta.commit
        ),
    ]
}

/// One line for a plot: QEMU, accelerator, host.
pub fn line(meta: &Meta) -> String {
    format!(
        "{}, accel {}; host {} x {}",
        meta.qemu.trim_start_matches("QEMU emulator "),
        meta.accel,
        meta.host_cores,
        meta.host_cpu
    )
}
