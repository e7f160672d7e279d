//! CPUID queries Corefish needs.

use core::arch::x86_64::{__cpuid, __cpuid_count};

/// The initial APIC id of the executing core (CPUID leaf 1, EBX[31:24]).
pub fn initial_apic_id() -> u8 {
    // Leaf 1 exists on every x86_64 CPU.
    (__cpuid(1).ebx >> 24) as u8
}

/// Whether the CPU supports 1 GiB pages (CPUID 0x8000_0001 EDX bit 26).
pub fn has_1g_pages() -> bool {
    max_extended_leaf() >= 0x8000_0001 && __cpuid(0x8000_0001).edx & (1 << 26) != 0
}

/// Whether the time-stamp counter runs at a constant rate in every
/// power state (CPUID 0x8000_0007 EDX bit 8).
pub fn has_invariant_tsc() -> bool {
    max_extended_leaf() >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0
}

/// The CPU's brand string (CPUID 0x8000_0002..=0x8000_0004), or `None`
/// where the CPU has none.
pub fn brand_string(buf: &mut [u8; 48]) -> Option<&str> {
    if max_extended_leaf() < 0x8000_0004 {
        return None;
    }
    for (i, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
        let r = __cpuid_count(leaf, 0);
        for (j, word) in [r.eax, r.ebx, r.ecx, r.edx].into_iter().enumerate() {
            let at = i * 16 + j * 4;
            buf[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    core::str::from_utf8(&buf[..end]).ok().map(str::trim)
}

fn max_extended_leaf() -> u32 {
    __cpuid(0x8000_0000).eax
}
