//! This dispatcher's own frame (mapped at `abi::layout::DISPATCHER_BASE`):
//! the LMP rings the kernel delivers into and the fields the runtime sets.
//! The kernel writes the frame concurrently with this code, so every access
//! is a volatile read or write of one field.

use abi::dispatcher::{DispatcherFrame, ENDPOINTS, EndpointRing, Message, RING_SLOTS};
use abi::layout::DISPATCHER_BASE;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU64, Ordering};

fn field<T>(offset: usize) -> *mut T {
    (DISPATCHER_BASE as usize + offset) as *mut T
}

fn ring_offset(ring: usize) -> usize {
    offset_of!(DispatcherFrame, endpoints) + (ring % ENDPOINTS) * size_of::<EndpointRing>()
}

/// The `(head, tail)` counters of a ring.
pub fn counters(ring: usize) -> (u32, u32) {
    let at = ring_offset(ring);
    // SAFETY: the spawner (or the kernel, for init) maps this dispatcher's
    // frame at DISPATCHER_BASE before it runs; these are in-frame integer
    // fields, read volatile because the kernel writes them.
    unsafe {
        (
            field::<u32>(at + offset_of!(EndpointRing, head)).read_volatile(),
            field::<u32>(at + offset_of!(EndpointRing, tail)).read_volatile(),
        )
    }
}

/// Takes the next message of a ring, if any.
pub fn pop(ring: usize) -> Option<Message> {
    let (head, tail) = counters(ring);
    if head == tail {
        return None;
    }
    core::sync::atomic::fence(Ordering::Acquire);
    let at = ring_offset(ring)
        + offset_of!(EndpointRing, messages)
        + (tail as usize % RING_SLOTS) * size_of::<Message>();
    // SAFETY: in-frame message slot (index masked), written by the kernel
    // before it advanced `head`; then the tail field, which only this
    // dispatcher writes.
    unsafe {
        let message = field::<Message>(at).read_volatile();
        field::<u32>(ring_offset(ring) + offset_of!(EndpointRing, tail))
            .write_volatile(tail.wrapping_add(1));
        Some(message)
    }
}

/// Whether a kernel notice to `ring` was missed (it was full), clearing the
/// mark (see `DispatcherFrame::missed`).
pub fn take_missed(ring: usize) -> bool {
    let bit = 1u64 << (ring % ENDPOINTS);
    // SAFETY: in-frame, 8-byte aligned integer field; the kernel sets bits
    // while this dispatcher is not running, and other threads of it may
    // clear theirs, so bits are cleared with one atomic instruction.
    let missed = unsafe { AtomicU64::from_ptr(field::<u64>(offset_of!(DispatcherFrame, missed))) };
    missed.fetch_and(!bit, Ordering::AcqRel) & bit != 0
}

/// Names the slot where a capability sent to `ring` should go (a packed
/// slot reference with the valid bit), or 0 for none.
pub fn set_receive_slot(ring: usize, word: u64) {
    // SAFETY: in-frame field, volatile write.
    unsafe {
        field::<u64>(ring_offset(ring) + offset_of!(EndpointRing, receive_slot))
            .write_volatile(word)
    }
}

/// The current receive-slot word of a ring.
pub fn receive_slot(ring: usize) -> u64 {
    // SAFETY: in-frame field, volatile read.
    unsafe {
        field::<u64>(ring_offset(ring) + offset_of!(EndpointRing, receive_slot)).read_volatile()
    }
}

/// Writes one of the frame's user-owned words (upcall entries and stack).
fn set_word(offset: usize, value: u64) {
    // SAFETY: in-frame field, volatile write of an integer.
    unsafe { field::<u64>(offset).write_volatile(value) }
}

/// Sets the page-fault and trap upcall entries and the stack upcalls run on.
pub fn set_upcalls(pagefault: u64, trap: u64, stack_top: u64) {
    set_word(offset_of!(DispatcherFrame, upcall_stack_top), stack_top);
    set_word(offset_of!(DispatcherFrame, pagefault_entry), pagefault);
    set_word(offset_of!(DispatcherFrame, trap_entry), trap);
}

/// The registers saved in the enabled area (where an upcall interrupted).
pub fn enabled_registers() -> abi::dispatcher::Registers {
    let at =
        offset_of!(DispatcherFrame, enabled_area) + offset_of!(abi::dispatcher::SaveArea, regs);
    // SAFETY: in-frame save area, volatile read of plain integers.
    unsafe { field::<abi::dispatcher::Registers>(at).read_volatile() }
}

/// Changes the registers saved in the enabled area (before resuming them).
pub fn set_enabled_registers(regs: &abi::dispatcher::Registers) {
    let at =
        offset_of!(DispatcherFrame, enabled_area) + offset_of!(abi::dispatcher::SaveArea, regs);
    // SAFETY: in-frame save area, volatile write of plain integers; the
    // kernel checks them again before resuming.
    unsafe { field::<abi::dispatcher::Registers>(at).write_volatile(*regs) }
}

/// This dispatcher's id (written by the kernel at every dispatch).
pub fn dispatcher_id() -> u64 {
    // SAFETY: in-frame field, volatile read.
    unsafe { field::<u64>(offset_of!(DispatcherFrame, dispatcher_id)).read_volatile() }
}

/// The core this dispatcher last ran on.
pub fn core_id() -> u64 {
    // SAFETY: in-frame field, volatile read.
    unsafe { field::<u64>(offset_of!(DispatcherFrame, core_id)).read_volatile() }
}
