//! What happens to an OSNode's dispatchers and queues when the kernel
//! schedules, blocks, wakes, ends or hands them over: every change to the
//! KCB's queues goes through here, so that each is written once (a queue
//! head lives in the KCB, its links in the DCBs: it is copied out, changed
//! and written back).
//!
//! The kernel decides *when* (an entry, an interrupt, a stop request);
//! these functions say *what* changes. They know nothing of how memory is
//! reached ([`Objects`]), of cores or of the hardware, and are tested on the
//! host against a model (`tests/sched.rs`).
//!
//! Several OSNodes can share a core (parked ones): their KCBs form a
//! *ring* through `ring_next`/`ring_prev`; the scheduler serves them in
//! ring order, the current one first.

use abi::dispatcher::NOTIFY_BIT;
use abi::invoke::state;
use arrayvec::ArrayVec;

use crate::dcb::{NOTIFIED, ON_RUN_QUEUE, Resume, SYSTEM, WAITING};
use crate::kcb::{KCB_STOPPED, Kcb, KcbError};
use crate::{DcbMemory, PAddr};

/// Most KCBs one core multiplexes.
pub const MAX_RING: usize = 16;

/// The KCBs of a core, the current one first.
pub type Ring = ArrayVec<PAddr, MAX_RING>;

/// The objects of the OSNodes a core runs, by physical address.
pub trait Objects: DcbMemory {
    /// The KCB at `at` (a live KernelControlBlock object).
    fn kcb(&mut self, at: PAddr) -> &mut Kcb;

    /// Writes what a WAIT returns (`timed_out`) into the save area the
    /// dispatcher at `dcb` resumes from (`resume`).
    fn set_wait_result(&mut self, dcb: PAddr, resume: Resume, timed_out: bool);
}

/// `dcb` goes to the back of its class in `kcb`'s run queue (unless
/// queued already): a system dispatcher behind the system ones queued,
/// ahead of every ordinary one; an ordinary one at the very back.
pub fn make_runnable(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) {
    if mem.dcb(dcb).flags & ON_RUN_QUEUE != 0 {
        return;
    }
    let mut queue = mem.kcb(kcb).run_queue;
    if is_system(mem, dcb) {
        let after = queue.last_leading(mem, |d| d.flags & SYSTEM != 0);
        queue.insert_after(mem, after, dcb);
    } else {
        queue.push_back(mem, dcb);
    }
    mem.kcb(kcb).run_queue = queue;
}

/// Whether `dcb` is a system dispatcher (`dcb::SYSTEM`).
pub fn is_system(mem: &mut impl Objects, dcb: PAddr) -> bool {
    mem.dcb(dcb).flags & SYSTEM != 0
}

/// The runnable dispatcher `dcb` of `kcb` runs next among its class: it
/// moves to the front of the run queue (behind the system dispatchers
/// queued, if it is an ordinary one). Returns whether it was queued there (otherwise,
/// not runnable or another KCB's, nothing changes). The kernel does this when a dispatcher that woke `dcb` with a
/// message blocks for the answer, so that a call and its reply do not wait
/// behind every other runnable dispatcher.
pub fn run_next(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) -> bool {
    let d = mem.dcb(dcb);
    if d.flags & ON_RUN_QUEUE == 0 || d.kcb != kcb {
        return false;
    }
    first_of_class(mem, kcb, dcb);
    true
}

/// The running dispatcher `dcb` stops running, to go on later (`resume`
/// says how), first of its class in the run queue: an ordinary one behind
/// the system ones queued, a system one first; `kcb` runs nobody. For an
/// ordinary dispatcher whose message woke a system service: the service
/// runs, then the sender goes on.
pub fn requeue_first(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr, resume: Resume) {
    mem.dcb(dcb).resume = resume as u32;
    first_of_class(mem, kcb, dcb);
    mem.kcb(kcb).current = 0;
}

/// Queues `dcb` first of its class (a system dispatcher first of all, an
/// ordinary one right behind the system ones), taking it from wherever it
/// is queued.
fn first_of_class(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) {
    let mut queue = mem.kcb(kcb).run_queue;
    queue.remove(mem, dcb);
    let after = if is_system(mem, dcb) {
        0
    } else {
        queue.last_leading(mem, |d| d.flags & SYSTEM != 0)
    };
    queue.insert_after(mem, after, dcb);
    mem.kcb(kcb).run_queue = queue;
}

/// The running dispatcher `dcb` stops running, to go on later (`resume`
/// says how): it goes to the back of the run queue; `kcb` runs nobody.
pub fn requeue(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr, resume: Resume) {
    mem.dcb(dcb).resume = resume as u32;
    make_runnable(mem, kcb, dcb);
    mem.kcb(kcb).current = 0;
}

/// The running dispatcher `dcb` used up a whole time slice, to go on later
/// (`resume` says how): it goes to the very back of the run queue, behind
/// ordinary dispatchers even if it is a system one (programs get a turn
/// between a busy service's slices); `kcb` runs nobody.
pub fn yield_back(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr, resume: Resume) {
    mem.dcb(dcb).resume = resume as u32;
    let mut queue = mem.kcb(kcb).run_queue;
    queue.push_back(mem, dcb);
    mem.kcb(kcb).run_queue = queue;
    mem.kcb(kcb).current = 0;
}

/// The running dispatcher `dcb` waits (WAIT) until a message, a
/// notification it waits for, or `deadline_ns` (0: none); it resumes as
/// `resume` says, and `kcb` runs nobody.
pub fn block(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr, deadline_ns: u64, resume: Resume) {
    {
        let d = mem.dcb(dcb);
        d.resume = resume as u32;
        d.flags |= WAITING;
        d.state = state::BLOCKED;
    }
    if deadline_ns != 0 {
        let mut wakeups = mem.kcb(kcb).wakeups;
        wakeups.insert(mem, dcb, deadline_ns);
        mem.kcb(kcb).wakeups = wakeups;
    }
    mem.kcb(kcb).current = 0;
}

/// Makes the waiting dispatcher `dcb` of `kcb` runnable; its WAIT returns
/// `timed_out`. Returns whether it was waiting (otherwise nothing changes).
pub fn wake(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr, timed_out: bool) -> bool {
    let resume = {
        let d = mem.dcb(dcb);
        if d.flags & WAITING == 0 {
            return false;
        }
        d.flags &= !WAITING;
        d.state = state::RUNNABLE;
        d.resume_mode()
    };
    let mut wakeups = mem.kcb(kcb).wakeups;
    wakeups.remove(mem, dcb);
    mem.kcb(kcb).wakeups = wakeups;
    mem.set_wait_result(dcb, resume, timed_out);
    make_runnable(mem, kcb, dcb);
    true
}

/// Wakes every sleeper of `kcb` whose deadline is at or before `now_ns`
/// (their WAIT times out); returns whether any woke.
pub fn wake_expired(mem: &mut impl Objects, kcb: PAddr, now_ns: u64) -> bool {
    let mut any = false;
    loop {
        let mut wakeups = mem.kcb(kcb).wakeups;
        let expired = wakeups.pop_expired(mem, now_ns);
        mem.kcb(kcb).wakeups = wakeups;
        match expired {
            Some(dcb) => any |= wake(mem, kcb, dcb, true),
            None => return any,
        }
    }
}

/// A notification for `kcb`'s OSNode: every dispatcher waiting for one
/// wakes; every other one is marked, so that its next WAIT for a
/// notification returns at once (none is lost to a race). Returns whether
/// any woke.
pub fn notify(mem: &mut impl Objects, kcb: PAddr) -> bool {
    let list = mem.kcb(kcb).dispatchers;
    let mut any = false;
    let mut at = list.next(mem, 0);
    while at != 0 {
        let next = list.next(mem, at);
        let d = mem.dcb(at);
        if d.flags & WAITING != 0 && d.wait_rings & NOTIFY_BIT != 0 {
            any |= wake(mem, kcb, at, false);
        } else {
            d.flags |= NOTIFIED;
        }
        at = next;
    }
    any
}

/// Whether a WAIT of `dcb` for `rings` returns at once for a notification
/// that came since it last waited for one (the mark is taken).
pub fn take_notification(mem: &mut impl Objects, dcb: PAddr, rings: u64) -> bool {
    let d = mem.dcb(dcb);
    let notified = rings & NOTIFY_BIT != 0 && d.flags & NOTIFIED != 0;
    if notified {
        d.flags &= !NOTIFIED;
    }
    notified
}

/// Takes the ended dispatcher `dcb` off `kcb`'s run and wakeup queues
/// (and makes `kcb` run nobody, if it ran `dcb`).
pub fn unlink(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) {
    let mut run = mem.kcb(kcb).run_queue;
    run.remove(mem, dcb);
    let mut wakeups = mem.kcb(kcb).wakeups;
    wakeups.remove(mem, dcb);
    let k = mem.kcb(kcb);
    k.run_queue = run;
    k.wakeups = wakeups;
    if k.current == dcb {
        k.current = 0;
    }
}

/// Lists the new dispatcher `dcb` among `kcb`'s.
pub fn add_dispatcher(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) {
    let mut list = mem.kcb(kcb).dispatchers;
    list.insert(mem, dcb);
    mem.kcb(kcb).dispatchers = list;
}

/// Takes the destroyed dispatcher `dcb` off every queue and list of `kcb`.
pub fn remove_dispatcher(mem: &mut impl Objects, kcb: PAddr, dcb: PAddr) {
    unlink(mem, kcb, dcb);
    let mut list = mem.kcb(kcb).dispatchers;
    list.remove(mem, dcb);
    mem.kcb(kcb).dispatchers = list;
}

/// The next dispatcher to run on a core whose ring is `ring`: the first
/// queued one of the first KCB (in ring order) that has one. It is taken
/// off its queue and becomes its KCB's current one.
pub fn pick(mem: &mut impl Objects, ring: &[PAddr]) -> Option<(PAddr, PAddr)> {
    ring.iter().find_map(|&kcb| {
        let mut queue = mem.kcb(kcb).run_queue;
        let next = queue.pop_front(mem);
        let k = mem.kcb(kcb);
        k.run_queue = queue;
        let next = next?;
        k.current = next;
        Some((kcb, next))
    })
}

/// The earliest wakeup deadline of the OSNodes in `ring`.
pub fn next_deadline(mem: &mut impl Objects, ring: &[PAddr]) -> Option<u64> {
    ring.iter()
        .filter_map(|&kcb| {
            let wakeups = mem.kcb(kcb).wakeups;
            wakeups.next_deadline(mem)
        })
        .min()
}

/// The ring through `start`, `start` first, in ring order (empty for
/// none). A broken link ends it; it never holds a KCB twice.
pub fn ring(mem: &mut impl Objects, start: Option<PAddr>) -> Ring {
    let mut out = Ring::new();
    let Some(start) = start else {
        return out;
    };
    let mut at = start;
    loop {
        out.push(at);
        at = mem.kcb(at).ring_next;
        if at == 0 || out.is_full() || out.contains(&at) {
            return out;
        }
    }
}

/// Puts `kcb` into the ring after `here` (`None`: it makes a ring of its
/// own).
pub fn join_ring(mem: &mut impl Objects, here: Option<PAddr>, kcb: PAddr) {
    let Some(here) = here else {
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

/// Takes `kcb` out of its ring (it makes a ring of its own).
pub fn leave_ring(mem: &mut impl Objects, kcb: PAddr) {
    let (next, prev) = {
        let k = mem.kcb(kcb);
        (k.ring_next, k.ring_prev)
    };
    mem.kcb(prev).ring_next = next;
    mem.kcb(next).ring_prev = prev;
    let k = mem.kcb(kcb);
    (k.ring_next, k.ring_prev) = (kcb, kcb);
}

/// Stops every OSNode of `ring` (its core stops): none runs a dispatcher
/// (the running one was requeued first), each is marked stopped; nothing
/// else changes.
pub fn stop(mem: &mut impl Objects, ring: &[PAddr]) {
    for &kcb in ring {
        let k = mem.kcb(kcb);
        k.current = 0;
        k.flags |= KCB_STOPPED;
    }
}

/// A core takes over the stopped KCB `kcb` (core `core`, APIC `apic`):
/// the KCB is converted to this build's layout (or refused, unchanged), it
/// is no longer stopped, a dispatcher still marked current goes back to
/// its queue, and every notification waiter looks again (a notification
/// sent while the OSNode ran nowhere was not delivered; a spurious wakeup
/// at worst). Returns the layout it was converted from, if it was.
pub fn take_over(
    mem: &mut impl Objects,
    kcb: PAddr,
    core: u32,
    apic: u32,
) -> Result<Option<u32>, KcbError> {
    let converted = mem.kcb(kcb).adopt()?;
    let interrupted = {
        let k = mem.kcb(kcb);
        k.flags &= !KCB_STOPPED;
        k.last_core = core;
        k.last_apic = apic;
        core::mem::replace(&mut k.current, 0)
    };
    if interrupted != 0 {
        make_runnable(mem, kcb, interrupted);
    }
    notify(mem, kcb);
    Ok(converted)
}
