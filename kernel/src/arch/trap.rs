//! What happens after an entry stub: the event the saved register frame
//! ([`TrapFrame`]) is for the rest of the kernel ([`crate::events`]). CPU
//! exceptions in ring 0 and machine checks are reported here and stop the
//! core ([`super::exception`]).

use abi::dispatcher::FpuState;

use super::exception;
use super::frame::TrapFrame;
use super::objects::KernelMemory;
use super::vectors::{MACHINE_CHECK, NMI, STOP};
use crate::events::{self, Trap};

/// Called by the common entry path with the saved frame. Entries from
/// user mode never return here (the dispatcher code continues some
/// dispatcher); interrupts in ring 0 (the idle loop) return to it.
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame, fpu: &FpuState) {
    if frame.vector == MACHINE_CHECK {
        // The hardware's, wherever it came: this core stops.
        exception::fatal(frame);
    }
    // SAFETY: an entry from user mode is the only kernel code running on
    // this core; one in ring 0 interrupted the idle loop, which holds no
    // object reference while it waits (exceptions in ring 0 never get here).
    let mem = unsafe { KernelMemory::new() };
    if frame.cs & 3 == 3 {
        let trap = Trap {
            vector: frame.vector,
            error_code: frame.error_code,
            fault_address: if frame.vector == 14 {
                cpu::regs::cr2()
            } else {
                0
            },
        };
        events::user_trap(mem, trap, &frame.registers(), fpu);
    }
    match frame.vector {
        NMI => {}
        0..=31 => exception::fatal(frame),
        // A stop request in the idle loop: nothing runs, nothing to save.
        STOP => events::stop_request(mem),
        vector => events::kernel_interrupt(mem, vector),
    }
}
