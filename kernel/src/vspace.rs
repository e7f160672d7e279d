//! Address spaces made of VNode objects: installing frames and page tables
//! in page tables (recording each installation as a Mapping capability),
//! removing them again, and switching to a dispatcher's address space.
//!
//! A VNode object is 8 KiB: the 4 KiB page table the MMU walks, then 512
//! back-references, one per entry, to the Mapping capability that
//! installed it. With them, destroying a page table removes the records of
//! everything mapped in it, so no Mapping capability ever outlives the
//! table it points into.
//!
//! A Mapping capability has the mapped object's base and size (so it sorts
//! right after that object in the mapping database and dies with it), and
//! records the page table and first entry in `word`, and the page offset
//! into the object and the number of entries in `extra`
//! (`offset_pages << 10 | count`).
//!
//! The upper half of every top-level table is the kernel's direct map. It
//! is copied from the running kernel's own table whenever an address space
//! is activated and differs, so an OSNode's address spaces keep working
//! under any kernel that runs it later.

use abi::error::SysError;
use abi::invoke::{MAP_EXECUTE, MAP_NOCACHE, MAP_WRITE};
use caps::{Capability, CteAddr, ObjType, Rights};
use cpu::paging::{
    ADDR_MASK, CACHE_DISABLE, NO_EXECUTE, PAGE_SIZE, PRESENT, USER, WRITABLE, WRITE_THROUGH,
};

use crate::arch::objects::KernelMemory;
use crate::arch::paging::KERNEL_HALF;

/// Entries per page table.
pub const ENTRIES: u64 = 512;
/// Bytes of a VNode object: the table and its back-references.
pub const VNODE_OBJECT_SIZE: u64 = caps::VNODE_SIZE;
const _: () = assert!(VNODE_OBJECT_SIZE == 8192);
/// Offset of the back-reference array in a VNode object.
const BACKREFS: u64 = 4096;

/// The page-table level a VNode type is (4 = PML4 ... 1 = page table).
pub fn level(ty: ObjType) -> Option<u32> {
    match ty {
        ObjType::VNodePml4 => Some(4),
        ObjType::VNodePdpt => Some(3),
        ObjType::VNodePd => Some(2),
        ObjType::VNodePt => Some(1),
        _ => None,
    }
}

/// Where and how to install something: the checked arguments of MAP.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// The page table (a VNode capability).
    pub table: Capability,
    /// First entry.
    pub index: u64,
    /// Number of entries.
    pub count: u64,
    /// Offset into the child in pages (frames only).
    pub offset_pages: u64,
    /// MAP_WRITE / MAP_EXECUTE / MAP_NOCACHE.
    pub flags: u64,
}

/// Checks a MAP request of `child` into `request.table` and returns the
/// Mapping capability to record it and the entry value of its first entry
/// (each following entry maps the next page).
pub fn plan(
    mem: &mut KernelMemory,
    request: &Request,
    child: &Capability,
) -> Result<(Capability, u64, u64), SysError> {
    let table_level = level(request.table.obj_type()).ok_or(SysError::WrongType)?;
    if request.count == 0 || request.index >= ENTRIES || request.index + request.count > ENTRIES {
        return Err(SysError::BadArgument);
    }
    if table_level == 4 && request.index + request.count > KERNEL_HALF as u64 {
        return Err(SysError::BadArgument);
    }
    if request.flags & !(MAP_WRITE | MAP_EXECUTE | MAP_NOCACHE) != 0 {
        return Err(SysError::BadArgument);
    }
    // The record keeps the page offset in 22 bits.
    if request.offset_pages >= 1 << 22 {
        return Err(SysError::OutOfBounds);
    }
    let rights = child.rights();
    let (first_entry, step) = match child.obj_type() {
        ObjType::Frame | ObjType::DevFrame => {
            if table_level != 1 {
                return Err(SysError::WrongType);
            }
            if !rights.contains(Rights::READ)
                || (request.flags & MAP_WRITE != 0 && !rights.contains(Rights::WRITE))
                || (request.flags & MAP_EXECUTE != 0 && !rights.contains(Rights::EXECUTE))
            {
                return Err(SysError::InsufficientRights);
            }
            let end = request
                .offset_pages
                .checked_add(request.count)
                .ok_or(SysError::OutOfBounds)?;
            if end
                .checked_mul(PAGE_SIZE)
                .is_none_or(|bytes| bytes > child.size)
            {
                return Err(SysError::OutOfBounds);
            }
            let mut bits = PRESENT | USER;
            if request.flags & MAP_WRITE != 0 {
                bits |= WRITABLE;
            }
            if request.flags & MAP_EXECUTE == 0 && crate::arch::features::has_nx() {
                bits |= NO_EXECUTE;
            }
            if request.flags & MAP_NOCACHE != 0 || child.obj_type() == ObjType::DevFrame {
                bits |= CACHE_DISABLE | WRITE_THROUGH;
            }
            (
                (child.base + request.offset_pages * PAGE_SIZE) | bits,
                PAGE_SIZE,
            )
        }
        other => {
            let child_level = level(other).ok_or(SysError::WrongType)?;
            if child_level + 1 != table_level || request.count != 1 || request.offset_pages != 0 {
                return Err(SysError::WrongType);
            }
            (child.base | PRESENT | WRITABLE | USER, 0)
        }
    };
    let table = request.table.base;
    let entries = mem.table(table);
    let range = request.index as usize..(request.index + request.count) as usize;
    if entries[range].iter().any(|&e| e & PRESENT != 0) {
        return Err(SysError::AlreadyMapped);
    }
    let record = Capability {
        raw_type: ObjType::Mapping as u8,
        rights: Rights::ALL.bits(),
        flags: 0,
        reserved: 0,
        extra: ((request.offset_pages << 10) | request.count) as u32,
        base: child.base,
        size: child.size,
        word: table | request.index,
    };
    Ok((record, first_entry, step))
}

/// Writes the entries of a planned mapping and their back-references to
/// the Mapping capability at `record_at`.
pub fn install(
    mem: &mut KernelMemory,
    record: &Capability,
    record_at: CteAddr,
    first_entry: u64,
    step: u64,
) {
    let table = record.word & ADDR_MASK;
    let index = (record.word & 0xfff) as usize;
    let count = (record.extra & 0x3ff) as usize;
    for i in 0..count {
        mem.table(table)[index + i] = first_entry + i as u64 * step;
        mem.table(table + BACKREFS)[index + i] = record_at;
    }
}

/// Clears the entries a Mapping capability records, and flushes the TLB.
pub fn uninstall(mem: &mut KernelMemory, record: &Capability) {
    let table = record.word & ADDR_MASK;
    let index = (record.word & 0xfff) as usize;
    let count = (record.extra & 0x3ff) as usize;
    for i in index..(index + count).min(ENTRIES as usize) {
        mem.table(table)[i] = 0;
        mem.table(table + BACKREFS)[i] = 0;
    }
    // Which address spaces use this table is not known here: flush all of
    // this core's non-global translations.
    crate::arch::paging::flush_tlb();
}

/// The Mapping capabilities recorded in a page table (for destroying it).
pub fn records_in(
    mem: &mut KernelMemory,
    table: u64,
    out: &mut [CteAddr; ENTRIES as usize],
) -> usize {
    let mut n = 0;
    let backrefs = *mem.table(table + BACKREFS);
    for record in backrefs {
        if record != 0 && !out[..n].contains(&record) {
            out[n] = record;
            n += 1;
        }
    }
    n
}

/// Prepares a fresh top-level table (its kernel half).
pub fn init_pml4(mem: &mut KernelMemory, pml4: u64) {
    crate::arch::paging::share_kernel_half(mem, pml4);
}
