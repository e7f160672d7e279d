//! Entering the kernel from user space and leaving it: saving a
//! dispatcher's state into its frame, ending a system call, and resuming a
//! dispatcher (directly, or through an upcall).
//!
//! Where state is saved (the dispatcher frame's areas, `abi::dispatcher`):
//! upcalls disabled (the frame's flag, or the instruction pointer inside
//! the critical range) means the disabled area, otherwise the enabled area.
//! A dispatcher preempted while enabled is resumed through its `run` upcall
//! (or directly from the enabled area if it has none); one preempted while
//! disabled, or returning from a system call, resumes the area it left.

use abi::dispatcher::{FpuState, Registers, upcall};
use abi::error::SysError;
use osnode::PAddr;
use osnode::dcb::Resume;

use super::sched::{charge, dispatched, preempt, schedule, slice_end};
use crate::arch::objects::{Area, FrameHeader, KernelMemory};
use crate::arch::user::{self, UserContext};
use crate::arch::vectors::{PAGE_FAULT, STOP};
use crate::events::Trap;
use crate::{kill, node, time, timer};

/// The dispatcher that entered the kernel, and where its state was saved.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    /// Its DCB.
    pub dcb: PAddr,
    /// The area its registers are in.
    pub area: Area,
}

/// A system call: the caller's state is saved, then the call is handled.
pub fn syscall(mem: &mut KernelMemory, regs: &Registers, fpu: &FpuState) -> ! {
    crate::trace::syscall(regs.rax);
    match save_current(mem, regs, fpu) {
        Some(current) => crate::syscall::handle(mem, current, regs),
        None => schedule(mem),
    }
}

/// An exception or interrupt taken in user mode.
pub fn user_trap(mem: &mut KernelMemory, trap: Trap, regs: &Registers, fpu: &FpuState) -> ! {
    crate::trace::interrupt(trap.vector);
    let current = save_current(mem, regs, fpu);
    if trap.vector == STOP {
        super::halt::stop_core(mem, current);
    }
    // An exception (an NMI never comes here: it returns to the dispatcher
    // from the arch layer); the rest are interrupts.
    match (trap.vector, current) {
        (0..=31, Some(current)) => fault(mem, current, trap, regs, fpu),
        (0..=31, None) => schedule(mem),
        _ => {}
    }
    super::recover::interrupted(current);
    let woke_someone = crate::interrupt::handle(mem, trap.vector);
    match current {
        Some(current) if woke_someone || super::slice_expired() => preempt(mem, current),
        Some(current) => {
            // Not preempted: continue exactly where it was.
            mem.dcb(current.dcb).resume = current.area.resume() as u32;
            resume_current(mem, current.dcb)
        }
        None => schedule(mem),
    }
}

/// Saves the running dispatcher's registers into its frame.
fn save_current(mem: &mut KernelMemory, regs: &Registers, fpu: &FpuState) -> Option<Current> {
    let kcb = node::current()?;
    let dcb = mem.kcb(kcb).current;
    if dcb == 0 {
        return None;
    }
    let Some(frame) = mem.frame_of(dcb) else {
        kill::kill(mem, dcb, kill::Reason::Lost);
        return None;
    };
    let header = frame.header();
    let disabled =
        header.disabled != 0 || (header.crit_pc_low..header.crit_pc_high).contains(&regs.rip);
    let area = if disabled {
        Area::Disabled
    } else {
        Area::Enabled
    };
    frame.store(area, regs, fpu);
    charge(mem, dcb);
    Some(Current { dcb, area })
}

/// Ends a system call: writes its results into the saved registers and
/// continues the caller.
pub fn finish_syscall(
    mem: &mut KernelMemory,
    current: Current,
    result: Result<[u64; 6], SysError>,
) -> ! {
    crate::trace::result(result.err().map_or(0, |e| e as u64));
    if let Some(frame) = mem.frame_of(current.dcb) {
        frame.set_results(current.area, result);
    }
    mem.dcb(current.dcb).resume = current.area.resume() as u32;
    if super::sched::take_system_woken()
        && let Some(kcb) = node::current()
    {
        // It woke a system service: that runs first, then the caller.
        osnode::sched::requeue_first(mem, kcb, current.dcb, current.area.resume());
        schedule(mem);
    }
    resume_current(mem, current.dcb)
}

/// Resumes dispatcher `dcb` (the KCB's current one) as its resume mode
/// says. A context that cannot be resumed safely kills the dispatcher.
pub fn resume_current(mem: &mut KernelMemory, dcb: PAddr) -> ! {
    let Some(frame) = mem.frame_of(dcb) else {
        kill::kill(mem, dcb, kill::Reason::Lost);
        schedule(mem)
    };
    let header = frame.header();
    let (regs, fpu) = match mem.dcb(dcb).resume_mode() {
        Resume::Run if header.run_entry != 0 => {
            frame.set_disabled(true);
            upcall_context(&header, upcall::RUN, 0, 0)
        }
        Resume::Run | Resume::Enabled => (frame.registers(Area::Enabled), frame.fpu(Area::Enabled)),
        Resume::Disabled => (frame.registers(Area::Disabled), frame.fpu(Area::Disabled)),
    };
    enter(mem, dcb, regs, fpu)
}

/// The registers of an upcall to `entry` on the upcall stack.
fn upcall_context(
    header: &FrameHeader,
    reason: u64,
    arg1: u64,
    arg2: u64,
) -> (Registers, FpuState) {
    let entry = match reason {
        upcall::PAGE_FAULT => header.pagefault_entry,
        upcall::TRAP => header.trap_entry,
        _ => header.run_entry,
    };
    let regs = Registers {
        rip: entry,
        // The System V ABI expects rsp + 8 to be 16-aligned at entry.
        rsp: (header.upcall_stack_top & !0xf).wrapping_sub(8),
        rdi: reason,
        rsi: arg1,
        rdx: arg2,
        ..Registers::default()
    };
    (regs, FpuState::default())
}

/// Switches to the dispatcher's address space and enters user mode.
fn enter(mem: &mut KernelMemory, dcb: PAddr, regs: Registers, fpu: FpuState) -> ! {
    let id = {
        let d = mem.dcb(dcb);
        d.dispatches += 1;
        d.id
    };
    let (Some(vspace), Some(frame)) = (mem.vspace_of(dcb), mem.frame_of(dcb)) else {
        kill::kill(mem, dcb, kill::Reason::Lost);
        schedule(mem)
    };
    let context = match UserContext::check(regs, fpu) {
        Ok(context) => context,
        Err(bad) => {
            kill::kill(mem, dcb, kill::Reason::BadContext(bad));
            schedule(mem)
        }
    };
    crate::arch::paging::switch_to(mem, vspace);
    let now = time::now_ns();
    frame.set_identity(id, u64::from(crate::identity::this_core().core_id), now);
    dispatched(now);
    crate::trace::leave();
    crate::trace::dispatch(id);
    let ring = node::ring(mem);
    let next_wakeup = osnode::sched::next_deadline(mem, &ring);
    // The real-time kernel has no timer (its program runs with interrupts
    // off; deadlines are watched in `schedule`).
    if !cfg!(feature = "rt") {
        let slice_end = slice_end();
        timer::arm_at(Some(next_wakeup.map_or(slice_end, |w| w.min(slice_end))));
    }
    user::resume(context)
}

/// A CPU exception in user mode: an upcall if the dispatcher handles it,
/// otherwise the dispatcher is killed with a report.
fn fault(
    mem: &mut KernelMemory,
    current: Current,
    trap: Trap,
    regs: &Registers,
    fpu: &FpuState,
) -> ! {
    let Some(user_frame) = mem.frame_of(current.dcb) else {
        kill::kill(mem, current.dcb, kill::Reason::Lost);
        schedule(mem)
    };
    let header = user_frame.header();
    let (reason, entry, detail) = match trap.vector {
        PAGE_FAULT => (
            upcall::PAGE_FAULT,
            header.pagefault_entry,
            trap.fault_address,
        ),
        vector => (upcall::TRAP, header.trap_entry, vector),
    };
    if current.area == Area::Enabled && entry != 0 {
        user_frame.set_fault(trap.vector, trap.error_code, trap.fault_address);
        user_frame.set_disabled(true);
        let (regs, fpu) = upcall_context(&header, reason, detail, trap.error_code);
        enter(mem, current.dcb, regs, fpu);
    }
    user_frame.store(Area::Trap, regs, fpu);
    let fault = kill::Fault {
        vector: trap.vector,
        error: trap.error_code,
        address: trap.fault_address,
        rip: regs.rip,
        rsp: regs.rsp,
    };
    kill::kill(mem, current.dcb, kill::Reason::Fault(fault));
    schedule(mem)
}
