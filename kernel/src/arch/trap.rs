//! What happens after an entry stub: the event the saved register frame
//! ([`TrapFrame`]) is for the rest of the kernel ([`crate::events`]). CPU
//! exceptions in ring 0 and machine checks are reported here and stop the
//! core ([`super::exception`]).

use abi::dispatcher::FpuState;

use super::exception;
use super::frame::TrapFrame;
use super::objects::KernelMemory;
use super::vectors::{MACHINE_CHECK, NMI, PAGE_FAULT, STOP};
use crate::events::{self, Trap};

/// Called by the common entry path with the saved frame. Entries from
/// user mode never return here (the dispatcher code continues some
/// dispatcher), except an NMI; an NMI anywhere, and interrupts in ring 0
/// (the idle loop), return to what they interrupted.
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame, fpu: &FpuState) {
    let from_user = frame.cs & 3 == 3;
    match frame.vector {
        // The hardware's, wherever it came: this core stops.
        MACHINE_CHECK => exception::fatal(frame),
        // The starter's, when this kernel stopped answering and it asked
        // for a stop (`bootproto::ack::NMI_OFFSET`): in user mode the kernel
        // was only slow, and the dispatcher stops as on a stop request;
        // in the kernel this core stops as after a fatal fault, on the
        // NMI's stack. Not while a fatal error is being reported: that one
        // ends the core itself.
        NMI if super::params::nmi_stop_requested() && !crate::fatal::reporting() => {
            if from_user {
                // SAFETY: an entry from user mode is the only kernel code
                // running on this core, as for any trap from user mode.
                let mem = unsafe { KernelMemory::new() };
                let trap = Trap {
                    vector: STOP,
                    error_code: 0,
                    fault_address: 0,
                };
                events::user_trap(mem, trap, &frame.registers(), fpu);
            }
            exception::stopped_by_nmi(frame)
        }
        // Nobody's doing otherwise (only LINT1 or the emulator raises one):
        // what it interrupted, a dispatcher or the kernel, carries on (the
        // common path returns to it), and nothing of the kernel runs on the
        // NMI's stack.
        NMI => {}
        // In ring 0 every exception is a kernel bug.
        0..=31 if !from_user => exception::fatal(frame),
        vector => {
            // SAFETY: an entry from user mode is the only kernel code
            // running on this core; an interrupt in ring 0 interrupted the
            // idle loop (the only place interrupts are on), whose handle is
            // lent to the wait and holds no object reference meanwhile.
            let mem = unsafe { KernelMemory::new() };
            if from_user {
                let trap = Trap {
                    vector,
                    error_code: frame.error_code,
                    fault_address: if vector == PAGE_FAULT {
                        cpu::regs::cr2()
                    } else {
                        0
                    },
                };
                events::user_trap(mem, trap, &frame.registers(), fpu);
            }
            match vector {
                // A stop request in the idle loop: nothing runs, nothing to save.
                STOP => events::stop_request(mem),
                vector => events::kernel_interrupt(mem, vector),
            }
        }
    }
}
