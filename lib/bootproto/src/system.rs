//! The system page: the one page every kernel of the machine can reach,
//! allocated by the first core's kernel and named in every core's boot
//! parameters. It holds exactly two things (DESIGN.md allows no other
//! shared kernel state):
//!
//! * the console lock, so that lines from different cores' kernels do not
//!   interleave on the one serial port (device arbitration, not OS state);
//! * the OSNode table: for each OSNode (KCB id) the APIC id of the core that
//!   runs it (plus one; 0 = not running), written by the boot driver and
//!   read by kernels to address notifications to OSNodes (issue 5).
//!
//! Both are words accessed atomically; their offsets are fixed here.

/// Offset of the console lock (a 32-bit word, 0 = free, else holder's APIC
/// id plus one), alone in its cache line.
pub const CONSOLE_LOCK: usize = 0;
/// Offset of the OSNode table: [`OSNODES`] 32-bit entries.
pub const OSNODE_TABLE: usize = 64;
/// Entries in the OSNode table.
pub const OSNODES: usize = 256;
/// Bytes used (the page is 4 KiB).
pub const USED: usize = OSNODE_TABLE + OSNODES * 4;

const _: () = assert!(USED <= 4096);
