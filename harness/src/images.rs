//! Where the images built by `cargo xtask build` live.

use std::path::{Path, PathBuf};

use crate::HarnessError;

/// The built images: the first-stage loader, the boot archive, and the
/// CPU driver ELF files (kept for host-side checks).
#[derive(Debug, Clone)]
pub struct Images {
    dir: PathBuf,
}

impl Images {
    /// The directory `cargo xtask` writes images to.
    pub fn default_dir() -> PathBuf {
        crate::workspace_root()
            .join("target")
            .join("corefish")
            .join("images")
    }

    /// The images in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The images named by `COREFISH_IMAGES`, or in the default directory;
    /// an error tells how to build them when they are missing.
    pub fn locate() -> Result<Self, HarnessError> {
        let dir = std::env::var_os("COREFISH_IMAGES").map_or_else(Self::default_dir, PathBuf::from);
        let images = Self::in_dir(dir);
        for path in [images.loader(), images.archive()] {
            if !path.is_file() {
                return Err(HarnessError::MissingImage(path));
            }
        }
        Ok(images)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PVH loader (`qemu -kernel`).
    pub fn loader(&self) -> PathBuf {
        self.dir.join("loader.elf")
    }

    /// The boot archive (`qemu -initrd`).
    pub fn archive(&self) -> PathBuf {
        self.dir.join("boot.img")
    }

    /// The bootable ISO `cargo xtask image` makes (GRUB, multiboot2),
    /// beside the images' directory.
    pub fn iso(&self) -> PathBuf {
        self.dir.parent().unwrap_or(&self.dir).join("corefish.iso")
    }

    /// A CPU driver's ELF by image name (e.g. `cpudriver`).
    pub fn kernel(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}
