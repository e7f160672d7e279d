//! Time from the TSC, in nanoseconds since machine reset.
//!
//! The TSC is constant-rate and shared by every core on the machines
//! Corefish targets (and under QEMU), so this clock is valid on every core:
//! the deadlines in KCBs are times of this clock, so they survive a move to
//! another core. Until the rate is known, the clock reads 0.

use core::sync::atomic::{AtomicU64, Ordering};

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static APIC_TIMER_HZ: AtomicU64 = AtomicU64::new(0);

/// Sets the local APIC timer's rate (ticks per second at divide-by-16).
pub fn set_apic_timer_hz(hz: u64) {
    APIC_TIMER_HZ.store(hz, Ordering::Relaxed);
}

/// The local APIC timer's rate.
pub fn apic_timer_hz() -> u64 {
    APIC_TIMER_HZ.load(Ordering::Relaxed)
}

/// Sets the TSC rate (measured at boot, or handed over by the starter).
pub fn set_tsc_hz(hz: u64) {
    TSC_HZ.store(hz, Ordering::Relaxed);
}

/// The TSC rate, or 0 if unknown yet.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Converts TSC ticks to nanoseconds (0 while the rate is unknown).
pub fn ticks_to_ns(ticks: u64) -> u64 {
    match tsc_hz() {
        0 => 0,
        hz => (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64,
    }
}

/// Nanoseconds since machine reset.
pub fn now_ns() -> u64 {
    ticks_to_ns(cpu::instr::rdtsc())
}
