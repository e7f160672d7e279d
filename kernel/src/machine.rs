//! What this kernel learnt about the machine at boot and tells the boot
//! driver (KERNEL_INFO): clock rates, the top of physical memory, where the
//! ACPI tables and the system page are, the memory map it booted with, and
//! its own name and version. Per-boot scratch.

use spin::Once;

/// The facts.
#[derive(Debug, Clone, Copy)]
pub struct Machine {
    /// TSC ticks per second.
    pub tsc_hz: u64,
    /// APIC timer ticks per second (divide-by-16).
    pub apic_timer_hz: u64,
    /// One past the highest physical address of memory.
    pub phys_top: u64,
    /// The RSDP (0: search).
    pub rsdp: u64,
    /// The memory map this kernel booted with.
    pub memory_map: bootproto::memmap::MemoryMap<{ bootproto::params::MEMORY_MAP_CAPACITY }>,
    /// Image name and version (`cpudriver 0.1.0`).
    pub version: arrayvec::ArrayString<32>,
}

static MACHINE: Once<Machine> = Once::new();

/// Records the facts (once).
pub fn set(machine: Machine) {
    MACHINE.call_once(|| machine);
}

/// The facts, once recorded.
pub fn get() -> Option<&'static Machine> {
    MACHINE.get()
}
