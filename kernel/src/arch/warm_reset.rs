//! Starting the bootstrap core again. INIT puts every other core into
//! wait-for-STARTUP, but the bootstrap processor (the one the firmware
//! started) runs the firmware's reset path instead, and STARTUP is then
//! ignored. The firmware's reset path honours the warm-reset protocol of
//! the MultiProcessor Specification (appendix B.4): with shutdown code
//! `0x0a` in CMOS register `0x0f`, it jumps without a POST to the real-mode
//! far pointer at 0040:0067 in the BIOS data area. So before INIT to the
//! bootstrap core, the kernel points that vector at the code the core is
//! to run (the boot driver's trampoline, or its halt loop) and sets the
//! code; the firmware clears the code when it uses it.
//!
//! Without this an INIT to the bootstrap core would reboot the machine, so
//! the kernel refuses INIT to that core unless it is told where to go.

use core::sync::atomic::{AtomicU16, Ordering};

/// CMOS index and data ports.
const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
/// CMOS register holding the shutdown code; bit 7 of the index keeps NMIs
/// masked while the index is set.
const SHUTDOWN_CODE: u8 = 0x0f | 0x80;
/// "Jump through the warm-reset vector without end-of-interrupt."
const JUMP_VIA_VECTOR: u8 = 0x0a;
/// Physical address of the warm-reset vector (offset, then segment).
const VECTOR_OFFSET: u64 = 0x467;
const VECTOR_SEGMENT: u64 = 0x469;

/// The lowest and the end of the real-mode entry addresses accepted: above
/// the interrupt table and BIOS data area page, below the video memory.
pub const LOWEST: u64 = 0x1000;
pub const END: u64 = 0xa_0000;

/// Makes the bootstrap core, on its next INIT, continue in real mode at
/// physical `entry` (with `cs` = `entry >> 4`). `entry` must lie in
/// [`LOWEST`, `END`) (the caller checks).
pub fn point_at(entry: u64) {
    debug_assert!((LOWEST..END).contains(&entry));
    let offset = (entry & 0xf) as u16;
    let segment = (entry >> 4) as u16;
    word(VECTOR_OFFSET).store(offset, Ordering::Relaxed);
    word(VECTOR_SEGMENT).store(segment, Ordering::Release);
    // SAFETY: port writes touch no memory; the shutdown code only steers
    // the firmware's next reset path, which is what this is for.
    unsafe {
        cpu::port::outb(CMOS_INDEX, SHUTDOWN_CODE);
        cpu::port::outb(CMOS_DATA, JUMP_VIA_VECTOR);
    }
}

fn word(phys: u64) -> &'static AtomicU16 {
    // SAFETY: the BIOS data area (first page) is direct-mapped and never allocated; the words
    // are 2-byte aligned, written only here and read only by the firmware.
    unsafe { &*(bootproto::layout::phys_to_virt(phys) as *const AtomicU16) }
}
