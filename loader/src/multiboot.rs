//! The multiboot2 entry's reading: the boot information GRUB leaves at the
//! address in `ebx`, handed as bytes to `bootinfo::multiboot2`, which
//! checks every tag.

use bootinfo::BootDescription;
use bootinfo::multiboot2::{self, Multiboot2Error, Refused};

/// A refusal with no screen to show it on.
fn refused(error: Multiboot2Error) -> Refused {
    Refused {
        error,
        screen: None,
    }
}

/// Reads the boot information at physical address `phys`, if `magic` says
/// GRUB passed one.
pub fn read(magic: u32, phys: u32) -> Result<BootDescription, Refused> {
    if magic != multiboot2::BOOTLOADER_MAGIC {
        return Err(refused(Multiboot2Error::BadMagic(magic)));
    }
    let phys = u64::from(phys);
    if !phys.is_multiple_of(8) || !crate::entry::identity_mapped(phys, 8) {
        return Err(refused(Multiboot2Error::BadSize(0)));
    }
    // SAFETY: the 8 bytes at `phys` lie below 4 GiB (identity-mapped);
    // GRUB put the boot information there, memory nothing else writes.
    let header = unsafe { (phys as usize as *const [u8; 8]).read_unaligned() };
    let total = multiboot2::total_size(header);
    let size = total as usize;
    if !(multiboot2::MIN_SIZE..=multiboot2::MAX_SIZE).contains(&size)
        || !crate::entry::identity_mapped(phys, u64::from(total))
    {
        return Err(refused(Multiboot2Error::BadSize(total)));
    }
    // SAFETY: `size` bytes from `phys` lie below 4 GiB (checked), in the
    // boot information GRUB wrote; the loader does not write them while
    // this slice lives (everything needed is copied out by `parse`).
    let bytes = unsafe { core::slice::from_raw_parts(phys as usize as *const u8, size) };
    multiboot2::parse(bytes)
}
