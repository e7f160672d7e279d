//! What happens after an entry stub: the saved register frame and the
//! dispatch of each vector to its handler.

use super::exception;

/// Registers saved on every entry, lowest address first (the order the
/// common entry path pushes them in reverse).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct TrapFrame {
    /// General registers.
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    /// The vector that was raised.
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    /// Interrupted instruction pointer.
    pub rip: u64,
    /// Interrupted code segment.
    pub cs: u64,
    /// Interrupted flags.
    pub rflags: u64,
    /// Interrupted stack pointer.
    pub rsp: u64,
    /// Interrupted stack segment.
    pub ss: u64,
}

const _: () = assert!(size_of::<TrapFrame>() == 22 * 8);

/// Called by the common entry path with the saved frame. Entries from
/// user mode never return here (the dispatcher code continues some
/// dispatcher); interrupts in ring 0 (the idle loop) return to it.
pub extern "C" fn trap_dispatch(frame: &mut TrapFrame, fpu: &abi::dispatcher::FpuState) {
    if frame.cs & 3 == 3 {
        crate::dispatch::user_trap(frame, fpu);
    }
    match frame.vector {
        0..=31 => exception::fatal(frame),
        // A stop request in the idle loop: nothing runs, nothing to save.
        super::vectors::STOP => crate::dispatch::stop_core(None),
        vector => {
            crate::interrupt::handle(vector);
        }
    }
}
