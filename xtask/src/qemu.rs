//! Making sure QEMU is installed.

use std::process::Command;

use anyhow::{Context, Result, bail};

const PACKAGE: &str = "qemu-system-x86";

fn qemu_present() -> bool {
    Command::new(harness::QemuConfig::QEMU_BINARY)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Installs QEMU with apt-get when it is missing and we are root;
/// otherwise explains how.
pub fn ensure_installed() -> Result<()> {
    if qemu_present() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "{} is not installed. Install it with:\n    sudo apt-get update && sudo apt-get install -y {PACKAGE}",
            harness::QemuConfig::QEMU_BINARY
        );
    }
    eprintln!("xtask: QEMU is missing; installing {PACKAGE} with apt-get");
    for args in [&["update"][..], &["install", "-y", PACKAGE][..]] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("cannot run apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
    }
    if !qemu_present() {
        bail!("{PACKAGE} installed, but QEMU still does not run");
    }
    Ok(())
}
