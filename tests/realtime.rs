//! A core lent to the real-time kernel: `corectrl rt` parks the core's
//! OSNode, runs one program under `cpudriver-rt` (no interrupts, timer or
//! scheduler) and brings the OSNode back; the jitter benchmark shows the
//! difference.

use jitterstats::Summary;
use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config, core_line, type_line};

/// Boots `cores` cores (optionally under `-icount shift=0`) and waits for
/// the shell.
fn machine(name: &str, cores: u32, icount: bool) -> Result<Machine, HarnessError> {
    let mut c = config(cores, 512)?;
    if icount {
        c.icount = Some(0);
    }
    let mut m = Machine::start(&c, name)?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    Ok(m)
}

#[test]
fn a_core_runs_one_program_under_the_real_time_kernel_and_comes_back() -> Result<(), HarnessError> {
    let mut m = machine("realtime_run", 4, false)?;
    // A program of the core's own OSNode, which carries on (parked) while
    // the core is lent, and after.
    type_line(&mut m, "run --core 2 counter 60")?;
    m.expect("counter: report 2 of 60 on core 2", BOOT_TIMEOUT)?;

    // Refused, changing nothing.
    for (command, answer) in [
        (
            "corectrl rt 9 jitter",
            "rt 9: there is no core 9: this machine has cores 0 to 3",
        ),
        (
            "corectrl rt 2 nope",
            "rt 2: the boot archive has no program `nope`",
        ),
        (
            "corectrl rt 2 cpudriver",
            "rt 2: the boot archive has no program `cpudriver`",
        ),
        ("corectrl rt 0 jitter", "rt 0: core 0 runs the boot driver"),
        ("corectrl rt 2", "corectrl: which program?"),
        (
            "corectrl update 2 cpudriver-rt",
            "update 2: cpudriver-rt runs one program, not an OSNode",
        ),
    ] {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    let line = core_line(&mut m, 2)?;
    assert!(line.contains(" running    2 "), "{line}");

    type_line(&mut m, "corectrl rt 2 jitter 20000")?;
    // Core 0's kernel line and core 2's program output, in either order.
    let lines = m.expect_each(
        &[
            "OSNode 2 parked on core 0",
            "jitter: on core 2: 20000 samples: ",
        ],
        BOOT_TIMEOUT,
    )?;
    let result = lines[1].clone();
    let summary = Summary::parse(&result).unwrap_or_else(|| panic!("{result}"));
    assert_eq!(summary.samples, 20_000);
    let done = m.expect("rt 2: jitter ended with code 0 after ", BOOT_TIMEOUT)?;
    assert!(
        done.contains("under cpudriver-rt 0.1.0-rt; OSNode 2 (parked on core 0 meanwhile) is back on core 2 under cpudriver 0.1.0"),
        "{done}"
    );
    // The OSNode runs on its core again, under the standard kernel, with
    // its program; new programs start there.
    let line = core_line(&mut m, 2)?;
    assert!(
        line.contains(" running    2  up (") && line.ends_with("cpudriver 0.1.0"),
        "{line}"
    );
    m.expect("counter: report 40 of 60 on core 2", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 2 hello back")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 2, args `back`"), "{hello}");
    // The program's arguments and exit code go through.
    type_line(&mut m, "corectrl rt 3 hello a b")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `a b`"), "{hello}");
    m.expect("rt 3: hello ended with code 2 after", BOOT_TIMEOUT)?;
    m.expect("counter: done", BOOT_TIMEOUT)?;
    Ok(())
}

/// Under `-icount` the clock counts instructions, so a core that nothing
/// interrupts times every sample the same: the real-time run has no sample
/// outside [min, min+1000]. The standard kernel's run on the same core is
/// reported beside it.
#[test]
fn under_icount_the_real_time_kernel_has_no_outliers() -> Result<(), HarnessError> {
    let mut m = machine("realtime_icount", 2, true)?;
    type_line(&mut m, "corectrl rt 1 jitter")?;
    let rt = m.expect("jitter: on core 1: 100000 samples: ", BOOT_TIMEOUT)?;
    m.expect("rt 1: jitter ended with code 0", BOOT_TIMEOUT)?;
    let rt = Summary::parse(&rt).unwrap_or_else(|| panic!("{rt}"));
    type_line(&mut m, "run --core 1 jitter")?;
    let standard = m.expect("jitter: on core 1: 100000 samples: ", BOOT_TIMEOUT)?;
    let standard = Summary::parse(&standard).unwrap_or_else(|| panic!("{standard}"));
    println!("jitter under icount, cpudriver-rt: {rt}");
    println!("jitter under icount, cpudriver:    {standard}");
    assert_eq!(rt.outside, 0, "real-time run disturbed: {rt}");
    Ok(())
}
