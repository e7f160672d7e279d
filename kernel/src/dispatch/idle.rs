//! Idling, and being stopped while idle without an interrupt.
//!
//! A core with nothing to run halts until an interrupt. Before it does, its
//! kernel leaves every OSNode it runs as a stop would (marked stopped; no
//! dispatcher is current while the core idles) and offers the core to its
//! starter in the boot-parameter page (`bootproto::ack::IDLE_OFFSET`).
//! Every way out of the halt takes the offer back first, before anything
//! else touches an OSNode: then the OSNodes run again. If the starter
//! took the core in the meantime, the swap fails and the kernel halts for
//! good with interrupts off (the core waits for INIT), touching nothing.
//! So stopping an idle core is one compare-and-swap on the boot driver's
//! core: no interrupt, no wait for the stopped core's emulated processor
//! to wake (the floor of the interrupt path under an emulator).

use osnode::kcb::KCB_STOPPED;

use crate::arch::objects::KernelMemory;
use crate::arch::params::{self, Reclaim};
use crate::node;

/// Waits for an interrupt with the core offered to its starter (when it
/// runs any OSNode); returns with the OSNodes running again, or never.
pub fn wait(mem: &mut KernelMemory, ring: &[osnode::PAddr]) {
    // Idle on this kernel's own tables: the last address space may be
    // freed by now. No object reference is held while waiting (an
    // interrupt handler reaches the objects with its own handle).
    crate::arch::paging::switch_to_kernel();
    crate::console::flush();
    crate::trace::leave();
    if !ring.is_empty() && ring.iter().all(|&kcb| mem.kcb(kcb).current == 0) {
        params::offer_idle(|| {
            for &kcb in ring {
                mem.kcb(kcb).flags |= KCB_STOPPED;
            }
        });
    }
    super::recover::idle();
    crate::arch::wait_for_interrupt(mem);
    super::recover::changing();
    // An interrupt's handler took the offer back already; an NMI's did not.
    reclaim(mem);
}

/// Takes the offer back on the way out of an idle halt (an interrupt's
/// entry, or the return from the halt): the OSNodes run again; or, if the
/// starter took the core, this core stops here for good.
pub fn reclaim(mem: &mut KernelMemory) {
    match params::reclaim_idle() {
        Reclaim::Offered => {
            for kcb in node::ring(mem) {
                mem.kcb(kcb).flags &= !KCB_STOPPED;
            }
        }
        Reclaim::NotOffered => {}
        Reclaim::Taken => cpu::instr::halt_forever(),
    }
}
