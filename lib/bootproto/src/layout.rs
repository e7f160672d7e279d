//! The virtual address-space layout shared by every CPU driver.
//!
//! * The lower half (`0 ..= 0x0000_7fff_ffff_ffff`) belongs to user space.
//! * The higher half starts with the *direct map*: physical address `p` is
//!   at virtual `DIRECT_MAP_BASE + p`, for all RAM and the low 4 GiB (MMIO).
//!   Every address space shares these higher-half entries.
//! * A CPU driver image loaded at physical `p` is relocated to run at
//!   `DIRECT_MAP_BASE + p`: each core's copy of the kernel runs where the
//!   direct map already shows it, so no per-kernel mappings are needed and
//!   any number of kernels (one per core, of any version) coexist.

/// Virtual address of physical address 0 in the direct map.
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;

/// The direct map always covers at least the low 4 GiB (RAM below the PCI
/// hole plus the local APIC, IOAPIC and HPET registers).
pub const DIRECT_MAP_MIN_TOP: u64 = 4 << 30;

/// Highest physical address the direct map can cover (the higher half holds
/// 128 TiB; half of it is kept for later uses).
pub const DIRECT_MAP_MAX_TOP: u64 = 64 << 40;

/// The direct-map virtual address of physical address `phys`.
pub const fn phys_to_virt(phys: u64) -> u64 {
    DIRECT_MAP_BASE + phys
}

/// The physical address behind a direct-map virtual address, if it is one.
pub const fn virt_to_phys(virt: u64) -> Option<u64> {
    if virt >= DIRECT_MAP_BASE && virt - DIRECT_MAP_BASE < DIRECT_MAP_MAX_TOP {
        Some(virt - DIRECT_MAP_BASE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_map_round_trips() {
        assert_eq!(virt_to_phys(phys_to_virt(0x1234_5000)), Some(0x1234_5000));
        assert_eq!(virt_to_phys(0x1234), None);
        assert_eq!(virt_to_phys(DIRECT_MAP_BASE + DIRECT_MAP_MAX_TOP), None);
    }
}
