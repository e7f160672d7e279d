//! The CPU driver's entry point.
//!
//! A starter jumps here in long mode with interrupts off and `rdi` holding
//! the direct-map address of the boot parameters (contract in
//! `bootproto::params`). The entry switches to this image's boot stack,
//! sets up what every entry of this core relies on (SSE, the descriptor
//! tables, the `syscall` entry) and hands the kernel its boot-parameter
//! page ([`crate::events::boot`]).

use bootproto::params::BootParams;

use crate::arch::stack::{BOOT_STACK, STACK_SIZE};

/// The image's entry point (named in `link.ld`).
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.entry")]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        // The preamble boot drivers check (`bootproto::starter::check_entry`).
        "jmp 3f",
        ".ascii \"CFCPUDRV\"",
        ".long {version}",
        ".short {kcb_oldest}",
        ".short {kcb_newest}",
        "3: cli",
        "cld",
        "lea rsp, [rip + {stack} + {size}]",
        "xor ebp, ebp",
        // rdi (the boot parameters) passes through untouched.
        "call {start}",
        "2: cli",
        "hlt",
        "jmp 2b",
        stack = sym BOOT_STACK,
        size = const STACK_SIZE,
        start = sym start,
        version = const bootproto::params::BOOT_PARAMS_VERSION,
        kcb_oldest = const osnode::kcb::OLDEST_CONVERTIBLE,
        kcb_newest = const osnode::kcb::KCB_VERSION,
    )
}

/// The first Rust code of this kernel, on its boot stack.
extern "C" fn start(params: *const BootParams) -> ! {
    let tsc_at_entry = cpu::instr::rdtsc();
    cpu::regs::enable_sse();
    super::gdt::init();
    super::idt::init();
    super::syscall::init();
    // SAFETY: the entry contract makes `params` the direct-map address of
    // the boot-parameter page the starter gave this kernel, which nothing
    // else of this kernel uses.
    let Some(page) = (unsafe { super::params::ParamsPage::at_entry(params) }) else {
        crate::kprintln!("cpudriver: boot parameters at {params:p} are not page-aligned");
        crate::fatal::stop_core("bad boot parameters");
    };
    // SAFETY: the first entry of this kernel: no other handle exists.
    let mem = unsafe { super::objects::KernelMemory::new() };
    crate::events::boot(mem, page, tsc_at_entry)
}
