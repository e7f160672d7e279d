//! The local APIC timer as seen by the rest of the kernel: one-shot
//! interrupts at absolute system-clock deadlines (the end of a time slice,
//! the next sleeper's wakeup), and the boot-time check that the timer, the
//! IDT and interrupt delivery work together.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::apic;
use crate::arch::objects::KernelMemory;
use crate::time;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Called on every timer interrupt.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
    crate::watch::look();
}

/// Stops the timer, whatever this kernel waits for (it is about to stop).
pub fn stop() {
    apic::stop_timer();
}

/// Timer interrupts taken so far.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Arms a one-shot interrupt at `deadline_ns` (system clock), or at the
/// rescue watch's deadline if this kernel watches one and it comes first
/// (`crate::watch`); stops the timer if there is neither. A deadline
/// already past fires at once.
pub fn arm_at(deadline_ns: Option<u64>) {
    let deadline_ns = match (deadline_ns, crate::watch::deadline_ns()) {
        (Some(mine), Some(watch)) => Some(mine.min(watch)),
        (mine, watch) => mine.or(watch),
    };
    let Some(deadline) = deadline_ns else {
        apic::stop_timer();
        return;
    };
    let delta_ns = deadline.saturating_sub(time::now_ns()).max(1_000);
    let ticks = u128::from(delta_ns) * u128::from(time::apic_timer_hz()) / 1_000_000_000;
    apic::one_shot(ticks.clamp(1, u128::from(u32::MAX)) as u32);
}

/// Arms a one-shot interrupt `millis` ms ahead, waits for it with the core
/// halted, and returns the nanoseconds that really passed.
pub fn one_shot_check(mem: &mut KernelMemory, millis: u64) -> u64 {
    let before = ticks();
    let start = time::now_ns();
    arm_at(Some(start + millis * 1_000_000));
    while ticks() == before {
        crate::console::flush();
        crate::arch::wait_for_interrupt(mem);
    }
    time::now_ns() - start
}
