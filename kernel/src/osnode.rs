//! The OSNode this kernel currently runs: the one per-core pointer to a KCB
//! (DESIGN.md: the CPU driver owns nothing else that must survive it).
//!
//! Everything about the OSNode itself (scheduler queues, capabilities,
//! dispatchers, interrupt routes) is in the KCB and the objects reachable
//! from it. Kernel code reaches them through one
//! [`KernelMemory`](crate::arch::objects::KernelMemory) handle, which lends
//! out one object at a time: small structures (a queue head, the MDB root)
//! are copied out, changed and written back, so no reference to a KCB or
//! DCB is alive while the capability library rewrites CTEs inside them.

use core::sync::atomic::{AtomicU64, Ordering};

use osnode::PAddr;

/// Physical address of the KCB this core runs (0: none yet).
static CURRENT_KCB: AtomicU64 = AtomicU64::new(0);

/// Makes `kcb` the KCB this core runs.
pub fn set_current(kcb: PAddr) {
    CURRENT_KCB.store(kcb, Ordering::Relaxed);
}

/// The KCB this core runs, if any.
pub fn current() -> Option<PAddr> {
    match CURRENT_KCB.load(Ordering::Relaxed) {
        0 => None,
        at => Some(at),
    }
}
