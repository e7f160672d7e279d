//! The tracing kernel (`cpudriver-trace`, feature `trace`): every system
//! call (its number, the invoked capability's type, its result) and every
//! interrupt as a span from the kernel's entry to its exit, every IPI sent,
//! every switch to another dispatcher and of KCB, each with TSC stamps,
//! into the ring the boot driver gives it (`ktrace`, `arch::trace_ring`).
//! `corectrl trace N on` updates a core to this build and `off` back; the
//! boot driver reads the ring for `corectrl trace N dump`.
//!
//! The standard kernel pays nothing: every function here starts with a
//! test of `cfg!(feature = "trace")`, a constant, so without the feature
//! the calls compile to nothing. A kernel is single-threaded on its core
//! (interrupts off), so the open span is a few plain words.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use bootproto::params::BootParams;
use ktrace::{Kind, Record};
use spin::Once;

use crate::arch::trace_ring::TraceRing;

const ON: bool = cfg!(feature = "trace");

static RING: Once<TraceRing> = Once::new();
static OPEN: AtomicBool = AtomicBool::new(false);
static START: AtomicU64 = AtomicU64::new(0);
static KIND: AtomicU32 = AtomicU32::new(0);
static NUMBER: AtomicU32 = AtomicU32::new(0);
static DETAIL: AtomicU32 = AtomicU32::new(0);
static VALUE: AtomicU64 = AtomicU64::new(0);
static LAST_DCB: AtomicU64 = AtomicU64::new(u64::MAX);
static LAST_KCB: AtomicU64 = AtomicU64::new(0);

/// Takes the ring the boot parameters name, if this is the tracing build
/// and the ring is usable (`TraceRing::given`); says why not otherwise.
pub fn init(params: &BootParams) {
    if !ON {
        return;
    }
    match TraceRing::given(params) {
        Ok(Some(ring)) => {
            RING.call_once(|| ring);
            log::info!(
                "trace: recording into {} KiB at {:#x}",
                params.trace_size / 1024,
                params.trace_phys
            );
        }
        Ok(None) => log::warn!("trace: the boot parameters give no ring; not tracing"),
        Err(why) => log::warn!(
            "trace: the ring at {:#x} ({} bytes): {why}; not tracing",
            params.trace_phys,
            params.trace_size
        ),
    }
}

fn push(record: Record) {
    if let Some(ring) = RING.get() {
        ring.push(&record);
    }
}

fn begin(kind: Kind, number: u64) {
    if !ON {
        return;
    }
    START.store(cpu::instr::rdtsc(), Ordering::Relaxed);
    KIND.store(kind as u32, Ordering::Relaxed);
    // A number beyond 32 bits is no call: it reads as the largest, unknown.
    NUMBER.store(u32::try_from(number).unwrap_or(u32::MAX), Ordering::Relaxed);
    DETAIL.store(0, Ordering::Relaxed);
    VALUE.store(0, Ordering::Relaxed);
    OPEN.store(true, Ordering::Relaxed);
}

/// A system call entered the kernel.
pub fn syscall(number: u64) {
    begin(Kind::Syscall, number);
}

/// An interrupt or exception entered the kernel.
pub fn interrupt(vector: u64) {
    begin(Kind::Interrupt, vector);
}

/// The system call invokes a capability of type `cap_type`.
pub fn invoked(cap_type: u8) {
    if ON {
        DETAIL.store(u32::from(cap_type), Ordering::Relaxed);
    }
}

/// The system call ends with error code `code` (0: success).
pub fn result(code: u64) {
    if ON {
        VALUE.store(code, Ordering::Relaxed);
    }
}

/// The kernel leaves (to a dispatcher, or to idle): the open span, if
/// any, is recorded.
pub fn leave() {
    if !ON || !OPEN.swap(false, Ordering::Relaxed) {
        return;
    }
    push(Record {
        start: START.load(Ordering::Relaxed),
        end: cpu::instr::rdtsc(),
        kind: KIND.load(Ordering::Relaxed) as u8,
        reserved: 0,
        detail: DETAIL.load(Ordering::Relaxed) as u16,
        number: NUMBER.load(Ordering::Relaxed),
        value: VALUE.load(Ordering::Relaxed),
    });
}

fn instant(kind: Kind, number: u32, value: u64) {
    let at = cpu::instr::rdtsc();
    push(Record {
        start: at,
        end: at,
        kind: kind as u8,
        reserved: 0,
        detail: 0,
        number,
        value,
    });
}

/// The kernel enters dispatcher `id` (recorded when it is another one).
pub fn dispatch(id: u64) {
    if ON && LAST_DCB.swap(id, Ordering::Relaxed) != id {
        instant(Kind::Dispatch, u32::try_from(id).unwrap_or(u32::MAX), 0);
    }
}

/// This core now runs KCB `kcb` (recorded when it is another one).
pub fn kcb_switch(kcb: u64) {
    if ON && LAST_KCB.swap(kcb, Ordering::Relaxed) != kcb {
        instant(Kind::KcbSwitch, 0, kcb);
    }
}

/// This kernel sends an IPI to APIC `target` (its vector, or its delivery
/// mode for INIT, STARTUP and NMI).
pub fn ipi(target: u32, vector: u64) {
    if ON {
        instant(Kind::Ipi, target, vector);
    }
}
