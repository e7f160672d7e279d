//! Reading the firmware's ACPI tables (through the `acpi` crate) into a
//! [`Platform`]: every core's APIC id and every IOAPIC.

use core::ptr::NonNull;

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use bootproto::layout::phys_to_virt;

use crate::platform::{Core, IoApicInfo, Platform, PlatformError};

/// ACPI table access through the direct map: mapping is address arithmetic.
#[derive(Clone, Copy)]
struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(&self, phys: usize, size: usize) -> PhysicalMapping<Self, T> {
        let virt = NonNull::new(phys_to_virt(phys as u64) as *mut T)
            .expect("direct-map addresses are never null");
        // SAFETY: the direct map covers all firmware tables (they lie in
        // memory-backed ranges below the map's top) for the kernel's life.
        unsafe { PhysicalMapping::new(phys, virt, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// Reads the MADT. `rsdp` is the RSDP's physical address, or 0 to search
/// the BIOS areas for it.
pub fn discover(rsdp: u64) -> Result<Platform, PlatformError> {
    // SAFETY: a non-zero `rsdp` comes from the boot protocol (PVH start
    // info), which names the firmware's RSDP; otherwise the BIOS-area search
    // only reads the EBDA and 0xe0000-0xfffff, which the direct map covers.
    let tables = unsafe {
        if rsdp != 0 {
            AcpiTables::from_rsdp(DirectMap, rsdp as usize)
        } else {
            AcpiTables::search_for_rsdp_bios(DirectMap)
        }
    }
    .map_err(|_| PlatformError::NoAcpi)?;
    let madt = tables
        .find_table::<Madt>()
        .map_err(|_| PlatformError::NoMadt)?;
    let mut platform = Platform::new(u64::from(madt.get().local_apic_address));
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(e) => {
                // Bit 0: enabled; bit 1: can be brought online later.
                let flags = e.flags;
                platform.add_core(Core {
                    apic_id: u32::from(e.apic_id),
                    acpi_id: u32::from(e.processor_id),
                    enabled: flags & 1 != 0,
                })?;
            }
            MadtEntry::LocalX2Apic(e) => {
                let (apic_id, acpi_id, flags) = (e.x2apic_id, e.processor_uid, e.flags);
                platform.add_core(Core {
                    apic_id,
                    acpi_id,
                    enabled: flags & 1 != 0,
                })?;
            }
            MadtEntry::IoApic(e) => {
                let (id, address, gsi_base) = (
                    e.io_apic_id,
                    e.io_apic_address,
                    e.global_system_interrupt_base,
                );
                platform.add_ioapic(IoApicInfo {
                    id,
                    phys: u64::from(address),
                    gsi_base,
                })?;
            }
            MadtEntry::LocalApicAddressOverride(e) => {
                platform.local_apic_phys = e.local_apic_address
            }
            MadtEntry::InterruptSourceOverride(e) => {
                let (irq, gsi, flags) = (e.irq, e.global_system_interrupt, e.flags);
                // MPS INTI flags: polarity bits 0-1 (3 = active low), trigger
                // bits 2-3 (3 = level); 0 means "as the bus" (ISA: edge, high).
                platform.add_override(crate::platform::Override {
                    isa_irq: irq,
                    gsi,
                    level: (flags >> 2) & 3 == 3,
                    active_low: flags & 3 == 3,
                });
            }
            _ => {}
        }
    }
    Ok(platform)
}
