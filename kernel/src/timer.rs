//! The local APIC timer as seen by the rest of the kernel: interrupts are
//! counted, and at boot a one-shot check proves that the timer, the IDT and
//! interrupt delivery work together and that the calibration is right.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::apic;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Called on every timer interrupt.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer interrupts taken so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Arms a one-shot interrupt `millis` ms ahead, waits for it with the core
/// halted, and returns the nanoseconds that really passed.
pub fn one_shot_check(apic_timer_hz: u64, millis: u64) -> u64 {
    let before = ticks();
    let start = crate::time::now_ns();
    apic::one_shot((apic_timer_hz * millis / 1000).min(u64::from(u32::MAX)) as u32);
    while ticks() == before {
        // SAFETY: the IDT handles every vector; the kernel is built without
        // a red zone, so the interrupt frame cannot clobber live data.
        unsafe { cpu::instr::wait_for_interrupt() };
    }
    crate::time::now_ns() - start
}
