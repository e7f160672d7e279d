//! The `syscall` instruction's entry path.
//!
//! `syscall` does not switch stacks, so the entry stub parks the user stack
//! pointer in this image's scratch word, switches to the top of the kernel
//! stack (every kernel entry starts there: the CPU driver never keeps a
//! kernel context across entries), pushes the user registers as a
//! [`SyscallFrame`] and calls [`crate::events::syscall`], which never
//! returns: the dispatcher continues through [`super::user::resume`].
//!
//! Each core runs its own copy of the kernel image, so the scratch word and
//! the stack are per-core by construction; no `swapgs`/GS base is needed.

use core::arch::global_asm;

use super::gdt::KERNEL_CODE;
use super::stack::{BOOT_STACK, STACK_SIZE};

/// Where the entry stub parks the user stack pointer.
static mut USER_RSP: u64 = 0;

/// Registers of the thread that made the system call, as the entry stub
/// pushes them.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct SyscallFrame {
    /// `rax`: the syscall number.
    pub rax: u64,
    /// `rbx`.
    pub rbx: u64,
    /// `rcx`: the user's return address (set by `syscall`).
    pub rcx: u64,
    /// `rdx`.
    pub rdx: u64,
    /// `rsi`.
    pub rsi: u64,
    /// `rdi`.
    pub rdi: u64,
    /// `rbp`.
    pub rbp: u64,
    /// `r8`.
    pub r8: u64,
    /// `r9`.
    pub r9: u64,
    /// `r10`.
    pub r10: u64,
    /// `r11`: the user's flags (set by `syscall`).
    pub r11: u64,
    /// `r12`.
    pub r12: u64,
    /// `r13`.
    pub r13: u64,
    /// `r14`.
    pub r14: u64,
    /// `r15`.
    pub r15: u64,
    /// The user stack pointer.
    pub rsp: u64,
}

global_asm!(
    ".section .text.syscall, \"ax\"",
    ".global corefish_syscall_entry",
    "corefish_syscall_entry:",
    "mov [rip + {user_rsp}], rsp",
    "lea rsp, [rip + {stack} + {size}]",
    "push qword ptr [rip + {user_rsp}]",
    "push r15",
    "push r14",
    "push r13",
    "push r12",
    "push r11",
    "push r10",
    "push r9",
    "push r8",
    "push rbp",
    "push rdi",
    "push rsi",
    "push rdx",
    "push rcx",
    "push rbx",
    "push rax",
    "mov rdi, rsp",
    // The caller's FPU/SSE state, before any Rust code runs.
    "sub rsp, 512",
    "and rsp, -16",
    "fxsave64 [rsp]",
    "mov rsi, rsp",
    "cld",
    "call {entry}",
    "ud2",
    user_rsp = sym USER_RSP,
    stack = sym BOOT_STACK,
    size = const STACK_SIZE,
    entry = sym syscall_entry,
);

unsafe extern "C" {
    static corefish_syscall_entry: u8;
}

extern "C" fn syscall_entry(frame: &SyscallFrame, fpu: &abi::dispatcher::FpuState) -> ! {
    let regs = abi::dispatcher::Registers {
        rax: frame.rax,
        rbx: frame.rbx,
        rcx: frame.rcx,
        rdx: frame.rdx,
        rsi: frame.rsi,
        rdi: frame.rdi,
        rbp: frame.rbp,
        rsp: frame.rsp,
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        // `syscall` put the return address in rcx and the flags in r11.
        rip: frame.rcx,
        rflags: frame.r11,
        fs_base: super::user::fs_base(),
        reserved: 0,
    };
    // SAFETY: a system call is the only kernel code running on this core
    // (it entered from user mode with interrupts off).
    let mem = unsafe { super::objects::KernelMemory::new() };
    crate::events::syscall(mem, &regs, fpu)
}

const IA32_STAR: u32 = 0xc000_0081;
const IA32_LSTAR: u32 = 0xc000_0082;
const IA32_FMASK: u32 = 0xc000_0084;
const EFER_SCE: u64 = 1 << 0;
/// Flags cleared on entry: TF, IF, DF, AC, NT.
const ENTRY_FLAGS_MASK: u64 = (1 << 8) | (1 << 9) | (1 << 10) | (1 << 18) | (1 << 14);
/// `sysret` selector base: user SS = base + 8, user CS = base + 16.
const SYSRET_BASE: u64 = 0x10;

/// Enables `syscall` on this core and points it at the entry stub.
pub fn init() {
    let entry = (&raw const corefish_syscall_entry) as u64;
    // SAFETY: these MSRs exist on every x86_64 CPU; the selectors match
    // this core's GDT and the entry stub is this image's code.
    unsafe {
        use cpu::msr::{IA32_EFER, rdmsr, wrmsr};
        wrmsr(
            IA32_STAR,
            (u64::from(KERNEL_CODE) << 32) | (SYSRET_BASE << 48),
        );
        wrmsr(IA32_LSTAR, entry);
        wrmsr(IA32_FMASK, ENTRY_FLAGS_MASK);
        wrmsr(IA32_EFER, rdmsr(IA32_EFER) | EFER_SCE);
    }
}
