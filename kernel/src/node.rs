//! The OSNodes this core runs: the one per-core pointer to a KCB (the
//! current one; the CPU driver owns nothing else that must survive it,
//! docs/design.md, rule 2), the ring of KCBs multiplexed here (parked OSNodes), and
//! taking over a stopped KCB ([`take_over`]: the one way an OSNode comes to
//! run on this core after it ran somewhere, whether this core boots with it
//! or it is parked here).
//!
//! Everything about the OSNode itself (scheduler queues, capabilities,
//! dispatchers, interrupt routes) is in the KCB and the objects reachable
//! from it, changed through `osnode::sched`.

use core::sync::atomic::{AtomicU64, Ordering};

use osnode::PAddr;
use osnode::kcb::KcbError;
use osnode::sched::{self, Ring};

use crate::arch::objects::KernelMemory;

/// Physical address of the KCB this core runs (0: none yet).
static CURRENT_KCB: AtomicU64 = AtomicU64::new(0);

/// Makes `kcb` the KCB this core runs.
pub fn set_current(kcb: PAddr) {
    crate::trace::kcb_switch(kcb);
    CURRENT_KCB.store(kcb, Ordering::Relaxed);
}

/// The KCB this core runs, if any.
pub fn current() -> Option<PAddr> {
    match CURRENT_KCB.load(Ordering::Relaxed) {
        0 => None,
        at => Some(at),
    }
}

/// The KCBs this core multiplexes, the current one first, then in ring
/// order.
pub fn ring(mem: &mut KernelMemory) -> Ring {
    sched::ring(mem, current())
}

/// Whether `kcb` is in this core's ring.
pub fn in_ring(mem: &mut KernelMemory, kcb: PAddr) -> bool {
    ring(mem).contains(&kcb)
}

/// Makes the next KCB of the ring the current one (round robin between
/// the OSNodes of a core).
pub fn rotate(mem: &mut KernelMemory) {
    if let Some(here) = current() {
        let next = mem.kcb(here).ring_next;
        if next != 0 {
            set_current(next);
        }
    }
}

/// How a stopped KCB comes to this core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// This core boots with it: it is the core's own (and only) OSNode.
    Boot,
    /// It is parked here: this core multiplexes it with its own.
    Park,
}

/// Takes over the stopped KCB `kcb` (after its checks, which differ by
/// `arrival`): converted to this kernel's layout (or refused, unchanged),
/// no longer stopped, its interrupted dispatcher queued, in this core's
/// ring, its notification waiters and its device drivers told to look
/// again (what arrived while it ran nowhere was not delivered).
pub fn take_over(mem: &mut KernelMemory, kcb: PAddr, arrival: Arrival) -> Result<(), KcbError> {
    let me = crate::identity::this_core();
    let converted = sched::take_over(mem, kcb, me.core_id, me.apic_id)?;
    let id = mem.kcb(kcb).id;
    if let Some(old) = converted {
        log::info!(
            "OSNode {id}: KCB converted from layout {old} to {}",
            osnode::kcb::KCB_VERSION
        );
    }
    match arrival {
        Arrival::Boot => {
            mem.kcb(kcb).note_resumed();
            sched::join_ring(mem, None, kcb);
            set_current(kcb);
        }
        Arrival::Park => match current() {
            Some(here) => sched::join_ring(mem, Some(here), kcb),
            None => {
                sched::join_ring(mem, None, kcb);
                set_current(kcb);
            }
        },
    }
    crate::interrupt::follow(mem, kcb);
    Ok(())
}

/// Takes `kcb` (not the current one) out of this core's ring: it is
/// stopped again.
pub fn give_up(mem: &mut KernelMemory, kcb: PAddr) {
    sched::leave_ring(mem, kcb);
    mem.kcb(kcb).flags |= osnode::kcb::KCB_STOPPED;
}
