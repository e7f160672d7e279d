//! System calls (numbers and register convention: `abi::syscall`). Every
//! argument is checked; an invalid one returns an error code and changes
//! nothing.

use abi::dispatcher::RING_SLOTS;
use abi::dispatcher::Registers;
use abi::error::SysError;
use abi::syscall::{DEBUG_PRINT, EXIT, INVOKE, MAX_PRINT, RESUME, TIME, WAIT, YIELD};

use crate::arch::objects::KernelMemory;
use crate::dispatch::{self, Current, finish_syscall, frame_of};
use crate::{invoke, kill, time, usermem};

/// Handles the system call whose registers were saved for `current`.
pub fn handle(current: Current, regs: &Registers) -> ! {
    match regs.rax {
        INVOKE => invoke::invoke(current, regs),
        YIELD => dispatch::yield_current(current),
        WAIT => wait(current, regs.rdi, regs.rsi),
        DEBUG_PRINT => finish_syscall(current, debug_print(current, regs.rdi, regs.rsi)),
        TIME => finish_syscall(current, Ok([time::now_ns(), 0, 0, 0, 0, 0])),
        RESUME => {
            let mut mem = KernelMemory::new();
            if let Some(frame) = frame_of(&mut mem, current.dcb) {
                frame.set_disabled(false);
            }
            mem.dcb(current.dcb).resume = osnode::dcb::Resume::Enabled as u32;
            dispatch::resume_current(current.dcb)
        }
        EXIT => {
            let mut mem = KernelMemory::new();
            kill::exit(&mut mem, current.dcb, regs.rdi);
            dispatch::schedule()
        }
        _ => finish_syscall(current, Err(SysError::InvalidSyscall)),
    }
}

/// WAIT: returns at once if a message is waiting, a notification came
/// since the caller last waited for one (if it waits for them), or the
/// deadline passed; otherwise blocks.
fn wait(current: Current, deadline_ns: u64, rings: u64) -> ! {
    let mut mem = KernelMemory::new();
    let Some(frame) = frame_of(&mut mem, current.dcb) else {
        dispatch::schedule()
    };
    let rings = if rings == 0 { u64::MAX } else { rings };
    mem.dcb(current.dcb).wait_rings = rings;
    let pending = (0..abi::dispatcher::ENDPOINTS)
        .filter(|&ring| rings & (1 << ring) != 0)
        .any(|ring| {
            let (head, tail) = frame.ring_counters(ring);
            head != tail && (head.wrapping_sub(tail) as usize) <= RING_SLOTS
        });
    // A notification that came since it last waited for one counts now.
    let notified = {
        let d = mem.dcb(current.dcb);
        let notified =
            rings & abi::dispatcher::NOTIFY_BIT != 0 && d.flags & osnode::dcb::NOTIFIED != 0;
        if notified {
            d.flags &= !osnode::dcb::NOTIFIED;
        }
        notified
    };
    if pending || notified {
        finish_syscall(current, Ok([0; 6]));
    }
    if deadline_ns != 0 && deadline_ns <= time::now_ns() {
        finish_syscall(current, Ok([1, 0, 0, 0, 0, 0]));
    }
    dispatch::block(current, deadline_ns)
}

/// DEBUG_PRINT: copies the text through the caller's page tables and
/// writes it to the console.
fn debug_print(current: Current, addr: u64, len: u64) -> Result<[u64; 6], SysError> {
    if len > MAX_PRINT {
        return Err(SysError::BadArgument);
    }
    let mut buf = [0u8; MAX_PRINT as usize];
    let text = &mut buf[..len as usize];
    let mut mem = KernelMemory::new();
    let pml4 = dispatch::vspace_of(&mut mem, current.dcb).ok_or(SysError::DispatcherNotReady)?;
    usermem::read(&mut mem, pml4, addr, text)?;
    crate::console::write_bytes(text);
    Ok([len, 0, 0, 0, 0, 0])
}
