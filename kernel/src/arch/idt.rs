//! The interrupt descriptor table and the 256 entry stubs.
//!
//! Every vector has a 16-byte stub that pushes a zero error code (unless the
//! CPU pushed one), then the vector number, and jumps to a common path that
//! saves the general registers as a [`TrapFrame`](super::frame::TrapFrame)
//! and the FPU/SSE state (with `fxsave`, before any Rust code can touch an
//! SSE register), and calls [`trap_dispatch`](super::trap::trap_dispatch). All gates are
//! interrupt gates, so the CPU driver is never interrupted while it handles
//! an event (docs/design.md, rule 4). NMI, double fault and machine check run on
//! their own IST stacks.

use core::arch::{asm, global_asm};
use core::mem::size_of;

use super::gdt::{IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, KERNEL_CODE};

/// Bytes between consecutive entry stubs.
const STUB_STRIDE: u64 = 16;

// Vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29, 30.
global_asm!(
    r#"
    .section .text.traps, "ax"
    .balign 16
    .global corefish_trap_stubs
corefish_trap_stubs:
    .set vector, 0
    .rept 256
        .balign 16
        .if ((0x60227d00 >> vector) & 1) == 0
            pushq $0
        .endif
        pushq $vector
        jmp corefish_trap_common
        .set vector, vector + 1
    .endr

corefish_trap_common:
    pushq %r15
    pushq %r14
    pushq %r13
    pushq %r12
    pushq %r11
    pushq %r10
    pushq %r9
    pushq %r8
    pushq %rbp
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rbx
    pushq %rax
    /* Flags: clear AC (user code may set it: SMAP must hold in the
       kernel) and DF; IF is already clear (interrupt gates). */
    pushq $2
    popfq
    /* The interrupted FPU/SSE state, before any Rust code runs. */
    movq %rsp, %rdi
    movq %rsp, %rbx
    subq $512, %rsp
    andq $-16, %rsp
    fxsave64 (%rsp)
    movq %rsp, %rsi
    call {dispatch}
    fxrstor64 (%rsp)
    movq %rbx, %rsp
    popq %rax
    popq %rbx
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rbp
    popq %r8
    popq %r9
    popq %r10
    popq %r11
    popq %r12
    popq %r13
    popq %r14
    popq %r15
    addq $16, %rsp
    iretq
"#,
    dispatch = sym super::trap::trap_dispatch,
    options(att_syntax)
);

unsafe extern "C" {
    /// The first of the 256 entry stubs above.
    static corefish_trap_stubs: u8;
}

/// One 16-byte IDT gate.
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const EMPTY: Self = Self {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    /// A present ring-0 interrupt gate (type 0xE: IF is cleared on entry).
    fn interrupt(handler: u64, ist: u8) -> Self {
        Self {
            offset_low: handler as u16,
            selector: KERNEL_CODE,
            ist,
            attributes: 0x8e,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

static mut IDT: [Gate; 256] = [Gate::EMPTY; 256];

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Fills and loads this core's IDT. Needs the GDT (for the code selector
/// and the TSS's IST stacks).
pub fn init() {
    let stubs = (&raw const corefish_trap_stubs) as u64;
    // SAFETY: this core runs one thread with interrupts off; the IDT is not
    // loaded yet, so nothing reads it while it is written.
    unsafe {
        let idt = &raw mut IDT;
        for vector in 0..256u64 {
            let ist = match vector {
                2 => IST_NMI,
                8 => IST_DOUBLE_FAULT,
                18 => IST_MACHINE_CHECK,
                _ => 0,
            };
            (*idt)[vector as usize] = Gate::interrupt(stubs + vector * STUB_STRIDE, ist);
        }
    }
    let pointer = DescriptorPointer {
        limit: (size_of::<[Gate; 256]>() - 1) as u16,
        base: (&raw const IDT) as u64,
    };
    // SAFETY: the table is fully initialised with gates to valid stubs.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) };
}
