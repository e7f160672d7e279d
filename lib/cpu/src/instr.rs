//! Single instructions that need no device ownership: time-stamp counter,
//! halting, interrupt flag.

use core::arch::asm;

/// Reads the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: `rdtsc` only reads the counter (CR4.TSD is never set by Corefish).
    unsafe {
        asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Spin-loop hint (`pause`).
#[inline]
pub fn pause() {
    core::hint::spin_loop();
}

/// Stops this core for good: interrupts off, then `hlt` forever. Only an
/// NMI or INIT can take the core out of this loop (and an NMI returns to it).
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: disabling interrupts and halting affects only this core and
        // touches no memory.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

/// Enables interrupts for exactly one `hlt`, then disables them again: the
/// CPU driver's idle wait (docs/design.md, rule 4: ring 0 otherwise runs with
/// interrupts off). Returns after the next interrupt has been handled.
///
/// # Safety
/// An IDT able to handle every interrupt that may arrive must be loaded, and
/// the caller's stack must not hold live data in the red zone (the kernel is
/// built without it).
#[inline]
pub unsafe fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` is atomic with respect to interrupts (the STI shadow
    // covers `hlt`), so no wakeup is lost; the caller guarantees the IDT.
    // (Not `nomem`: interrupt handlers change memory while it waits.)
    unsafe { asm!("sti", "hlt", "cli", options(nostack)) };
}
