//! Updates that roll back: a new kernel that faults in ring 0 once it runs
//! the OSNode, or that never acknowledges, fails the update's check, and
//! the core goes back to the kernel it ran before with the same KCB. The
//! counting program never notices more than a pause: every report arrives,
//! in order, its count never going down.

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, core_line, count_of, four_cores, reports_in_log, type_line,
    wait_counter_done,
};

/// Waits for `n` more counter reports.
fn reports(m: &mut qemu_tests::Machine, n: usize) -> Result<Vec<(u64, u64)>, HarnessError> {
    (0..n)
        .map(|_| Ok(count_of(&m.expect("counter: report ", BOOT_TIMEOUT)?)))
        .collect()
}

#[test]
fn a_faulting_or_hanging_kernel_on_another_core_is_rolled_back() -> Result<(), HarnessError> {
    let mut m = four_cores("rollback_secondary")?;
    type_line(&mut m, "run --core 2 counter 40")?;
    let before = reports(&mut m, 3)?;
    type_line(&mut m, "corectrl update 2 cpudriver-faulty")?;
    // The dying kernel's own report, then the boot driver's.
    let halted = m.expect("!!! core 2 halted (CPU exception)", BOOT_TIMEOUT)?;
    assert!(
        halted.ends_with("its OSNodes are left stopped and intact"),
        "{halted}"
    );
    let rolled = m.expect(
        "update 2: cpudriver-faulty failed its check (",
        BOOT_TIMEOUT,
    )?;
    assert!(
        rolled.contains("(kernel fault: page fault (vector 14) at RIP 0x"),
        "{rolled}"
    );
    assert!(
        rolled.contains(", address 0xdeadb000); rolled back to cpudriver in "),
        "{rolled}"
    );
    assert!(rolled.ends_with(" ms, KCB 2 resumed"), "{rolled}");
    let line = core_line(&mut m, 2)?;
    assert!(line.contains(" running    2 "), "{line}");
    assert!(line.ends_with("cpudriver 0.1.0"), "{line}");
    reports(&mut m, 2)?;
    // A kernel that never acknowledges: the check's deadline.
    type_line(&mut m, "corectrl update 2 cpudriver-hang --check-ms 500")?;
    // It is asked to stop with an NMI, and says where it was: before its KCB.
    m.expect(
        "!!! core 2 (APIC 2) stopped answering; stopped by its starter's NMI",
        BOOT_TIMEOUT,
    )?;
    let rolled = m.expect(
        "update 2: cpudriver-hang failed its check (no acknowledgement within 500 ms; stopped by NMI at RIP 0x",
        BOOT_TIMEOUT,
    )?;
    assert!(
        rolled.contains("); rolled back to cpudriver in "),
        "{rolled}"
    );
    // A good update still works afterwards.
    type_line(&mut m, "corectrl update 2 cpudriver-v2")?;
    m.expect(
        "core 2 updated to cpudriver-v2 0.1.0-v2: KCB 2 resumed",
        BOOT_TIMEOUT,
    )?;
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(all[39].1 > before[2].1, "no counting after the rollbacks");
    m.expect("counter (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    Ok(())
}

#[test]
fn a_faulting_or_hanging_kernel_on_the_boot_drivers_core_falls_back() -> Result<(), HarnessError> {
    let mut m = four_cores("rollback_own_core")?;
    type_line(&mut m, "run counter 40 &")?;
    let before = reports(&mut m, 3)?;
    type_line(&mut m, "corectrl update 0 cpudriver-faulty")?;
    let halted = m.expect("!!! core 0 halted (CPU exception)", BOOT_TIMEOUT)?;
    assert!(
        halted.ends_with("its OSNodes are left stopped and intact"),
        "{halted}"
    );
    m.expect(
        "!!! core 0 goes back to the kernel it was updated from",
        BOOT_TIMEOUT,
    )?;
    let rolled = m.expect(
        "update 0: cpudriver-faulty failed its check (",
        BOOT_TIMEOUT,
    )?;
    assert!(
        rolled.contains("(kernel fault: page fault (vector 14) at RIP 0x"),
        "{rolled}"
    );
    assert!(rolled.ends_with(" ms, KCB 0 resumed"), "{rolled}");
    let line = core_line(&mut m, 0)?;
    assert!(line.contains(" running    0 "), "{line}");
    assert!(line.ends_with("cpudriver 0.1.0"), "{line}");
    // A kernel that never takes the KCB: another core's kernel watches and
    // starts the previous one here when the check's time is up.
    type_line(&mut m, "corectrl update 0 cpudriver-hang --check-ms 500")?;
    m.expect(
        "did not take its KCB in time; starting the fallback",
        BOOT_TIMEOUT,
    )?;
    m.expect(
        "update 0: cpudriver-hang failed its check (no acknowledgement within 500 ms; the rescue watch took the core back); rolled back to cpudriver in ",
        BOOT_TIMEOUT,
    )?;
    // The shell, the hub and the other cores carry on under it.
    type_line(&mut m, "run --core 3 hello after")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `after`"), "{hello}");
    // And an update that passes its check frees the fallback it kept.
    type_line(&mut m, "corectrl update 0 cpudriver-v2")?;
    m.expect(
        "core 0 updated to cpudriver-v2 0.1.0-v2: KCB 0 resumed",
        BOOT_TIMEOUT,
    )?;
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(all[39].1 > before[2].1, "no counting after the rollback");
    Ok(())
}
