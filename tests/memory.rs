//! Memory follows the work: programs on every core get the machine's
//! memory on demand (through their monitor, from the memory server), a
//! program that asks for more than there is gets an error it hears about
//! in seconds, and a core costs little enough that 64 boot in 512 MiB.

use std::time::{Duration, Instant};

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, Machine, assert_tpch_answers, config, free_kib, free_kib_back_to,
    start_tpchq, type_line,
};

/// Scale 0.1 (600,000 rows): about 20 MiB of table in all, far more
/// than a core's own memory.
const SCALE_MILLI: u32 = 100;

#[test]
fn a_database_on_other_cores_uses_the_machines_memory() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "memory_tpch")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let before = free_kib(&mut m)?;
    let stop = start_tpchq(
        &mut m,
        &format!("run {SCALE_MILLI} 0 500 1 2 3"),
        "tpch: 3 workers on cores [1, 2, 3]",
    )?;
    m.expect("tpch: interval 1 ", BOOT_TIMEOUT)?;
    // A parked OSNode keeps its memory (capabilities of its own): the
    // worker on it answers the same on core 1, and again back on core 2.
    type_line(&mut m, "corectrl park 2 1")?;
    m.expect("core 2 parked on core 1", BOOT_TIMEOUT)?;
    m.expect("tpch: interval ", BOOT_TIMEOUT)?;
    m.expect("tpch: interval ", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl unpark 2 2")?;
    m.expect("KCB 2 unparked to core 2", BOOT_TIMEOUT)?;
    m.expect("tpch: interval ", BOOT_TIMEOUT)?;
    type_line(&mut m, &format!("run {stop}"))?;
    let done = m.expect("tpch: done: ", BOOT_TIMEOUT)?;
    assert!(done.contains("every answer equal to round 1's"), "{done}");
    assert_tpch_answers(&m, SCALE_MILLI);
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
    // Beyond the workers: the block of the kernel that ran OSNode 2 before
    // the park, which the boot driver keeps for its image's next start.
    let slack = 1024 + KERNEL_BLOCK_KIB;
    let after = free_kib_back_to(&mut m, before, slack)?;
    assert!(
        after + slack >= before,
        "free memory {before} KiB before, {after} KiB after"
    );
    Ok(())
}

/// How soon the shell hears that a worker on another core ran out of
/// memory.
const FAILURE_REPORTED: Duration = Duration::from_secs(30);

#[test]
fn a_program_out_of_memory_on_another_core_is_reported_at_once() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "memory_exhausted")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let before = free_kib(&mut m)?;
    // Scale 20: gigabytes of table, far more than the machine has.
    let started = Instant::now();
    type_line(&mut m, "run tpchq run 20000 2 500 1")?;
    let said = m.expect_line("the worker's end", FAILURE_REPORTED, |l| {
        l.contains("out of memory")
    })?;
    assert!(said.contains("on core 1"), "{said}");
    let failed = m.expect("tpch: failed: ", FAILURE_REPORTED)?;
    assert!(
        failed.contains("worker on core 1: out of memory ("),
        "{failed}"
    );
    m.expect_line("the coordinator's end", FAILURE_REPORTED, |l| {
        l.contains("tpchq (id ") && l.contains(" exited with code 1")
    })?;
    assert!(
        started.elapsed() < FAILURE_REPORTED,
        "{:?}",
        started.elapsed()
    );
    // The machine is whole: every core runs, the memory came back.
    type_line(&mut m, "corectrl list")?;
    m.expect("CORE  APIC  STATE", BOOT_TIMEOUT)?;
    for core in 0..4 {
        let prefix = format!("{core:>4}  ");
        let line = m.expect_line("a core's row", BOOT_TIMEOUT, |l| l.starts_with(&prefix))?;
        assert!(line.contains("running"), "{line}");
    }
    m.expect("4 cores, 4 running", BOOT_TIMEOUT)?;
    let after = free_kib_back_to(&mut m, before, 1024)?;
    assert!(
        after + 1024 >= before,
        "free memory {before} KiB before, {after} KiB after"
    );
    Ok(())
}

#[test]
fn a_real_time_cores_osnode_gives_back_all_it_had() -> Result<(), HarnessError> {
    // The one OSNode that ends: a real-time core's, with no monitor.
    let mut m = Machine::start(&config(4, 512)?, "memory_rt")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let before = free_kib(&mut m)?;
    type_line(&mut m, "corectrl rt 3 hello")?;
    m.expect("rt 3: hello ended with code 0 after", BOOT_TIMEOUT)?;
    // The real-time kernel's 8 MiB came back (its 16 KiB KCB, from the
    // boot driver's own pool, is not counted here); what is not
    // free is the scratch RAM (1 MiB) of the kernel that resumed OSNode 3
    // on the core, which stays with the core while that kernel runs, and
    // the real-time kernel's block, which the boot driver keeps for that
    // image's next start.
    let slack = RESUME_KIB + KERNEL_BLOCK_KIB + 1024;
    let after = free_kib_back_to(&mut m, before, slack)?;
    assert!(
        after + slack >= before,
        "free memory {before} KiB before, {after} KiB after"
    );
    Ok(())
}

/// Scratch RAM of a kernel that resumes a KCB (`corectrl`'s `RESUME_RAM`).
const RESUME_KIB: u64 = 1024;
/// A kernel's block (its image and boot-parameter page), which the boot
/// driver keeps after the kernel retires, for the next start of its image.
const KERNEL_BLOCK_KIB: u64 = 512;

#[test]
fn sixty_four_cores_boot_in_512_mib() -> Result<(), HarnessError> {
    every_core_runs(64, 512)
}

/// The largest machine tried (about 15 s under TCG).
#[test]
fn a_hundred_and_twenty_eight_cores_boot_in_1_gib() -> Result<(), HarnessError> {
    every_core_runs(128, 1024)
}

/// Boots `cores` cores in `mem_mib` MiB; `corectrl list` shows every one
/// running, and its whole answer.
fn every_core_runs(cores: u32, mem_mib: u32) -> Result<(), HarnessError> {
    let name = format!("memory_{cores}_cores");
    let mut m = Machine::start(&config(cores, mem_mib)?, &name)?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT * 2)?;
    type_line(&mut m, "corectrl list")?;
    m.expect("CORE  APIC  STATE", BOOT_TIMEOUT)?;
    for core in 0..cores {
        let prefix = format!("{core:>4}  ");
        let line = m.expect_line("a core's row", BOOT_TIMEOUT, |l| l.starts_with(&prefix))?;
        assert!(line.contains("running"), "{line}");
    }
    // The whole answer, past the shared page: the KCB table and the summary.
    m.expect(" KCB  STATE", BOOT_TIMEOUT)?;
    for kcb in 0..cores {
        let row = format!("{kcb:>4}  running on core {kcb}");
        m.expect_line("a KCB's row", BOOT_TIMEOUT, |l| l == row)?;
    }
    m.expect(
        &format!("{cores} cores, {cores} running; {cores} KCBs"),
        BOOT_TIMEOUT,
    )?;
    Ok(())
}
