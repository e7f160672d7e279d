//! The system page: the one page every kernel of the machine can reach,
//! allocated by the first core's kernel and named in every core's boot
//! parameters. It holds device arbitration and the OSNode table
//! (docs/design.md, rule 1, allows no other shared kernel state) besides
//! one platform fact:
//!
//! * the console lock, so that lines from different cores' kernels do not
//!   interleave on the one serial port (device arbitration, not OS state);
//! * the OSNode table: for each OSNode (KCB id) the APIC id of the core that
//!   runs it (plus one; 0 = not running), written by the boot driver and
//!   read by kernels to address notifications to OSNodes;
//! * the interrupt-line claims: for each GSI the OSNode (plus one; 0 = none)
//!   that holds its IRQ-source capability, so that an OSNode's line is no
//!   other OSNode's to route (device arbitration, like the console lock);
//! * the bootstrap core's APIC id (plus one), written by the kernel running
//!   on it: INIT sends that core through the firmware, not to
//!   wait-for-STARTUP, so the kernel sending it must know.
//!
//! All are words accessed atomically; their offsets are fixed here.

/// Offset of the console lock (a 32-bit word, 0 = free, else holder's APIC
/// id plus one), alone in its cache line.
pub const CONSOLE_LOCK: usize = 0;
/// Offset of the OSNode table: [`OSNODES`] 32-bit entries.
pub const OSNODE_TABLE: usize = 64;
/// Entries in the OSNode table.
pub const OSNODES: usize = 256;
/// Offset of the bootstrap core's APIC id plus one (32 bits; 0 = unknown).
pub const BOOTSTRAP_APIC: usize = OSNODE_TABLE + OSNODES * 4;
/// Offset of the interrupt-line claims: [`IRQ_LINES`] 32-bit entries, the
/// claiming OSNode's id plus one (0 = free).
pub const IRQ_CLAIMS: usize = BOOTSTRAP_APIC + 4;
/// Interrupt lines (GSIs) that can be claimed.
pub const IRQ_LINES: usize = 256;
/// Bytes used (the page is 4 KiB).
pub const USED: usize = IRQ_CLAIMS + IRQ_LINES * 4;

const _: () = assert!(USED <= 4096);
