//! Measuring the TSC and local-APIC-timer rates against the PIT, whose
//! input clock is fixed at 1.193182 MHz on every PC (and follows QEMU's
//! virtual clock, so the result is right under `-icount` too).
//!
//! Channel 2 counts down once in mode 0 (its gate is controlled through
//! port 0x61 and its output read back there, without any interrupt).

use cpu::instr::rdtsc;
use cpu::port::{inb, outb};

use super::apic;

const PIT_HZ: u64 = 1_193_182;
const CHANNEL2: u16 = 0x42;
const COMMAND: u16 = 0x43;
const GATE_PORT: u16 = 0x61;
const GATE2: u8 = 1 << 0;
const SPEAKER: u8 = 1 << 1;
const OUT2: u8 = 1 << 5;

/// Rates measured at boot.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// TSC ticks per second.
    pub tsc_hz: u64,
    /// Local APIC timer ticks per second at divide-by-16.
    pub apic_timer_hz: u64,
}

/// Measures both rates over `millis` milliseconds of PIT time.
pub fn calibrate(millis: u64) -> Rates {
    let count = (PIT_HZ * millis / 1000).clamp(1, 0xffff) as u16;
    let window_ns = u64::from(count) * 1_000_000_000 / PIT_HZ;
    // SAFETY: the boot core owns PIT channel 2 and port 0x61's gate bits;
    // the speaker stays off.
    let (tsc, apic) = unsafe {
        outb(GATE_PORT, (inb(GATE_PORT) & !SPEAKER) | GATE2);
        outb(COMMAND, 0b1011_0000); // channel 2, lobyte/hibyte, mode 0, binary
        outb(CHANNEL2, count as u8);
        outb(CHANNEL2, (count >> 8) as u8);
        apic::start_free_running(u32::MAX);
        let (tsc0, apic0) = (rdtsc(), apic::timer_count());
        while inb(GATE_PORT) & OUT2 == 0 {
            core::hint::spin_loop();
        }
        let (tsc1, apic1) = (rdtsc(), apic::timer_count());
        apic::stop_timer();
        (tsc1.wrapping_sub(tsc0), apic0.wrapping_sub(apic1))
    };
    Rates {
        tsc_hz: (u128::from(tsc) * 1_000_000_000 / u128::from(window_ns)) as u64,
        apic_timer_hz: (u128::from(apic) * 1_000_000_000 / u128::from(window_ns)) as u64,
    }
}
