//! Everything x86_64-specific in the CPU driver, and (with `lib/cpu`) the
//! only place `unsafe` code lives: entry, descriptor tables, trap entry,
//! local APIC, IOAPIC, legacy PIC, PIT, page tables, ACPI access, the
//! warm-reset vector.

pub mod acpi;
pub mod apic;
pub mod backtrace;
pub mod entry;
pub mod exception;
pub mod features;
pub mod gdt;
pub mod idt;
pub mod ioapic;
pub mod irq;
pub mod mmio;
pub mod objects;
pub mod paging;
pub mod pic;
pub mod pit;
pub mod ports;
pub mod stack;
pub mod syscall;
pub mod trap;
pub mod user;
pub mod vectors;
pub mod warm_reset;

/// The physical address space as the direct map shows it, as bytes: used
/// to hand the boot archive to the kernel (and later, modules to user space).
///
/// # Safety
/// `[phys, phys + len)` must be memory-backed, covered by the direct map,
/// and not written by anyone for the returned lifetime.
pub unsafe fn phys_bytes(phys: u64, len: usize) -> &'static [u8] {
    // SAFETY: guaranteed by the caller.
    unsafe { core::slice::from_raw_parts(bootproto::layout::phys_to_virt(phys) as *const u8, len) }
}

/// Runs a fault on purpose (kernel command line `selftest=...`).
pub fn provoke_fault(kind: crate::selftest::Fault) {
    match kind {
        crate::selftest::Fault::PageFault(address) => {
            // SAFETY: not sound by design: this read of an unmapped address
            // exists to exercise the fatal-exception path, which never
            // returns here.
            let value = unsafe { (address as *const u64).read_volatile() };
            log::error!("read of unmapped {address:#x} returned {value:#x}");
        }
        crate::selftest::Fault::InvalidOpcode => {
            // SAFETY: `ud2` raises #UD, whose handler never returns.
            unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
        }
    }
}
