//! Routing device interrupt lines (IOAPIC inputs, by global system
//! interrupt number) to a vector on this core.

use abi::error::SysError;

use super::ioapic::IoApic;
use crate::platform;

/// Whether some IOAPIC serves `gsi`.
pub fn gsi_exists(gsi: u64) -> bool {
    find(gsi).is_some()
}

/// The IOAPICs the platform describes, with the first line each serves.
fn ioapics(platform: &platform::Platform) -> impl Iterator<Item = (IoApic, u32)> + '_ {
    platform.ioapics().iter().map(|io| {
        // SAFETY: the address comes from the MADT (an IOAPIC's register
        // base); the direct map covers the low 4 GiB, uncached where no
        // memory is.
        (unsafe { IoApic::at(io.phys) }, io.gsi_base)
    })
}

fn find(gsi: u64) -> Option<(IoApic, u32)> {
    ioapics(platform::get()?).find_map(|(ioapic, base)| {
        let pin = gsi.checked_sub(u64::from(base))?;
        (pin < u64::from(ioapic.pins())).then_some((ioapic, pin as u32))
    })
}

/// Masks every line of every IOAPIC of `platform` (the first core, at
/// boot: no device interrupt arrives until a driver routes its line).
pub fn mask_all(platform: &platform::Platform) {
    for (ioapic, _) in ioapics(platform) {
        ioapic.mask_all();
    }
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
