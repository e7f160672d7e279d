//! Interrupts (not exceptions), wherever they arrive: in user mode or in
//! the idle loop. The timer wakes sleepers and ends time slices; a
//! notification IPI wakes the dispatchers waiting for one; vectors an OSNode
//! has routed to an endpoint become LMP messages to it.

use osnode::kcb::{FIRST_IRQ_VECTOR, IRQ_VECTORS};

use crate::arch::objects::KernelMemory;
use crate::arch::{apic, vectors};
use crate::{dispatch, lmp, osnode as node, time, timer};

/// Handles interrupt `vector`; returns whether it made some dispatcher
/// runnable.
pub fn handle(vector: u64) -> bool {
    match vector {
        vectors::APIC_TIMER => {
            apic::end_of_interrupt();
            timer::tick();
            let mut mem = KernelMemory::new();
            node::current().is_some_and(|kcb| dispatch::wake_expired(&mut mem, kcb, time::now_ns()))
        }
        v if (u64::from(FIRST_IRQ_VECTOR)..u64::from(FIRST_IRQ_VECTOR) + IRQ_VECTORS as u64)
            .contains(&v) =>
        {
            apic::end_of_interrupt();
            lmp::deliver_interrupt(v as u8)
        }
        vectors::NOTIFY => {
            apic::end_of_interrupt();
            let mut mem = KernelMemory::new();
            node::current().is_some_and(|kcb| dispatch::wake_notified(&mut mem, kcb))
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
