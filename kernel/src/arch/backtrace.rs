//! Frame-pointer backtraces for fatal reports (the kernel is built with
//! frame pointers). The walk only follows frame pointers that lie inside
//! the boot stack, so a corrupt chain ends the trace instead of faulting.

use core::fmt::Write;

use super::stack::boot_stack_range;

const MAX_FRAMES: usize = 16;

/// Writes the return addresses found from frame pointer `rbp` upwards, as
/// offsets into the kernel image.
pub fn write(out: &mut impl Write, mut rbp: u64) {
    let (low, high) = boot_stack_range();
    let base = crate::identity::image_base();
    let _ = write!(out, "!!! backtrace (image offsets):");
    for _ in 0..MAX_FRAMES {
        if rbp < low || rbp.saturating_add(16) > high || !rbp.is_multiple_of(8) {
            break;
        }
        // SAFETY: `rbp` was checked to lie inside this core's boot stack,
        // which is mapped and at least 16 bytes long from `rbp`.
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        let _ = write!(out, " +{:#x}", ret.wrapping_sub(base));
        if next <= rbp {
            break;
        }
        rbp = next;
    }
    let _ = writeln!(out);
}

/// Writes the backtrace of the caller.
#[inline(always)]
pub fn write_here(out: &mut impl Write) {
    let rbp: u64;
    // SAFETY: reading rbp has no side effect (the kernel keeps frame pointers).
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags))
    };
    write(out, rbp);
}
