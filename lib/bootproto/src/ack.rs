//! What a kernel reports back in its boot-parameter page: its
//! acknowledgement ([`BootAck`], at [`ACK_OFFSET`]), which says how far it
//! got, when, and what it is, and the counters it keeps there while it runs
//! (at [`COUNTERS_OFFSET`]). The starter that started it reads both while
//! the kernel runs: the stage word is published last, the counters are
//! atomics. The starter names the core it waits on in the page's doorbell
//! (at [`DOORBELL_OFFSET`]), and the kernel sends that core a notification
//! after every acknowledgement, so that the starter blocks instead of
//! polling.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::params::{NAME_CAPACITY, PARAMS_PAGE, text};

/// Where in the boot-parameter page the kernel reports its progress.
pub const ACK_OFFSET: usize = 3072;

/// What a kernel reports to its starter in the boot-parameter page (at
/// [`ACK_OFFSET`]): how far it got, when, and what it is. Its layout is the
/// page's format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct BootAck {
    /// [`ACK_ENTERED`], [`ACK_RUNNING`], [`ACK_REFUSED`], [`ACK_STOPPED`],
    /// [`ACK_FINISHED`], [`ACK_FAULTED`] or 0.
    pub stage: u64,
    /// TSC when the kernel's main was entered.
    pub tsc_entered: u64,
    /// TSC when its own initialisation was done.
    pub tsc_initialised: u64,
    /// TSC when it first dispatched its OSNode.
    pub tsc_running: u64,
    /// TSC when it stopped (after a stop request) or its program finished
    /// (a real-time kernel), else 0.
    pub tsc_stopped: u64,
    /// TSC when its stop began: the stop request's interrupt entered the
    /// kernel (or the kernel began a hand-over or a replacement), else 0.
    pub tsc_stop_entered: u64,
    /// The exit code of the program a real-time kernel ran, once
    /// [`ACK_FINISHED`].
    pub exit_code: u64,
    /// The layout of the KCB the kernel runs (once [`ACK_RUNNING`]): its
    /// own, after any conversion.
    pub kcb_layout: u64,
    /// `name version` of the kernel (NUL-padded).
    pub version: [u8; NAME_CAPACITY],
    /// What stopped a kernel that took a fatal fault (once
    /// [`ACK_FAULTED`]).
    pub fault: FaultReport,
}

/// The fatal fault a kernel reports with [`ACK_FAULTED`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FaultReport {
    /// The CPU exception's vector, or [`FAULT_PANIC`].
    pub vector: u64,
    /// Its error code (0 for exceptions without one).
    pub error_code: u64,
    /// The faulting instruction's address (0 for a panic).
    pub rip: u64,
    /// The faulting address of a page fault, else 0.
    pub address: u64,
    /// [`FAULT_OSNODES_INTACT`] or 0.
    pub flags: u64,
}

/// [`FaultReport::vector`] of a kernel panic (no CPU exception).
pub const FAULT_PANIC: u64 = 256;
/// [`FaultReport::vector`] of another fatal error (unusable boot
/// parameters, memory map or ACPI tables: the kernel's console says which).
pub const FAULT_FATAL: u64 = 257;
/// [`FaultReport::flags`]: the fault struck where this kernel's OSNodes
/// were consistent (between an entry's save of the running dispatcher
/// and any change to an object, or before the kernel touched its KCB), and
/// the kernel left them stopped as a stop does: another kernel can resume
/// them. Without it, the KCB is as the fault left it.
pub const FAULT_OSNODES_INTACT: u64 = 1 << 0;

impl FaultReport {
    /// Whether the kernel left its OSNodes stopped and intact.
    pub fn osnodes_intact(&self) -> bool {
        self.flags & FAULT_OSNODES_INTACT != 0
    }
}

impl core::fmt::Display for FaultReport {
    /// `page fault at RIP 0x.. (address 0x.., error 0x..)`, `panic`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let name = match self.vector {
            FAULT_PANIC => return f.write_str("kernel panic"),
            FAULT_FATAL => return f.write_str("fatal error at start"),
            0 => "divide error",
            1 => "debug exception",
            2 => "NMI from the starter, the kernel having stopped answering",
            3 => "breakpoint",
            4 => "overflow",
            5 => "bound range exceeded",
            6 => "invalid opcode",
            7 => "device not available",
            8 => "double fault",
            10 => "invalid TSS",
            11 => "segment not present",
            12 => "stack fault",
            13 => "general protection fault",
            14 => "page fault",
            16 => "x87 floating-point error",
            17 => "alignment check",
            18 => "machine check",
            19 => "SIMD floating-point error",
            _ => "CPU exception",
        };
        write!(f, "{name} (vector {}) at RIP {:#x}", self.vector, self.rip)?;
        if self.vector == 14 {
            write!(f, ", address {:#x}", self.address)?;
        }
        Ok(())
    }
}

/// Bytes of the ack area that [`BootAck`] takes (a whole number of
/// 64-bit words, so that it can be read and written a word at a time).
pub const ACK_BYTES: usize = size_of::<BootAck>();

const _: () = assert!(ACK_BYTES.is_multiple_of(8) && ACK_OFFSET.is_multiple_of(8));

/// Offset in the boot-parameter page of the counters a running kernel
/// keeps there for its starter (after the ack area): 64-bit words the
/// kernel increments atomically and the starter reads atomically; the
/// starter zeroes the page before the start.
pub const COUNTERS_OFFSET: usize = ACK_OFFSET + 512;
/// Counter word: IPIs the kernel received (notifications, stop requests).
/// A boot driver compares them across cores to see which cores an
/// operation disturbed.
pub const COUNTER_IPIS: usize = 0;
/// Counter word: interrupts the kernel handled, of any kind (an updated
/// kernel's check wants to see it take one).
pub const COUNTER_INTERRUPTS: usize = 1;

/// Offset in the boot-parameter page of the doorbell word: the APIC id
/// plus one of the core the starter waits on (0: none). The starter writes
/// it before the start and again before a stop request (it may have moved
/// meanwhile); the kernel reads it after each acknowledgement and sends
/// that core a notification. Both access it atomically.
pub const DOORBELL_OFFSET: usize = COUNTERS_OFFSET + 256;

/// The doorbell word naming the core with local APIC id `apic`.
pub const fn doorbell(apic: u32) -> u64 {
    apic as u64 + 1
}

/// The APIC id a doorbell word names, if any.
pub const fn doorbell_apic(word: u64) -> Option<u32> {
    match word {
        0 => None,
        w if w - 1 <= u32::MAX as u64 => Some((w - 1) as u32),
        _ => None,
    }
}

/// Offset in the boot-parameter page of the idle word, by which a starter
/// stops a kernel that idles without interrupting it. The kernel writes
/// [`IDLE_OFFERED`] as it halts in its idle loop, its OSNodes left as a
/// stop leaves them (marked stopped, no dispatcher current), and takes the
/// word back to [`IDLE_BUSY`] (compare and swap) first thing when an
/// interrupt wakes it. The starter stops the core by swapping
/// [`IDLE_OFFERED`] for [`IDLE_TAKEN`]: if that succeeds, the kernel never
/// touches its OSNodes again (its swap back fails, and it halts for good
/// with interrupts off, waiting for INIT); if not, the starter interrupts
/// it as usual. Both access the word atomically; the starter zeroes the
/// page before the start.
pub const IDLE_OFFSET: usize = DOORBELL_OFFSET + 8;
/// The idle word: the kernel runs (or offers nothing).
pub const IDLE_BUSY: u64 = 0;
/// The idle word: the kernel idles and may be stopped without an interrupt.
pub const IDLE_OFFERED: u64 = 1;
/// The idle word: the starter took the idle kernel's core; it is stopped.
pub const IDLE_TAKEN: u64 = 2;

/// Offset in the boot-parameter page of the NMI word: the starter writes
/// [`NMI_STOP`] there before it sends the kernel a non-maskable interrupt
/// because the kernel stopped answering; the kernel's NMI handler then
/// stops the core as after a fatal fault (reporting where it was, leaving
/// its OSNodes intact where it can, `ACK_FAULTED` with vector 2). An NMI
/// without it returns to what it interrupted.
pub const NMI_OFFSET: usize = IDLE_OFFSET + 8;
/// The NMI word: stop at the next NMI.
pub const NMI_STOP: u64 = 1;

const _: () = assert!(NMI_OFFSET.is_multiple_of(8) && NMI_OFFSET + 8 <= PARAMS_PAGE);
const _: () = assert!(COUNTERS_OFFSET.is_multiple_of(8) && COUNTERS_OFFSET + 16 <= DOORBELL_OFFSET);
const _: () = assert!(IDLE_OFFSET.is_multiple_of(8) && IDLE_OFFSET + 8 <= PARAMS_PAGE);
const _: () = assert!(DOORBELL_OFFSET.is_multiple_of(8) && DOORBELL_OFFSET + 8 <= PARAMS_PAGE);
const _: () = assert!(ACK_OFFSET + size_of::<BootAck>() <= COUNTERS_OFFSET);

/// [`BootAck::stage`]: the kernel's main was entered.
pub const ACK_ENTERED: u64 = 1;
/// [`BootAck::stage`]: the OSNode runs.
pub const ACK_RUNNING: u64 = 2;
/// [`BootAck::stage`]: the kernel refused to run the KCB it was given.
pub const ACK_REFUSED: u64 = 3;
/// [`BootAck::stage`]: asked to stop, the kernel saved its OSNode's running
/// dispatcher and halted; the KCB is intact and the core waits for INIT.
pub const ACK_STOPPED: u64 = 4;
/// [`BootAck::stage`]: a real-time kernel's one program ended
/// ([`BootAck::exit_code`]); the kernel halted and the core waits for INIT.
pub const ACK_FINISHED: u64 = 5;
/// [`BootAck::stage`]: the kernel took a fatal fault ([`BootAck::fault`]
/// says which, and whether it left its OSNodes intact); it halted (or
/// went back to the fallback kernel its parameters named) and the core
/// waits for INIT.
pub const ACK_FAULTED: u64 = 6;

impl BootAck {
    /// The fatal fault the kernel reported, if it reported one
    /// ([`ACK_FAULTED`]).
    pub fn faulted(&self) -> Option<FaultReport> {
        (self.stage == ACK_FAULTED).then_some(self.fault)
    }

    /// Encodes into the ack area of a boot-parameter page (which must
    /// hold it).
    pub fn encode(&self, page: &mut [u8]) {
        if let Some(dest) = page.get_mut(ACK_OFFSET..ACK_OFFSET + size_of::<Self>()) {
            dest.copy_from_slice(self.as_bytes());
        }
    }

    /// Decodes the ack area of a boot-parameter page (a short page as if
    /// zero-filled).
    pub fn decode(page: &[u8]) -> Self {
        let mut bytes = [0u8; size_of::<Self>()];
        let area = page.get(ACK_OFFSET..).unwrap_or(&[]);
        let n = area.len().min(bytes.len());
        bytes[..n].copy_from_slice(&area[..n]);
        Self::read_from_bytes(&bytes).unwrap_or_default()
    }

    /// Reads the ack from its own bytes (the ack area, [`ACK_BYTES`] of
    /// them at [`ACK_OFFSET`]; a short area as if zero-filled).
    pub fn from_area(area: &[u8]) -> Self {
        let mut bytes = [0u8; ACK_BYTES];
        let n = area.len().min(ACK_BYTES);
        bytes[..n].copy_from_slice(&area[..n]);
        Self::read_from_bytes(&bytes).unwrap_or_default()
    }

    /// Its bytes, as the ack area holds them.
    pub fn area(&self) -> &[u8] {
        self.as_bytes()
    }

    /// The version text.
    pub fn version_text(&self) -> &str {
        text(&self.version).unwrap_or("?")
    }
}
