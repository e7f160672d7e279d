//! Choosing what runs next on this core: the next runnable dispatcher of
//! the current OSNode, then of the others in ring order (`osnode::sched`
//! holds the queues' logic); time slices; blocking in WAIT; idling.
//!
//! Round robin with one exception, time-slice donation: a dispatcher that
//! sent a message which woke its receiver and then blocks in WAIT (a call
//! waiting for its reply) hands the rest of its time slice to that
//! receiver, which runs next instead of behind every other runnable
//! dispatcher; its reply hands the slice back the same way. A call and its
//! reply so cost microseconds even on a core shared with busy programs,
//! and stay fair: the two share one slice, and when it ends the one
//! running goes to the back of the queue like anyone else.
//!
//! System services (the boot driver, the memory server, the serial driver,
//! the monitors, init: `osnode::dcb::SYSTEM`) run ahead of ordinary
//! dispatchers: they queue in front of them (but behind everyone after a
//! whole time slice of their own), and waking one (by an interrupt, or by an
//! ordinary dispatcher's SEND) preempts the ordinary dispatcher running, so
//! a busy program cannot stall a boot by its time slices.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use osnode::PAddr;
use osnode::sched;

use super::enter::{Current, resume_current};
use crate::arch::objects::KernelMemory;
use crate::{node, time, timer};

/// When the running dispatcher's time slice ends (system-clock ns).
static SLICE_END: AtomicU64 = AtomicU64::new(0);
/// When the running dispatcher was dispatched.
static DISPATCHED_AT: AtomicU64 = AtomicU64::new(0);
/// The dispatcher (of the running one's KCB) that the running one's last
/// SEND woke, or 0.
static WOKEN_BY_SEND: AtomicU64 = AtomicU64::new(0);
/// The dispatcher the current time slice was started for (not one it was
/// donated to).
static SLICE_OWNER: AtomicU64 = AtomicU64::new(0);
/// The dispatcher the rest of the current time slice was handed to, or 0.
static DONATED_TO: AtomicU64 = AtomicU64::new(0);

/// Whether the running (ordinary) dispatcher's SEND woke a system one.
static SYSTEM_WOKEN: AtomicBool = AtomicBool::new(false);

/// The running dispatcher's SEND woke `receiver`: if the sender blocks next
/// (for the reply), the receiver gets the rest of its time slice; if the
/// receiver is a system service and the sender is not, the sender gives
/// up the core as soon as its SEND completes.
pub fn woken_by_send(mem: &mut KernelMemory, receiver: PAddr) {
    WOKEN_BY_SEND.store(receiver, Ordering::Relaxed);
    let sender = node::current().map_or(0, |kcb| mem.kcb(kcb).current);
    if sender != 0 && sched::is_system(mem, receiver) && !sched::is_system(mem, sender) {
        SYSTEM_WOKEN.store(true, Ordering::Relaxed);
    }
}

/// A system call other than WAIT begins: what the last SEND woke is
/// forgotten (the receiver could be destroyed from now on, so it is never
/// looked at again).
pub fn forget_woken() {
    WOKEN_BY_SEND.store(0, Ordering::Relaxed);
}

/// Whether the system call that just completed woke a system service that
/// the (ordinary) caller must make way for; asking clears it.
pub fn take_system_woken() -> bool {
    SYSTEM_WOKEN.swap(false, Ordering::Relaxed)
}

/// The end of the running dispatcher's time slice.
pub fn slice_end() -> u64 {
    SLICE_END.load(Ordering::Relaxed)
}

/// Records that a dispatcher was dispatched at `now` (system-clock ns).
pub fn dispatched(now: u64) {
    DISPATCHED_AT.store(now, Ordering::Relaxed);
}

/// Charges the CPU time since it was dispatched to `dcb`.
pub fn charge(mem: &mut KernelMemory, dcb: PAddr) {
    let ran = time::now_ns().saturating_sub(DISPATCHED_AT.load(Ordering::Relaxed));
    let d = mem.dcb(dcb);
    d.runtime_ns = d.runtime_ns.saturating_add(ran);
}

/// The running dispatcher gives up the core (time slice over, or an
/// interrupt made someone else runnable): it goes to the back of its class
/// in the run queue (of the whole queue when its slice is over) and
/// resumes through its `run` upcall if it was enabled.
pub fn preempt(mem: &mut KernelMemory, current: Current) -> ! {
    if let Some(kcb) = node::current() {
        let resume = current.area.resume_after_preemption();
        if slice_expired() && SLICE_OWNER.load(Ordering::Relaxed) == current.dcb {
            // A whole time slice of its own used (not the rest of a donated
            // one): behind everyone, even for a system service (ordinary
            // programs get their turn between its slices).
            sched::yield_back(mem, kcb, current.dcb, resume);
        } else {
            sched::requeue(mem, kcb, current.dcb, resume);
        }
    }
    // Round robin between the OSNodes this core multiplexes, too.
    node::rotate(mem);
    schedule(mem)
}

/// The caller of YIELD: the back of its class in the queue, continuing
/// where it called (a system service that yields stays ahead of programs:
/// the services poll with a few yields before they sleep). A
/// yield gives the core to anyone else who can run: another dispatcher of
/// its OSNode, or, if it has none, the next OSNode of this core's ring.
pub fn yield_current(mem: &mut KernelMemory, current: Current) -> ! {
    let alone = node::current().is_some_and(|kcb| mem.kcb(kcb).run_queue.len == 0);
    super::halt::complete_and_queue(mem, current);
    if alone {
        node::rotate(mem);
    }
    schedule(mem)
}

/// The caller of WAIT blocks until a message arrives or `deadline_ns`
/// passes (0: no deadline). The WAIT results are written when it wakes.
pub fn block(mem: &mut KernelMemory, current: Current, deadline_ns: u64) -> ! {
    if let Some(kcb) = node::current() {
        sched::block(mem, kcb, current.dcb, deadline_ns, current.area.resume());
        let receiver = WOKEN_BY_SEND.swap(0, Ordering::Relaxed);
        if receiver != 0 && !slice_expired() && sched::run_next(mem, kcb, receiver) {
            DONATED_TO.store(receiver, Ordering::Relaxed);
        }
    }
    schedule(mem)
}

/// Wakes every sleeper of every OSNode of this core whose deadline has
/// passed; returns whether any woke.
pub fn wake_expired_all(mem: &mut KernelMemory, now: u64) -> bool {
    let mut any = false;
    for kcb in node::ring(mem) {
        any |= sched::wake_expired(mem, kcb, now);
    }
    any
}

/// A notification for this core: wakes the notification waiters of every
/// OSNode it runs (the notification names one, but a parked one or the
/// core's own look alike from here).
pub fn wake_notified_all(mem: &mut KernelMemory) -> bool {
    let mut any = false;
    for kcb in node::ring(mem) {
        any |= sched::notify(mem, kcb);
    }
    any
}

/// Runs the next runnable dispatcher of this core's OSNodes; idles (halted,
/// interrupts on) while there is none.
pub fn schedule(mem: &mut KernelMemory) -> ! {
    loop {
        let ring = node::ring(mem);
        let now = time::now_ns();
        for &kcb in &ring {
            sched::wake_expired(mem, kcb, now);
        }
        if let Some((kcb, next)) = sched::pick(mem, &ring) {
            node::set_current(kcb);
            WOKEN_BY_SEND.store(0, Ordering::Relaxed);
            SYSTEM_WOKEN.store(false, Ordering::Relaxed);
            // A donated slice goes on; anyone else starts a fresh one.
            let donated = DONATED_TO.swap(0, Ordering::Relaxed) == next && !slice_expired();
            if !donated {
                let quantum = mem.kcb(kcb).quantum_ns;
                SLICE_END.store(time::now_ns() + time_slice(quantum), Ordering::Relaxed);
                SLICE_OWNER.store(next, Ordering::Relaxed);
            }
            resume_current(mem, next);
        }
        if cfg!(feature = "rt") {
            // No timer and no interrupts: the next deadline is awaited by
            // watching the clock; with none, the program is over.
            match sched::next_deadline(mem, &ring) {
                Some(deadline) => {
                    while time::now_ns() < deadline {
                        core::hint::spin_loop();
                    }
                    continue;
                }
                None => crate::realtime::finish(mem, ring.first().copied()),
            }
        }
        if !ring.is_empty() {
            timer::arm_at(sched::next_deadline(mem, &ring));
        }
        super::idle::wait(mem, &ring);
    }
}

/// The time slice this kernel gives a dispatcher of an OSNode whose
/// quantum is `quantum_ns`: the quantum itself, or, in the `v2` build (the
/// one behaviour that tells the two kernel builds apart), half of it.
pub const fn time_slice(quantum_ns: u64) -> u64 {
    if cfg!(feature = "v2") {
        quantum_ns / 2
    } else {
        quantum_ns
    }
}

/// Whether the running dispatcher's time slice is over.
pub fn slice_expired() -> bool {
    time::now_ns() >= SLICE_END.load(Ordering::Relaxed)
}
