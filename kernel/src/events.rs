//! The kernel's entry points: every way the hardware enters this kernel
//! ends in one of these, called by the arch layer's entry stubs
//! (`arch::entry`, `arch::trap`, `arch::syscall`), which are the only
//! calls from `arch` into the kernel proper (docs/design.md, "The kernel").
//!
//! Each entry gets the one object-memory handle of that entry
//! ([`KernelMemory`]) from the stub, which made it, and passes it down.
//! An entry from user space never returns (some dispatcher continues, or
//! the core idles in the scheduler); an interrupt in the idle loop returns
//! to it.

use abi::dispatcher::{FpuState, Registers};

use crate::arch::objects::KernelMemory;
use crate::arch::params::ParamsPage;

/// A trap or interrupt taken in user mode.
#[derive(Debug, Clone, Copy)]
pub struct Trap {
    /// The vector.
    pub vector: u64,
    /// The CPU's error code (0 for vectors without one).
    pub error_code: u64,
    /// The faulting address of a page fault (0 otherwise).
    pub fault_address: u64,
}

/// The kernel starts on this core with the boot parameters in `params`
/// (read at TSC `tsc_at_entry`).
pub fn boot(mut mem: KernelMemory, params: ParamsPage, tsc_at_entry: u64) -> ! {
    crate::boot::boot(&mut mem, params, tsc_at_entry)
}

/// A dispatcher made a system call (its registers and FPU state).
pub fn syscall(mut mem: KernelMemory, regs: &Registers, fpu: &FpuState) -> ! {
    crate::dispatch::syscall(&mut mem, regs, fpu)
}

/// A trap or interrupt in user mode (the interrupted registers and FPU
/// state).
pub fn user_trap(mut mem: KernelMemory, trap: Trap, regs: &Registers, fpu: &FpuState) -> ! {
    crate::dispatch::user_trap(&mut mem, trap, regs, fpu)
}

/// An interrupt while the core idled.
pub fn kernel_interrupt(mut mem: KernelMemory, vector: u64) {
    crate::trace::interrupt(vector);
    // First of all: the boot driver may have taken the idle core.
    crate::dispatch::idle::reclaim(&mut mem);
    crate::dispatch::recover::interrupted(None);
    crate::interrupt::handle(&mut mem, vector);
}

/// A stop request while the core idled: nothing runs, nothing to save.
pub fn stop_request(mut mem: KernelMemory) -> ! {
    crate::dispatch::idle::reclaim(&mut mem);
    crate::dispatch::stop_core(&mut mem, None)
}
