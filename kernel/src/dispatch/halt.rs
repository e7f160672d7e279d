//! Stopping this core's OSNodes: on a stop request from the boot driver,
//! when the core hands its OSNode over to another core, and when its kernel
//! is replaced in place. Nothing of an OSNode lives in this kernel, so a
//! stop saves the running dispatcher, marks the KCBs stopped and halts;
//! the KCBs stay exactly as they are for whichever kernel takes them over.

use osnode::sched;

use super::enter::Current;
use crate::arch::next_kernel::NextKernel;
use crate::arch::objects::KernelMemory;
use crate::arch::params;
use crate::{node, time, timer};

/// A stop request (IPI_STOP): the running dispatcher, if any, is saved as
/// for a preemption and queued; the KCBs are marked stopped; the boot
/// driver hears of it in the boot-parameter page; the core halts with
/// interrupts off. It halts on the page tables it was interrupted on (a
/// switch to this kernel's own would cost the emulator its whole TLB, half
/// of the stop): the boot driver sends INIT as soon as it has seen the
/// acknowledgement, before the OSNode can run anywhere else and free that
/// address space, so only an NMI in between could find them, and they are
/// intact until then. The bootstrap core is the exception: INIT would send
/// it through the firmware, so it gets none and switches to this kernel's
/// own tables first. The timer is left alone: a core halted with
/// interrupts off takes no timer interrupt, and INIT resets its local APIC.
pub fn stop_core(mem: &mut KernelMemory, current: Option<Current>) -> ! {
    let entered = cpu::instr::rdtsc();
    crate::arch::apic::end_of_interrupt();
    params::count_ipi();
    if let (Some(current), Some(kcb)) = (current, node::current()) {
        sched::requeue(
            mem,
            kcb,
            current.dcb,
            current.area.resume_after_preemption(),
        );
    }
    if crate::arch::apic::is_bootstrap() {
        crate::arch::paging::switch_to_kernel();
    }
    stop_ring(mem, entered);
    cpu::instr::halt_forever()
}

/// Stops every OSNode this core runs (its own and any parked here): no
/// current dispatcher, marked stopped, the boot driver told in the
/// boot-parameter page. The stop began at TSC `entered`.
fn stop_ring(mem: &mut KernelMemory, entered: u64) {
    let ring = node::ring(mem);
    sched::stop(mem, &ring);
    // Before the acknowledgement: the boot driver may INIT this core as
    // soon as it sees it, which would leave the console lock taken.
    crate::console::flush();
    params::ack_stopped(entered);
}

/// Before this kernel stops its OSNodes and goes on running (to start
/// another core, or the next kernel): no timer, and its own page tables
/// (the OSNodes' address spaces are theirs to free from now on).
fn quiesce() {
    timer::stop();
    crate::arch::paging::switch_to_kernel();
}

/// The caller's invocation succeeds and it is queued to continue after it
/// (wherever its OSNode runs next).
pub fn complete_and_queue(mem: &mut KernelMemory, current: Current) {
    if let Some(frame) = mem.frame_of(current.dcb) {
        frame.set_results(current.area, Ok([0; 6]));
    }
    if let Some(kcb) = node::current() {
        sched::requeue(mem, kcb, current.dcb, current.area.resume());
    }
}

/// IPI_HANDOVER: the caller's invocation succeeds and it is queued to
/// continue after it; this core's OSNodes stop as for a stop request; then
/// INIT and STARTUP (twice, 200 µs apart, as the MP protocol has it) start
/// `target` at the trampoline, whose kernel resumes the OSNode (the boot
/// driver prepared all of it), and this core halts.
pub fn handover(mem: &mut KernelMemory, current: Current, target: u32, vector: u8) -> ! {
    let entered = cpu::instr::rdtsc();
    complete_and_queue(mem, current);
    quiesce();
    stop_ring(mem, entered);
    crate::arch::apic::send_init(target);
    crate::arch::apic::send_startup(target, vector);
    let until = time::now_ns() + 200_000;
    while time::now_ns() < until {
        core::hint::spin_loop();
    }
    crate::arch::apic::send_startup(target, vector);
    cpu::instr::halt_forever()
}

/// KERNEL_REPLACE, after its checks: the caller's invocation succeeds and
/// it is queued to continue; the KCB stops as for a stop request; a rescue
/// watch the boot driver left pending is armed (`crate::watch`); then
/// this kernel jumps to the new one (the direct map, which the new
/// kernel's image lies in, stays mapped until it builds its own tables).
pub fn replace_kernel(mem: &mut KernelMemory, current: Current, next: NextKernel) -> ! {
    let entered = cpu::instr::rdtsc();
    complete_and_queue(mem, current);
    quiesce();
    stop_ring(mem, entered);
    // The KCB is stopped: a rescue watch over this core may start now.
    crate::watch::arm_pending();
    next.enter()
}

/// After a fatal error that left this core's OSNodes intact
/// (`super::recover`): goes back to the fallback kernel the boot
/// parameters name, which resumes them on this core.
pub fn fall_back(next: NextKernel) -> ! {
    quiesce();
    next.enter()
}
