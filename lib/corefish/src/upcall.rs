//! Page-fault and trap upcalls: the kernel hands a fault in this program to
//! a handler here instead of killing it. The handler runs on the upcall
//! stack with upcalls disabled (its own system calls save to the disabled
//! area, leaving the interrupted context alone in the enabled area); when
//! it has fixed the cause (mapped the page, changed the saved registers) it
//! returns `true` and the runtime resumes the interrupted context with the
//! RESUME system call. A handler that returns `false` ends the program.

use abi::dispatcher::{Registers, upcall};
use spin::Mutex;

use crate::{frame, println, sys};

/// A page-fault handler: `(address, error code) -> handled`.
pub type PageFaultHandler = fn(u64, u64) -> bool;
/// A trap handler: `(vector, error code, interrupted registers) -> handled`
/// (it may change the registers, e.g. to skip an instruction).
pub type TrapHandler = fn(u64, u64, &mut Registers) -> bool;

static PAGE_FAULT: Mutex<Option<PageFaultHandler>> = Mutex::new(None);
static TRAP: Mutex<Option<TrapHandler>> = Mutex::new(None);

/// Bytes of the upcall stack.
const STACK: usize = 64 * 1024;

#[repr(C, align(16))]
struct UpcallStack([u8; STACK]);

static mut UPCALL_STACK: UpcallStack = UpcallStack([0; STACK]);

/// Installs the handlers (`None` leaves that fault fatal).
pub fn set_handlers(page_fault: Option<PageFaultHandler>, trap: Option<TrapHandler>) {
    *PAGE_FAULT.lock() = page_fault;
    *TRAP.lock() = trap;
    let entry = upcall_entry as *const () as u64;
    let top = (&raw const UPCALL_STACK) as u64 + STACK as u64;
    frame::set_upcalls(
        if page_fault.is_some() { entry } else { 0 },
        if trap.is_some() { entry } else { 0 },
        top,
    );
}

/// The entry the kernel upcalls: `rdi` = reason, `rsi`/`rdx` = details.
#[unsafe(naked)]
extern "C" fn upcall_entry() -> ! {
    core::arch::naked_asm!("and rsp, -16", "xor ebp, ebp", "call {handle}", "ud2", handle = sym handle)
}

extern "C" fn handle(reason: u64, detail: u64, error: u64) -> ! {
    let handled = match reason {
        upcall::PAGE_FAULT => PAGE_FAULT.lock().is_some_and(|h| h(detail, error)),
        upcall::TRAP => {
            let handler = *TRAP.lock();
            let mut regs = frame::enabled_registers();
            let handled = handler.is_some_and(|h| h(detail, error, &mut regs));
            if handled {
                frame::set_enabled_registers(&regs);
            }
            handled
        }
        _ => false,
    };
    if handled {
        sys::resume()
    }
    println!("upcall: unhandled fault (reason {reason}, {detail:#x}, error {error:#x})");
    sys::exit(134)
}
