//! The database workload (`tpchq`): Q1 and Q6 over `lineitem`, a worker on
//! every OSNode, while the boot driver updates every core, its own
//! included (in place), to `cpudriver-v2` and back.

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, Machine, assert_tpch_answers, config, start_tpchq, type_line,
};

/// Scale 0.005 (about 30,000 rows).
const SCALE_MILLI: u32 = 5;

#[test]
fn queries_give_the_same_answers_across_kernel_updates_of_every_core() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "workload_updates")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let stop = start_tpchq(
        &mut m,
        &format!("run {SCALE_MILLI} 0 500 0 1 2 3"),
        "tpch: 4 workers on cores [0, 1, 2, 3]",
    )?;
    m.expect("tpch: interval 1 ", BOOT_TIMEOUT)?;
    for core in 0..=3 {
        for (kernel, version) in [("cpudriver-v2", "0.1.0-v2"), ("cpudriver", "0.1.0")] {
            type_line(&mut m, &format!("corectrl update {core} {kernel}"))?;
            m.expect(
                &format!("core {core} updated to {kernel} {version}: KCB {core} resumed"),
                BOOT_TIMEOUT,
            )?;
            // At least one round between updates.
            m.expect("tpch: interval ", BOOT_TIMEOUT)?;
        }
    }
    // It ran before, during and after the updates, until stopped.
    m.expect("tpch: interval ", BOOT_TIMEOUT)?;
    type_line(&mut m, &format!("run {stop}"))?;
    let done = m.expect("tpch: done: ", BOOT_TIMEOUT)?;
    // Every round's answers equalled the first's (the coordinator checks and
    // fails otherwise), and no worker stalled.
    assert!(
        done.contains(" rounds, every answer equal to round 1's; slowest reply "),
        "{done}"
    );
    let slowest_ms: u64 = done
        .split("slowest reply ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no slowest reply in {done}"));
    assert!(slowest_ms < 10_000, "a worker stalled: {done}");
    let rounds: u64 = done
        .split("done: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(rounds >= 20, "{done}");
    // The answers are the right ones: those of the library on the host.
    assert_tpch_answers(&m, SCALE_MILLI);
    m.expect_line("the coordinator's end", BOOT_TIMEOUT, |l| {
        l.contains("tpchq (id ") && l.contains(" exited with code 0")
    })?;
    Ok(())
}
