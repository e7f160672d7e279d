//! This kernel's own physical memory: the RAM regions of its boot memory
//! map, in a frame allocator.
//!
//! The CPU driver takes from it only per-boot scratch (its page tables, the
//! first core's system page and the first OSNode's boot region); the first
//! core's kernel hands all remaining RAM to the first user program as RAM
//! capabilities (docs/design.md, rule 6).

use bootproto::layout::DIRECT_MAP_MIN_TOP;
use bootproto::memmap::{MemoryKind, MemoryMap};
use frames::{FRAME_SIZE, FrameAllocator, FrameError};
use spin::Mutex;

/// Most separate free ranges tracked.
const MAX_RANGES: usize = 64;

static FRAMES: Mutex<FrameAllocator<MAX_RANGES>> = Mutex::new(FrameAllocator::new());

/// Gives the allocator every RAM region of `map` (whole frames only).
pub fn init<const N: usize>(map: &MemoryMap<N>) -> Result<(), FrameError> {
    let mut frames = FRAMES.lock();
    for range in map.ranges_of(MemoryKind::Ram) {
        if let Some(aligned) = range.align_in(FRAME_SIZE) {
            frames.add_region(aligned)?;
        }
    }
    Ok(())
}

/// One frame below 4 GiB (reachable through any starter's early tables).
pub fn alloc_low_frame() -> Option<u64> {
    FRAMES
        .lock()
        .alloc_below(FRAME_SIZE, FRAME_SIZE, DIRECT_MAP_MIN_TOP)
        .ok()
}

/// Bytes of free RAM left.
pub fn free_bytes() -> u64 {
    FRAMES.lock().free_bytes()
}

/// A contiguous region of `size` bytes aligned to `align` (for the first
/// OSNode's objects).
pub fn alloc_region(size: u64, align: u64) -> Option<u64> {
    FRAMES
        .lock()
        .alloc(size.next_multiple_of(FRAME_SIZE), align)
        .ok()
}

static GIVEN_TO_INIT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Takes every free range out of the allocator (they become init's RAM
/// capabilities: docs/design.md, rule 6; the kernel keeps no memory to allocate
/// on anyone's behalf).
pub fn take_all_free() -> impl Iterator<Item = frames::PhysRange> {
    let mut frames = FRAMES.lock();
    let ranges: arrayvec::ArrayVec<frames::PhysRange, MAX_RANGES> = frames.free_ranges().collect();
    for range in &ranges {
        // Each range is free, so reserving it cannot fail.
        let _ = frames.reserve(*range);
        GIVEN_TO_INIT.fetch_add(range.size, core::sync::atomic::Ordering::Relaxed);
    }
    ranges.into_iter()
}

/// Bytes of RAM handed to init.
pub fn given_to_init() -> u64 {
    GIVEN_TO_INIT.load(core::sync::atomic::Ordering::Relaxed)
}
