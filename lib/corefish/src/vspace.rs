//! The program's own mappings, in the part of its address space that
//! starts at `abi::layout::HEAP_BASE` (top-level entry 1). The program
//! builds the page tables there itself, from its top-level table and its
//! RAM: the first GiB is the heap (growing up), the next seven GiB take
//! other mappings (frames shared with others, images being loaded).

use abi::cspace::{CPtr, task};
use abi::error::SysError;
use abi::layout::HEAP_BASE;
use arrayvec::ArrayVec;
use caps::ObjType;
use spin::Mutex;

use crate::cap::{Cap, kind};
use crate::{ram, slots};

const GIB: u64 = 1 << 30;
/// Gigabytes of the region this module manages.
const REGION_GIBS: usize = 8;
/// Where general mappings start (after the heap's gigabyte).
const MAP_BASE: u64 = HEAP_BASE + GIB;
const PAGE: u64 = 4096;

struct Tables {
    pdpt: u32,
    pds: [u32; REGION_GIBS],
    pts: [[u32; 512]; REGION_GIBS],
    next_map: u64,
}

/// Capability addresses are stored plus one (0: none yet).
static TABLES: Mutex<Tables> = Mutex::new(Tables {
    pdpt: 0,
    pds: [0; REGION_GIBS],
    pts: [[0; 512]; REGION_GIBS],
    next_map: MAP_BASE,
});

/// A mapping made by this module; [`unmap`] removes it.
#[derive(Debug)]
pub struct Mapping {
    /// First address.
    pub vaddr: u64,
    /// Length in bytes.
    pub bytes: u64,
    records: ArrayVec<CPtr, 64>,
}

impl Mapping {
    /// The mapped memory, read-only.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `vaddr..vaddr + bytes` was mapped (at least readable) and
        // stays mapped while `self` lives.
        unsafe { core::slice::from_raw_parts(self.vaddr as *const u8, self.bytes as usize) }
    }

    /// The mapped memory as bytes (the mapping must be writable).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `vaddr..vaddr + bytes` was mapped (writable, by
        // `map_writable`) and stays mapped while `self` lives; this handle is
        // the only way this program reaches it, and `&mut self` makes the
        // slice exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.vaddr as *mut u8, self.bytes as usize) }
    }
}

/// Makes a page table of `ty` and installs it at entry `index` of `parent`.
fn new_table(ty: ObjType, parent: CPtr, index: u64) -> Result<u32, SysError> {
    let table = ram::alloc(ty, caps::VNODE_SIZE)?;
    let record = slots::alloc()?;
    Cap::<kind::VNode>::at(parent).map(table, index, 1, 0, 0, record)?;
    Ok(table.0 + 1)
}

/// The page table covering `vaddr`, made if needed.
fn table_for(t: &mut Tables, vaddr: u64) -> Result<CPtr, SysError> {
    let gib = ((vaddr - HEAP_BASE) / GIB) as usize;
    if vaddr < HEAP_BASE || gib >= REGION_GIBS {
        return Err(SysError::BadArgument);
    }
    if t.pdpt == 0 {
        t.pdpt = new_table(
            ObjType::VNodePdpt,
            task::VSPACE_ROOT,
            (HEAP_BASE >> 39) & 511,
        )?;
    }
    if t.pds[gib] == 0 {
        t.pds[gib] = new_table(ObjType::VNodePd, CPtr(t.pdpt - 1), (vaddr >> 30) & 511)?;
    }
    let pd_index = ((vaddr >> 21) & 511) as usize;
    if t.pts[gib][pd_index] == 0 {
        t.pts[gib][pd_index] = new_table(ObjType::VNodePt, CPtr(t.pds[gib] - 1), pd_index as u64)?;
    }
    Ok(CPtr(t.pts[gib][pd_index] - 1))
}

/// Maps `bytes` of `frame` (from its start) at `vaddr` with `flags`
/// (`abi::invoke::MAP_*`).
pub fn map_at(vaddr: u64, frame: CPtr, bytes: u64, flags: u64) -> Result<Mapping, SysError> {
    if !vaddr.is_multiple_of(PAGE) || bytes == 0 {
        return Err(SysError::Misaligned);
    }
    let pages = bytes.div_ceil(PAGE);
    let mut mapping = Mapping {
        vaddr,
        bytes: pages * PAGE,
        records: ArrayVec::new(),
    };
    let mut t = TABLES.lock();
    let mut done = 0;
    while done < pages {
        let at = vaddr + done * PAGE;
        let index = (at >> 12) & 511;
        let count = (512 - index).min(pages - done);
        let table = table_for(&mut t, at)?;
        let record = slots::alloc()?;
        let mapped = Cap::<kind::VNode>::at(table).map(frame, index, count, done, flags, record);
        if let Err(e) = mapped.and_then(|()| {
            mapping
                .records
                .try_push(record)
                .map_err(|_| SysError::BadArgument)
        }) {
            drop(t);
            unmap(mapping);
            return Err(e);
        }
        done += count;
    }
    Ok(mapping)
}

/// Maps `bytes` of `frame` at a free address of the general region.
pub fn map(frame: CPtr, bytes: u64, flags: u64) -> Result<Mapping, SysError> {
    let vaddr = {
        let mut t = TABLES.lock();
        let vaddr = t.next_map;
        let end = vaddr + bytes.next_multiple_of(PAGE);
        if end > HEAP_BASE + REGION_GIBS as u64 * GIB {
            return Err(SysError::OutOfBounds);
        }
        t.next_map = end;
        vaddr
    };
    map_at(vaddr, frame, bytes, flags)
}

/// Maps a writable frame of `bytes` made from the program's RAM.
pub fn map_writable(bytes: u64) -> Result<(CPtr, Mapping), SysError> {
    let frame = ram::alloc(ObjType::Frame, bytes.next_multiple_of(PAGE))?;
    let mapping = map(frame, bytes, abi::invoke::MAP_WRITE)?;
    Ok((frame, mapping))
}

/// Removes a mapping (the address range is not reused).
pub fn unmap(mapping: Mapping) {
    for record in mapping.records {
        let _ = Cap::<kind::Any>::at(record).delete();
        slots::free(record);
    }
}
