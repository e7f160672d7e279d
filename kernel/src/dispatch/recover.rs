//! What a fatal error leaves of this core's OSNodes.
//!
//! A fatal error (a CPU exception in ring 0, a panic) stops this kernel,
//! never the OSNodes: they live in capability memory, not in the kernel
//! (docs/design.md, rule 2). Whether another kernel can resume them depends
//! on where the error struck. This module keeps one word that says so,
//! written at the few points where it changes:
//!
//! * *untouched*: the kernel has not touched a KCB yet (it was still
//!   starting);
//! * *interrupted*: an interrupt entered the kernel and its handler has not
//!   begun: the running dispatcher, if any, is saved in its frame, the
//!   scheduler queues are as they were (the window is the entry's own code,
//!   a fault request from the boot driver and a hang there; the handler
//!   proper counts as changing);
//! * *changing*: anything else (a system call, the scheduler, an interrupt's
//!   handler).
//!
//! In the first two cases the dying kernel leaves its OSNodes as a stop
//! does ([`leave`]): the saved dispatcher queued again, each KCB marked
//! stopped with no dispatcher current. It says so in its fault report
//! (`bootproto::ack::FAULT_OSNODES_INTACT`), and the boot driver resumes
//! them under another kernel. In the third it says nothing of the sort:
//! the KCB is left as the fault found it, and the boot driver reports the
//! OSNode as not recovered rather than resume something half changed.
//!
//! A kernel whose boot parameters name a fallback (an in-place update of
//! the boot driver's own core, which no other core can roll back) goes
//! back to that kernel with its OSNodes intact ([`fallback`]).

use core::sync::atomic::{AtomicU8, AtomicU64, Ordering, compiler_fence};

use osnode::sched;

use super::enter::Current;
use crate::arch::next_kernel::NextKernel;
use crate::arch::objects::{Area, KernelMemory};
use crate::arch::params::ParamsPage;
use crate::node;

const UNTOUCHED: u8 = 0;
const INTERRUPTED: u8 = 1;
const CHANGING: u8 = 2;

/// Where this kernel is, for a fatal error (one of the consts above).
static STATE: AtomicU8 = AtomicU8::new(UNTOUCHED);
/// The dispatcher an interrupt found running (0: none).
static SAVED_DCB: AtomicU64 = AtomicU64::new(0);
/// The area its registers were saved in ([`Area`] as a number).
static SAVED_AREA: AtomicU8 = AtomicU8::new(0);

/// An interrupt entered the kernel; `current` (if any) is saved in its
/// frame. Nothing has changed yet.
pub fn interrupted(current: Option<Current>) {
    let (dcb, area) = current.map_or((0, 0), |c| (c.dcb, area_number(c.area)));
    compiler_fence(Ordering::SeqCst);
    SAVED_DCB.store(dcb, Ordering::Relaxed);
    SAVED_AREA.store(area, Ordering::Relaxed);
    compiler_fence(Ordering::SeqCst);
    STATE.store(INTERRUPTED, Ordering::Relaxed);
    // Only this core reads the words, in its fatal path: the compiler must
    // not move the handler's work across the store.
    compiler_fence(Ordering::SeqCst);
}

/// The kernel idles: nothing is being changed and no dispatcher is
/// current (an NMI that stops it leaves the OSNodes intact).
pub fn idle() {
    interrupted(None);
}

/// The kernel is about to change objects (or to take a KCB over).
pub fn changing() {
    compiler_fence(Ordering::SeqCst);
    STATE.store(CHANGING, Ordering::Relaxed);
    compiler_fence(Ordering::SeqCst);
}

fn area_number(area: Area) -> u8 {
    match area {
        Area::Enabled => 0,
        Area::Disabled => 1,
        Area::Trap => 2,
    }
}

fn area_of(number: u8) -> Area {
    match number {
        0 => Area::Enabled,
        1 => Area::Disabled,
        _ => Area::Trap,
    }
}

/// After a fatal error: leaves this core's OSNodes stopped as a stop does,
/// if the error struck where they are consistent; returns whether it did
/// (they are intact). An interrupt that was being handled is ended, so that
/// a fallback kernel on this core gets interrupts again.
pub fn leave(mem: &mut KernelMemory) -> bool {
    match STATE.load(Ordering::Relaxed) {
        UNTOUCHED => true,
        INTERRUPTED => {
            crate::arch::apic::end_of_interrupt();
            let dcb = SAVED_DCB.load(Ordering::Relaxed);
            if let (Some(kcb), true) = (node::current(), dcb != 0) {
                let area = area_of(SAVED_AREA.load(Ordering::Relaxed));
                sched::requeue(mem, kcb, dcb, area.resume_after_preemption());
            }
            let ring = node::ring(mem);
            sched::stop(mem, &ring);
            true
        }
        _ => false,
    }
}

/// The fallback kernel this kernel's boot parameters name, if any, as
/// KERNEL_REPLACE checks the next kernel (for this core and its KCB).
///
/// Everything comes from the boot parameters (the KCB they name, their
/// memory map), so a kernel that faults early, before it took its KCB,
/// falls back too.
pub fn fallback(mem: &mut KernelMemory) -> Option<Result<NextKernel, abi::error::SysError>> {
    let params = ParamsPage::this_kernels()?.read();
    if params.fallback_params == 0 {
        return None;
    }
    Some(NextKernel::check(
        mem,
        &params.memory_map(),
        params.phys_top,
        params.fallback_params,
        params.fallback_entry,
        params.fallback_tables,
        params.kcb_phys,
    ))
}
