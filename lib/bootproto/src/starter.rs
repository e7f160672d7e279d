//! Rules for starting a CPU driver on another core, shared by the boot
//! driver (which follows them) and the host tests (which check them):
//!
//! * where the real-mode trampoline may go ([`trampoline_vector`]): a core
//!   woken by STARTUP begins in real mode at `vector << 12`, so the
//!   trampoline needs a whole page below 1 MiB, not page 0 (the real-mode
//!   interrupt table and BIOS data) and below `0xa0000` (video memory and
//!   ROMs, which vectors `0xa0` and up would name), in memory the map calls
//!   low memory (not firmware-reserved, not ACPI);
//! * how to tell a CPU driver image from any other program
//!   ([`check_entry`]): its entry point starts with a short jump over
//!   [`ENTRY_SIGNATURE`], the boot-parameter layout version it reads and
//!   the KCB layouts it can run ([`CpuDriverInfo`]), so that a boot driver
//!   never starts a user program, or a kernel that would misread its
//!   parameters, in ring 0, and can refuse before stopping anything to
//!   hand a KCB to a kernel that would refuse it;
//! * the memory map a later core's kernel gets ([`map_for_new_kernel`]):
//!   the first kernel's map with every byte of RAM marked
//!   [`Assigned`](MemoryKind::Assigned) (it belongs to capabilities
//!   elsewhere), except the RAM given to the new kernel and its image.

use crate::PhysRange;
use crate::memmap::{MemoryKind, MemoryMap, MemoryMapError};
use crate::params::BOOT_PARAMS_VERSION;

/// The bytes after the entry point's first instruction (a two-byte `jmp`
/// over them and the version word).
pub const ENTRY_SIGNATURE: [u8; 8] = *b"CFCPUDRV";
/// Bytes of the entry preamble: `jmp` (2), signature (8), boot-parameter
/// version (4), oldest and newest KCB layout it runs (2 + 2).
pub const ENTRY_PREAMBLE: usize = 18;

/// What a CPU driver's entry preamble says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuDriverInfo {
    /// The oldest KCB layout it runs (converting it).
    pub kcb_oldest: u32,
    /// The newest KCB layout it runs (its own).
    pub kcb_newest: u32,
}

impl CpuDriverInfo {
    /// Whether it can run a KCB of layout `layout`.
    pub fn runs_kcb_layout(&self, layout: u32) -> bool {
        (self.kcb_oldest..=self.kcb_newest).contains(&layout)
    }
}

/// Bytes of a page.
pub const PAGE: u64 = 4096;
/// Where real-mode memory ends.
pub const LOW_MEMORY_END: u64 = 0x10_0000;
/// First address STARTUP vectors cannot name usefully (video memory, ROMs).
pub const VECTOR_LIMIT: u64 = 0xa_0000;

/// Why a starter's plan was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarterError {
    /// The trampoline page is not page-aligned.
    Misaligned(u64),
    /// The trampoline page is page 0 or at or above `0xa0000`.
    NotAVector(u64),
    /// The trampoline does not fit one page.
    TooLong(u64),
    /// The page is not low memory in the map.
    NotLowMemory(u64),
    /// The kernel's RAM or image is not RAM in the map.
    NotRam(PhysRange),
    /// The kernel's RAM and image overlap.
    Overlap,
    /// The map has no room for the result.
    Map(MemoryMapError),
    /// The image's entry point has no CPU driver signature.
    NotACpuDriver,
    /// The CPU driver reads another boot-parameter layout version.
    ProtocolVersion(u32),
}

impl core::fmt::Display for StarterError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Misaligned(at) => write!(f, "trampoline at {at:#x} is not page-aligned"),
            Self::NotAVector(at) => write!(
                f,
                "trampoline at {at:#x} cannot be started: it must be between {PAGE:#x} and {VECTOR_LIMIT:#x}"
            ),
            Self::TooLong(len) => write!(f, "trampoline of {len} bytes does not fit a page"),
            Self::NotLowMemory(at) => write!(f, "the page at {at:#x} is not free low memory"),
            Self::NotRam(r) => write!(f, "{:#x}..{:#x} is not RAM", r.base, r.end()),
            Self::Overlap => f.write_str("the kernel's RAM and image overlap"),
            Self::Map(e) => write!(f, "memory map: {e:?}"),
            Self::NotACpuDriver => {
                f.write_str("not a Corefish CPU driver (no signature at its entry point)")
            }
            Self::ProtocolVersion(v) => write!(
                f,
                "the CPU driver reads boot parameters version {v}, this boot driver writes version {BOOT_PARAMS_VERSION}"
            ),
        }
    }
}

/// Checks the first bytes of a loaded image at its entry point.
pub fn check_entry(code: &[u8]) -> Result<CpuDriverInfo, StarterError> {
    let preamble = code
        .get(..ENTRY_PREAMBLE)
        .ok_or(StarterError::NotACpuDriver)?;
    let jumps_over = preamble[0] == 0xeb && usize::from(preamble[1]) == ENTRY_PREAMBLE - 2;
    if !jumps_over || preamble[2..10] != ENTRY_SIGNATURE {
        return Err(StarterError::NotACpuDriver);
    }
    let version = u32::from_le_bytes([preamble[10], preamble[11], preamble[12], preamble[13]]);
    if version != BOOT_PARAMS_VERSION {
        return Err(StarterError::ProtocolVersion(version));
    }
    let info = CpuDriverInfo {
        kcb_oldest: u32::from(u16::from_le_bytes([preamble[14], preamble[15]])),
        kcb_newest: u32::from(u16::from_le_bytes([preamble[16], preamble[17]])),
    };
    if info.kcb_oldest == 0 || info.kcb_oldest > info.kcb_newest {
        return Err(StarterError::NotACpuDriver);
    }
    Ok(info)
}

/// The STARTUP vector for a trampoline of `len` bytes at physical `page`,
/// if the rules above allow it there.
pub fn trampoline_vector<const N: usize>(
    map: &MemoryMap<N>,
    page: u64,
    len: u64,
) -> Result<u8, StarterError> {
    if !page.is_multiple_of(PAGE) {
        return Err(StarterError::Misaligned(page));
    }
    if page == 0 || page >= VECTOR_LIMIT {
        return Err(StarterError::NotAVector(page));
    }
    if len == 0 || len > PAGE {
        return Err(StarterError::TooLong(len));
    }
    let whole = PhysRange::new(page, PAGE);
    if !map.lies_in(whole, MemoryKind::LowMemory) {
        return Err(StarterError::NotLowMemory(page));
    }
    Ok((page / PAGE) as u8)
}

/// The memory map for a kernel started on another core with `own` as its
/// RAM and `image` holding its boot-parameter page and image, made from the
/// first kernel's map `boot`.
pub fn map_for_new_kernel<const N: usize>(
    boot: &MemoryMap<N>,
    own: PhysRange,
    image: PhysRange,
) -> Result<MemoryMap<N>, StarterError> {
    if own.overlaps(image) {
        return Err(StarterError::Overlap);
    }
    let mut map = *boot;
    // Everything that is RAM for someone (free RAM, the loader, the first
    // kernel) is someone else's for the new kernel.
    for kind in [MemoryKind::Ram, MemoryKind::Loader, MemoryKind::KernelImage] {
        loop {
            let next = map.ranges_of(kind).next();
            let Some(range) = next else { break };
            map.set(range, MemoryKind::Assigned)
                .map_err(StarterError::Map)?;
        }
    }
    for (range, kind) in [(own, MemoryKind::Ram), (image, MemoryKind::KernelImage)] {
        if !map.lies_in(range, MemoryKind::Assigned) {
            return Err(StarterError::NotRam(range));
        }
        map.set(range, kind).map_err(StarterError::Map)?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn machine() -> MemoryMap<16> {
        let mut map = MemoryMap::new();
        map.set(PhysRange::new(0, 0x9_fc00), MemoryKind::LowMemory)
            .unwrap();
        map.set(PhysRange::new(0x9_fc00, 0x400), MemoryKind::Reserved)
            .unwrap();
        map.set(PhysRange::new(0x10_0000, 0x1000_0000), MemoryKind::Ram)
            .unwrap();
        map.set(
            PhysRange::new(0x20_0000, 0x10_0000),
            MemoryKind::KernelImage,
        )
        .unwrap();
        map.set(
            PhysRange::new(0x40_0000, 0x10_0000),
            MemoryKind::BootArchive,
        )
        .unwrap();
        map
    }

    #[test]
    fn cpu_drivers_are_recognised_by_their_entry() {
        let mut code = Vec::from([0xeb, 16]);
        code.extend_from_slice(&ENTRY_SIGNATURE);
        code.extend_from_slice(&BOOT_PARAMS_VERSION.to_le_bytes());
        code.extend_from_slice(&[1, 0, 2, 0]);
        code.extend_from_slice(&[0xfa, 0xfc]);
        let info = check_entry(&code).unwrap();
        assert_eq!((info.kcb_oldest, info.kcb_newest), (1, 2));
        assert!(info.runs_kcb_layout(1) && info.runs_kcb_layout(2));
        assert!(!info.runs_kcb_layout(3) && !info.runs_kcb_layout(0));
        assert_eq!(check_entry(&code[..17]), Err(StarterError::NotACpuDriver));
        let mut other = code.clone();
        other[14] = 3;
        assert_eq!(check_entry(&other), Err(StarterError::NotACpuDriver));
        let mut other = code.clone();
        other[1] = 10;
        assert_eq!(check_entry(&other), Err(StarterError::NotACpuDriver));
        let mut other = code.clone();
        other[5] = b'x';
        assert_eq!(check_entry(&other), Err(StarterError::NotACpuDriver));
        let mut other = code.clone();
        other[10] = other[10].wrapping_add(1);
        assert_eq!(
            check_entry(&other),
            Err(StarterError::ProtocolVersion(BOOT_PARAMS_VERSION + 1))
        );
        // A program's entry (push rbp; mov rbp, rsp; ...) is refused.
        assert_eq!(
            check_entry(&[
                0x55, 0x48, 0x89, 0xe5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]),
            Err(StarterError::NotACpuDriver)
        );
    }

    #[test]
    fn the_trampoline_goes_to_a_low_page() {
        let map = machine();
        assert_eq!(trampoline_vector(&map, 0x8000, 200), Ok(8));
        assert_eq!(trampoline_vector(&map, 0x9_e000, 4096), Ok(0x9e));
        assert_eq!(
            trampoline_vector(&map, 0x8010, 200),
            Err(StarterError::Misaligned(0x8010))
        );
        assert_eq!(
            trampoline_vector(&map, 0, 200),
            Err(StarterError::NotAVector(0))
        );
        assert_eq!(
            trampoline_vector(&map, 0xa_0000, 200),
            Err(StarterError::NotAVector(0xa_0000))
        );
        assert_eq!(
            trampoline_vector(&map, 0x8000, 4097),
            Err(StarterError::TooLong(4097))
        );
        // The page holding the EBDA is not all low memory.
        assert_eq!(
            trampoline_vector(&map, 0x9_f000, 16),
            Err(StarterError::NotLowMemory(0x9_f000))
        );
        // RAM above 1 MiB is not reachable in real mode.
        assert!(trampoline_vector(&map, 0x10_0000, 16).is_err());
    }

    #[test]
    fn a_new_kernel_sees_only_its_own_ram() {
        let boot = machine();
        let own = PhysRange::new(0x100_0000, 0x80_0000);
        let image = PhysRange::new(0x200_0000, 0x4_0000);
        let map = map_for_new_kernel(&boot, own, image).unwrap();
        assert_eq!(map.ranges_of(MemoryKind::Ram).collect::<Vec<_>>(), [own]);
        assert_eq!(
            map.ranges_of(MemoryKind::KernelImage).collect::<Vec<_>>(),
            [image]
        );
        assert_eq!(map.kind_at(0x20_0000), Some(MemoryKind::Assigned));
        assert_eq!(map.kind_at(0x10_0000), Some(MemoryKind::Assigned));
        assert_eq!(map.kind_at(0x40_0000), Some(MemoryKind::BootArchive));
        assert_eq!(map.kind_at(0x8000), Some(MemoryKind::LowMemory));
        // Memory stays memory (the direct map caches it) and the top is kept.
        assert_eq!(map.memory_top(), boot.memory_top());
    }

    #[test]
    fn a_new_kernel_gets_only_ram() {
        let boot = machine();
        let image = PhysRange::new(0x200_0000, 0x4_0000);
        for own in [
            PhysRange::new(0x40_0000, 0x1000),   // the archive
            PhysRange::new(0x8000, 0x1000),      // low memory
            PhysRange::new(0x100f_f000, 0x2000), // past the end of RAM
            PhysRange::new(0x100_0000, 0),       // nothing
        ] {
            assert_eq!(
                map_for_new_kernel(&boot, own, image).err(),
                Some(StarterError::NotRam(own)),
                "{own:?}"
            );
        }
        assert_eq!(
            map_for_new_kernel(&boot, PhysRange::new(0x200_0000, 0x1000), image).err(),
            Some(StarterError::Overlap)
        );
    }
}
