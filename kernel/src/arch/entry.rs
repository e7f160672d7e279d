//! The CPU driver's entry point.
//!
//! A starter jumps here in long mode with interrupts off and `rdi` holding
//! the direct-map address of the boot parameters (contract in
//! `bootproto::params`). The entry switches to this image's boot stack and
//! calls [`crate::kernel_main`]; nothing else happens in assembly.

use crate::arch::stack::{BOOT_STACK, STACK_SIZE};

/// The image's entry point (named in `link.ld`).
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.entry")]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "cli",
        "cld",
        "lea rsp, [rip + {stack} + {size}]",
        "xor ebp, ebp",
        // rdi (the boot parameters) passes through untouched.
        "call {main}",
        "2: cli",
        "hlt",
        "jmp 2b",
        stack = sym BOOT_STACK,
        size = const STACK_SIZE,
        main = sym crate::kernel_main,
    )
}

/// Copies the boot parameters out of the starter's page.
pub fn read_boot_params(
    ptr: *const bootproto::params::BootParams,
) -> bootproto::params::BootParams {
    // SAFETY: the entry contract makes `ptr` the direct-map address of a
    // readable boot-parameter page; `BootParams` is plain integers and byte
    // arrays, so any content is a valid value (it is validated next).
    unsafe { ptr.read() }
}
