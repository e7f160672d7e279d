//! Installing what the host needs from Debian's packages: QEMU for every
//! command that boots Corefish, GRUB and its ISO tools for the bootable
//! image, OVMF for booting that image under UEFI. As root, missing
//! packages are installed with apt-get; otherwise the command to run is
//! explained.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Something the host needs: a package and how to tell it is there.
pub struct Need {
    /// The Debian package.
    pub package: &'static str,
    /// A file the package installs (a path), or a command it installs (a
    /// bare name, looked for on `PATH`).
    pub file: &'static str,
}

impl Need {
    fn met(&self) -> bool {
        if self.file.contains('/') {
            return Path::new(self.file).exists();
        }
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join(self.file).is_file())
        })
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Makes sure every need is met, installing the missing packages with
/// apt-get when we are root.
pub fn ensure(needs: &[Need]) -> Result<()> {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|n| !n.met())
        .map(|n| n.package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "missing packages: {list}. Install them with:\n    sudo apt-get update && sudo apt-get install -y {list}"
        );
    }
    eprintln!("xtask: installing {list} with apt-get");
    let install = [
        &["install", "-y", "--no-install-recommends"][..],
        &missing[..],
    ]
    .concat();
    for args in [&["update"][..], &install[..]] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("cannot run apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
    }
    if let Some(n) = needs.iter().find(|n| !n.met()) {
        bail!("{} installed, but {} is still missing", n.package, n.file);
    }
    Ok(())
}
