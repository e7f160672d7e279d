//! Faults in the CPU driver are reported clearly and stop the core; with
//! `fatal=exit` the machine is switched off with the failure status.

use std::time::Duration;

use harness::ExitCode;
use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config};

#[test]
fn page_fault_names_address_and_core() -> Result<(), HarnessError> {
    let mut machine = Machine::start(
        &config(4, 512)?.append("selftest=pagefault"),
        "exception_pagefault",
    )?;
    machine.expect("FATAL: CPU exception on core 0 (APIC 0)", BOOT_TIMEOUT)?;
    machine.expect(
        "#PF page fault (vector 14), error code 0x0 [read, page not present, kernel mode]",
        BOOT_TIMEOUT,
    )?;
    machine.expect("faulting address 0x00000000deadb000", BOOT_TIMEOUT)?;
    let rip = machine.expect("RIP 0xffff8", BOOT_TIMEOUT)?;
    assert!(rip.contains("(image +0x"), "RIP line: {rip}");
    machine.expect("RAX 0x", BOOT_TIMEOUT)?;
    machine.expect("core 0 halted (CPU exception)", BOOT_TIMEOUT)?;
    let status = machine.wait_exit(BOOT_TIMEOUT)?;
    assert_eq!(
        status.debug_exit(),
        Some(ExitCode::Failure),
        "QEMU status {:?}",
        status.code
    );
    Ok(())
}

#[test]
fn invalid_opcode_is_reported() -> Result<(), HarnessError> {
    let mut machine = Machine::start(
        &config(4, 512)?.append("selftest=invalid-opcode"),
        "exception_ud",
    )?;
    machine.expect("FATAL: CPU exception on core 0", BOOT_TIMEOUT)?;
    machine.expect("#UD invalid opcode (vector 6)", BOOT_TIMEOUT)?;
    machine.expect("core 0 halted", BOOT_TIMEOUT)?;
    assert_eq!(
        machine.wait_exit(BOOT_TIMEOUT)?.debug_exit(),
        Some(ExitCode::Failure)
    );
    Ok(())
}

/// Without `fatal=exit`, a fault stops only the faulting core: the machine
/// keeps running (here, with nothing else to do).
#[test]
fn fatal_halt_stops_only_the_core() -> Result<(), HarnessError> {
    let mut machine = Machine::start(
        &config(4, 512)?.append("selftest=pagefault fatal=halt"),
        "exception_halt",
    )?;
    machine.expect("core 0 halted (CPU exception)", BOOT_TIMEOUT)?;
    assert!(
        machine.wait_exit(Duration::from_secs(2)).is_err(),
        "QEMU exited although only the core should stop"
    );
    assert!(
        !machine
            .lines()
            .iter()
            .any(|l| l.contains("switching the machine off"))
    );
    Ok(())
}
