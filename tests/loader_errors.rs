//! A bad boot archive or kernel name stops the boot with a clear message
//! and the failure status; nothing crashes.

use harness::ExitCode;
use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config};

fn expect_loader_error(mut machine: Machine, message: &str) -> Result<(), HarnessError> {
    machine.expect(&format!("loader: error: {message}"), BOOT_TIMEOUT)?;
    assert_eq!(
        machine.wait_exit(BOOT_TIMEOUT)?.debug_exit(),
        Some(ExitCode::Failure)
    );
    assert!(
        !machine.lines().iter().any(|l| l.contains("CPU driver `")),
        "no kernel may start"
    );
    Ok(())
}

#[test]
fn missing_kernel_module_is_refused() -> Result<(), HarnessError> {
    let machine = Machine::start(
        &config(4, 512)?.append("kernel=cpudriver-nope"),
        "loader_missing_kernel",
    )?;
    expect_loader_error(machine, "the boot archive has no module of that name")
}

/// Writes a modified copy of the boot archive and boots with it.
fn boot_with_archive(name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Result<Machine, HarnessError> {
    let mut config = config(4, 512)?;
    let mut bytes = std::fs::read(&config.archive).expect("boot archive");
    edit(&mut bytes);
    let dir = harness::workspace_root().join("target").join("qemu-tests");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(format!("{name}.img"));
    std::fs::write(&path, bytes).expect("write archive");
    config.archive = path;
    Machine::start(&config, name)
}

#[test]
fn corrupt_archive_is_refused() -> Result<(), HarnessError> {
    let machine = boot_with_archive("loader_bad_magic", |b| b[0] ^= 0xff)?;
    expect_loader_error(
        machine,
        "boot archive: not a Corefish boot archive (bad magic)",
    )
}

#[test]
fn truncated_archive_is_refused() -> Result<(), HarnessError> {
    let machine = boot_with_archive("loader_truncated", |b| b.truncate(b.len() / 2))?;
    expect_loader_error(machine, "boot archive: archive truncated")
}

#[test]
fn kernel_for_another_machine_is_refused() -> Result<(), HarnessError> {
    let machine = boot_with_archive("loader_wrong_machine", |b| {
        let archive = bootarchive::Archive::parse(b).expect("valid archive");
        let offset = archive.get("cpudriver").expect("cpudriver").offset as usize;
        b[offset + 18] = 183; // e_machine = AArch64
    })?;
    expect_loader_error(
        machine,
        "kernel image: built for machine 183, not x86_64 (62)",
    )
}
