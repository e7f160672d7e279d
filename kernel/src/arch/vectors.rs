//! The CPU driver's interrupt vector plan.
//!
//! | vectors | use |
//! |---|---|
//! | 0x00-0x1f | CPU exceptions |
//! | 0x30 | local APIC timer |
//! | 0x31 | notification from another core (IPI_NOTIFY) |
//! | 0x32 | stop request from the boot driver (IPI_STOP) |
//! | 0xe0-0xef | the legacy 8259 PIC, remapped here and masked (only its spurious IRQ 7/15 can arrive) |
//! | 0xff | local APIC spurious interrupt |

/// Local APIC timer.
pub const APIC_TIMER: u64 = 0x30;
/// A notification IPI: wake the dispatchers waiting for one.
pub const NOTIFY: u64 = 0x31;
/// A stop request: save the running dispatcher and halt.
pub const STOP: u64 = 0x32;
/// First vector of the remapped legacy PIC.
pub const LEGACY_PIC_FIRST: u64 = 0xe0;
/// Last vector of the remapped legacy PIC.
pub const LEGACY_PIC_LAST: u64 = 0xef;
/// Local APIC spurious-interrupt vector.
pub const APIC_SPURIOUS: u64 = 0xff;
