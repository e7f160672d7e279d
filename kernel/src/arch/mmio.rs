//! Memory-mapped device registers reached through the direct map.

use bootproto::layout::phys_to_virt;

/// A block of 32-bit device registers at a physical address.
#[derive(Debug, Clone, Copy)]
pub struct Registers {
    base: *mut u32,
}

// SAFETY: `Registers` is only an address; every access is a volatile MMIO
// operation whose ordering the device defines.
unsafe impl Send for Registers {}
// SAFETY: as above.
unsafe impl Sync for Registers {}

impl Registers {
    /// The registers at physical address `phys`.
    ///
    /// # Safety
    /// `phys` must be the base of a device register block that the direct
    /// map covers (uncached) and that this kernel may access.
    pub const unsafe fn at(phys: u64) -> Self {
        Self {
            base: phys_to_virt(phys) as *mut u32,
        }
    }

    /// Reads the register at byte offset `offset`.
    pub fn read(&self, offset: usize) -> u32 {
        // SAFETY: the constructor's contract makes `base + offset` a device
        // register (offsets are constants of the device's layout).
        unsafe { self.base.byte_add(offset).read_volatile() }
    }

    /// Writes the register at byte offset `offset`.
    pub fn write(&self, offset: usize, value: u32) {
        // SAFETY: as for `read`.
        unsafe { self.base.byte_add(offset).write_volatile(value) }
    }
}
