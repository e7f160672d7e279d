//! Deciding where things go in physical memory: the memory map handed to
//! the CPU driver (the firmware's map, E820 types, with low memory, the
//! loader, the boot archive and the kernel marked), and the place of the
//! kernel image. Under UEFI too, the first MiB is used only where the map
//! says it is RAM: the trampoline that starts other cores is taken from
//! that `LowMemory`, never assumed free.

use bootproto::PhysRange;
use bootproto::layout::DIRECT_MAP_MIN_TOP;
use bootproto::memmap::{MemoryKind, MemoryMap, MemoryMapError};
use bootproto::params::MEMORY_MAP_CAPACITY;
use frames::{FRAME_SIZE, FrameAllocator, FrameError};

use bootinfo::Region;

/// The first MiB: firmware data and, later, the trampoline that starts
/// other cores.
const LOW_MEMORY: PhysRange = PhysRange::new(0, 1 << 20);

/// Why memory could not be arranged.
#[derive(Debug)]
pub enum PlacementError {
    /// The memory map has too many regions.
    Map(MemoryMapError),
    /// No room for the kernel.
    Frames(FrameError),
}

impl core::fmt::Display for PlacementError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Map(e) => write!(f, "memory map: {e:?}"),
            Self::Frames(e) => write!(f, "no memory for the kernel: {e}"),
        }
    }
}

/// The memory map the kernel will receive.
pub type BootMemoryMap = MemoryMap<MEMORY_MAP_CAPACITY>;

/// Builds the map from E820 (reserved entries win over overlapping RAM),
/// then marks low memory, the loader and the boot archive.
pub fn build_map(
    e820: &[Region],
    loader: PhysRange,
    archive: Option<PhysRange>,
) -> Result<BootMemoryMap, PlacementError> {
    let mut map = BootMemoryMap::new();
    let ram_first = e820
        .iter()
        .filter(|e| e.e820 == 1)
        .chain(e820.iter().filter(|e| e.e820 != 1));
    for entry in ram_first.filter(|e| e.size > 0) {
        map.set(
            PhysRange::new(entry.base, entry.size),
            MemoryKind::from_e820(entry.e820),
        )
        .map_err(PlacementError::Map)?;
    }
    map.reclassify(LOW_MEMORY, MemoryKind::Ram, MemoryKind::LowMemory)
        .map_err(PlacementError::Map)?;
    map.set(loader, MemoryKind::Loader)
        .map_err(PlacementError::Map)?;
    if let Some(archive) = archive.and_then(|a| a.align_out(FRAME_SIZE)) {
        map.set(archive, MemoryKind::BootArchive)
            .map_err(PlacementError::Map)?;
    }
    Ok(map)
}

/// Chooses `size` bytes of RAM below 4 GiB (the reach of every starter's
/// early page tables) for the kernel, and marks them in the map.
pub fn place_kernel(map: &mut BootMemoryMap, size: u64) -> Result<PhysRange, PlacementError> {
    let mut frames = FrameAllocator::<MEMORY_MAP_CAPACITY>::new();
    for range in map.ranges_of(MemoryKind::Ram) {
        if let Some(aligned) = range.align_in(FRAME_SIZE) {
            frames.add_region(aligned).map_err(PlacementError::Frames)?;
        }
    }
    let size = size.next_multiple_of(FRAME_SIZE);
    let base = frames
        .alloc_below(size, FRAME_SIZE, DIRECT_MAP_MIN_TOP)
        .map_err(PlacementError::Frames)?;
    let range = PhysRange::new(base, size);
    map.set(range, MemoryKind::KernelImage)
        .map_err(PlacementError::Map)?;
    Ok(range)
}
