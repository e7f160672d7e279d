//! Physical frame allocator for Corefish's boot stages and CPU drivers.
//!
//! The allocator owns a set of *managed* regions (the RAM it was given) and
//! keeps the *free* part of them as a sorted list of disjoint, coalesced
//! ranges, both in fixed-size arrays: it needs no heap, so it works before
//! any exists. Everything is in units of 4 KiB frames.
//!
//! Policy is deliberately simple and deterministic: allocation is first fit
//! from the lowest address (optionally below a limit), so a caller and a
//! test model can both predict where memory comes from. Freeing checks that
//! the range lies inside managed memory and that no part of it is already
//! free, which catches double frees and frees of foreign memory.
//!
//! Memory leaves the kernel's hands as RAM capabilities at boot; this
//! allocator serves only the CPU driver's per-boot scratch (page tables,
//! the first objects) and the loader's placement of kernel images.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

mod range;
mod ranges;

pub use range::PhysRange;
pub use ranges::RangeSet;

/// Size of one frame.
pub const FRAME_SIZE: u64 = 4096;

/// Why an allocator request was refused. A refused request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The size is zero.
    ZeroSize,
    /// A base or size is not a multiple of [`FRAME_SIZE`], or an alignment
    /// is not a power of two of at least [`FRAME_SIZE`].
    Misaligned,
    /// `base + size` overflows the physical address space.
    Overflow,
    /// No free range can satisfy the request.
    OutOfMemory,
    /// The range is not entirely inside memory given to the allocator.
    NotManaged,
    /// Part of the range is already free (a double free).
    AlreadyFree,
    /// Part of the range is not free (reserve of memory in use).
    NotFree,
    /// The range overlaps memory already given to the allocator.
    AlreadyManaged,
    /// The fixed-size range table is full.
    TooFragmented,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::ZeroSize => "zero-sized request",
            Self::Misaligned => "address, size or alignment not frame-aligned",
            Self::Overflow => "range overflows the address space",
            Self::OutOfMemory => "out of physical memory",
            Self::NotManaged => "range is not memory the allocator manages",
            Self::AlreadyFree => "range is already (partly) free",
            Self::NotFree => "range is (partly) in use",
            Self::AlreadyManaged => "range overlaps memory the allocator already manages",
            Self::TooFragmented => "too many separate ranges",
        })
    }
}

/// A physical frame allocator with room for `N` separate ranges.
#[derive(Debug, Clone)]
pub struct FrameAllocator<const N: usize> {
    managed: RangeSet<N>,
    free: RangeSet<N>,
}

impl<const N: usize> Default for FrameAllocator<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameAllocator<N> {
    /// An allocator that manages nothing yet.
    pub const fn new() -> Self {
        Self {
            managed: RangeSet::new(),
            free: RangeSet::new(),
        }
    }

    /// Gives the allocator a region of free RAM.
    pub fn add_region(&mut self, range: PhysRange) -> Result<(), FrameError> {
        check_frames(range)?;
        if self.managed.overlaps(range) {
            return Err(FrameError::AlreadyManaged);
        }
        // Both sets gain the same range; check room in both before touching either.
        if !self.managed.can_insert(range) || !self.free.can_insert(range) {
            return Err(FrameError::TooFragmented);
        }
        self.managed.insert(range)?;
        self.free.insert(range)
    }

    /// Allocates `size` bytes aligned to `align`, first fit from the lowest
    /// address.
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64, FrameError> {
        self.alloc_below(size, align, u64::MAX)
    }

    /// Allocates `size` bytes aligned to `align`, ending at or below `limit`,
    /// first fit from the lowest address.
    pub fn alloc_below(&mut self, size: u64, align: u64, limit: u64) -> Result<u64, FrameError> {
        if size == 0 {
            return Err(FrameError::ZeroSize);
        }
        if !size.is_multiple_of(FRAME_SIZE) || !align.is_power_of_two() || align < FRAME_SIZE {
            return Err(FrameError::Misaligned);
        }
        let base = self
            .free
            .iter()
            .find_map(|r| {
                let base = r.base.checked_next_multiple_of(align)?;
                let end = base.checked_add(size)?;
                (end <= r.end() && end <= limit).then_some(base)
            })
            .ok_or(FrameError::OutOfMemory)?;
        self.free.remove(PhysRange::new(base, size))?;
        Ok(base)
    }

    /// Returns `range` to the allocator. It must lie inside managed memory
    /// and no part of it may be free already.
    pub fn free(&mut self, range: PhysRange) -> Result<(), FrameError> {
        check_frames(range)?;
        if !self.managed.contains(range) {
            return Err(FrameError::NotManaged);
        }
        if self.free.overlaps(range) {
            return Err(FrameError::AlreadyFree);
        }
        self.free.insert(range)
    }

    /// Takes a specific range out of the free memory (for memory someone
    /// already uses). All of it must be free.
    pub fn reserve(&mut self, range: PhysRange) -> Result<(), FrameError> {
        check_frames(range)?;
        if !self.free.contains(range) {
            return Err(if self.managed.contains(range) {
                FrameError::NotFree
            } else {
                FrameError::NotManaged
            });
        }
        self.free.remove(range)
    }

    /// Bytes currently free.
    pub fn free_bytes(&self) -> u64 {
        self.free.iter().map(|r| r.size).sum()
    }

    /// Bytes given to the allocator.
    pub fn managed_bytes(&self) -> u64 {
        self.managed.iter().map(|r| r.size).sum()
    }

    /// The free ranges, lowest first.
    pub fn free_ranges(&self) -> impl Iterator<Item = PhysRange> + '_ {
        self.free.iter()
    }
}

fn check_frames(range: PhysRange) -> Result<(), FrameError> {
    if range.size == 0 {
        return Err(FrameError::ZeroSize);
    }
    if !range.base.is_multiple_of(FRAME_SIZE) || !range.size.is_multiple_of(FRAME_SIZE) {
        return Err(FrameError::Misaligned);
    }
    range
        .base
        .checked_add(range.size)
        .map(|_| ())
        .ok_or(FrameError::Overflow)
}
