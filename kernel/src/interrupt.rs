//! Interrupts (not exceptions), wherever they arrive: in user mode or in
//! the idle loop. The timer wakes sleepers and ends time slices; a
//! notification IPI wakes the dispatchers waiting for one; vectors an OSNode
//! has routed to an endpoint become LMP messages to it.

use osnode::kcb::{FIRST_IRQ_VECTOR, IRQ_VECTORS};

use crate::arch::objects::KernelMemory;
use crate::arch::{apic, vectors};
use crate::{dispatch, lmp, time, timer};

/// Points the interrupt lines OSNode `kcb` routed at this core (its
/// vectors stay the same): device interrupts follow their OSNode when it
/// moves to, is resumed on or is parked on this core. Each driver is then
/// told to look at its device once (an interrupt that reached the old core
/// after it stopped was never served).
pub fn follow(mem: &mut KernelMemory, kcb: osnode::PAddr) {
    for i in 0..IRQ_VECTORS {
        let gsi_plus_one = mem.kcb(kcb).irq_routes[i].gsi_plus_one;
        if gsi_plus_one != 0 {
            let vector = FIRST_IRQ_VECTOR + i as u8;
            if let Err(e) = crate::arch::irq::route(u64::from(gsi_plus_one - 1), vector) {
                log::warn!(
                    "cannot re-route line {} to vector {vector:#x}: {e}",
                    gsi_plus_one - 1
                );
            }
            lmp::replay_interrupt(mem, kcb, vector);
        }
    }
}

/// Handles interrupt `vector`; returns whether it made some dispatcher
/// runnable.
pub fn handle(mem: &mut KernelMemory, vector: u64) -> bool {
    // Nothing has changed since the entry: where a fault provoked on
    // purpose strikes, and the last point a fatal error leaves the OSNodes
    // intact (`dispatch::recover`).
    crate::selftest::on_interrupt(vector);
    dispatch::recover::changing();
    crate::selftest::after_change(vector);
    crate::arch::params::count_interrupt();
    match vector {
        vectors::APIC_TIMER => {
            apic::end_of_interrupt();
            timer::tick();
            // Deferred lines wait at most until the end of a time slice.
            crate::console::flush();
            dispatch::wake_expired_all(mem, time::now_ns())
        }
        v if (u64::from(FIRST_IRQ_VECTOR)..u64::from(FIRST_IRQ_VECTOR) + IRQ_VECTORS as u64)
            .contains(&v) =>
        {
            apic::end_of_interrupt();
            lmp::deliver_interrupt(mem, v as u8)
        }
        vectors::NOTIFY => {
            apic::end_of_interrupt();
            crate::arch::params::count_ipi();
            crate::watch::look();
            dispatch::wake_notified_all(mem)
        }
        vectors::APIC_SPURIOUS => false,
        vectors::LEGACY_PIC_FIRST..=vectors::LEGACY_PIC_LAST => {
            // A spurious interrupt from the masked 8259 PIC: no EOI.
            false
        }
        other => {
            log::warn!("unexpected interrupt vector {other:#x}");
            apic::end_of_interrupt();
            false
        }
    }
}
