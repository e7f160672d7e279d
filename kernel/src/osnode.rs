//! The OSNode this kernel currently runs: the one per-core pointer to a KCB
//! (DESIGN.md: the CPU driver owns nothing else that must survive it).
//!
//! A core may multiplex several OSNodes (parked ones): their KCBs form a
//! ring through their `ring_next`/`ring_prev` links, and the current one is
//! whichever runs now; the scheduler moves between them ([`ring`],
//! [`rotate`]).
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

/// Most KCBs one core multiplexes.
pub const MAX_RING: usize = 16;

/// The KCBs this core multiplexes, the current one first, then in ring
/// order (the ring links live in the KCBs: `ring_next`, `ring_prev`).
pub fn ring(mem: &mut crate::arch::objects::KernelMemory) -> arrayvec::ArrayVec<PAddr, MAX_RING> {
    let mut out = arrayvec::ArrayVec::new();
    let Some(start) = current() else {
        return out;
    };
    let mut at = start;
    loop {
        out.push(at);
        at = mem.kcb(at).ring_next;
        if at == start || at == 0 || out.is_full() || out.contains(&at) {
            return out;
        }
    }
}

/// Whether `kcb` is in this core's ring.
pub fn in_ring(mem: &mut crate::arch::objects::KernelMemory, kcb: PAddr) -> bool {
    ring(mem).contains(&kcb)
}

/// Adds `kcb` to this core's ring, after the current KCB.
pub fn attach(mem: &mut crate::arch::objects::KernelMemory, kcb: PAddr) {
    let Some(here) = current() else {
        set_current(kcb);
        let k = mem.kcb(kcb);
        (k.ring_next, k.ring_prev) = (kcb, kcb);
        return;
    };
    let next = mem.kcb(here).ring_next;
    {
        let k = mem.kcb(kcb);
        (k.ring_next, k.ring_prev) = (next, here);
    }
    mem.kcb(here).ring_next = kcb;
    mem.kcb(next).ring_prev = kcb;
}

/// Takes `kcb` (not the current one) out of this core's ring.
pub fn detach(mem: &mut crate::arch::objects::KernelMemory, kcb: PAddr) {
    let (next, prev) = {
        let k = mem.kcb(kcb);
        (k.ring_next, k.ring_prev)
    };
    mem.kcb(prev).ring_next = next;
    mem.kcb(next).ring_prev = prev;
    let k = mem.kcb(kcb);
    (k.ring_next, k.ring_prev) = (kcb, kcb);
}

/// Makes the next KCB of the ring the current one (round robin between
/// the OSNodes of a core).
pub fn rotate(mem: &mut crate::arch::objects::KernelMemory) {
    if let Some(here) = current() {
        let next = mem.kcb(here).ring_next;
        if next != 0 {
            set_current(next);
        }
    }
}
