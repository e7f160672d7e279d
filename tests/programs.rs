//! User programs on one OSNode, started from the shell: faults are reported
//! and contained, programs exchange messages and capabilities, capabilities
//! confine, and random invocations cannot hurt the kernel.

use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, boot_to_shell, type_line};

/// Runs `line` and waits for the line announcing how it ended.
fn run(m: &mut Machine, line: &str) -> Result<String, HarnessError> {
    type_line(m, line)?;
    m.expect_line(&format!("the end of `{line}`"), BOOT_TIMEOUT, |l| {
        l.contains(" exited with code ") || l.contains(" was killed by exception ")
    })
}

/// Each kind of fault kills only the faulting program, with a report that
/// names it; the next program in the same boot runs normally.
#[test]
fn faults_are_contained() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("programs_faults")?;
    let cases = [
        (
            "pagefault",
            "#PF page fault (vector 14) [read, page not present, user mode] at address 0x1000",
            14,
        ),
        ("divide", "#DE divide error (vector 0)", 0),
        ("privileged", "#GP general protection fault (vector 13)", 13),
        (
            "kernel",
            "#PF page fault (vector 14) [read, protection violation, user mode] at address 0xffff800000100000",
            14,
        ),
        ("io", "#GP general protection fault (vector 13)", 13),
        (
            "write-code",
            "#PF page fault (vector 14) [write, protection violation, user mode]",
            14,
        ),
        ("invalid", "#UD invalid opcode (vector 6)", 6),
    ];
    for (kind, report, vector) in cases {
        type_line(&mut m, &format!("run faulter {kind}"))?;
        let killed = m.expect("`faulter` on core 0 killed: ", BOOT_TIMEOUT)?;
        assert!(killed.contains(report), "report for {kind}: {killed}");
        let end = m.expect("was killed by exception", BOOT_TIMEOUT)?;
        assert!(end.ends_with(&format!("exception {vector}")), "{end}");
    }
    let end = run(&mut m, "run hello after the faults")?;
    assert!(end.ends_with("exited with code 3"), "{end}");
    assert!(
        !m.lines().iter().any(|l| l.contains("survived")),
        "a fault did not stop faulter"
    );
    assert!(
        !m.lines().iter().any(|l| l.contains("FATAL")),
        "the kernel faulted"
    );
    Ok(())
}

/// Ten programs pass a token and a capability around a ring: nothing is
/// lost or duplicated, and every one ends cleanly.
#[test]
fn ten_programs_exchange_messages_and_capabilities() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("programs_lmpring")?;
    type_line(&mut m, "run lmpring")?;
    let ok = m.expect_line("lmpring's verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("lmpring: ")
    })?;
    assert!(
        ok.starts_with(
            "lmpring: ok: 10 programs, 200 messages each with a capability, counter 200"
        ),
        "{ok}"
    );
    expect_exit(&mut m, "lmpring", 0)?;
    Ok(())
}

/// User-level threads switch, keep their stacks and registers, join, and
/// wait for messages (the program checks all of it and prints its verdict).
#[test]
fn user_level_threads() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("programs_threads")?;
    type_line(&mut m, "run threads")?;
    let verdict = m.expect_line("the threads verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("threads: ")
    })?;
    assert!(verdict.starts_with("threads: ok"), "{verdict}");
    expect_exit(&mut m, "threads", 0)?;
    Ok(())
}

/// A program handles its own page fault (mapping the page) and trap
/// (skipping the instruction) through upcalls, and carries on.
#[test]
fn faults_handled_by_upcalls() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("programs_upcalls")?;
    type_line(&mut m, "run upcalls")?;
    let verdict = m.expect_line("the upcalls verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("upcalls: ")
    })?;
    assert!(verdict.starts_with("upcalls: ok"), "{verdict}");
    expect_exit(&mut m, "upcalls", 0)?;
    assert!(
        !m.lines().iter().any(|l| l.contains("killed")),
        "the handled faults must not kill it"
    );
    Ok(())
}

/// A program cannot map what it does not hold or reach the hardware
/// without a capability, and a revoked capability stops working at once in
/// every holder.
#[test]
fn capabilities_confine() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("programs_confine")?;
    type_line(&mut m, "run confine")?;
    let verdict = m.expect_line("confine's verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("confine: all checks passed") || l.starts_with("confine: FAILED")
    })?;
    assert_eq!(verdict, "confine: all checks passed");
    let lines = m.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("`holder` on core 0 killed: #PF page fault")),
        "the holder's access after the revoke did not fault"
    );
    type_line(&mut m, "run faulter io")?;
    m.expect(
        "`faulter` on core 0 killed: #GP general protection fault",
        BOOT_TIMEOUT,
    )?;
    Ok(())
}

/// 100,000 hostile system calls from a fixed seed (invocations packed as
/// each operation expects or noise, other calls with hostile arguments,
/// children that wreck their own dispatcher frames), the mapping database
/// checked by the kernel after every batch, rights checked never to grow;
/// then 10,000 hostile messages to the services: no kernel fault, the
/// fuzzer's health check passes, the services answer and programs run.
#[test]
fn syscall_fuzzer_leaves_a_healthy_system() -> Result<(), HarnessError> {
    let config = qemu_tests::config(4, 512)?.append("checks");
    let mut m = Machine::start(&config, "programs_fuzz")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    type_line(&mut m, "run fuzz")?;
    let verdict = m.expect_line("the fuzzer's verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("fuzz: ")
    })?;
    assert!(verdict.starts_with("fuzz: 100000 calls"), "{verdict}");
    assert!(
        verdict.contains("mapping database consistent at all 200 checks"),
        "{verdict}"
    );
    assert!(
        verdict.ends_with("rights never grew; health check passed"),
        "{verdict}"
    );
    expect_exit(&mut m, "fuzz", 0)?;
    type_line(&mut m, "run fuzz messages")?;
    let verdict = m.expect_line("the fuzzer's verdict", BOOT_TIMEOUT, |l| {
        l.starts_with("fuzz: ")
    })?;
    assert!(verdict.starts_with("fuzz: 10000 messages"), "{verdict}");
    assert!(verdict.ends_with("the services still answer"), "{verdict}");
    expect_exit(&mut m, "fuzz", 0)?;
    let end = run(&mut m, "run hello after fuzzing")?;
    assert!(end.ends_with("exited with code 2"), "{end}");
    qemu_tests::services_running(&mut m)?;
    assert!(
        !m.lines().iter().any(|l| l.contains("FATAL")),
        "the kernel faulted"
    );
    Ok(())
}

/// Waits for init's report that program `name` (whatever its id) exited
/// with `code`.
fn expect_exit(m: &mut Machine, name: &str, code: u64) -> Result<(), HarnessError> {
    let line = m.expect_line(&format!("{name}'s exit"), BOOT_TIMEOUT, |l| {
        l.starts_with(&format!("{name} (id ")) && l.contains(") exited with code ")
    })?;
    assert!(
        line.ends_with(&format!("exited with code {code}")),
        "{line}"
    );
    Ok(())
}
