//! Control registers.

use core::arch::asm;

/// CR0.MP: monitor coprocessor (makes `wait` honour TS).
pub const CR0_MP: u64 = 1 << 1;
/// CR0.EM: x87 emulation; must be clear for SSE.
pub const CR0_EM: u64 = 1 << 2;
/// CR0.WP: honour read-only pages in ring 0.
pub const CR0_WP: u64 = 1 << 16;
/// CR4.OSFXSR: the OS saves SSE state with `fxsave`.
pub const CR4_OSFXSR: u64 = 1 << 9;
/// CR4.OSXMMEXCPT: the OS handles SIMD floating-point exceptions.
pub const CR4_OSXMMEXCPT: u64 = 1 << 10;

/// Reads CR0.
#[inline]
pub fn cr0() -> u64 {
    let v: u64;
    // SAFETY: reading CR0 in ring 0 has no side effect.
    unsafe { asm!("mov {}, cr0", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR0.
///
/// # Safety
/// The new value must keep paging and protection consistent with the code
/// that runs next.
#[inline]
pub unsafe fn set_cr0(v: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("mov cr0, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Reads CR2, the linear address of the last page fault.
#[inline]
pub fn cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effect.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Reads CR3, the physical address of the current top-level page table.
#[inline]
pub fn cr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effect.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Loads a new top-level page table (and flushes non-global TLB entries).
///
/// # Safety
/// `pml4_phys` must be a valid PML4 that maps the executing code, its stack
/// and every datum still in use at the same virtual addresses.
#[inline]
pub unsafe fn set_cr3(pml4_phys: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("mov cr3, {}", in(reg) pml4_phys, options(nostack, preserves_flags)) };
}

/// Reads CR4.
#[inline]
pub fn cr4() -> u64 {
    let v: u64;
    // SAFETY: reading CR4 has no side effect.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR4.
///
/// # Safety
/// The new value must be supported by the CPU and consistent with the
/// current paging mode.
#[inline]
pub unsafe fn set_cr4(v: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("mov cr4, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Turns on SSE for this core: CR0.EM clear, CR0.MP set, CR4.OSFXSR and
/// CR4.OSXMMEXCPT set. The prebuilt `core` uses SSE registers, so this must
/// run before any Rust code on a core (the entry stubs do it first; calling
/// it again is harmless).
pub fn enable_sse() {
    // SAFETY: these bits only enable SSE instructions and the matching
    // exception; they do not change paging or protection.
    unsafe {
        set_cr0((cr0() & !CR0_EM) | CR0_MP);
    }
    // SAFETY: as above.
    unsafe {
        set_cr4(cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    }
}
