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
//!   wait-for-STARTUP, so the kernel sending it must know;
//! * the screen's text console (its address: one platform fact, like the
//!   bootstrap core's APIC id; the console state there is device
//!   arbitration, under the console lock);
//! * the rescue watch ([`WATCH`]): the boot driver's request that another
//!   core's kernel start a fallback kernel on the boot driver's own core if
//!   the kernel it updates that core to never takes its KCB (no kernel
//!   state either: a request with a deadline, claimed by exactly one side).
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
/// Offset of the rescue watch: [`WATCH_WORDS`] 32-bit words, alone in
/// their cache line.
///
/// The boot driver fills it in before it updates the kernel of its own
/// core in place (KERNEL_REPLACE), with the state word last:
/// [`WATCH_TARGET`] the APIC id (plus one) of that core, [`WATCH_WATCHER`]
/// that of another running core whose kernel watches, [`WATCH_WINDOW`] how
/// long the new kernel has (ms), [`WATCH_KERNEL`] the physical address of
/// the new kernel's boot parameters (below 4 GiB), [`WATCH_ENTRY`] the
/// physical address of the trampoline that starts the fallback kernel
/// (prepared to resume the same KCB on that core), and [`WATCH_STATE`] =
/// [`WATCH_PENDING`]. The old kernel, once it has stopped the KCB and just
/// before it jumps to the new one, writes the deadline
/// ([`WATCH_DEADLINE_LO`] and [`WATCH_DEADLINE_HI`], a time of the system
/// clock: ns since reset, the same on every core), turns [`WATCH_PENDING`]
/// into [`WATCH_ARMED`] and notifies the watcher: so the watch never fires
/// while the old kernel still runs the KCB. A watch still pending after a
/// refused KERNEL_REPLACE is taken back by the boot driver. Exactly one of
/// two compare-and-swaps from [`WATCH_ARMED`] succeeds:
/// * the new kernel's (the one whose parameters [`WATCH_KERNEL`] names),
///   to [`WATCH_IDLE`], before it touches its KCB: it runs (a kernel whose
///   swap fails halts at once, touching nothing);
/// * the watcher's, to [`WATCH_FIRED`], once the deadline has passed: it
///   sends the target INIT (through the warm-reset vector, for the
///   bootstrap core) and STARTUP at the entry, and the fallback kernel
///   resumes the KCB.
pub const WATCH: usize = 2176;
/// Words of the rescue watch.
pub const WATCH_WORDS: usize = 8;
/// Rescue watch word: the state.
pub const WATCH_STATE: usize = WATCH;
/// Rescue watch word: the watched core's APIC id plus one.
pub const WATCH_TARGET: usize = WATCH + 4;
/// Rescue watch word: the watching core's APIC id plus one.
pub const WATCH_WATCHER: usize = WATCH + 8;
/// Rescue watch word: the deadline (ns), low half.
pub const WATCH_DEADLINE_LO: usize = WATCH + 12;
/// Rescue watch word: the deadline (ns), high half.
pub const WATCH_DEADLINE_HI: usize = WATCH + 16;
/// Rescue watch word: the fallback's real-mode entry (trampoline page).
pub const WATCH_ENTRY: usize = WATCH + 20;
/// Rescue watch word: the new kernel's boot parameters (physical address).
pub const WATCH_KERNEL: usize = WATCH + 24;
/// Rescue watch word: how long the new kernel has to claim its start (ms).
pub const WATCH_WINDOW: usize = WATCH + 28;
/// Rescue watch state: nothing is watched.
pub const WATCH_IDLE: u32 = 0;
/// Rescue watch state: the target's new kernel has until the deadline to
/// claim its start.
pub const WATCH_ARMED: u32 = 1;
/// Rescue watch state: the watcher started the fallback.
pub const WATCH_FIRED: u32 = 2;
/// Rescue watch state: filled in; the old kernel arms it as it jumps.
pub const WATCH_PENDING: u32 = 3;
/// Offset of the screen's text console: the physical address of the
/// `screen::Terminal` the loader made, as two 32-bit words (low half
/// first; 0 = no screen). Written once by the first core's kernel before
/// any other core starts; every kernel draws on it under the console lock.
pub const SCREEN_LO: usize = WATCH + WATCH_WORDS * 4;
/// High half of [`SCREEN_LO`]'s address.
pub const SCREEN_HI: usize = SCREEN_LO + 4;
/// Offset of the screen lock (a 32-bit word, 0 = free, else the drawing
/// core's APIC id plus one): taken around every drawing, never overridden
/// (unlike the console lock), released by its holder, by its kernel's
/// fatal path, or by the next kernel started on that core.
pub const SCREEN_LOCK: usize = SCREEN_HI + 4;
/// Bytes used (the page is 4 KiB).
pub const USED: usize = SCREEN_LOCK + 4;

const _: () = assert!(WATCH >= IRQ_CLAIMS + IRQ_LINES * 4 && WATCH.is_multiple_of(64));

const _: () = assert!(USED <= 4096);
