//! Reading a multiboot2 boot information structure (the "MBI" GRUB passes
//! in `ebx`) into a [`BootDescription`].
//!
//! The MBI is a header (total size, reserved) and a sequence of tags, each
//! a type, a size and a payload, 8-byte aligned, ending with a tag of type
//! 0. The tags read here: the command line (1), modules (3; the first is
//! the boot archive), the memory map (6), the framebuffer (8), the ACPI 1
//! and 2 RSDPs (14, 15), the EFI 32- and 64-bit system tables (11, 12:
//! started from UEFI), the EFI memory map (17, preferred to 6 when both are
//! there) and "boot services not exited" (18, which Corefish refuses: it
//! asks GRUB to exit them). Unknown tags are skipped.

use bootproto::PhysRange;
use screen::{Channel, Framebuffer};

use crate::{BootDescription, DescriptionError, Firmware, NoScreen, RSDP_BYTES, Region, Rsdp};

/// What GRUB leaves in `eax` when it enters a multiboot2 image.
pub const BOOTLOADER_MAGIC: u32 = 0x36d7_6289;
/// Smallest possible MBI: the header and the end tag.
pub const MIN_SIZE: usize = 16;
/// Largest MBI accepted.
pub const MAX_SIZE: usize = 1 << 20;

/// Tag type: the end tag.
pub const TAG_END: u32 = 0;
/// Tag type: the command line.
pub const TAG_CMDLINE: u32 = 1;
/// Tag type: a module.
pub const TAG_MODULE: u32 = 3;
/// Tag type: the memory map (E820 types).
pub const TAG_MMAP: u32 = 6;
/// Tag type: the framebuffer.
pub const TAG_FRAMEBUFFER: u32 = 8;
/// Tag type: the 32-bit EFI system table.
pub const TAG_EFI32: u32 = 11;
/// Tag type: the 64-bit EFI system table.
pub const TAG_EFI64: u32 = 12;
/// Tag type: a copy of the ACPI 1 RSDP.
pub const TAG_ACPI_OLD: u32 = 14;
/// Tag type: a copy of the ACPI 2 RSDP.
pub const TAG_ACPI_NEW: u32 = 15;
/// Tag type: the EFI memory map.
pub const TAG_EFI_MMAP: u32 = 17;
/// Tag type: EFI boot services not exited.
pub const TAG_EFI_BS: u32 = 18;

/// Why a boot information structure was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multiboot2Error {
    /// The loader was entered with another magic number in `eax`.
    BadMagic(u32),
    /// The total size is smaller than a header and an end tag, larger than
    /// 1 MiB or larger than the bytes given.
    BadSize(u32),
    /// A tag's size is below 8 or runs past the end (offset in the MBI).
    BadTag(usize),
    /// The tags end without an end tag.
    NoEndTag,
    /// Neither a memory map nor an EFI memory map.
    NoMemoryMap,
    /// A memory map whose entries are shorter than the format's.
    BadMemoryMap,
    /// A module ending before it starts.
    BadModule,
    /// The command line is not NUL-terminated.
    BadCmdline,
    /// No ACPI RSDP tag: the loader will not search BIOS memory for it.
    NoRsdp,
    /// The RSDP's signature or checksum is wrong.
    BadRsdp,
    /// The firmware's boot services are still running.
    BootServicesRunning,
    /// The description could not hold what the tags say.
    Description(DescriptionError),
}

impl core::fmt::Display for Multiboot2Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadMagic(m) => write!(f, "entered with {m:#x} in eax, not the multiboot2 magic"),
            Self::BadSize(s) => write!(f, "multiboot2 information of {s} bytes"),
            Self::BadTag(at) => write!(f, "multiboot2 tag at offset {at} has a bad size"),
            Self::NoEndTag => f.write_str("multiboot2 information has no end tag"),
            Self::NoMemoryMap => f.write_str("multiboot2 information has no memory map tag"),
            Self::BadMemoryMap => f.write_str("multiboot2 memory map entries are too short"),
            Self::BadModule => f.write_str("multiboot2 module ends before it starts"),
            Self::BadCmdline => f.write_str("multiboot2 command line is not NUL-terminated"),
            Self::NoRsdp => {
                f.write_str("no ACPI RSDP tag (the firmware has no ACPI, which Corefish needs)")
            }
            Self::BadRsdp => f.write_str("the ACPI RSDP tag has a bad signature or checksum"),
            Self::BootServicesRunning => f.write_str("UEFI boot services were not exited"),
            Self::Description(DescriptionError::TooManyRegions) => {
                f.write_str("the memory map has too many regions")
            }
            Self::Description(DescriptionError::CmdlineTooLong) => {
                f.write_str("command line too long")
            }
            Self::Description(DescriptionError::CmdlineNotUtf8) => {
                f.write_str("command line is not UTF-8")
            }
        }
    }
}

impl From<DescriptionError> for Multiboot2Error {
    fn from(e: DescriptionError) -> Self {
        Self::Description(e)
    }
}

/// The total size an MBI's first 8 bytes announce.
pub fn total_size(header: [u8; 8]) -> u32 {
    u32::from_le_bytes([header[0], header[1], header[2], header[3]])
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// A boot information refused, and the framebuffer it described if the
/// reading got as far as checking it against the memory map (the loader
/// still shows its reason there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Why.
    pub error: Multiboot2Error,
    /// A usable framebuffer, checked against the memory map before the
    /// error.
    pub screen: Option<Framebuffer>,
}

/// Reads the MBI in `mbi` (its announced total size must fit in it).
pub fn parse(mbi: &[u8]) -> Result<BootDescription, Refused> {
    let mut d = BootDescription::new(Firmware::Bios);
    match fill(&mut d, mbi) {
        Ok(()) => Ok(d),
        Err(error) => Err(Refused {
            error,
            screen: d.checked_framebuffer(),
        }),
    }
}

fn fill(d: &mut BootDescription, mbi: &[u8]) -> Result<(), Multiboot2Error> {
    let total = u32_at(mbi, 0).ok_or(Multiboot2Error::BadSize(mbi.len() as u32))?;
    let size = total as usize;
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) || size > mbi.len() {
        return Err(Multiboot2Error::BadSize(total));
    }
    let mbi = &mbi[..size];
    let (mut mmap, mut efi_mmap, mut acpi_old, mut acpi_new) = (None, None, None, None);
    let mut at = 8;
    loop {
        let (Some(kind), Some(len)) = (u32_at(mbi, at), u32_at(mbi, at + 4)) else {
            return Err(Multiboot2Error::NoEndTag);
        };
        let len = len as usize;
        let payload = mbi
            .get(at + 8..at.saturating_add(len))
            .filter(|_| len >= 8)
            .ok_or(Multiboot2Error::BadTag(at))?;
        match kind {
            TAG_END => break,
            TAG_CMDLINE => {
                let end = payload
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(Multiboot2Error::BadCmdline)?;
                d.set_cmdline(&payload[..end])?;
            }
            TAG_MODULE if d.archive.is_none() => {
                let (Some(start), Some(end)) = (u32_at(payload, 0), u32_at(payload, 4)) else {
                    return Err(Multiboot2Error::BadTag(at));
                };
                let length = end.checked_sub(start).ok_or(Multiboot2Error::BadModule)?;
                d.archive = Some(PhysRange::new(u64::from(start), u64::from(length)));
            }
            TAG_MMAP => mmap = Some(payload),
            TAG_EFI_MMAP => efi_mmap = Some(payload),
            TAG_FRAMEBUFFER => d.framebuffer = Some(framebuffer(payload)),
            TAG_EFI32 | TAG_EFI64 => d.firmware = Firmware::Uefi,
            TAG_ACPI_OLD => acpi_old = Some(payload),
            TAG_ACPI_NEW => acpi_new = Some(payload),
            TAG_EFI_BS => return Err(Multiboot2Error::BootServicesRunning),
            _ => {}
        }
        at = (at + len).next_multiple_of(8);
    }
    match (efi_mmap, mmap) {
        (Some(efi), _) => {
            d.firmware = Firmware::Uefi;
            efi_memory_map(d, efi)?;
        }
        (None, Some(map)) => memory_map(d, map)?,
        (None, None) => return Err(Multiboot2Error::NoMemoryMap),
    }
    d.check_framebuffer();
    // The ACPI 2 RSDP if it is sound, else the ACPI 1 one.
    d.rsdp = match (acpi_new.map(|new| rsdp(new, RSDP_BYTES)), acpi_old) {
        (Some(Ok(new)), _) => new,
        (_, Some(old)) => rsdp(old, 20)?,
        (Some(Err(e)), None) => return Err(e),
        (None, None) => return Err(Multiboot2Error::NoRsdp),
    };
    Ok(())
}

/// The entries of a memory-map tag (6 or 17): the entry size (at least
/// `min`), a version, then the entries.
fn entries(
    payload: &[u8],
    min: usize,
) -> Result<core::slice::ChunksExact<'_, u8>, Multiboot2Error> {
    let stride = u32_at(payload, 0).ok_or(Multiboot2Error::BadMemoryMap)? as usize;
    let entries = payload.get(8..).ok_or(Multiboot2Error::BadMemoryMap)?;
    if stride < min {
        return Err(Multiboot2Error::BadMemoryMap);
    }
    Ok(entries.chunks_exact(stride))
}

/// Tag 6: entries of base, length, type.
fn memory_map(d: &mut BootDescription, payload: &[u8]) -> Result<(), Multiboot2Error> {
    for entry in entries(payload, 24)? {
        let (Some(base), Some(size), Some(e820)) =
            (u64_at(entry, 0), u64_at(entry, 8), u32_at(entry, 16))
        else {
            return Err(Multiboot2Error::BadMemoryMap);
        };
        d.add_region(Region { base, size, e820 })?;
    }
    Ok(())
}

/// Tag 17: UEFI memory descriptors (type, padding, physical start,
/// virtual start, pages, attributes).
fn efi_memory_map(d: &mut BootDescription, payload: &[u8]) -> Result<(), Multiboot2Error> {
    for desc in entries(payload, 40)? {
        let (Some(kind), Some(base), Some(pages)) =
            (u32_at(desc, 0), u64_at(desc, 8), u64_at(desc, 24))
        else {
            return Err(Multiboot2Error::BadMemoryMap);
        };
        let size = pages
            .checked_mul(4096)
            .ok_or(Multiboot2Error::BadMemoryMap)?;
        d.add_region(Region {
            base,
            size,
            e820: crate::efi::e820_type(kind),
        })?;
    }
    Ok(())
}

/// Tag 8: address, pitch, width, height, bpp, type, reserved, and for
/// direct colour the three channels' positions and sizes.
fn framebuffer(payload: &[u8]) -> Result<Framebuffer, NoScreen> {
    let (Some(phys), Some(pitch), Some(width), Some(height)) = (
        u64_at(payload, 0),
        u32_at(payload, 8),
        u32_at(payload, 12),
        u32_at(payload, 16),
    ) else {
        return Err(NoScreen::ShortTag);
    };
    let (Some(&bpp), Some(&kind)) = (payload.get(20), payload.get(21)) else {
        return Err(NoScreen::ShortTag);
    };
    match kind {
        0 => return Err(NoScreen::Indexed),
        1 => {}
        _ => return Err(NoScreen::Text),
    }
    let colours = payload.get(24..30).ok_or(NoScreen::ShortTag)?;
    let channel = |i: usize| Channel {
        position: colours[i],
        size: colours[i + 1],
    };
    let fb = Framebuffer::new(
        phys,
        pitch,
        width,
        height,
        bpp,
        channel(0),
        channel(2),
        channel(4),
    );
    fb.geometry().map_err(NoScreen::Geometry)?;
    if phys
        .checked_add(fb.size())
        .is_none_or(|end| end > bootproto::layout::DIRECT_MAP_MIN_TOP)
    {
        return Err(NoScreen::Unreachable);
    }
    Ok(fb)
}

/// Tags 14 and 15: a copy of the RSDP, checked.
fn rsdp(payload: &[u8], len: usize) -> Result<Rsdp, Multiboot2Error> {
    let copy = payload.get(..len).ok_or(Multiboot2Error::BadRsdp)?;
    let sum = |bytes: &[u8]| bytes.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    if &copy[..8] != b"RSD PTR " || sum(&copy[..20]) != 0 || (len > 20 && sum(copy) != 0) {
        return Err(Multiboot2Error::BadRsdp);
    }
    let mut bytes = [0; RSDP_BYTES];
    bytes[..len].copy_from_slice(copy);
    Ok(Rsdp::Copy { bytes, len })
}

#[cfg(test)]
#[path = "multiboot2_tests.rs"]
mod tests;
