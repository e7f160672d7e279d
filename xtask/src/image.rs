//! `cargo xtask image`: the bootable ISO, `target/corefish/corefish.iso`.
//!
//! GRUB (Debian's `grub-pc-bin` for BIOS, `grub-efi-amd64-bin` for UEFI)
//! made into one hybrid image by `grub-mkrescue` (with `xorriso` and
//! `mtools`): it boots from a CD under either firmware, and written to a
//! USB stick with `dd` it boots from that too. Its menu (`xtask/grub/
//! grub.cfg`) loads the loader with multiboot2 and the boot archive as its
//! module; the entries differ only in the command line. The GRUB image is
//! not signed: Secure Boot must be off.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::packages::{Need, ensure};

/// What making the ISO needs.
const TOOLS: &[Need] = &[
    Need {
        package: "grub-common",
        file: "/usr/bin/grub-mkrescue",
    },
    Need {
        package: "grub-pc-bin",
        file: "/usr/lib/grub/i386-pc/multiboot2.mod",
    },
    Need {
        package: "grub-efi-amd64-bin",
        file: "/usr/lib/grub/x86_64-efi/multiboot2.mod",
    },
    Need {
        package: "xorriso",
        file: "/usr/bin/xorriso",
    },
    Need {
        package: "mtools",
        file: "/usr/bin/mformat",
    },
];

/// What booting the ISO under UEFI needs besides QEMU.
pub const UEFI_FIRMWARE: Need = Need {
    package: "ovmf",
    file: harness::OVMF_CODE,
};

/// Builds the images, then the ISO; returns its path.
pub fn image() -> Result<PathBuf> {
    let images = crate::build::build_all()?;
    let iso = make_iso(&images)?;
    eprintln!("xtask: wrote {}", iso.display());
    Ok(iso)
}

/// Makes the ISO from built images (the tools are installed if missing).
pub fn make_iso(images: &harness::Images) -> Result<PathBuf> {
    ensure(TOOLS)?;
    let root = images.dir().join("..").join("iso-root");
    let config = harness::workspace_root()
        .join("xtask")
        .join("grub")
        .join("grub.cfg");
    let menu = std::fs::read_to_string(&config)
        .with_context(|| format!("cannot read {}", config.display()))?;
    let iso = images.iso();
    harness::iso::make(
        &root,
        &images.loader(),
        Some(&images.archive()),
        &menu,
        &iso,
    )?;
    Ok(iso)
}
