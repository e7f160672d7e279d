//! Entering user space: checking a user context so that restoring it can
//! never fault in ring 0, and the `iretq` that restores it. Also the FPU
//! save/restore and the `fs` base.
//!
//! The kernel never returns to user space any other way, so these checks
//! are the whole guarantee that a dispatcher's (untrusted) save area cannot
//! crash the kernel.

use abi::dispatcher::{FpuState, Registers};
use abi::layout::USER_TOP;
use core::arch::{asm, global_asm};

/// Ring-3 code selector.
pub const USER_CS: u64 = 0x23;
/// Ring-3 stack selector.
pub const USER_SS: u64 = 0x1b;
const IA32_FS_BASE: u32 = 0xc000_0100;
/// Flags user code may set: CF, PF, AF, ZF, SF, TF, DF, OF, AC, ID.
const USER_FLAGS: u64 =
    0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | (1 << 18) | (1 << 21);
/// Flags always set in user mode: IF and the reserved bit 1; the real-time
/// kernel runs its program with interrupts off (only the reserved bit).
const FORCED_FLAGS: u64 = if cfg!(feature = "rt") {
    1 << 1
} else {
    (1 << 9) | (1 << 1)
};
const MXCSR_OFFSET: usize = 24;

/// Why a saved user context cannot be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadContext {
    /// The instruction pointer is not a user address.
    InstructionPointer(u64),
    /// The stack pointer is not a user address.
    StackPointer(u64),
    /// The `fs` base is not a user address.
    FsBase(u64),
}

/// A user context that has been checked: resuming it cannot fault in ring 0.
pub struct UserContext {
    regs: Registers,
    fpu: FpuState,
}

impl UserContext {
    /// Checks (and copies) a context read from a save area. Flags are
    /// forced to user values; reserved MXCSR bits are cleared.
    pub fn check(mut regs: Registers, mut fpu: FpuState) -> Result<Self, BadContext> {
        if regs.rip >= USER_TOP {
            return Err(BadContext::InstructionPointer(regs.rip));
        }
        if regs.rsp >= USER_TOP {
            return Err(BadContext::StackPointer(regs.rsp));
        }
        if regs.fs_base >= USER_TOP {
            return Err(BadContext::FsBase(regs.fs_base));
        }
        regs.rflags = (regs.rflags & USER_FLAGS) | FORCED_FLAGS;
        let mut mxcsr = [0u8; 4];
        mxcsr.copy_from_slice(&fpu.0[MXCSR_OFFSET..MXCSR_OFFSET + 4]);
        let sane = u32::from_le_bytes(mxcsr) & mxcsr_mask();
        fpu.0[MXCSR_OFFSET..MXCSR_OFFSET + 4].copy_from_slice(&sane.to_le_bytes());
        Ok(Self { regs, fpu })
    }
}

global_asm!(
    ".section .text.user, \"ax\"",
    ".global corefish_enter_user",
    // rdi = &Registers (on the kernel stack).
    "corefish_enter_user:",
    "push {ss}",
    "push qword ptr [rdi + 56]",
    "push qword ptr [rdi + 136]",
    "push {cs}",
    "push qword ptr [rdi + 128]",
    "mov rax, [rdi + 0]",
    "mov rbx, [rdi + 8]",
    "mov rcx, [rdi + 16]",
    "mov rdx, [rdi + 24]",
    "mov rsi, [rdi + 32]",
    "mov rbp, [rdi + 48]",
    "mov r8, [rdi + 64]",
    "mov r9, [rdi + 72]",
    "mov r10, [rdi + 80]",
    "mov r11, [rdi + 88]",
    "mov r12, [rdi + 96]",
    "mov r13, [rdi + 104]",
    "mov r14, [rdi + 112]",
    "mov r15, [rdi + 120]",
    "mov rdi, [rdi + 40]",
    "iretq",
    ss = const USER_SS,
    cs = const USER_CS,
);

const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(Registers, rax) == 0);
    assert!(offset_of!(Registers, rdi) == 40);
    assert!(offset_of!(Registers, rsp) == 56);
    assert!(offset_of!(Registers, r15) == 120);
    assert!(offset_of!(Registers, rip) == 128);
    assert!(offset_of!(Registers, rflags) == 136);
};

unsafe extern "C" {
    fn corefish_enter_user(regs: *const Registers) -> !;
}

/// Restores a checked context and continues in user mode. The caller must
/// have loaded the dispatcher's address space.
pub fn resume(context: UserContext) -> ! {
    let UserContext { regs, fpu } = context;
    // Nothing on the kernel stack is needed after `iretq`; the selectors are this core's.
    // SAFETY: `check` guaranteed a canonical user fs base, a valid MXCSR, user rip/rsp, and
    // flags with IOPL 0 and interrupts as FORCED_FLAGS sets them (off only in the `rt` kernel).
    unsafe {
        cpu::msr::wrmsr(IA32_FS_BASE, regs.fs_base);
        asm!("fxrstor64 [{}]", in(reg) &fpu, options(nostack, readonly));
        corefish_enter_user(&regs)
    }
}

/// Saves this core's FPU/SSE state (of the user code that just entered).
pub fn save_fpu() -> FpuState {
    let mut state = FpuState([0; 512]);
    // SAFETY: `state` is a 16-byte aligned, 512-byte buffer.
    unsafe { asm!("fxsave64 [{}]", in(reg) &mut state, options(nostack)) };
    state
}

/// The user's `fs` base.
pub fn fs_base() -> u64 {
    // SAFETY: IA32_FS_BASE exists on every x86_64 CPU.
    unsafe { cpu::msr::rdmsr(IA32_FS_BASE) }
}

/// The MXCSR bits this CPU accepts (from an `fxsave` image; 0xffbf when the
/// CPU reports none).
fn mxcsr_mask() -> u32 {
    static MASK: spin::Once<u32> = spin::Once::new();
    *MASK.call_once(|| {
        let image = save_fpu();
        let mut mask = [0u8; 4];
        mask.copy_from_slice(&image.0[28..32]);
        match u32::from_le_bytes(mask) {
            0 => 0xffbf,
            m => m,
        }
    })
}
