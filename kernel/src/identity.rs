//! Who this kernel instance is: the logical core it runs on, that core's
//! APIC id, and where its image lives. Per-boot scratch, set once from the
//! boot parameters.

use spin::Once;

/// This kernel's core.
#[derive(Debug, Clone, Copy)]
pub struct CoreIdentity {
    /// Corefish's logical core id.
    pub core_id: u32,
    /// The core's local APIC id.
    pub apic_id: u32,
}

static IDENTITY: Once<CoreIdentity> = Once::new();

unsafe extern "C" {
    /// First byte of this image (defined by `link.ld`).
    static __image_start: u8;
    /// One past its last byte.
    static __image_end: u8;
}

/// Records this kernel's core (first call wins).
pub fn set(identity: CoreIdentity) {
    IDENTITY.call_once(|| identity);
}

/// This kernel's core; before boot parameters are read, core 0 with the
/// APIC id the CPU reports.
pub fn this_core() -> CoreIdentity {
    IDENTITY.get().copied().unwrap_or_else(|| CoreIdentity {
        core_id: 0,
        apic_id: u32::from(cpu::cpuid::initial_apic_id()),
    })
}

/// The virtual address this image runs at (its link address 0).
pub fn image_base() -> u64 {
    (&raw const __image_start) as u64
}

/// The physical range of this image (it runs in the direct map).
pub fn image_phys_range() -> core::ops::Range<u64> {
    let start = image_base() - bootproto::layout::DIRECT_MAP_BASE;
    let end = (&raw const __image_end) as u64 - bootproto::layout::DIRECT_MAP_BASE;
    start..end
}
