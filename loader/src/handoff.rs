//! Jumping into the CPU driver (entry contract in `bootproto::params`).

/// Jumps to `entry` with `rdi = params`. The loader's page tables stay
/// active (identity and direct map of the low 4 GiB).
///
/// # Safety
/// `entry` must be the relocated entry point of a CPU driver image that is
/// fully loaded, and `params` the direct-map address of its filled
/// boot-parameter page.
pub unsafe fn enter_kernel(entry: u64, params: u64) -> ! {
    // SAFETY: guaranteed by the caller; the kernel never returns.
    unsafe {
        core::arch::asm!(
            "cli",
            "jmp {entry}",
            entry = in(reg) entry,
            in("rdi") params,
            options(noreturn)
        )
    }
}
