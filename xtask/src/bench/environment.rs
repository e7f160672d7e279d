//! Where the figures come from: the QEMU version, the accelerator, the
//! host's cores and CPU, as the report's header, the line printed at the
//! start and the footer of every plot give them.

use harness::QemuConfig;

use super::options::BenchOptions;

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

    /// The lines of the report's header.
    pub fn header(&self, options: &BenchOptions) -> Vec<String> {
        vec![
            format!("{}, accelerator `{}`", self.qemu, options.accel.name()),
            format!("host: {}, {} cores", self.cpu, self.host),
            format!(
                "run: `cargo xtask bench{}`",
                if options.quick { " --quick" } else { "" }
            ),
        ]
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
