//! Kernel faults recovered: a core's kernel that takes a page fault in
//! ring 0 (`corectrl fault`), or stops answering (`corectrl fault --hang`,
//! found by the boot driver's watchdog and stopped with an NMI), leaves its
//! OSNode intact, and the boot driver resumes it under a fresh kernel; the
//! programs there carry on, losing nothing. A fault where the kernel may
//! have changed objects half way leaves the KCB stopped and marked damaged.

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, core_line, count_of, four_cores, reports_in_log, type_line,
    wait_counter_done,
};

#[test]
fn faulted_and_hung_kernels_are_recovered_with_their_programs() -> Result<(), HarnessError> {
    let mut m = four_cores("recovery")?;
    type_line(&mut m, "run --core 2 counter 40")?;
    let mut before = Vec::new();
    while before.len() < 3 {
        before.push(count_of(&m.expect("counter: report ", BOOT_TIMEOUT)?));
    }
    type_line(&mut m, "corectrl fault 2")?;
    m.expect(
        "a page fault on purpose, as the boot driver asked (IPI_FAULT)",
        BOOT_TIMEOUT,
    )?;
    let halted = m.expect("!!! core 2 halted (CPU exception)", BOOT_TIMEOUT)?;
    assert!(
        halted.ends_with("its OSNodes are left stopped and intact"),
        "{halted}"
    );
    let recovered = m.expect(
        "core 2: kernel fault (page fault (vector 14) at RIP 0x",
        BOOT_TIMEOUT,
    )?;
    assert!(
        recovered
            .contains(", address 0xdeadb000); OSNode 2 recovered on core 2 under cpudriver in "),
        "{recovered}"
    );
    // The boot driver's own core is refused, changing nothing.
    type_line(&mut m, "corectrl fault 0")?;
    m.expect(
        "fault 0: core 0 runs the boot driver, which could not recover its own core",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "corectrl fault 9")?;
    m.expect("fault 9: there is no core 9", BOOT_TIMEOUT)?;
    // A kernel that stops answering: the watchdog finds it, stops it with an
    // NMI (it reports where it was) and the OSNode is recovered the same way.
    type_line(&mut m, "corectrl fault 3 --hang")?;
    m.expect(
        "core 3: its kernel no longer answers, as asked; the watchdog takes it from here",
        BOOT_TIMEOUT,
    )?;
    m.expect(
        "!!! core 3 (APIC 3) stopped answering; stopped by its starter's NMI",
        BOOT_TIMEOUT,
    )?;
    let recovered = m.expect("corectrl: core 3: kernel stopped answering (", BOOT_TIMEOUT)?;
    assert!(
        recovered.contains("; stopped by NMI at RIP 0x"),
        "{recovered}"
    );
    assert!(
        recovered.contains("); OSNode 3 recovered on core 3 under cpudriver in "),
        "{recovered}"
    );
    type_line(&mut m, "run --core 3 hello after")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `after`"), "{hello}");
    // A fault where the kernel may have changed objects half way: the
    // OSNode is not resumed, and its KCB is given to no kernel again.
    type_line(&mut m, "corectrl fault 1 --mid-change")?;
    let halted = m.expect("!!! core 1 halted (CPU exception)", BOOT_TIMEOUT)?;
    assert!(
        halted.ends_with("its OSNodes are left as the fault found them"),
        "{halted}"
    );
    let lost = m.expect("core 1: kernel fault (page fault", BOOT_TIMEOUT)?;
    assert!(
        lost.ends_with(
            "; OSNode 1 not recovered: its kernel may have left it half changed; KCB 1 is stopped and marked damaged"
        ),
        "{lost}"
    );
    type_line(&mut m, "corectrl give 1 1")?;
    m.expect(
        "give 1: KCB 1 may be damaged (its kernel failed in the middle of a change); no kernel is given it",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "corectrl boot 1")?;
    m.expect("core 1 booted: cpudriver 0.1.0, KCB 4 (new)", BOOT_TIMEOUT)?;
    // The counter carried on across its kernel's fault, losing nothing.
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(all[39].1 > before[2].1, "no counting after the recovery");
    m.expect("counter (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    for core in [1, 2, 3] {
        let line = core_line(&mut m, core)?;
        assert!(line.contains(" running "), "{line}");
        assert!(line.contains("  up ("), "{line}");
    }
    type_line(&mut m, "corectrl list")?;
    m.expect("   1  stopped, may be damaged", BOOT_TIMEOUT)?;
    // The watchdog took no healthy kernel for a hung one meanwhile.
    let hung = m
        .lines()
        .iter()
        .filter(|l| l.contains("kernel stopped answering"))
        .count();
    assert_eq!(hung, 1, "only core 3's kernel stopped answering");
    Ok(())
}

/// A fatal report takes the console like every other writer: a core that
/// fails while another core prints without pause cuts into none of its
/// lines, nor they into the report.
#[test]
fn a_fatal_report_cuts_into_no_other_cores_line() -> Result<(), HarnessError> {
    const REPORTS: u64 = 3000;
    let mut m = four_cores("recovery_lines")?;
    // Period 0: a report line as fast as the console takes them.
    type_line(&mut m, &format!("run --core 2 counter {REPORTS} 0"))?;
    m.expect("counter: report 100 ", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl fault 3")?;
    m.expect("core 3: kernel fault (page fault", BOOT_TIMEOUT)?;
    wait_counter_done(&mut m, REPORTS)?;
    let lines = m.lines();
    // Core 2 was printing while the report went out: it printed before
    // the fault was asked for (report 100), and after the report.
    let last = lines
        .iter()
        .rposition(|l| l.contains("!!!"))
        .expect("a report");
    assert!(
        lines[last..].iter().any(|l| l.contains("counter: report ")),
        "the counter did not print after the report"
    );
    let report: Vec<&String> = lines.iter().filter(|l| l.contains("!!!")).collect();
    assert!(report.len() >= 8, "no whole fatal report: {report:?}");
    for line in report {
        assert!(line.starts_with("!!! "), "a cut report line: {line:?}");
        assert!(!line.contains("counter"), "a cut report line: {line:?}");
    }
    assert_eq!(reports_in_log(&m).len() as u64, REPORTS);
    Ok(())
}
