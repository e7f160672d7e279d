//! The CPU driver's interrupt vector plan.
//!
//! | vectors | use |
//! |---|---|
//! | 0x00-0x1f | CPU exceptions |
//! | 0x30 | local APIC timer |
//! | 0x31 | notification from another core (IPI_NOTIFY) |
//! | 0x32 | stop request from the boot driver (IPI_STOP) |
//! | 0x33 | fault request from the boot driver (IPI_FAULT): a page fault in ring 0, for tests of the recovery |
//! | 0x34 | hang request from the boot driver (IPI_FAULT, a1 = 1): halt with interrupts off, for tests of the watchdog |
//! | 0x35 | fault request from the boot driver (IPI_FAULT, a1 = 2): a page fault in ring 0 once the handler may have changed objects |
//! | 0xe0-0xef | the legacy 8259 PIC, remapped here and masked (only its spurious IRQ 7/15 can arrive) |
//! | 0xff | local APIC spurious interrupt |
//!
//! And the names of the CPU exceptions, for reports.

/// The non-maskable interrupt.
pub const NMI: u64 = 2;
/// Page fault.
pub const PAGE_FAULT: u64 = 14;
/// Machine check: the hardware failed.
pub const MACHINE_CHECK: u64 = 18;
/// Local APIC timer.
pub const APIC_TIMER: u64 = 0x30;
/// A notification IPI: wake the dispatchers waiting for one.
pub const NOTIFY: u64 = 0x31;
/// A stop request: save the running dispatcher and halt.
pub const STOP: u64 = 0x32;
/// A fault request: take a page fault in ring 0 (`crate::selftest`).
pub const FAULT_REQUEST: u64 = 0x33;
/// A hang request: halt with interrupts off (`crate::selftest`).
pub const HANG_REQUEST: u64 = 0x34;
/// A fault request for a fault where objects may be half changed
/// (`crate::selftest`).
pub const FAULT_CHANGING_REQUEST: u64 = 0x35;
/// First vector of the remapped legacy PIC.
pub const LEGACY_PIC_FIRST: u64 = 0xe0;
/// Last vector of the remapped legacy PIC.
pub const LEGACY_PIC_LAST: u64 = 0xef;
/// Local APIC spurious-interrupt vector.
pub const APIC_SPURIOUS: u64 = 0xff;

/// Mnemonic and name of exception `vector`.
pub fn name(vector: u64) -> (&'static str, &'static str) {
    match vector {
        0 => ("#DE", "divide error"),
        1 => ("#DB", "debug"),
        2 => ("NMI", "non-maskable interrupt"),
        3 => ("#BP", "breakpoint"),
        4 => ("#OF", "overflow"),
        5 => ("#BR", "bound range exceeded"),
        6 => ("#UD", "invalid opcode"),
        7 => ("#NM", "device not available"),
        8 => ("#DF", "double fault"),
        10 => ("#TS", "invalid TSS"),
        11 => ("#NP", "segment not present"),
        12 => ("#SS", "stack-segment fault"),
        13 => ("#GP", "general protection fault"),
        14 => ("#PF", "page fault"),
        16 => ("#MF", "x87 floating-point error"),
        17 => ("#AC", "alignment check"),
        18 => ("#MC", "machine check"),
        19 => ("#XM", "SIMD floating-point exception"),
        20 => ("#VE", "virtualization exception"),
        21 => ("#CP", "control protection"),
        28 => ("#HV", "hypervisor injection"),
        29 => ("#VC", "VMM communication"),
        30 => ("#SX", "security exception"),
        _ => ("#??", "reserved exception"),
    }
}

/// A page-fault error code, decoded for reports.
pub struct PageFaultCode(pub u64);

impl core::fmt::Display for PageFaultCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let code = self.0;
        f.write_str(if code & 0x10 != 0 {
            "instruction fetch"
        } else if code & 2 != 0 {
            "write"
        } else {
            "read"
        })?;
        f.write_str(if code & 1 != 0 {
            ", protection violation"
        } else {
            ", page not present"
        })?;
        f.write_str(if code & 4 != 0 {
            ", user mode"
        } else {
            ", kernel mode"
        })?;
        if code & 8 != 0 {
            f.write_str(", reserved bit set")?;
        }
        Ok(())
    }
}
