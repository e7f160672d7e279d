//! Making a bootable ISO: GRUB (BIOS and UEFI, `grub-mkrescue`) with the
//! loader, optionally the boot archive, and a menu. `cargo xtask image`
//! makes Corefish's ISO with it; tests make ISOs with other menus.

use std::path::Path;
use std::process::Command;

use crate::HarnessError;

fn io(what: String) -> impl FnOnce(std::io::Error) -> HarnessError {
    move |e| HarnessError::Io(std::io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// Writes the ISO `out` from a staging folder `root` (made afresh): the
/// loader as `/boot/loader.elf`, the archive (if any) as `/boot/boot.img`
/// and `grub_cfg` as GRUB's menu.
pub fn make(
    root: &Path,
    loader: &Path,
    archive: Option<&Path>,
    grub_cfg: &str,
    out: &Path,
) -> Result<(), HarnessError> {
    let _ = std::fs::remove_dir_all(root);
    let grub = root.join("boot").join("grub");
    std::fs::create_dir_all(&grub).map_err(io(format!("cannot create {}", grub.display())))?;
    let mut files = vec![(loader, root.join("boot").join("loader.elf"))];
    if let Some(archive) = archive {
        files.push((archive, root.join("boot").join("boot.img")));
    }
    for (from, to) in files {
        // A hard link where possible: no second copy of the archive.
        if std::fs::hard_link(from, &to).is_err() {
            std::fs::copy(from, &to).map_err(io(format!("cannot copy {}", from.display())))?;
        }
    }
    std::fs::write(grub.join("grub.cfg"), grub_cfg).map_err(io("cannot write grub.cfg".into()))?;
    let output = Command::new("grub-mkrescue")
        .arg("-o")
        .arg(out)
        .arg(root)
        .output()
        .map_err(io("cannot run grub-mkrescue".into()))?;
    if !output.status.success() {
        return Err(HarnessError::Io(std::io::Error::other(format!(
            "grub-mkrescue failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))));
    }
    Ok(())
}
