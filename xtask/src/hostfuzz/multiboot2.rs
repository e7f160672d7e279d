//! The `multiboot2` target: the loader's reading of a multiboot2 boot
//! information (`bootinfo::multiboot2::parse`), then everything the
//! loader uses of an accepted one (memory map, command line, archive,
//! RSDP, framebuffer). A refusal must name its reason; an accepted
//! framebuffer must be one the console can draw on, below 4 GiB, outside
//! every memory region. Seeds: boot information laid out as GRUB does
//! under BIOS and under UEFI (`bootinfo::sample`).

use bootinfo::multiboot2::parse;
use bootinfo::{Rsdp, sample};
use bootproto::PhysRange;

use super::targets::Outcome;

/// GRUB-like boot information, BIOS and UEFI.
pub fn seeds() -> Vec<Vec<u8>> {
    vec![sample::bios().end(), sample::uefi()]
}

/// Parses one input and checks what the loader would use.
pub fn run(input: &[u8], _deep: bool) -> Outcome {
    let d = match parse(input) {
        Ok(d) => d,
        Err(refused) => return Outcome::Refused(refused.error.to_string()),
    };
    let _ = d.cmdline().len();
    let _ = d.archive.map(|a| a.end());
    if let Rsdp::Copy { bytes, len } = d.rsdp {
        assert!(len == 20 || len == 36, "an RSDP copy of {len} bytes");
        assert_eq!(&bytes[..8], b"RSD PTR ");
    }
    if let Some(Ok(fb)) = d.framebuffer {
        assert!(
            fb.geometry().is_ok(),
            "an accepted framebuffer it cannot draw on"
        );
        let screen = PhysRange::new(fb.phys, fb.size());
        assert!(
            screen.end() <= 4 << 30,
            "an accepted framebuffer above 4 GiB"
        );
        for r in d.regions() {
            assert!(
                r.e820 == 2 || !PhysRange::new(r.base, r.size).overlaps(screen),
                "an accepted framebuffer over memory"
            );
        }
    }
    Outcome::Accepted
}
