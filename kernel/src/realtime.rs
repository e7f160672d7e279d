//! The end of a real-time run (`cpudriver-rt`, feature `rt`).
//!
//! The real-time kernel runs the one program the boot driver named, with
//! interrupts off in user mode, no timer and no preemption: the scheduler
//! only ever resumes that program, waits for its deadlines by watching the
//! clock, and when nothing is left to run, calls [`finish`]. That reports
//! the program's exit code in the boot-parameter page, wakes the boot
//! driver's OSNode (a notification to OSNode 0, which the boot driver waits
//! for), and halts; the boot driver then takes the core back with INIT.

use abi::invoke::state;
use osnode::PAddr;

use crate::arch::objects::KernelMemory;
use crate::arch::{apic, vectors};
use crate::kprintln;

/// Exit code reported when the program waits for something that cannot
/// come on a real-time core (a message, with no deadline).
pub const BLOCKED_CODE: u64 = 253;
/// Exit code reported when the OSNode has no program at all.
pub const NO_PROGRAM_CODE: u64 = 252;

/// Ends the run of OSNode `kcb` (the one this core runs): see the module
/// documentation.
pub fn finish(mem: &mut KernelMemory, kcb: Option<PAddr>) -> ! {
    let first = kcb.map_or(0, |kcb| {
        let list = mem.kcb(kcb).dispatchers;
        list.next(mem, 0)
    });
    let code = if first == 0 {
        NO_PROGRAM_CODE
    } else {
        let d = mem.dcb(first);
        match d.state {
            state::EXITED | state::FAULTED => d.exit_code,
            _ => {
                let name = core::str::from_utf8(&d.name)
                    .unwrap_or("?")
                    .trim_end_matches('\0');
                kprintln!(
                    "dispatcher {} `{name}` on core {} waits for a message, which cannot come on a real-time core: ended",
                    d.id,
                    crate::identity::this_core().core_id
                );
                BLOCKED_CODE
            }
        }
    };
    crate::console::flush();
    crate::arch::params::ack_finished(code);
    if let Some(apic_id) = crate::system::core_of(0) {
        apic::send_fixed(apic_id, vectors::NOTIFY as u8);
    }
    cpu::instr::halt_forever()
}
