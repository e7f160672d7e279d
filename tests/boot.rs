//! The boot test: the first core's CPU driver comes up, knows every core
//! of the machine and its memory, and its timer interrupt works.

use std::collections::BTreeSet;

use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config, read_banner};

/// Boots `cores` cores with `mem_mib` MiB and checks the banner.
fn boot_and_check(cores: u32, mem_mib: u32, name: &str) -> Result<(), HarnessError> {
    let mut machine = Machine::start(&config(cores, mem_mib)?, name)?;
    machine.expect("Corefish loader", BOOT_TIMEOUT)?;
    machine.expect("timer: 10 ms one-shot interrupt arrived", BOOT_TIMEOUT)?;
    let banner = read_banner(&mut machine)?;
    assert!(
        banner.title.contains("`cpudriver` on core 0"),
        "title: {}",
        banner.title
    );

    let distinct: BTreeSet<u32> = banner.apic_ids.iter().copied().collect();
    assert_eq!(
        banner.apic_ids.len(),
        cores as usize,
        "cores listed: {:?}",
        banner.apic_ids
    );
    assert_eq!(
        distinct.len(),
        cores as usize,
        "APIC ids not distinct: {:?}",
        banner.apic_ids
    );

    // Usable RAM is -m minus what the firmware keeps (under 2 MiB on q35).
    let installed_kib = u64::from(mem_mib) * 1024;
    assert!(
        banner.usable_kib <= installed_kib && banner.usable_kib + 2048 >= installed_kib,
        "usable {} KiB does not match -m {mem_mib}M",
        banner.usable_kib
    );
    assert!(banner.boot_ms > 0.0, "boot time {}", banner.boot_ms);
    machine.expect("init: hello from user space", BOOT_TIMEOUT)?;
    Ok(())
}

#[test]
fn boots_with_4_cores() -> Result<(), HarnessError> {
    boot_and_check(4, 512, "boot_4_cores")
}

#[test]
fn boots_with_16_cores() -> Result<(), HarnessError> {
    boot_and_check(16, 1024, "boot_16_cores")
}
