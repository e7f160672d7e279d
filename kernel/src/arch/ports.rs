//! I/O-port access on behalf of user space (after the IO capability check).

use core::arch::asm;

/// Reads `width` (1, 2 or 4) bytes from `port`.
pub fn read(port: u16, width: u64) -> u64 {
    // SAFETY: the caller checked an IO capability covering the port, which
    // the holder owns; `in` touches no memory.
    unsafe {
        match width {
            1 => u64::from(cpu::port::inb(port)),
            2 => {
                let v: u16;
                asm!("in ax, dx", out("ax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                u64::from(v)
            }
            _ => {
                let v: u32;
                asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                u64::from(v)
            }
        }
    }
}

/// Writes `width` (1, 2 or 4) bytes of `value` to `port`.
pub fn write(port: u16, width: u64, value: u64) {
    // SAFETY: as for `read`.
    unsafe {
        match width {
            1 => cpu::port::outb(port, value as u8),
            2 => {
                asm!("out dx, ax", in("dx") port, in("ax") value as u16, options(nomem, nostack, preserves_flags))
            }
            _ => cpu::port::outl(port, value as u32),
        }
    }
}
