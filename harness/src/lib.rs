//! Booting Corefish in QEMU from the host: the one place that knows how
//! QEMU is started, used by `cargo xtask run`, the integration tests and
//! the benchmarks.
//!
//! * [`QemuConfig`] builds the QEMU command line (machine `q35`, cores,
//!   memory, accelerator, `-icount`, gdb stub, kernel command line), and
//!   how the machine boots ([`Boot`]: the loader through PVH, or the ISO
//!   through GRUB under SeaBIOS or OVMF).
//! * [`Machine`] runs one QEMU with its serial console on pipes: every byte
//!   is logged to a file under `target/qemu-logs/`, tests wait for lines
//!   with a timeout ([`Machine::expect`]), type into the console
//!   ([`Machine::send`]) and read the `isa-debug-exit` status
//!   ([`Machine::wait_exit`]). A failure carries the last 50 serial lines
//!   and the QEMU command line. Dropping a machine kills its QEMU, so every
//!   test path (including a panic) cleans up; QEMU also dies with the
//!   process that started it.
//! * [`Watchdog`] gives up on a guest that falls silent or says its kernel
//!   is stuck, whatever the wait's own timeout.
//! * [`Images`] finds the images `cargo xtask` built.
//! * [`iso`] makes a bootable ISO (GRUB, BIOS and UEFI).
//! * [`Monitor`] talks to QEMU's monitor on a socket (the screen's
//!   `screendump`).

mod config;
mod error;
mod images;
pub mod iso;
mod machine;
mod monitor;
mod watchdog;

pub use config::{Accel, Boot, Firmware, OVMF_CODE, OVMF_VARS, QemuConfig};
pub use cpu::debug_exit::ExitCode;
pub use error::HarnessError;
pub use images::Images;
pub use machine::{ExitStatus, Machine};
pub use monitor::Monitor;
pub use watchdog::{GUEST_FATAL, Watchdog};

/// The workspace's root directory.
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), std::path::Path::to_path_buf)
}
