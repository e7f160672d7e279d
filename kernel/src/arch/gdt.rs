//! Segmentation: this core's GDT and TSS.
//!
//! Long mode ignores segment bases and limits, but the CPU still needs code
//! and data descriptors for ring 0 and ring 3 (laid out for
//! `syscall`/`sysret`), and a TSS whose interrupt stack table gives NMI,
//! double fault and machine check known-good stacks of their own.

use core::arch::asm;
use core::mem::size_of;

use crate::arch::stack::{IST_STACKS, STACK_SIZE};

/// Ring-0 code selector.
pub const KERNEL_CODE: u16 = 0x08;
/// Ring-0 data selector.
pub const KERNEL_DATA: u16 = 0x10;
/// TSS selector.
pub const TSS: u16 = 0x28;

/// IST slot (1-based, as IDT entries name it) for NMI.
pub const IST_NMI: u8 = 1;
/// IST slot for double fault.
pub const IST_DOUBLE_FAULT: u8 = 2;
/// IST slot for machine check.
pub const IST_MACHINE_CHECK: u8 = 3;

/// The 64-bit task-state segment.
#[repr(C, packed)]
struct TaskState {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

static mut TASK_STATE: TaskState = TaskState {
    reserved0: 0,
    rsp: [0; 3],
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    // Past the end of the segment: no I/O permission bitmap.
    iomap_base: size_of::<TaskState>() as u16,
};

static mut GDT: [u64; 7] = [
    0,
    0x00af_9a00_0000_ffff, // kernel code: present, DPL 0, execute/read, long mode
    0x00cf_9200_0000_ffff, // kernel data: present, DPL 0, read/write
    0x00cf_f200_0000_ffff, // user data (0x1b with RPL 3): present, DPL 3, read/write
    0x00af_fa00_0000_ffff, // user code (0x23 with RPL 3): present, DPL 3, execute/read, long mode
    0,                     // TSS, low half (filled in by `init`)
    0,                     // TSS, high half
];

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// The two GDT words describing an available 64-bit TSS at `base`.
fn tss_descriptor(base: u64, limit: u64) -> [u64; 2] {
    let low = (limit & 0xffff)
        | ((base & 0xff_ffff) << 16)
        | (0x89 << 40) // present, type 9: available 64-bit TSS
        | (((limit >> 16) & 0xf) << 48)
        | (((base >> 24) & 0xff) << 56);
    [low, base >> 32]
}

/// Loads this core's GDT, reloads every segment register and the task
/// register. Called once per boot, before the IDT.
pub fn init() {
    let tss_base = (&raw const TASK_STATE) as u64;
    let ist_base = (&raw const IST_STACKS) as u64;
    // SAFETY: this core runs one thread with interrupts off, and nothing
    // else refers to the TSS or GDT until they are loaded below.
    unsafe {
        let tss = &raw mut TASK_STATE;
        for slot in 0..3 {
            (*tss).ist[slot] = ist_base + ((slot + 1) * STACK_SIZE) as u64;
        }
        // Every entry from user mode starts at the top of the kernel stack.
        (*tss).rsp[0] = crate::arch::stack::boot_stack_range().1;
        let gdt = &raw mut GDT;
        let [low, high] = tss_descriptor(tss_base, size_of::<TaskState>() as u64 - 1);
        (*gdt)[5] = low;
        (*gdt)[6] = high;
    }
    let pointer = DescriptorPointer {
        limit: (size_of::<[u64; 7]>() - 1) as u16,
        base: (&raw const GDT) as u64,
    };
    // SAFETY: the GDT above holds valid descriptors for every selector
    // reloaded here; the far return switches CS to the kernel code
    // descriptor, which maps the same flat address space.
    unsafe {
        asm!(
            "lgdt [{pointer}]",
            "push {code}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "mov ss, {data:x}",
            "mov fs, {null:x}",
            "mov gs, {null:x}",
            "ltr {tss:x}",
            pointer = in(reg) &pointer,
            code = const KERNEL_CODE as u64,
            tmp = out(reg) _,
            data = in(reg) u64::from(KERNEL_DATA),
            null = in(reg) 0u64,
            tss = in(reg) u64::from(TSS),
        );
    }
}
