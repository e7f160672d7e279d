//! The boot description: what the loader learns from the way it was
//! started, whichever way that was.
//!
//! Two entries lead into the loader: QEMU's PVH entry (`-kernel`, the fast
//! default) and multiboot2 (GRUB, from the ISO, under BIOS or UEFI). Each
//! fills one [`BootDescription`]: the firmware's memory map (E820 types),
//! the boot archive (the first module), the command line, where the ACPI
//! RSDP is (or a copy of it), and the framebuffer if there is one. After
//! that the loader has one path, and nothing after the loader knows which
//! firmware it came from.
//!
//! [`multiboot2`] reads a boot information structure from bytes, checking
//! every length and offset, so a bad tag is an error with a reason, never a
//! read out of bounds. (The `multiboot2` crate was not taken: its tag
//! accessors assert on input they do not expect, such as a memory-map
//! entry size other than 24 or an indexed palette longer than its tag,
//! and a panic in the loader would be a hang without a message.)

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

#[cfg(any(test, feature = "alloc"))]
extern crate alloc;

mod efi;
pub mod multiboot2;
#[cfg(any(test, feature = "alloc"))]
pub mod sample;

use bootproto::PhysRange;
use screen::{Framebuffer, ScreenError};

/// Most memory-map regions kept (after merging neighbours of one type).
pub const MAX_REGIONS: usize = 128;
/// Longest command line kept, in bytes.
pub const CMDLINE_BYTES: usize = 1024;
/// Bytes of an ACPI 2 RSDP (an ACPI 1 RSDP is the first 20).
pub const RSDP_BYTES: usize = 36;

/// How the machine started the loader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// QEMU's PVH entry (`-kernel`).
    Pvh,
    /// Multiboot2 from a BIOS (legacy) GRUB.
    Bios,
    /// Multiboot2 from a UEFI GRUB, boot services exited.
    Uefi,
}

impl Firmware {
    /// How the loader names it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pvh => "PVH",
            Self::Bios => "multiboot2 (BIOS)",
            Self::Uefi => "multiboot2 (UEFI)",
        }
    }
}

/// A region of the firmware's memory map, with its E820 type (1 = RAM,
/// 2 = reserved, 3 = ACPI reclaimable, 4 = ACPI NVS, 5 = unusable).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub base: u64,
    /// Bytes.
    pub size: u64,
    /// E820 type.
    pub e820: u32,
}

/// Where the kernel finds the ACPI tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rsdp {
    /// Not said: the kernel searches the BIOS areas (PVH only).
    Unknown,
    /// The firmware's RSDP, at this physical address.
    At(u64),
    /// A copy of the RSDP (multiboot2 passes the structure, not its
    /// address); `len` is 20 (ACPI 1) or 36 (ACPI 2).
    Copy {
        /// The RSDP's bytes.
        bytes: [u8; RSDP_BYTES],
        /// How many are used.
        len: usize,
    },
}

/// Why a framebuffer the firmware set up is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoScreen {
    /// A palette (indexed) mode.
    Indexed,
    /// EGA text mode.
    Text,
    /// The tag is shorter than its type needs.
    ShortTag,
    /// Above 4 GiB, out of the early page tables' reach.
    Unreachable,
    /// It overlaps memory in the memory map (RAM, ACPI tables or
    /// storage, or unusable RAM).
    InMemory,
    /// A mode the console cannot draw on.
    Geometry(ScreenError),
}

impl core::fmt::Display for NoScreen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Indexed => f.write_str("the framebuffer is in an indexed-colour mode"),
            Self::Text => f.write_str("the framebuffer is in EGA text mode"),
            Self::ShortTag => f.write_str("the framebuffer tag is truncated"),
            Self::Unreachable => f.write_str("the framebuffer lies above 4 GiB"),
            Self::InMemory => f.write_str("the framebuffer overlaps memory in the memory map"),
            Self::Geometry(e) => write!(f, "{e}"),
        }
    }
}

/// Everything the loader needs from the way it was started.
#[derive(Clone, Debug)]
pub struct BootDescription {
    /// How it was started.
    pub firmware: Firmware,
    regions: [Region; MAX_REGIONS],
    region_count: usize,
    /// The boot archive (the first module), if any.
    pub archive: Option<PhysRange>,
    cmdline: [u8; CMDLINE_BYTES],
    cmdline_len: usize,
    /// The ACPI RSDP.
    pub rsdp: Rsdp,
    /// The framebuffer to draw the console on: a usable one, or why the
    /// one there is not used; `None` if the firmware set none up.
    pub framebuffer: Option<Result<Framebuffer, NoScreen>>,
    /// Whether [`BootDescription::check_framebuffer`] has run.
    framebuffer_checked: bool,
}

/// Why a boot description could not be filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptionError {
    /// More memory-map regions than [`MAX_REGIONS`], even merged.
    TooManyRegions,
    /// A command line longer than [`CMDLINE_BYTES`].
    CmdlineTooLong,
    /// A command line that is not UTF-8.
    CmdlineNotUtf8,
}

impl Region {
    /// A region of `size` bytes from `base`, of E820 type `e820`.
    pub const fn new(base: u64, size: u64, e820: u32) -> Self {
        Self { base, size, e820 }
    }
}

impl BootDescription {
    /// An empty description for `firmware`.
    pub const fn new(firmware: Firmware) -> Self {
        Self {
            firmware,
            regions: [Region {
                base: 0,
                size: 0,
                e820: 0,
            }; MAX_REGIONS],
            region_count: 0,
            archive: None,
            cmdline: [0; CMDLINE_BYTES],
            cmdline_len: 0,
            rsdp: Rsdp::Unknown,
            framebuffer: None,
            framebuffer_checked: false,
        }
    }

    /// Adds a region of the memory map (empty ones are dropped; one that
    /// continues the previous region with the same type extends it).
    pub fn add_region(&mut self, region: Region) -> Result<(), DescriptionError> {
        if region.size == 0 {
            return Ok(());
        }
        if let Some(last) = self.regions[..self.region_count].last_mut()
            && last.e820 == region.e820
            && last.base.checked_add(last.size) == Some(region.base)
        {
            last.size = last.size.saturating_add(region.size);
            return Ok(());
        }
        let slot = self
            .regions
            .get_mut(self.region_count)
            .ok_or(DescriptionError::TooManyRegions)?;
        *slot = region;
        self.region_count += 1;
        Ok(())
    }

    /// Refuses a framebuffer that overlaps anything but reserved regions
    /// of the memory map (the console must never draw over RAM or ACPI
    /// tables; the kernels apply the same rule). Call once the map is
    /// complete.
    pub fn check_framebuffer(&mut self) {
        self.framebuffer_checked = true;
        if let Some(Ok(fb)) = self.framebuffer {
            let screen = PhysRange::new(fb.phys, fb.size());
            let in_memory = self
                .regions()
                .iter()
                .any(|r| r.e820 != 2 && PhysRange::new(r.base, r.size).overlaps(screen));
            if in_memory {
                self.framebuffer = Some(Err(NoScreen::InMemory));
            }
        }
    }

    /// The framebuffer, once it has been checked against the memory map
    /// and found usable.
    pub fn checked_framebuffer(&self) -> Option<Framebuffer> {
        self.framebuffer
            .and_then(Result::ok)
            .filter(|_| self.framebuffer_checked)
    }

    /// The memory map, in the firmware's order.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.region_count]
    }

    /// Sets the command line (a copy: the firmware's memory is not kept).
    pub fn set_cmdline(&mut self, bytes: &[u8]) -> Result<(), DescriptionError> {
        core::str::from_utf8(bytes).map_err(|_| DescriptionError::CmdlineNotUtf8)?;
        let slot = self
            .cmdline
            .get_mut(..bytes.len())
            .ok_or(DescriptionError::CmdlineTooLong)?;
        slot.copy_from_slice(bytes);
        self.cmdline_len = bytes.len();
        Ok(())
    }

    /// The command line (empty if none).
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_regions_of_one_type_merge() {
        let mut d = BootDescription::new(Firmware::Pvh);
        for (base, size, e820) in [
            (0, 0x9f000, 1),
            (0x9f000, 0x1000, 2),
            (0x10_0000, 0x10_0000, 1),
            (0x20_0000, 0x10_0000, 1),
            (0x40_0000, 0, 2),
        ] {
            d.add_region(Region { base, size, e820 }).unwrap();
        }
        assert_eq!(
            d.regions(),
            [
                Region::new(0, 0x9f000, 1),
                Region::new(0x9f000, 0x1000, 2),
                Region::new(0x10_0000, 0x20_0000, 1),
            ]
        );
    }

    #[test]
    fn too_many_regions_is_an_error() {
        let mut d = BootDescription::new(Firmware::Uefi);
        for i in 0..MAX_REGIONS as u64 {
            d.add_region(Region::new(i * 0x2000, 0x1000, 1)).unwrap();
        }
        assert_eq!(
            d.add_region(Region::new(1 << 40, 1, 1)),
            Err(DescriptionError::TooManyRegions)
        );
    }

    #[test]
    fn the_command_line_is_copied_and_checked() {
        let mut d = BootDescription::new(Firmware::Bios);
        d.set_cmdline(b"kernel=cpudriver-v2 log=debug").unwrap();
        assert_eq!(d.cmdline(), "kernel=cpudriver-v2 log=debug");
        assert_eq!(
            d.set_cmdline(&[0xff]),
            Err(DescriptionError::CmdlineNotUtf8)
        );
        assert_eq!(
            d.set_cmdline(&[b'a'; CMDLINE_BYTES + 1]),
            Err(DescriptionError::CmdlineTooLong)
        );
        assert_eq!(d.cmdline(), "kernel=cpudriver-v2 log=debug");
    }
}
