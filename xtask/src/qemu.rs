//! Making sure QEMU is installed.

use anyhow::Result;

use crate::packages::{Need, ensure};

/// Installs QEMU with apt-get when it is missing and we are root;
/// otherwise explains how.
pub fn ensure_installed() -> Result<()> {
    ensure(&[Need {
        package: "qemu-system-x86",
        file: harness::QemuConfig::QEMU_BINARY,
    }])
}
