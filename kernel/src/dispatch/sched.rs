//! Choosing what runs next on this core: the next runnable dispatcher of
//! the current OSNode, then of the others in ring order (`osnode::sched`
//! holds the queues' logic); time slices; blocking in WAIT; idling.

use core::sync::atomic::{AtomicU64, Ordering};

use osnode::PAddr;
use osnode::sched;

use super::enter::{Current, resume_current};
use crate::arch::objects::KernelMemory;
use crate::{node, time, timer};

/// When the running dispatcher's time slice ends (system-clock ns).
static SLICE_END: AtomicU64 = AtomicU64::new(0);
/// When the running dispatcher was dispatched.
static DISPATCHED_AT: AtomicU64 = AtomicU64::new(0);

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
/// interrupt made someone else runnable): it goes to the back of the run
/// queue and resumes through its `run` upcall if it was enabled.
pub fn preempt(mem: &mut KernelMemory, current: Current) -> ! {
    if let Some(kcb) = node::current() {
        sched::requeue(
            mem,
            kcb,
            current.dcb,
            current.area.resume_after_preemption(),
        );
    }
    // Round robin between the OSNodes this core multiplexes, too.
    node::rotate(mem);
    schedule(mem)
}

/// The caller of YIELD: back of the queue, continuing where it called. A
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
            let quantum = mem.kcb(kcb).quantum_ns;
            SLICE_END.store(time::now_ns() + time_slice(quantum), Ordering::Relaxed);
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
        // Idle on this kernel's own tables: the last address space may be
        // freed by now. No object reference is held while waiting (an
        // interrupt handler reaches the objects with its own handle).
        crate::arch::paging::switch_to_kernel();
        crate::arch::wait_for_interrupt(mem);
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
