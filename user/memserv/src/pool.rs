//! The machine's RAM as the memory server holds it: the regions init gave
//! it, each with its free part (a host-tested `frames::FrameAllocator`, one
//! per region, since a capability is carved from one region's capability).
//! What the server hands out is an original RAM capability carved from a
//! region; once that capability and everything made of it are gone, its
//! range is free again.

use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, SlotRef, root};
use corefish::cap::{Cap, kind};
use corefish::{ObjType, SysError, slots};
use frames::{FrameAllocator, PhysRange};

/// First task slot holding a RAM capability from init.
pub const FIRST_RAM_SLOT: u32 = 32;
/// Last task slot holding a RAM capability from init.
pub const LAST_RAM_SLOT: u32 = 95;
/// Separate free ranges a region keeps track of.
const RANGES: usize = 128;

/// One RAM capability from init and its free part.
struct Region {
    cap: Cap<kind::Ram>,
    range: PhysRange,
    free: FrameAllocator<RANGES>,
}

/// All of the server's RAM.
pub struct Pool {
    regions: Vec<Region>,
}

impl Pool {
    /// The RAM init left in the task slots.
    pub fn from_task_slots() -> Self {
        let regions = (FIRST_RAM_SLOT..=LAST_RAM_SLOT)
            .filter_map(|i| {
                let cap = Cap::<kind::Ram>::at(CPtr::new(root::TASK, i));
                let id = cap.identify().ok()?;
                let range = PhysRange::new(id.base, id.size);
                let mut free = FrameAllocator::new();
                free.add_region(range).ok()?;
                Some(Region { cap, range, free })
            })
            .collect();
        Self { regions }
    }

    /// How many regions.
    pub fn regions(&self) -> usize {
        self.regions.len()
    }

    /// Bytes in all.
    pub fn total(&self) -> u64 {
        self.regions.iter().map(|r| r.range.size).sum()
    }

    /// Bytes not handed out.
    pub fn free(&self) -> u64 {
        self.regions.iter().map(|r| r.free.free_bytes()).sum()
    }

    /// Carves `bytes` of RAM ending at or below `limit` into a fresh slot:
    /// an original capability. Returns its slot and base.
    pub fn carve(&mut self, bytes: u64, limit: u64) -> Result<(CPtr, u64), SysError> {
        let slot = slots::alloc()?;
        for region in &mut self.regions {
            // RAM retyped into RAM must be smaller than its source.
            if bytes >= region.range.size {
                continue;
            }
            let Ok(base) = region.free.alloc_below(bytes, frames::FRAME_SIZE, limit) else {
                continue;
            };
            let offset = base - region.range.base;
            let made = region
                .cap
                .retype(ObjType::Ram, offset, bytes, 1, SlotRef::Slot(slot));
            match made {
                Ok(()) => return Ok((slot, base)),
                Err(e) => {
                    let _ = region.free.free(PhysRange::new(base, bytes));
                    slots::free(slot);
                    return Err(e);
                }
            }
        }
        slots::free(slot);
        Err(SysError::OutOfBounds)
    }

    /// Takes back `[base, base + size)`, carved before, once its capability
    /// and everything made of it are gone.
    pub fn put_back(&mut self, base: u64, size: u64) {
        let range = PhysRange::new(base, size);
        if let Some(region) = self.regions.iter_mut().find(|r| r.range.contains(range)) {
            // Refused only for a range that was never carved, or so
            // fragmented a region that it cannot be kept track of: then
            // it is lost to the server rather than handed out twice.
            if let Err(e) = region.free.free(range) {
                corefish::println!("memserv: cannot take back {base:#x}+{size:#x}: {e}");
            }
        }
    }
}
