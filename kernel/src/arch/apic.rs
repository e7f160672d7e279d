//! This core's local APIC (xAPIC, memory-mapped; QEMU's TCG has no x2APIC):
//! enabling it, its timer, end-of-interrupt.
//!
//! The timer counts down at the APIC bus rate divided by 16; its rate is
//! measured once at boot against the PIT (see [`super::pit`]).

use spin::Once;

use super::mmio::Registers;
use super::vectors;

const ID: usize = 0x20;
const TASK_PRIORITY: usize = 0x80;
const EOI: usize = 0xb0;
const SPURIOUS: usize = 0xf0;
const LVT_TIMER: usize = 0x320;
const LVT_LINT0: usize = 0x350;
const LVT_LINT1: usize = 0x360;
const LVT_ERROR: usize = 0x370;
const TIMER_INITIAL: usize = 0x380;
const TIMER_CURRENT: usize = 0x390;
const TIMER_DIVIDE: usize = 0x3e0;

const SVR_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
const LVT_NMI: u32 = 0b100 << 8;
const DIVIDE_BY_16: u32 = 0b0011;
const APIC_BASE_ENABLE: u64 = 1 << 11;
const APIC_BASE_BSP: u64 = 1 << 8;

static LAPIC: Once<Registers> = Once::new();

fn regs() -> &'static Registers {
    LAPIC.call_once(|| {
        // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU.
        let base = unsafe { cpu::msr::rdmsr(cpu::msr::IA32_APIC_BASE) } & 0x000f_ffff_ffff_f000;
        // SAFETY: the MSR names this core's local APIC page, which the
        // direct map covers uncached (it lies in the low 4 GiB).
        unsafe { Registers::at(base) }
    })
}

/// Enables the local APIC: software-enabled with the spurious vector, all
/// local interrupt lines masked except LINT1 as NMI, task priority 0, timer
/// stopped and masked.
pub fn init() {
    // SAFETY: setting the global-enable bit of this core's own APIC.
    unsafe {
        let base = cpu::msr::rdmsr(cpu::msr::IA32_APIC_BASE);
        cpu::msr::wrmsr(cpu::msr::IA32_APIC_BASE, base | APIC_BASE_ENABLE);
    }
    let r = regs();
    r.write(SPURIOUS, SVR_ENABLE | vectors::APIC_SPURIOUS as u32);
    r.write(LVT_LINT0, LVT_MASKED);
    r.write(LVT_LINT1, LVT_NMI);
    r.write(LVT_ERROR, LVT_MASKED);
    r.write(TASK_PRIORITY, 0);
    stop_timer();
}

/// Whether this core is the bootstrap processor (the one the firmware
/// started; IA32_APIC_BASE bit 8).
pub fn is_bootstrap() -> bool {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; reading it has no
    // side effects.
    unsafe { cpu::msr::rdmsr(cpu::msr::IA32_APIC_BASE) & APIC_BASE_BSP != 0 }
}

/// This core's APIC id as the APIC reports it.
pub fn id() -> u32 {
    regs().read(ID) >> 24
}

/// Signals the end of the interrupt being handled.
pub fn end_of_interrupt() {
    regs().write(EOI, 0);
}

/// Starts the timer counting down from `count` (÷16) with its interrupt
/// masked, for calibration.
pub fn start_free_running(count: u32) {
    let r = regs();
    r.write(TIMER_DIVIDE, DIVIDE_BY_16);
    r.write(LVT_TIMER, LVT_MASKED | vectors::APIC_TIMER as u32);
    r.write(TIMER_INITIAL, count);
}

/// The timer's current count.
pub fn timer_count() -> u32 {
    regs().read(TIMER_CURRENT)
}

/// Arms a one-shot timer interrupt after `ticks` timer ticks (÷16).
pub fn one_shot(ticks: u32) {
    let r = regs();
    r.write(TIMER_DIVIDE, DIVIDE_BY_16);
    r.write(LVT_TIMER, vectors::APIC_TIMER as u32);
    r.write(TIMER_INITIAL, ticks.max(1));
}

/// Stops the timer and masks its interrupt.
pub fn stop_timer() {
    let r = regs();
    r.write(LVT_TIMER, LVT_MASKED | vectors::APIC_TIMER as u32);
    r.write(TIMER_INITIAL, 0);
}

const ICR_LOW: usize = 0x300;
const ICR_HIGH: usize = 0x310;
const ICR_PENDING: u32 = 1 << 12;
const ICR_INIT: u32 = 0b101 << 8 | 1 << 14;
const ICR_STARTUP: u32 = 0b110 << 8 | 1 << 14;
const ICR_NMI: u32 = 0b100 << 8 | 1 << 14;

/// Sends an inter-processor interrupt command to `apic_id` and waits until
/// the APIC has accepted it.
fn send_ipi(apic_id: u32, command: u32) {
    crate::trace::ipi(apic_id, u64::from(command & 0x7ff));
    let r = regs();
    r.write(ICR_HIGH, apic_id << 24);
    r.write(ICR_LOW, command);
    while r.read(ICR_LOW) & ICR_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// A fixed interrupt with `vector` to another core.
pub fn send_fixed(apic_id: u32, vector: u8) {
    send_ipi(apic_id, 1 << 14 | u32::from(vector));
}

/// INIT to another core (it resets and waits for STARTUP).
pub fn send_init(apic_id: u32) {
    send_ipi(apic_id, ICR_INIT);
}

/// A non-maskable interrupt to another core.
pub fn send_nmi(apic_id: u32) {
    send_ipi(apic_id, ICR_NMI);
}

/// STARTUP to another core: it starts in real mode at `vector << 12`.
pub fn send_startup(apic_id: u32, vector: u8) {
    send_ipi(apic_id, ICR_STARTUP | u32::from(vector));
}
