//! Memory follows the work: programs on every core get the machine's
//! memory on demand (through their monitor, from the memory server), a
//! program that asks for more than there is gets an error it hears about
//! in seconds, and a core costs little enough that 64 boot in 512 MiB.

use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config, free_kib, type_line};

/// Scale 0.1 (600,000 rows): about 20 MiB of table in all, far more
/// than a core's own memory.
const SCALE_MILLI: u32 = 100;

/// The host's answers at `milli`, as the coordinator prints them.
fn host_answers(milli: u32) -> (String, String) {
    let scale = tpch::Scale { milli };
    let table = tpch::Table::generate(scale, 0..scale.orders());
    (
        format!("tpch: Q1 digest {:#018x}:", tpch::q1(&table).digest()),
        format!("tpch: Q6 revenue {}", tpch::q6(&table)),
    )
}

#[test]
fn a_database_on_other_cores_uses_the_machines_memory() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "memory_tpch")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let before = free_kib(&mut m)?;
    type_line(&mut m, &format!("run tpchq run {SCALE_MILLI} 2 500 1 2 3"))?;
    m.expect("tpch: 3 workers on cores [1, 2, 3]", BOOT_TIMEOUT)?;
    let done = m.expect("tpch: done: ", BOOT_TIMEOUT)?;
    assert!(done.contains("every answer equal to round 1's"), "{done}");
    let (q1, q6) = host_answers(SCALE_MILLI);
    let lines = m.lines();
    assert!(lines.iter().any(|l| l.contains(&q1)), "no `{q1}`");
    assert!(lines.iter().any(|l| l.contains(&q6)), "no `{q6}`");
    m.expect_line("the coordinator's end", BOOT_TIMEOUT, |l| {
        l.contains("tpchq (id ") && l.contains(" exited with code 0")
    })?;
    // The workers' memory went back to the memory server when they ended.
    let mut ended = Vec::new();
    for _ in 1..=3 {
        let line = m.expect_line("a worker's end", BOOT_TIMEOUT, |l| {
            l.contains("tpchq (id ") && l.contains(" on core ")
        })?;
        assert!(line.ends_with(" exited with code 0"), "{line}");
        let core: u32 = line
            .split(" on core ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no core in {line}"));
        ended.push(core);
    }
    ended.sort_unstable();
    assert_eq!(ended, [1, 2, 3]);
    let after = free_kib(&mut m)?;
    assert!(
        after + 1024 >= before,
        "free memory {before} KiB before, {after} KiB after"
    );
    Ok(())
}

#[test]
fn sixty_four_cores_boot_in_512_mib() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(64, 512)?, "memory_64_cores")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl list")?;
    m.expect("CORE  APIC  STATE", BOOT_TIMEOUT)?;
    for core in 0..64 {
        let prefix = format!("{core:>4}  ");
        let line = m.expect_line("a core's row", BOOT_TIMEOUT, |l| l.starts_with(&prefix))?;
        assert!(line.contains("running"), "{line}");
    }
    // The whole answer, past the shared page: the KCB table and the summary.
    m.expect(" KCB  STATE", BOOT_TIMEOUT)?;
    for kcb in 0..64 {
        let row = format!("{kcb:>4}  running on core {kcb}");
        m.expect_line("a KCB's row", BOOT_TIMEOUT, |l| l == row)?;
    }
    m.expect("64 cores, 64 running; 64 KCBs", BOOT_TIMEOUT)?;
    Ok(())
}
