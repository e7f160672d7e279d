//! Reading the PVH `hvm_start_info` QEMU leaves for the loader: the memory
//! map, the modules (the boot archive), the command line and the RSDP,
//! into the boot description both entries fill.
//!
//! Everything is copied out or bounds-checked here, so the rest of the
//! loader works on plain values. Addresses are physical, and the loader runs
//! identity-mapped over the low 4 GiB, where QEMU puts all of it.

use bootinfo::{BootDescription, Firmware, Region, Rsdp};
use bootproto::PhysRange;

const START_INFO_MAGIC: u32 = 0x336e_c578;

/// `struct hvm_start_info` (version 1).
#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

/// `struct hvm_modlist_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

/// `struct hvm_memmap_table_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct E820Entry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// Why the start info was refused.
#[derive(Debug)]
pub enum PvhError {
    /// The magic number is wrong: not started through PVH.
    BadMagic,
    /// Version 0 has no memory map, which the loader needs.
    NoMemoryMap,
    /// A table lies beyond the identity-mapped 4 GiB.
    OutOfReach,
    /// The command line is not UTF-8.
    BadCmdline,
    /// The boot description cannot hold the map or the command line.
    Description(bootinfo::DescriptionError),
}

impl core::fmt::Display for PvhError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadMagic => "no PVH start info (bad magic)",
            Self::NoMemoryMap => "PVH start info version 0 has no memory map",
            Self::OutOfReach => "PVH tables above 4 GiB",
            Self::BadCmdline => "command line is not UTF-8",
            Self::Description(bootinfo::DescriptionError::TooManyRegions) => {
                "the memory map has too many regions"
            }
            Self::Description(_) => "command line too long",
        })
    }
}

fn reachable(addr: u64, len: u64) -> Result<(), PvhError> {
    if crate::entry::identity_mapped(addr, len) {
        Ok(())
    } else {
        Err(PvhError::OutOfReach)
    }
}

/// Reads the start info at physical address `phys`.
pub fn read(phys: u32) -> Result<BootDescription, PvhError> {
    reachable(u64::from(phys), size_of::<StartInfo>() as u64)?;
    // SAFETY: PVH passes the start info's address in ebx; it is below 4 GiB
    // (checked), so identity-mapped, and `StartInfo` is plain integers.
    let start = unsafe { (phys as usize as *const StartInfo).read_unaligned() };
    if start.magic != START_INFO_MAGIC {
        return Err(PvhError::BadMagic);
    }
    if start.version < 1 || start.memmap_paddr == 0 {
        return Err(PvhError::NoMemoryMap);
    }

    let mut description = BootDescription::new(Firmware::Pvh);
    // Every entry is read; more regions than the description holds (after
    // merging neighbours) is an error, never a shortened map.
    let count = u64::from(start.memmap_entries);
    reachable(
        start.memmap_paddr,
        count.saturating_mul(size_of::<E820Entry>() as u64),
    )?;
    for i in 0..count as usize {
        // SAFETY: the table is in reach (checked above) and has `count`
        // entries of plain integers.
        let entry = unsafe {
            (start.memmap_paddr as usize as *const E820Entry)
                .add(i)
                .read_unaligned()
        };
        description
            .add_region(Region::new(entry.addr, entry.size, entry.kind))
            .map_err(PvhError::Description)?;
    }

    description.archive = if start.nr_modules > 0 && start.modlist_paddr != 0 {
        reachable(start.modlist_paddr, size_of::<ModlistEntry>() as u64)?;
        // SAFETY: the module list is in reach and has at least one entry.
        let first =
            unsafe { (start.modlist_paddr as usize as *const ModlistEntry).read_unaligned() };
        reachable(first.paddr, first.size)?;
        Some(PhysRange::new(first.paddr, first.size))
    } else {
        None
    };

    if start.cmdline_paddr != 0 {
        description
            .set_cmdline(c_string(start.cmdline_paddr)?.as_bytes())
            .map_err(PvhError::Description)?;
    }
    description.rsdp = match start.rsdp_paddr {
        0 => Rsdp::Unknown,
        at => Rsdp::At(at),
    };
    Ok(description)
}

/// The NUL-terminated string at `phys` (at most 4 KiB).
fn c_string(phys: u64) -> Result<&'static str, PvhError> {
    const MAX: u64 = 4096;
    reachable(phys, MAX)?;
    // SAFETY: the 4 KiB from `phys` are in reach; QEMU's command line lives
    // in memory the loader never writes.
    let bytes = unsafe { core::slice::from_raw_parts(phys as usize as *const u8, MAX as usize) };
    let len = bytes
        .iter()
        .position(|&b| b == 0)
        .ok_or(PvhError::BadCmdline)?;
    core::str::from_utf8(&bytes[..len]).map_err(|_| PvhError::BadCmdline)
}
