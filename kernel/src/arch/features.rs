//! CPU protection features the CPU driver turns on when the CPU has them:
//! no-execute pages (EFER.NXE), and supervisor-mode execution and access
//! prevention (SMEP, SMAP): the kernel never executes or touches user
//! pages through user addresses (it reads user memory through the direct
//! map), so a kernel bug that tries is caught at once.

use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::sync::atomic::{AtomicBool, Ordering};

static NX: AtomicBool = AtomicBool::new(false);

const EFER_NXE: u64 = 1 << 11;
const CR4_PGE: u64 = 1 << 7;
const CR4_SMEP: u64 = 1 << 20;
const CR4_SMAP: u64 = 1 << 21;

/// Enables what this CPU supports. Returns a summary for the log.
pub fn init() -> (bool, bool, bool) {
    let has_nx =
        __cpuid(0x8000_0000).eax >= 0x8000_0001 && __cpuid(0x8000_0001).edx & (1 << 20) != 0;
    let leaf7 = if __cpuid(0).eax >= 7 {
        __cpuid_count(7, 0).ebx
    } else {
        0
    };
    let (smep, smap) = (leaf7 & (1 << 7) != 0, leaf7 & (1 << 20) != 0);
    if has_nx {
        // SAFETY: NXE is supported (CPUID), and no page table sets NX yet on
        // memory the kernel executes.
        unsafe {
            cpu::msr::wrmsr(
                cpu::msr::IA32_EFER,
                cpu::msr::rdmsr(cpu::msr::IA32_EFER) | EFER_NXE,
            )
        };
        NX.store(true, Ordering::Relaxed);
    }
    let mut cr4 = cpu::regs::cr4() | CR4_PGE;
    if smep {
        cr4 |= CR4_SMEP;
    }
    if smap {
        cr4 |= CR4_SMAP;
    }
    // SAFETY: only features CPUID reports are set; the kernel runs in the
    // higher half and never uses user addresses.
    unsafe { cpu::regs::set_cr4(cr4) };
    (has_nx, smep, smap)
}

/// Whether no-execute page bits may be used.
pub fn has_nx() -> bool {
    NX.load(Ordering::Relaxed)
}
