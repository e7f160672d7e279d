//! The physical memory map handed to a CPU driver.
//!
//! It starts as the firmware's E820 map and is refined by each boot stage,
//! which marks what it placed in RAM (itself, the boot archive, the kernel
//! image). A CPU driver takes exactly the [`MemoryKind::Ram`] regions as
//! free memory. The map is a fixed array of plain integers: any bit pattern
//! is a valid (if possibly meaningless) map, so it can be read from memory a
//! previous stage wrote without undefined behaviour.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::PhysRange;

/// What a region of physical memory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum MemoryKind {
    /// Free RAM.
    Ram = 1,
    /// Reserved by the firmware or hardware (includes unknown E820 types).
    Reserved = 2,
    /// ACPI tables (reclaimable once parsed).
    AcpiReclaimable = 3,
    /// ACPI non-volatile storage.
    AcpiNvs = 4,
    /// RAM with errors.
    Unusable = 5,
    /// The first MiB: BIOS data, EBDA, option ROMs, and later the real-mode
    /// trampoline that starts other cores.
    LowMemory = 0x100,
    /// The first-stage loader's image and early page tables.
    Loader = 0x101,
    /// The boot archive (its modules are handed to user space later).
    BootArchive = 0x102,
    /// A CPU driver's boot-parameter page and image.
    KernelImage = 0x103,
    /// RAM that belongs to someone else: in the map a boot driver gives a
    /// later core's kernel, all RAM but the share given to that kernel.
    /// Mapped like memory, never allocated.
    Assigned = 0x104,
}

impl MemoryKind {
    /// The kind for an E820 type (unknown types are reserved).
    pub const fn from_e820(ty: u32) -> Self {
        match ty {
            1 => Self::Ram,
            3 => Self::AcpiReclaimable,
            4 => Self::AcpiNvs,
            5 => Self::Unusable,
            _ => Self::Reserved,
        }
    }

    /// Decodes a stored kind; anything unknown reads as reserved, the safe
    /// choice for memory.
    pub const fn from_raw(raw: u32) -> Self {
        match raw {
            1 => Self::Ram,
            3 => Self::AcpiReclaimable,
            4 => Self::AcpiNvs,
            5 => Self::Unusable,
            0x100 => Self::LowMemory,
            0x101 => Self::Loader,
            0x102 => Self::BootArchive,
            0x103 => Self::KernelImage,
            0x104 => Self::Assigned,
            _ => Self::Reserved,
        }
    }

    /// Short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ram => "ram",
            Self::Reserved => "reserved",
            Self::AcpiReclaimable => "acpi",
            Self::AcpiNvs => "acpi-nvs",
            Self::Unusable => "unusable",
            Self::LowMemory => "low-memory",
            Self::Loader => "loader",
            Self::BootArchive => "boot-archive",
            Self::KernelImage => "kernel-image",
            Self::Assigned => "assigned",
        }
    }

    /// Whether this is memory (rather than a hole or device registers): all
    /// kinds but `Reserved` are backed by RAM.
    pub const fn is_memory(self) -> bool {
        !matches!(self, Self::Reserved)
    }
}

/// One region of the map.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct MemoryRegion {
    /// First byte.
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
    /// A [`MemoryKind`] as stored (read it with [`MemoryRegion::kind`]).
    pub raw_kind: u32,
    _reserved: u32,
}

impl MemoryRegion {
    /// A region of `kind`.
    pub const fn new(range: PhysRange, kind: MemoryKind) -> Self {
        Self {
            base: range.base,
            size: range.size,
            raw_kind: kind as u32,
            _reserved: 0,
        }
    }

    /// The region's range.
    pub const fn range(&self) -> PhysRange {
        PhysRange::new(self.base, self.size)
    }

    /// The region's kind.
    pub const fn kind(&self) -> MemoryKind {
        MemoryKind::from_raw(self.raw_kind)
    }
}

/// Why a memory map could not be changed. A refused change leaves the map
/// as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryMapError {
    /// The map has no room for more regions.
    Full,
    /// The range is empty or wraps around the address space.
    BadRange,
}

/// A sorted map of disjoint regions with room for `N` of them.
#[derive(Debug, Clone, Copy)]
pub struct MemoryMap<const N: usize> {
    len: u32,
    regions: [MemoryRegion; N],
}

impl<const N: usize> Default for MemoryMap<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> MemoryMap<N> {
    /// The empty map.
    pub const fn new() -> Self {
        Self {
            len: 0,
            regions: [MemoryRegion::new(PhysRange::new(0, 0), MemoryKind::Reserved); N],
        }
    }

    /// The map as a count and `N` regions (its wire form, as the boot
    /// parameters carry it).
    pub fn to_wire(&self) -> (u32, [MemoryRegion; N]) {
        (self.len, self.regions)
    }

    /// The map from its wire form, as written: rebuilt region by region
    /// ([`normalised`](Self::normalised)), so that a map someone else wrote
    /// is sorted and disjoint whatever it held.
    pub fn from_wire(len: u32, regions: [MemoryRegion; N]) -> Self {
        Self { len, regions }.normalised()
    }

    /// The same map rebuilt region by region (later regions win where they
    /// overlap earlier ones; empty ones are dropped): a map read from memory
    /// written by someone else is sorted and disjoint afterwards.
    pub fn normalised(&self) -> Self {
        let mut out = Self::new();
        for region in self.regions().iter().filter(|r| r.size > 0) {
            // A region that does not fit is dropped; the rest stays valid.
            let _ = out.set(region.range(), region.kind());
        }
        out
    }

    /// The regions, lowest first. A map read from memory with a corrupt
    /// length yields at most `N` regions.
    pub fn regions(&self) -> &[MemoryRegion] {
        &self.regions[..(self.len as usize).min(N)]
    }

    /// The ranges of one kind, lowest first.
    pub fn ranges_of(&self, kind: MemoryKind) -> impl Iterator<Item = PhysRange> + '_ {
        self.regions()
            .iter()
            .filter(move |r| r.kind() == kind)
            .map(MemoryRegion::range)
    }

    /// Total bytes of one kind.
    pub fn total(&self, kind: MemoryKind) -> u64 {
        self.ranges_of(kind).map(|r| r.size).sum()
    }

    /// One past the highest byte of any memory-backed region (0 if none).
    pub fn memory_top(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind().is_memory())
            .map(|r| r.range().end())
            .max()
            .unwrap_or(0)
    }

    /// Whether `range` lies wholly inside one region of `kind`.
    pub fn lies_in(&self, range: PhysRange, kind: MemoryKind) -> bool {
        range.size > 0
            && self
                .regions()
                .iter()
                .any(|r| r.kind() == kind && r.range().contains(range))
    }

    /// Whether `range` overlaps no memory (only reserved regions or no
    /// region at all): device memory, such as a framebuffer.
    pub fn is_outside_memory(&self, range: PhysRange) -> bool {
        range.size > 0
            && range.base.checked_add(range.size).is_some()
            && !self
                .regions()
                .iter()
                .any(|r| r.kind().is_memory() && r.range().overlaps(range))
    }

    /// The kind of the region holding `addr`, if any.
    pub fn kind_at(&self, addr: u64) -> Option<MemoryKind> {
        self.regions()
            .iter()
            .find(|r| r.range().contains(PhysRange::new(addr, 1)))
            .map(MemoryRegion::kind)
    }

    /// Marks `range` as `kind`, replacing whatever the map said about it,
    /// splitting and merging regions as needed.
    pub fn set(&mut self, range: PhysRange, kind: MemoryKind) -> Result<(), MemoryMapError> {
        if range.size == 0 || range.base.checked_add(range.size).is_none() {
            return Err(MemoryMapError::BadRange);
        }
        let mut out = Self::new();
        for region in self.regions() {
            let r = region.range();
            for piece in [
                PhysRange::from_bounds(r.base, range.base.min(r.end())),
                PhysRange::from_bounds(range.end().max(r.base), r.end()),
            ] {
                if piece.size > 0 {
                    out.push_sorted(MemoryRegion::new(piece, region.kind()))?;
                }
            }
        }
        out.push_sorted(MemoryRegion::new(range, kind))?;
        *self = out;
        Ok(())
    }

    /// Marks only the part of `range` that is currently `from` as `to`.
    pub fn reclassify(
        &mut self,
        range: PhysRange,
        from: MemoryKind,
        to: MemoryKind,
    ) -> Result<(), MemoryMapError> {
        let mut next = *self;
        for region in self.regions().iter().filter(|r| r.kind() == from) {
            if let Some(overlap) = region.range().intersection(range) {
                next.set(overlap, to)?;
            }
        }
        *self = next;
        Ok(())
    }

    /// Inserts a region that overlaps none in the map, keeping the order and
    /// merging with same-kind neighbours it touches.
    fn push_sorted(&mut self, region: MemoryRegion) -> Result<(), MemoryMapError> {
        let len = self.regions().len();
        let at = self.regions().partition_point(|r| r.base < region.base);
        let mut merged = region;
        let mut start = at;
        let mut end = at;
        if at > 0
            && self.regions[at - 1].kind() == region.kind()
            && self.regions[at - 1].range().end() == region.base
        {
            start = at - 1;
            merged = MemoryRegion::new(
                PhysRange::from_bounds(self.regions[start].base, region.range().end()),
                region.kind(),
            );
        }
        if at < len
            && self.regions[at].kind() == region.kind()
            && self.regions[at].base == region.range().end()
        {
            end = at + 1;
            merged = MemoryRegion::new(
                PhysRange::from_bounds(merged.base, self.regions[at].range().end()),
                region.kind(),
            );
        }
        let new_len = len - (end - start) + 1;
        if new_len > N {
            return Err(MemoryMapError::Full);
        }
        // Shift the tail so that [start, end) becomes exactly one slot.
        self.regions.copy_within(end..len, start + 1);
        self.regions[start] = merged;
        self.len = new_len as u32;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn r(base: u64, size: u64) -> PhysRange {
        PhysRange::new(base, size)
    }

    #[test]
    fn carving_splits_and_merges() {
        let mut map = MemoryMap::<8>::new();
        map.set(r(0, 0x9_fc00), MemoryKind::Ram).unwrap();
        map.set(r(0x10_0000, 0x1ff0_0000), MemoryKind::Ram).unwrap();
        map.set(r(0x20_0000, 0x10_0000), MemoryKind::KernelImage)
            .unwrap();
        assert_eq!(map.regions().len(), 4);
        assert_eq!(map.kind_at(0x25_0000), Some(MemoryKind::KernelImage));
        assert_eq!(map.kind_at(0x35_0000), Some(MemoryKind::Ram));
        assert_eq!(map.kind_at(0xa_0000), None);
        map.set(r(0x20_0000, 0x10_0000), MemoryKind::Ram).unwrap();
        assert_eq!(
            map.regions().len(),
            2,
            "freeing the hole merges the RAM again: {:?}",
            map.regions()
        );
        assert_eq!(map.total(MemoryKind::Ram), 0x9_fc00 + 0x1ff0_0000);
        assert_eq!(map.memory_top(), 0x2000_0000);
    }

    #[test]
    fn reclassify_only_touches_the_given_kind() {
        let mut map = MemoryMap::<8>::new();
        map.set(r(0, 0x1000), MemoryKind::Ram).unwrap();
        map.set(r(0x1000, 0x1000), MemoryKind::AcpiNvs).unwrap();
        map.set(r(0x2000, 0x1000), MemoryKind::Ram).unwrap();
        map.reclassify(r(0, 0x3000), MemoryKind::Ram, MemoryKind::LowMemory)
            .unwrap();
        let kinds: Vec<_> = map.regions().iter().map(|x| x.kind()).collect();
        assert_eq!(
            kinds,
            [
                MemoryKind::LowMemory,
                MemoryKind::AcpiNvs,
                MemoryKind::LowMemory
            ]
        );
    }

    #[test]
    fn errors_leave_the_map_unchanged() {
        let mut map = MemoryMap::<2>::new();
        map.set(r(0, 0x1000), MemoryKind::Ram).unwrap();
        map.set(r(0x2000, 0x1000), MemoryKind::Ram).unwrap();
        let before = map;
        assert_eq!(
            map.set(r(0x4000, 0x1000), MemoryKind::Ram),
            Err(MemoryMapError::Full)
        );
        assert_eq!(
            map.set(r(0x800, 0x100), MemoryKind::Loader),
            Err(MemoryMapError::Full)
        );
        assert_eq!(
            map.set(r(5, 0), MemoryKind::Ram),
            Err(MemoryMapError::BadRange)
        );
        assert_eq!(
            map.set(r(u64::MAX, 2), MemoryKind::Ram),
            Err(MemoryMapError::BadRange)
        );
        assert_eq!(map.regions(), before.regions());
    }

    #[test]
    fn unknown_kinds_read_as_reserved() {
        assert_eq!(MemoryKind::from_raw(0xdead), MemoryKind::Reserved);
        assert_eq!(MemoryKind::from_e820(12), MemoryKind::Reserved);
        for k in [
            MemoryKind::Ram,
            MemoryKind::Loader,
            MemoryKind::KernelImage,
            MemoryKind::AcpiNvs,
        ] {
            assert_eq!(MemoryKind::from_raw(k as u32), k);
        }
    }

    const KINDS: [MemoryKind; 4] = [
        MemoryKind::Ram,
        MemoryKind::Reserved,
        MemoryKind::Loader,
        MemoryKind::KernelImage,
    ];

    proptest! {
        /// After any sequence of `set`s, every byte has the kind of the last
        /// `set` covering it, and the map stays sorted, disjoint and merged.
        #[test]
        fn set_matches_byte_model(ops in proptest::collection::vec((0u64..64, 1u64..16, 0usize..4), 1..30)) {
            let mut map = MemoryMap::<64>::new();
            let mut model = [None; 96];
            for (base, size, kind) in ops {
                map.set(r(base, size), KINDS[kind]).unwrap();
                for slot in &mut model[base as usize..(base + size) as usize] {
                    *slot = Some(KINDS[kind]);
                }
            }
            for (addr, want) in model.iter().enumerate() {
                prop_assert_eq!(map.kind_at(addr as u64), *want);
            }
            for pair in map.regions().windows(2) {
                let (a, b) = (pair[0], pair[1]);
                prop_assert!(a.range().end() <= b.base);
                prop_assert!(!(a.range().end() == b.base && a.kind() == b.kind()), "unmerged {:?}", pair);
            }
        }
    }

    #[test]
    fn device_ranges_and_containment() {
        let mut map = MemoryMap::<8>::new();
        map.set(PhysRange::new(0, 0x8000_0000), MemoryKind::Ram)
            .unwrap();
        map.set(PhysRange::new(0xfec0_0000, 0x1000), MemoryKind::Reserved)
            .unwrap();
        map.set(PhysRange::new(0x10_0000, 0x10_0000), MemoryKind::Loader)
            .unwrap();
        assert!(map.is_outside_memory(PhysRange::new(0xfd00_0000, 0x30_0000)));
        assert!(map.is_outside_memory(PhysRange::new(0xfec0_0000, 0x1000)));
        assert!(!map.is_outside_memory(PhysRange::new(0x7fff_f000, 0x2000)));
        assert!(!map.is_outside_memory(PhysRange::new(0x10_0000, 1)));
        assert!(!map.is_outside_memory(PhysRange::new(0xfd00_0000, 0)));
        assert!(map.lies_in(PhysRange::new(0x18_0000, 0x1000), MemoryKind::Loader));
        assert!(!map.lies_in(PhysRange::new(0x1f_f000, 0x2000), MemoryKind::Loader));
        assert!(!map.lies_in(PhysRange::new(0x18_0000, 0x1000), MemoryKind::Ram));
    }
}
