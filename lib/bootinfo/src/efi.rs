//! UEFI memory types as E820 types.
//!
//! After boot services have exited (GRUB exits them before it enters the
//! loader), the loader's and boot services' code and data are free RAM;
//! runtime services' memory stays the firmware's.

/// The E820 type of a UEFI memory type.
pub const fn e820_type(efi_type: u32) -> u32 {
    match efi_type {
        // Loader code and data, boot services code and data, conventional.
        1..=4 | 7 => 1,
        // Unusable.
        8 => 5,
        // ACPI reclaimable.
        9 => 3,
        // ACPI NVS.
        10 => 4,
        // Reserved, runtime services, MMIO, port space, PAL code,
        // persistent memory and anything newer: the firmware's.
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_after_exit_boot_services_is_ram() {
        let ram: [u32; 5] = [1, 2, 3, 4, 7];
        for t in 0..20 {
            let expected = match t {
                t if ram.contains(&t) => 1,
                8 => 5,
                9 => 3,
                10 => 4,
                _ => 2,
            };
            assert_eq!(e820_type(t), expected, "EFI type {t}");
        }
    }
}
