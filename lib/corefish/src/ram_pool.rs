//! RAM held to be handed out: regions (RAM capabilities), each with its
//! free part (a host-tested `frames::FrameAllocator`, one per region, since
//! a capability is carved from one region's capability). What is handed
//! out is an original RAM capability carved from a region; once that
//! capability and everything made of it are gone, its range is free again,
//! and a region with nothing carved from it can be given up whole.
//!
//! The memory server keeps the machine's RAM this way, and every monitor
//! the chunks it gets from the memory server for its programs.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use alloc::vec::Vec;
use caps::ObjType;
use frames::{FrameAllocator, PhysRange};

use crate::cap::{Cap, kind};
use crate::slots;

/// Separate free ranges a region keeps track of.
const RANGES: usize = 128;

/// One RAM capability from init and its free part.
struct Region {
    cap: Cap<kind::Ram>,
    range: PhysRange,
    free: FrameAllocator<RANGES>,
}

/// RAM to hand out.
#[derive(Default)]
pub struct RamPool {
    regions: Vec<Region>,
}

impl RamPool {
    /// No RAM yet.
    pub const fn new() -> Self {
        Self {
            regions: Vec::new(),
        }
    }

    /// Adds the RAM capability at `cap` (which stays where it is) as a
    /// region with nothing carved from it.
    pub fn add(&mut self, cap: CPtr) -> Result<(), SysError> {
        let cap = Cap::<kind::Ram>::at(cap);
        let id = cap.identify()?;
        if id.ty != Some(ObjType::Ram) {
            return Err(SysError::WrongType);
        }
        let range = PhysRange::new(id.base, id.size);
        let mut free = FrameAllocator::new();
        free.add_region(range).map_err(|_| SysError::BadArgument)?;
        self.regions.push(Region { cap, range, free });
        Ok(())
    }

    /// Takes out a region with nothing carved from it, if there is one;
    /// returns its capability (the caller's to give back).
    pub fn take_whole(&mut self) -> Option<CPtr> {
        let i = self
            .regions
            .iter()
            .position(|r| r.free.free_bytes() == r.range.size)?;
        Some(self.regions.swap_remove(i).cap.cptr())
    }

    /// Whether some region has `bytes` in one piece (below every region's
    /// size: RAM retyped into RAM must be smaller than its source).
    pub fn fits(&self, bytes: u64) -> bool {
        self.regions.iter().any(|r| {
            bytes < r.range.size
                && r.free
                    .free_ranges()
                    .any(|f| f.size >= bytes.next_multiple_of(frames::FRAME_SIZE))
        })
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
            // it is lost to the pool rather than handed out twice.
            if let Err(e) = region.free.free(range) {
                crate::println!("RAM pool: cannot take back {base:#x}+{size:#x}: {e}");
            }
        }
    }
}
