//! The program's memory: RAM capabilities it holds (its initial RAM, what
//! the memory server sent it, or for init all of the machine's) carved into
//! objects by retype, bump-allocated from each region in turn.
//!
//! When every region is used up, more RAM is requested from the memory
//! server, if the program has an endpoint to it.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use abi::invoke;
use arrayvec::ArrayVec;
use caps::ObjType;
use spin::Mutex;

use crate::{slots, sys};

/// A RAM region the allocator carves objects from.
#[derive(Debug, Clone, Copy)]
struct Region {
    cap: CPtr,
    base: u64,
    size: u64,
    used: u64,
    /// Its slot came from the slot allocator (else it is a well-known slot,
    /// like the initial RAM's, never to be given to the allocator).
    slot_owned: bool,
    /// The capability is an original of this program's (a killed child's
    /// memory), not a copy it was given: it can revoke.
    original: bool,
}

static REGIONS: Mutex<ArrayVec<Region, 64>> = Mutex::new(ArrayVec::new_const());

/// Gives the allocator the RAM capability in the well-known slot `cap`
/// (the initial RAM, a monitor's RAM CNode).
pub fn add(cap: CPtr) -> Result<(), SysError> {
    add_region(cap, false)
}

/// Gives the allocator the RAM capability in `cap`, a slot of the slot
/// allocator's (RAM the memory server sent).
pub fn add_owned(cap: CPtr) -> Result<(), SysError> {
    add_region(cap, true)
}

fn add_region(cap: CPtr, slot_owned: bool) -> Result<(), SysError> {
    let id = crate::cap::Cap::<crate::cap::kind::Ram>::at(cap).identify()?;
    if id.ty != Some(ObjType::Ram) {
        return Err(SysError::WrongType);
    }
    push(Region {
        cap,
        base: id.base,
        size: id.size,
        used: 0,
        slot_owned,
        original: id.flags & caps::FLAG_COPY == 0,
    })
}

/// Takes back a RAM capability with no descendants left (a killed child's
/// memory, in a slot of the slot allocator's) as a fresh region.
pub fn give_back(cap: CPtr) -> Result<(), SysError> {
    add_region(cap, true)
}

/// Adds a region. Regions that are used up make room; when the table is
/// full all the same, the region with the least room left is let go (its
/// capability deleted: what was made of it lives on, its unused rest is
/// lost to this program until it ends), if it has less room than the new
/// one.
fn push(region: Region) -> Result<(), SysError> {
    let mut regions = REGIONS.lock();
    regions.retain(|r| r.used < r.size);
    if regions.is_full() {
        let fullest = regions
            .iter()
            .enumerate()
            .min_by_key(|(_, r)| r.size - r.used)
            .map(|(i, r)| (i, r.size - r.used));
        match fullest {
            Some((i, left)) if left < region.size => {
                let gone = regions.swap_remove(i);
                let _ = crate::cap::Cap::<crate::cap::kind::Ram>::at(gone.cap).delete();
                if gone.slot_owned {
                    slots::free(gone.cap);
                }
            }
            _ => return Err(SysError::BadCount),
        }
    }
    regions.try_push(region).map_err(|_| SysError::BadCount)
}

/// Bytes still free in all regions.
pub fn available() -> u64 {
    REGIONS.lock().iter().map(|r| r.size - r.used).sum()
}

/// Creates one object of `ty` and `objsize` bytes into a fresh slot.
pub fn alloc(ty: ObjType, objsize: u64) -> Result<CPtr, SysError> {
    let slot = slots::alloc()?;
    match alloc_into(ty, objsize, SlotRef::Slot(slot)) {
        Ok(()) => Ok(slot),
        Err(e) => {
            slots::free(slot);
            Err(e)
        }
    }
}

/// Creates one object of `ty` and `objsize` bytes into `dest`.
pub fn alloc_into(ty: ObjType, objsize: u64, dest: SlotRef) -> Result<(), SysError> {
    let align = if ty.is_kernel_object() {
        objsize.max(1)
    } else {
        caps::PAGE_SIZE
    };
    for attempt in 0..2 {
        let carved = {
            let mut regions = REGIONS.lock();
            regions.iter_mut().find_map(|r| {
                let start = (r.base + r.used).checked_next_multiple_of(align)?;
                let end = start.checked_add(objsize)?;
                // RAM retyped into RAM must be smaller than its source.
                let whole = ty == ObjType::Ram && objsize == r.size;
                (end <= r.base + r.size && !whole).then(|| {
                    r.used = end - r.base;
                    (r.cap, start - r.base)
                })
            })
        };
        if let Some((cap, offset)) = carved {
            sys::invoke(
                cap,
                invoke::RETYPE,
                [ty as u64 | (1 << 16), offset, objsize, dest.pack()],
            )?;
            return Ok(());
        }
        if attempt == 0 {
            crate::memserv::request_more(objsize + align)?;
        }
    }
    Err(SysError::OutOfBounds)
}

/// A RAM capability of `bytes` (for a child program, or to send to
/// another program), an original: an unused region of exactly that size
/// itself (a killed child's memory, given back, serves the next child of
/// its size: RAM cannot be retyped into RAM of its own size), or one carved
/// into a fresh slot.
pub fn alloc_ram(bytes: u64) -> Result<CPtr, SysError> {
    let bytes = bytes.next_multiple_of(caps::PAGE_SIZE);
    {
        let mut regions = REGIONS.lock();
        let whole = |r: &Region| r.used == 0 && r.size == bytes && r.original && r.slot_owned;
        if let Some(i) = regions.iter().position(whole) {
            return Ok(regions.swap_remove(i).cap);
        }
    }
    alloc(ObjType::Ram, bytes)
}
