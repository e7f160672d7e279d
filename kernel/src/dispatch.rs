//! Entering and leaving user space: saving a dispatcher's state into its
//! frame when it enters the kernel, choosing what runs next, and resuming
//! it (directly, or through an upcall).
//!
//! Every entry from user space starts at the top of the kernel stack and
//! ends in [`schedule`] or [`resume_current`], which never return: the
//! CPU driver keeps no kernel context between events (DESIGN.md rule 4).
//!
//! Where state is saved (the dispatcher frame's areas, `abi::dispatcher`):
//! upcalls disabled (the frame's flag, or the instruction pointer inside
//! the critical range) means the disabled area, otherwise the enabled area.
//! A dispatcher preempted while enabled is resumed through its `run` upcall
//! (or directly from the enabled area if it has none); one preempted while
//! disabled, or returning from a system call, resumes the area it left.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::dispatcher::{FpuState, Registers, upcall};
use abi::error::SysError;
use osnode::PAddr;
use osnode::dcb::Resume;

use crate::arch::objects::{Area, KernelMemory, UserFrame};
use crate::arch::syscall::SyscallFrame;
use crate::arch::trap::TrapFrame;
use crate::arch::user::{self, UserContext};
use crate::{kill, osnode as node, time, timer, vspace};

/// When the running dispatcher's time slice ends (system-clock ns).
static SLICE_END: AtomicU64 = AtomicU64::new(0);
/// When the running dispatcher was dispatched.
static DISPATCHED_AT: AtomicU64 = AtomicU64::new(0);

/// The dispatcher that entered the kernel, and where its state was saved.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    /// Its DCB.
    pub dcb: PAddr,
    /// The area its registers are in.
    pub area: Area,
}

/// The frame of a dispatcher, if it still has one: the DCB must be live
/// and its own copy of the frame capability must still be there, naming the
/// frame the DCB records. (Revoking the frame, or the memory it came from,
/// deletes that copy too; the dispatcher then has no frame and cannot run.)
pub fn frame_of(mem: &mut KernelMemory, dcb: PAddr) -> Option<UserFrame> {
    let d = mem.dcb(dcb);
    let cap = d.frame.cap;
    let intact = d.magic == osnode::dcb::DCB_MAGIC
        && cap.obj_type() == caps::ObjType::Frame
        && cap.base == d.frame_phys
        && cap.size >= abi::dispatcher::FRAME_SIZE;
    // SAFETY: the DCB's capability copy proves a Frame object of at least
    // FRAME_SIZE bytes at `frame_phys` exists (capabilities are only ever
    // written by the capability library, which keeps them true).
    intact.then(|| unsafe { UserFrame::at(d.frame_phys) })
}

/// The top-level page table of a dispatcher, under the same conditions as
/// [`frame_of`].
pub fn vspace_of(mem: &mut KernelMemory, dcb: PAddr) -> Option<u64> {
    let d = mem.dcb(dcb);
    let cap = d.vspace.cap;
    let intact = d.magic == osnode::dcb::DCB_MAGIC
        && cap.obj_type() == caps::ObjType::VNodePml4
        && cap.base == d.vspace_phys;
    intact.then_some(d.vspace_phys)
}

/// Entry from the `syscall` instruction.
pub fn syscall_entry(frame: &SyscallFrame, fpu: &FpuState) -> ! {
    let regs = Registers {
        rax: frame.rax,
        rbx: frame.rbx,
        rcx: frame.rcx,
        rdx: frame.rdx,
        rsi: frame.rsi,
        rdi: frame.rdi,
        rbp: frame.rbp,
        rsp: frame.rsp,
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rip: frame.rcx,
        rflags: frame.r11,
        fs_base: user::fs_base(),
        reserved: 0,
    };
    match save_current(&regs, fpu) {
        Some(current) => crate::syscall::handle(current, &regs),
        None => schedule(),
    }
}

/// Entry from an exception or interrupt taken in user mode.
pub fn user_trap(frame: &TrapFrame, fpu: &FpuState) -> ! {
    let regs = Registers {
        rax: frame.rax,
        rbx: frame.rbx,
        rcx: frame.rcx,
        rdx: frame.rdx,
        rsi: frame.rsi,
        rdi: frame.rdi,
        rbp: frame.rbp,
        rsp: frame.rsp,
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rip: frame.rip,
        rflags: frame.rflags,
        fs_base: user::fs_base(),
        reserved: 0,
    };
    let current = save_current(&regs, fpu);
    if frame.vector == crate::arch::vectors::STOP {
        stop_core(current);
    }
    match frame.vector {
        // An NMI is not the dispatcher's doing: carry on.
        2 => {}
        // A machine check is the hardware's: stop this core.
        18 => crate::arch::exception::fatal(frame),
        0..=31 => match current {
            Some(current) => fault(current, frame, &regs, fpu),
            None => schedule(),
        },
        _ => {}
    }
    let woke_someone = frame.vector != 2 && crate::interrupt::handle(frame.vector);
    match current {
        Some(current) if woke_someone || slice_expired() => preempt(current),
        Some(current) => {
            // Not preempted: continue exactly where it was.
            let mut mem = KernelMemory::new();
            mem.dcb(current.dcb).resume = resume_for(current.area) as u32;
            resume_current(current.dcb)
        }
        None => schedule(),
    }
}

/// Saves the running dispatcher's registers into its frame.
fn save_current(regs: &Registers, fpu: &FpuState) -> Option<Current> {
    let kcb = node::current()?;
    let mut mem = KernelMemory::new();
    let dcb = mem.kcb(kcb).current;
    if dcb == 0 {
        return None;
    }
    let Some(frame) = frame_of(&mut mem, dcb) else {
        kill::kill(&mut mem, dcb, kill::Reason::Lost);
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
    let ran = time::now_ns().saturating_sub(DISPATCHED_AT.load(Ordering::Relaxed));
    let d = mem.dcb(dcb);
    d.runtime_ns = d.runtime_ns.saturating_add(ran);
    Some(Current { dcb, area })
}

/// Ends a system call: writes its results into the saved registers and
/// continues the caller.
pub fn finish_syscall(current: Current, result: Result<[u64; 6], SysError>) -> ! {
    let mut mem = KernelMemory::new();
    set_results(&mut mem, current.dcb, current.area, result);
    mem.dcb(current.dcb).resume = resume_for(current.area) as u32;
    resume_current(current.dcb)
}

/// Writes system-call results into a dispatcher's saved registers.
pub fn set_results(
    mem: &mut KernelMemory,
    dcb: PAddr,
    area: Area,
    result: Result<[u64; 6], SysError>,
) {
    let Some(frame) = frame_of(mem, dcb) else {
        return;
    };
    let mut regs = frame.registers(area);
    let (code, values) = match result {
        Ok(values) => (0, values),
        Err(e) => (e as u64, [0; 6]),
    };
    regs.rax = code;
    [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9] = values;
    frame.set_registers(area, &regs);
}

fn resume_for(area: Area) -> Resume {
    match area {
        Area::Disabled | Area::Trap => Resume::Disabled,
        Area::Enabled => Resume::Enabled,
    }
}

/// A stop request (IPI_STOP): the running dispatcher, if any, is saved as
/// for a preemption and queued; the KCB is marked stopped and otherwise
/// left as it is; the boot driver hears of it in the boot-parameter page;
/// the core halts with interrupts off (only INIT wakes it). Nothing of the
/// OSNode lives in this kernel, so there is nothing else to do.
pub fn stop_core(current: Option<Current>) -> ! {
    crate::arch::apic::end_of_interrupt();
    crate::arch::entry::count_ipi();
    let mut mem = KernelMemory::new();
    if let Some(current) = current {
        mem.dcb(current.dcb).resume = match current.area {
            Area::Enabled => Resume::Run,
            Area::Disabled | Area::Trap => Resume::Disabled,
        } as u32;
        requeue(&mut mem, current.dcb);
    }
    stop_ring(&mut mem);
    cpu::instr::halt_forever()
}

/// Stops every OSNode this core runs (its own and any parked here): no
/// timer, no current dispatcher, marked stopped, the boot driver told in
/// the boot-parameter page. The KCBs are otherwise left as they are.
fn stop_ring(mem: &mut KernelMemory) {
    timer::arm_at(None);
    for kcb in node::ring(mem) {
        let k = mem.kcb(kcb);
        k.current = 0;
        k.flags |= osnode::kcb::KCB_STOPPED;
    }
    vspace::activate_kernel();
    crate::arch::entry::ack_stopped();
}

/// The caller's invocation succeeds and it is queued to continue after it
/// (wherever its OSNode runs next).
fn complete_and_queue(mem: &mut KernelMemory, current: Current) {
    set_results(mem, current.dcb, current.area, Ok([0; 6]));
    mem.dcb(current.dcb).resume = resume_for(current.area) as u32;
    requeue(mem, current.dcb);
}

/// IPI_HANDOVER: the caller's invocation succeeds and it is queued to
/// continue after it; this core's OSNodes stop as for a stop request; then
/// INIT and STARTUP (twice, 200 µs apart, as the MP protocol has it) start
/// `target` at the trampoline, whose kernel resumes the OSNode (the boot
/// driver prepared all of it), and this core halts.
pub fn handover(current: Current, target: u32, vector: u8) -> ! {
    let mut mem = KernelMemory::new();
    complete_and_queue(&mut mem, current);
    stop_ring(&mut mem);
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
/// it is queued to continue; the KCB stops as for a stop request; then this
/// kernel jumps to the new one's entry with its boot parameters (the
/// direct map, which the new kernel's image lies in, stays mapped until it
/// builds its own tables).
pub fn replace_kernel(current: Current, entry: u64, params: u64) -> ! {
    let mut mem = KernelMemory::new();
    complete_and_queue(&mut mem, current);
    stop_ring(&mut mem);
    crate::arch::entry::enter_kernel(entry, params)
}

/// The running dispatcher gives up the core (time slice over, or an
/// interrupt made someone else runnable): it goes to the back of the run
/// queue and resumes through its `run` upcall if it was enabled.
pub fn preempt(current: Current) -> ! {
    let mut mem = KernelMemory::new();
    mem.dcb(current.dcb).resume = match current.area {
        Area::Enabled => Resume::Run,
        Area::Disabled | Area::Trap => Resume::Disabled,
    } as u32;
    requeue(&mut mem, current.dcb);
    // Round robin between the OSNodes this core multiplexes, too.
    node::rotate(&mut mem);
    schedule()
}

/// The caller of YIELD: back of the queue, continuing where it called. A
/// yield gives the core to anyone else who can run: another dispatcher of
/// its OSNode, or, if it has none, the next OSNode of this core's ring.
pub fn yield_current(current: Current) -> ! {
    let mut mem = KernelMemory::new();
    let alone = node::current().is_some_and(|kcb| mem.kcb(kcb).run_queue.len == 0);
    complete_and_queue(&mut mem, current);
    if alone {
        node::rotate(&mut mem);
    }
    schedule()
}

/// The caller of WAIT blocks until a message arrives or `deadline_ns`
/// passes (0: no deadline). The WAIT results are written when it wakes.
pub fn block(current: Current, deadline_ns: u64) -> ! {
    let mut mem = KernelMemory::new();
    let Some(kcb) = node::current() else {
        schedule()
    };
    {
        let d = mem.dcb(current.dcb);
        d.resume = resume_for(current.area) as u32;
        d.flags |= osnode::dcb::WAITING;
        d.state = abi::invoke::state::BLOCKED;
    }
    if deadline_ns != 0 {
        let mut wakeups = mem.kcb(kcb).wakeups;
        wakeups.insert(&mut mem, current.dcb, deadline_ns);
        mem.kcb(kcb).wakeups = wakeups;
    }
    mem.kcb(kcb).current = 0;
    schedule()
}

/// Makes a waiting dispatcher runnable; its WAIT returns `timed_out`.
pub fn wake(mem: &mut KernelMemory, kcb: PAddr, dcb: PAddr, timed_out: bool) {
    let (waiting, resume) = {
        let d = mem.dcb(dcb);
        (d.flags & osnode::dcb::WAITING != 0, d.resume_mode())
    };
    if !waiting {
        return;
    }
    {
        let d = mem.dcb(dcb);
        d.flags &= !osnode::dcb::WAITING;
        d.state = abi::invoke::state::RUNNABLE;
    }
    let mut wakeups = mem.kcb(kcb).wakeups;
    wakeups.remove(mem, dcb);
    mem.kcb(kcb).wakeups = wakeups;
    let area = if resume == Resume::Disabled {
        Area::Disabled
    } else {
        Area::Enabled
    };
    set_results(mem, dcb, area, Ok([u64::from(timed_out), 0, 0, 0, 0, 0]));
    let mut queue = mem.kcb(kcb).run_queue;
    queue.push_back(mem, dcb);
    mem.kcb(kcb).run_queue = queue;
}

/// Puts the running dispatcher at the back of the run queue.
fn requeue(mem: &mut KernelMemory, dcb: PAddr) {
    let Some(kcb) = node::current() else { return };
    let mut queue = mem.kcb(kcb).run_queue;
    queue.push_back(mem, dcb);
    let k = mem.kcb(kcb);
    k.run_queue = queue;
    k.current = 0;
}

/// The earliest wakeup deadline of the OSNodes in `ring`.
fn next_deadline(mem: &mut KernelMemory, ring: &[PAddr]) -> Option<u64> {
    ring.iter()
        .filter_map(|&kcb| {
            let wakeups = mem.kcb(kcb).wakeups;
            let deadline = wakeups.next_deadline(mem);
            mem.kcb(kcb).wakeups = wakeups;
            deadline
        })
        .min()
}

/// Wakes every sleeper of every OSNode of this core whose deadline has
/// passed; returns whether any woke.
pub fn wake_expired_all(mem: &mut KernelMemory, now: u64) -> bool {
    let mut any = false;
    for kcb in node::ring(mem) {
        any |= wake_expired(mem, kcb, now);
    }
    any
}

/// Wakes the notification waiters of every OSNode of this core.
pub fn wake_notified_all(mem: &mut KernelMemory) -> bool {
    let mut any = false;
    for kcb in node::ring(mem) {
        any |= wake_notified(mem, kcb);
    }
    any
}

/// Wakes every sleeper whose deadline has passed; returns whether any woke.
pub fn wake_expired(mem: &mut KernelMemory, kcb: PAddr, now: u64) -> bool {
    let mut any = false;
    loop {
        let mut wakeups = mem.kcb(kcb).wakeups;
        let expired = wakeups.pop_expired(mem, now);
        mem.kcb(kcb).wakeups = wakeups;
        match expired {
            // Already off the wakeup queue; `wake` also clears WAITING.
            Some(dcb) => {
                wake(mem, kcb, dcb, true);
                any = true;
            }
            None => return any,
        }
    }
}

/// Wakes every dispatcher of `kcb` that waits for a notification (WAIT
/// with `NOTIFY_BIT`); returns whether there was one.
pub fn wake_notified(mem: &mut KernelMemory, kcb: PAddr) -> bool {
    let list = mem.kcb(kcb).dispatchers;
    let mut any = false;
    let mut at = list.next(mem, 0);
    while at != 0 {
        let next = list.next(mem, at);
        let d = mem.dcb(at);
        if d.flags & osnode::dcb::WAITING != 0 && d.wait_rings & abi::dispatcher::NOTIFY_BIT != 0 {
            wake(mem, kcb, at, false);
            any = true;
        } else {
            d.flags |= osnode::dcb::NOTIFIED;
        }
        at = next;
    }
    any
}

/// Runs the next runnable dispatcher of the current KCB; idles (halted,
/// interrupts on) while there is none.
pub fn schedule() -> ! {
    let mut mem = KernelMemory::new();
    loop {
        let ring = node::ring(&mut mem);
        let now = time::now_ns();
        for &kcb in &ring {
            wake_expired(&mut mem, kcb, now);
        }
        // The current OSNode first, then the others of the ring in order.
        for &kcb in &ring {
            let mut queue = mem.kcb(kcb).run_queue;
            let next = queue.pop_front(&mut mem);
            mem.kcb(kcb).run_queue = queue;
            if let Some(next) = next {
                node::set_current(kcb);
                mem.kcb(kcb).current = next;
                SLICE_END.store(
                    time::now_ns() + time_slice(mem.kcb(kcb).quantum_ns),
                    Ordering::Relaxed,
                );
                resume_current(next);
            }
        }
        if cfg!(feature = "rt") {
            // No timer and no interrupts: the next deadline is awaited by
            // watching the clock; with none, the program is over.
            match next_deadline(&mut mem, &ring) {
                Some(deadline) => {
                    while time::now_ns() < deadline {
                        core::hint::spin_loop();
                    }
                    continue;
                }
                None => crate::realtime::finish(&mut mem, ring.first().copied()),
            }
        }
        if !ring.is_empty() {
            timer::arm_at(next_deadline(&mut mem, &ring));
        }
        // Idle on this kernel's own tables: the last address space may be
        // freed by now.
        vspace::activate_kernel();
        // SAFETY: the IDT handles every vector; the kernel has no red zone.
        unsafe { cpu::instr::wait_for_interrupt() };
    }
}

/// Resumes dispatcher `dcb` (the KCB's current one) as its resume mode
/// says. A context that cannot be resumed safely kills the dispatcher.
pub fn resume_current(dcb: PAddr) -> ! {
    let mut mem = KernelMemory::new();
    let Some(frame) = frame_of(&mut mem, dcb) else {
        kill::kill(&mut mem, dcb, kill::Reason::Lost);
        schedule()
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
    enter(&mut mem, dcb, regs, fpu)
}

/// The registers of an upcall to `entry` on the upcall stack.
fn upcall_context(
    header: &crate::arch::objects::FrameHeader,
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
    let (Some(vspace), Some(frame)) = (vspace_of(mem, dcb), frame_of(mem, dcb)) else {
        kill::kill(mem, dcb, kill::Reason::Lost);
        schedule()
    };
    let context = match UserContext::check(regs, fpu) {
        Ok(context) => context,
        Err(bad) => {
            kill::kill(mem, dcb, kill::Reason::BadContext(bad));
            schedule()
        }
    };
    vspace::activate(mem, vspace);
    let now = time::now_ns();
    frame.set_identity(id, u64::from(crate::identity::this_core().core_id), now);
    DISPATCHED_AT.store(now, Ordering::Relaxed);
    let ring = node::ring(mem);
    let next_wakeup = next_deadline(mem, &ring);
    let slice_end = SLICE_END.load(Ordering::Relaxed);
    // The real-time kernel has no timer (its program runs with interrupts
    // off; deadlines are watched in `schedule`).
    if !cfg!(feature = "rt") {
        timer::arm_at(Some(next_wakeup.map_or(slice_end, |w| w.min(slice_end))));
    }
    user::resume(context)
}

/// A CPU exception in user mode: an upcall if the dispatcher handles it,
/// otherwise the dispatcher is killed with a report.
fn fault(current: Current, frame: &TrapFrame, regs: &Registers, fpu: &FpuState) -> ! {
    let mut mem = KernelMemory::new();
    let address = if frame.vector == 14 {
        cpu::regs::cr2()
    } else {
        0
    };
    let Some(user_frame) = frame_of(&mut mem, current.dcb) else {
        kill::kill(&mut mem, current.dcb, kill::Reason::Lost);
        schedule()
    };
    let header = user_frame.header();
    let (reason, entry) = match frame.vector {
        14 => (upcall::PAGE_FAULT, header.pagefault_entry),
        _ => (upcall::TRAP, header.trap_entry),
    };
    if current.area == Area::Enabled && entry != 0 {
        user_frame.set_fault(frame.vector, frame.error_code, address);
        user_frame.set_disabled(true);
        let detail = if reason == upcall::PAGE_FAULT {
            address
        } else {
            frame.vector
        };
        let (regs, fpu) = upcall_context(&header, reason, detail, frame.error_code);
        enter(&mut mem, current.dcb, regs, fpu);
    }
    user_frame.store(Area::Trap, regs, fpu);
    let fault = kill::Fault {
        vector: frame.vector,
        error: frame.error_code,
        address,
        rip: regs.rip,
        rsp: regs.rsp,
    };
    kill::kill(&mut mem, current.dcb, kill::Reason::Fault(fault));
    schedule()
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
