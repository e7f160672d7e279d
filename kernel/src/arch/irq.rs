//! Routing device interrupt lines (IOAPIC inputs, by global system
//! interrupt number) to a vector on this core.

use abi::error::SysError;

use super::ioapic::IoApic;
use crate::platform;

/// Whether some IOAPIC serves `gsi`.
pub fn gsi_exists(gsi: u64) -> bool {
    find(gsi).is_some()
}

fn find(gsi: u64) -> Option<(IoApic, u32)> {
    let platform = platform::get()?;
    platform.ioapics().iter().find_map(|io| {
        // SAFETY: the address comes from the MADT; the direct map covers it.
        let ioapic = unsafe { IoApic::at(io.phys) };
        let pin = gsi.checked_sub(u64::from(io.gsi_base))?;
        (pin < u64::from(ioapic.pins())).then_some((ioapic, pin as u32))
    })
}

/// Masks line `gsi` (if some IOAPIC serves it).
pub fn mask(gsi: u64) {
    if let Some((ioapic, pin)) = find(gsi) {
        ioapic.set_masked(pin, true);
    }
}

/// Unmasks line `gsi`.
pub fn unmask(gsi: u64) {
    if let Some((ioapic, pin)) = find(gsi) {
        ioapic.set_masked(pin, false);
    }
}

/// Whether `gsi` is level-triggered.
pub fn is_level(gsi: u64) -> bool {
    platform::get().is_some_and(|p| p.line_mode(gsi as u32).0)
}

/// Routes `gsi` to `vector` on this core (unmasked), with the trigger mode
/// and polarity the platform says the line has.
pub fn route(gsi: u64, vector: u8) -> Result<(), SysError> {
    let (ioapic, pin) = find(gsi).ok_or(SysError::BadArgument)?;
    let (level, active_low) = platform::get().map_or((false, false), |p| p.line_mode(gsi as u32));
    ioapic.route(pin, vector, super::apic::id() as u8, level, active_low);
    Ok(())
}
