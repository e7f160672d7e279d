//! IOAPICs: at boot every redirection entry is masked, so no device
//! interrupt arrives until a driver (in user space) routes one to the
//! OSNode that owns it.

use super::mmio::Registers;

const SELECT: usize = 0x00;
const WINDOW: usize = 0x10;
const REG_VERSION: u32 = 0x01;
const REG_REDIRECTION: u32 = 0x10;
const MASKED: u32 = 1 << 16;

/// An IOAPIC's register window.
pub struct IoApic {
    regs: Registers,
}

impl IoApic {
    /// The IOAPIC at physical address `phys`.
    ///
    /// # Safety
    /// `phys` must be an IOAPIC's register base (from the MADT), covered by
    /// the direct map.
    pub unsafe fn at(phys: u64) -> Self {
        // SAFETY: guaranteed by the caller.
        let regs = unsafe { Registers::at(phys) };
        Self { regs }
    }

    fn read(&self, reg: u32) -> u32 {
        self.regs.write(SELECT, reg);
        self.regs.read(WINDOW)
    }

    fn write(&self, reg: u32, value: u32) {
        self.regs.write(SELECT, reg);
        self.regs.write(WINDOW, value);
    }

    /// Number of redirection entries (input pins).
    pub fn pins(&self) -> u32 {
        ((self.read(REG_VERSION) >> 16) & 0xff) + 1
    }

    /// Routes input `pin` to `vector` on the core with APIC id `apic`
    /// (fixed delivery, physical destination), unmasked.
    pub fn route(&self, pin: u32, vector: u8, apic: u8, level: bool, active_low: bool) {
        let reg = REG_REDIRECTION + 2 * pin;
        let mut low = u32::from(vector);
        if active_low {
            low |= 1 << 13;
        }
        if level {
            low |= 1 << 15;
        }
        self.write(reg, MASKED);
        self.write(reg + 1, u32::from(apic) << 24);
        self.write(reg, low);
    }

    /// Masks or unmasks input `pin`.
    pub fn set_masked(&self, pin: u32, masked: bool) {
        let reg = REG_REDIRECTION + 2 * pin;
        let low = self.read(reg);
        self.write(reg, if masked { low | MASKED } else { low & !MASKED });
    }

    /// Masks every redirection entry.
    pub fn mask_all(&self) {
        for pin in 0..self.pins() {
            let reg = REG_REDIRECTION + 2 * pin;
            self.write(reg, self.read(reg) | MASKED);
        }
    }
}
