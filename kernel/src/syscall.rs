//! System calls (numbers and register convention: `abi::syscall`). Every
//! argument is checked; an invalid one returns an error code and changes
//! nothing.

use abi::dispatcher::RING_SLOTS;
use abi::dispatcher::Registers;
use abi::error::SysError;
use abi::syscall::{DEBUG_CHECK, DEBUG_PRINT, EXIT, INVOKE, MAX_PRINT, RESUME, TIME, WAIT, YIELD};

use crate::arch::objects::KernelMemory;
use crate::dispatch::{self, Current, finish_syscall};
use crate::{invoke, kill, time, usermem};

/// Handles the system call whose registers were saved for `current`.
pub fn handle(mem: &mut KernelMemory, current: Current, regs: &Registers) -> ! {
    if regs.rax != WAIT {
        // Only a SEND followed at once by a WAIT donates its time slice:
        // in between, nothing can destroy the receiver.
        dispatch::forget_woken();
    }
    match regs.rax {
        INVOKE => invoke::invoke(mem, current, regs),
        YIELD => dispatch::yield_current(mem, current),
        WAIT => wait(mem, current, regs.rdi, regs.rsi),
        DEBUG_PRINT => {
            let printed = debug_print(mem, current, regs.rdi, regs.rsi);
            finish_syscall(mem, current, printed)
        }
        TIME => finish_syscall(mem, current, Ok([time::now_ns(), 0, 0, 0, 0, 0])),
        RESUME => {
            if let Some(frame) = mem.frame_of(current.dcb) {
                frame.set_disabled(false);
            }
            mem.dcb(current.dcb).resume = osnode::dcb::Resume::Enabled as u32;
            dispatch::resume_current(mem, current.dcb)
        }
        EXIT => {
            kill::exit(mem, current.dcb, regs.rdi);
            dispatch::schedule(mem)
        }
        DEBUG_CHECK => {
            let checked = match crate::node::current() {
                Some(kcb) => crate::checks::mdb(mem, kcb),
                None => Err(SysError::DispatcherNotReady),
            };
            finish_syscall(mem, current, checked)
        }
        _ => finish_syscall(mem, current, Err(SysError::InvalidSyscall)),
    }
}

/// WAIT: returns at once if a message is waiting, a notification came
/// since the caller last waited for one (if it waits for them), or the
/// deadline passed; otherwise blocks.
fn wait(mem: &mut KernelMemory, current: Current, deadline_ns: u64, rings: u64) -> ! {
    let Some(frame) = mem.frame_of(current.dcb) else {
        dispatch::schedule(mem)
    };
    let rings = if rings == 0 { u64::MAX } else { rings };
    mem.dcb(current.dcb).wait_rings = rings;
    let pending = frame.missed(rings)
        || (0..abi::dispatcher::ENDPOINTS)
            .filter(|&ring| rings & (1 << ring) != 0)
            .any(|ring| {
                let (head, tail) = frame.ring_counters(ring);
                head != tail && (head.wrapping_sub(tail) as usize) <= RING_SLOTS
            });
    // A notification that came since it last waited for one counts now.
    let notified = osnode::sched::take_notification(mem, current.dcb, rings);
    if pending || notified {
        finish_syscall(mem, current, Ok([0; 6]));
    }
    if deadline_ns != 0 && deadline_ns <= time::now_ns() {
        finish_syscall(mem, current, Ok([1, 0, 0, 0, 0, 0]));
    }
    dispatch::block(mem, current, deadline_ns)
}

/// DEBUG_PRINT: copies the text through the caller's page tables and
/// writes it to the console.
fn debug_print(
    mem: &mut KernelMemory,
    current: Current,
    addr: u64,
    len: u64,
) -> Result<[u64; 6], SysError> {
    if len > MAX_PRINT {
        return Err(SysError::BadArgument);
    }
    let mut buf = [0u8; MAX_PRINT as usize];
    let text = &mut buf[..len as usize];
    let pml4 = mem
        .vspace_of(current.dcb)
        .ok_or(SysError::DispatcherNotReady)?;
    usermem::read(mem, pml4.phys(), addr, text)?;
    crate::console::write_bytes(text);
    Ok([len, 0, 0, 0, 0, 0])
}
