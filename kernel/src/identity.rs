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
    crate::arch::image_range().start
}

/// The physical range of this image (it runs in the direct map).
pub fn image_phys_range() -> core::ops::Range<u64> {
    let range = crate::arch::image_range();
    range.start - bootproto::layout::DIRECT_MAP_BASE..range.end - bootproto::layout::DIRECT_MAP_BASE
}
