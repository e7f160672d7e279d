//! Everything x86_64-specific in the CPU driver, and (with `lib/cpu`) the
//! only place `unsafe` code lives (the crate root denies it elsewhere):
//! entry, descriptor tables, trap entry, the boot-parameter page, kernel
//! objects in the direct map, local APIC, IOAPIC, legacy PIC, PIT, page
//! tables, ACPI access, the warm-reset vector, the console UART.
//!
//! The rest of the kernel calls down into this layer freely. This layer
//! calls up only through a narrow, fixed set of entry points:
//! * [`crate::events`]: what each hardware event means to the kernel
//!   (boot, system call, trap or interrupt in user mode, interrupt or stop
//!   request in the idle loop), called by the entry stubs
//!   ([`entry`], [`trap`], [`syscall`]) with arch-neutral data (registers,
//!   vector, error code);
//! * leaf services that know nothing of this layer's entry paths:
//!   [`crate::fatal`] and [`crate::console`] (ring-0 exception reports),
//!   [`crate::identity`] (which core this is), [`crate::memory`] (frames
//!   for the kernel's own page tables), [`crate::platform`] (the machine's
//!   interrupt controllers, as ACPI describes them).

pub mod acpi;
pub mod apic;
pub mod backtrace;
pub mod entry;
pub mod exception;
pub mod features;
pub mod frame;
pub mod gdt;
pub mod idt;
pub mod ioapic;
pub mod irq;
pub mod mmio;
pub mod next_kernel;
pub mod objects;
pub mod paging;
pub mod params;
pub mod pic;
pub mod pit;
pub mod ports;
pub mod screen;
pub mod stack;
pub mod syscall;
pub mod trace_ring;
pub mod trap;
pub mod user;
pub mod vectors;
pub mod warm_reset;

use cpu::serial::{COM1, Serial};

/// Waits, with interrupts on, until one arrives and has been handled. It
/// borrows the entry's object-memory handle, so no object reference made
/// through it lives across the wait, while the interrupt's handler uses its
/// own handle.
pub fn wait_for_interrupt(_: &mut objects::KernelMemory) {
    // SAFETY: the IDT handles every vector; the kernel is built without a
    // red zone, so the interrupt frame cannot clobber live data.
    unsafe { cpu::instr::wait_for_interrupt() };
}

/// The console UART (COM1, which the first boot stage programmed).
pub const fn console_uart() -> Serial {
    // SAFETY: COM1 is the console by Corefish's platform convention;
    // kernels only write bytes to it (each under the console lock).
    unsafe { Serial::attach(COM1) }
}

unsafe extern "C" {
    /// First byte of this image (defined by `link.ld`).
    static __image_start: u8;
    /// One past its last byte.
    static __image_end: u8;
    /// First byte of its writable part (page-aligned; it ends with the image).
    static __data_start: u8;
}

/// The virtual range of this image (it runs in the direct map, its link
/// address 0 at the start).
pub fn image_range() -> core::ops::Range<u64> {
    (&raw const __image_start) as u64..(&raw const __image_end) as u64
}

/// The virtual range of this image's writable part (data and bss).
pub fn data_range() -> core::ops::Range<u64> {
    (&raw const __data_start) as u64..(&raw const __image_end) as u64
}

/// An address the kernel never maps (lower half, which belongs to user
/// space and is empty in the kernel's own tables).
pub const UNMAPPED_ADDRESS: u64 = 0x0000_0000_dead_b000;

/// Reads [`UNMAPPED_ADDRESS`] on purpose (`selftest=pagefault`), to
/// exercise the fatal-exception path, which never returns here.
pub fn provoke_page_fault() {
    // SAFETY: the address is mapped nowhere in the kernel's tables, so the
    // read faults before it reads anything, and the fatal-exception handler
    // stops the core instead of returning.
    let value = unsafe { (UNMAPPED_ADDRESS as *const u64).read_volatile() };
    log::error!("read of unmapped {UNMAPPED_ADDRESS:#x} returned {value:#x}");
}

/// Executes `ud2` on purpose (`selftest=invalid-opcode`).
pub fn provoke_invalid_opcode() {
    // SAFETY: `ud2` raises #UD, whose handler never returns.
    unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
}
