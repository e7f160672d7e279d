//! Cores decoupled from OSNodes: a core stops in about an IPI and a halt,
//! its KCB stays intact, and the OSNode resumes on a newly booted kernel
//! (the same image or another: an update) with its programs carrying on.

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, core_line, count_of, four_cores, reports_in_log, type_line,
    wait_counter_done,
};

#[test]
fn a_program_keeps_counting_across_a_kernel_update() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_update")?;
    type_line(&mut m, "run --core 2 counter 40")?;
    let mut reports = Vec::new();
    while reports.len() < 5 {
        let line = m.expect("counter: report ", BOOT_TIMEOUT)?;
        reports.push(count_of(&line));
    }
    type_line(&mut m, "corectrl update 2 cpudriver-v2")?;
    let updated = m.expect("core 2 updated to ", BOOT_TIMEOUT)?;
    assert!(
        updated.contains("cpudriver-v2 0.1.0-v2: KCB 2 resumed; its programs paused "),
        "{updated}"
    );
    // Every report arrives, in order, and the count only ever goes up: the
    // program ran before, and carried on after, under the new kernel.
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(
        all[39].1 > all[reports.len() - 1].1,
        "no counting after the update"
    );
    m.expect("counter (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    let line = core_line(&mut m, 2)?;
    assert!(line.ends_with("cpudriver-v2 0.1.0-v2"), "{line}");
    assert!(line.contains(" running    2  up ("), "{line}");
    Ok(())
}

#[test]
fn a_stopped_core_keeps_its_kcb_and_resumes_it() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_stop")?;
    type_line(&mut m, "corectrl stop 2")?;
    let stopped = m.expect("core 2 stopped: ", BOOT_TIMEOUT)?;
    // Core 2 idles: the boot driver takes it without an interrupt, and no
    // other kernel got an IPI.
    assert!(stopped.contains("KCB 2 kept, taken idle "), "{stopped}");
    assert!(stopped.contains("(no interrupt, seen after "), "{stopped}");
    assert!(stopped.ends_with("cores involved: 1"), "{stopped}");
    let line = core_line(&mut m, 2)?;
    assert!(line.contains("  off        -  -"), "{line}");
    m.expect("   2  stopped", BOOT_TIMEOUT)?;

    // Requests that make no sense are refused and change nothing.
    let refused = [
        ("corectrl stop 2", "stop 2: core 2 is not running"),
        (
            "corectrl stop 9",
            "stop 9: there is no core 9: this machine has cores 0 to 3",
        ),
        (
            "corectrl stop 0",
            "stop 0: core 0 runs the boot driver itself; it cannot stop its own core",
        ),
        (
            "corectrl boot 3 --kcb 2",
            "boot 3: core 3 is running already (KCB 3)",
        ),
        (
            "corectrl boot 2 --kcb 1",
            "boot 2: KCB 1 is running already, on core 1",
        ),
        (
            "corectrl update 3 nope",
            "update 3: the boot archive has no kernel image `nope`",
        ),
        (
            "corectrl update 3 hello",
            "update 3: kernel image `hello`: not a Corefish CPU driver",
        ),
        ("corectrl update", "corectrl: which core?"),
    ];
    for (command, answer) in refused {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    let line = core_line(&mut m, 3)?;
    assert!(
        line.contains(" running    3  up ("),
        "a refused update changed core 3: {line}"
    );

    // The stopped KCB resumes on a new kernel on the same core; its monitor
    // answers again.
    type_line(&mut m, "corectrl boot 2 --kcb 2")?;
    let booted = m.expect("core 2 booted: ", BOOT_TIMEOUT)?;
    assert!(booted.contains("KCB 2 (resumed)"), "{booted}");
    let line = core_line(&mut m, 2)?;
    assert!(line.contains(" running    2  up ("), "{line}");
    type_line(&mut m, "run --core 2 hello again")?;
    m.expect("hello (id 1) on core 2 exited with code 1", BOOT_TIMEOUT)?;

    // A core that runs a program is interrupted: its kernel saves the
    // program and halts; the program goes on where the KCB resumes.
    type_line(&mut m, "run --core 2 busy 600")?;
    m.expect("started busy on core 2", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl stop 2")?;
    let stopped = m.expect("core 2 stopped: ", BOOT_TIMEOUT)?;
    assert!(stopped.contains("KCB 2 kept, halted "), "{stopped}");
    assert!(
        stopped.contains(" ms in its kernel, seen after "),
        "{stopped}"
    );
    // The boot driver's core and core 2: no other kernel got an IPI.
    assert!(stopped.ends_with(", 2 cores involved"), "{stopped}");
    type_line(&mut m, "corectrl boot 2 --kcb 2")?;
    let booted = m.expect("core 2 booted: ", BOOT_TIMEOUT)?;
    assert!(booted.contains("KCB 2 (resumed)"), "{booted}");
    let line = core_line(&mut m, 2)?;
    assert!(line.contains(" running    2  up ("), "{line}");
    Ok(())
}

#[test]
fn an_osnode_moves_to_another_core_and_its_programs_follow() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_give")?;
    type_line(&mut m, "run --core 2 counter 40")?;
    let mut reports = Vec::new();
    while reports.len() < 3 {
        reports.push(count_of(&m.expect("counter: report ", BOOT_TIMEOUT)?));
    }
    type_line(&mut m, "corectrl stop 3")?;
    m.expect("core 3 stopped: KCB 3 kept", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl stop 2")?;
    m.expect("core 2 stopped: KCB 2 kept", BOOT_TIMEOUT)?;
    // Refused, changing nothing.
    for (command, answer) in [
        (
            "corectrl give 2 1",
            "give 2: core 1 is running already (KCB 1)",
        ),
        ("corectrl give 9 2", "give 9: there is no KCB 9"),
        (
            "corectrl give 2 9",
            "give 2: there is no core 9: this machine has cores 0 to 3",
        ),
        (
            "corectrl give 1 2",
            "give 1: KCB 1 is running already, on core 1",
        ),
    ] {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    type_line(&mut m, "corectrl give 2 3")?;
    m.expect(
        "KCB 2 now runs on core 3 under cpudriver 0.1.0",
        BOOT_TIMEOUT,
    )?;
    // The counter carries on, on core 3, losing no report.
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(all[39].2.contains(" on core 3: "), "{}", all[39].2);
    m.expect("counter (id 1) on core 3 exited with code 0", BOOT_TIMEOUT)?;
    // The hub routes to the OSNode where it runs now.
    let line = core_line(&mut m, 3)?;
    assert!(line.contains(" running    2  up ("), "{line}");
    m.expect("   2  running on core 3", BOOT_TIMEOUT)?;
    m.expect("   3  stopped", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 3 hello moved")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `moved`"), "{hello}");
    m.expect("hello (id 2) on core 3 exited with code 1", BOOT_TIMEOUT)?;
    Ok(())
}

/// The first core is not special: OSNode 0 (init, the shell, the serial
/// driver, the boot driver itself and the hub monitor) moves to another core
/// and back while the console keeps answering.
#[test]
fn the_first_osnode_moves_off_the_first_core_and_back() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_move0")?;
    type_line(&mut m, "corectrl stop 3")?;
    m.expect("core 3 stopped: KCB 3 kept", BOOT_TIMEOUT)?;
    // Refused, changing nothing.
    for (command, answer) in [
        (
            "corectrl move 0 1",
            "move 0: core 1 is running already (KCB 1)",
        ),
        (
            "corectrl move 0 7",
            "move 0: there is no core 7: this machine has cores 0 to 3",
        ),
        ("corectrl stop 0", "stop 0: core 0 runs the boot driver"),
    ] {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    type_line(&mut m, "corectrl move 0 3")?;
    m.expect(
        "OSNode 0 moved from core 0 to core 3 under cpudriver 0.1.0",
        BOOT_TIMEOUT,
    )?;
    // Typing still reaches the shell: the serial line follows its OSNode.
    type_line(&mut m, "run hello moved")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `moved`"), "{hello}");
    let line = core_line(&mut m, 0)?;
    assert!(line.contains(" off "), "{line}");
    let line = core_line(&mut m, 3)?;
    assert!(line.contains(" running    0 "), "{line}");
    // The hub, now on core 3, still reaches the other OSNodes.
    type_line(&mut m, "run --core 1 hello remote")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 1, args `remote`"), "{hello}");
    // Core 0 is now an ordinary core: it boots a new OSNode, which stops
    // like any other; the boot driver, on core 3, cannot stop its own core.
    type_line(&mut m, "corectrl stop 3")?;
    m.expect("stop 3: core 3 runs the boot driver", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl boot 0")?;
    m.expect("core 0 booted: cpudriver 0.1.0, KCB 4 (new)", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 0 hello zero")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 0, args `zero`"), "{hello}");
    type_line(&mut m, "corectrl stop 0")?;
    m.expect("core 0 stopped: KCB 4 kept", BOOT_TIMEOUT)?;
    // Typed ahead, while OSNode 0 (with the serial driver) is on its way:
    // nothing typed is lost.
    type_line(&mut m, "corectrl move 3 0")?;
    type_line(&mut m, "run hello ahead")?;
    m.expect(
        "OSNode 0 moved from core 3 to core 0 under cpudriver 0.1.0",
        BOOT_TIMEOUT,
    )?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 0, args `ahead`"), "{hello}");
    type_line(&mut m, "corectrl give 3 3")?;
    m.expect("KCB 3 now runs on core 3", BOOT_TIMEOUT)?;
    type_line(&mut m, "run hello back")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 0, args `back`"), "{hello}");
    type_line(&mut m, "run --core 3 hello three")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains(" on core 3, args `three`"), "{hello}");
    Ok(())
}

/// KCB layouts: an OSNode made by a kernel of the previous layout
/// (`cpudriver-kcb1`) is converted when updated to the current kernel, its
/// program never noticing; handing a converted KCB back to a kernel that
/// cannot read it (an update, a park onto it) is refused before anything
/// changes, while parking an old KCB on a current kernel converts it too.
#[test]
fn an_older_kcb_layout_is_converted_and_a_newer_one_refused() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_kcb_layout")?;
    type_line(&mut m, "corectrl stop 3")?;
    m.expect("core 3 stopped: KCB 3 kept", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl boot 3 --kernel cpudriver-kcb1")?;
    m.expect(
        "core 3 booted: cpudriver-kcb1 0.1.0-kcb1, KCB 4 (new)",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "run --core 3 counter 40")?;
    for _ in 0..3 {
        m.expect("counter: report ", BOOT_TIMEOUT)?;
    }
    type_line(&mut m, "corectrl update 3 cpudriver")?;
    // The kernel's lines and the boot driver's answer come from two cores.
    m.expect_each(
        &[
            "OSNode 4: KCB converted from layout 1 to 2",
            "runs OSNode 4 under `cpudriver 0.1.0`, resume 1",
            "core 3 updated to cpudriver 0.1.0: KCB 4 resumed",
        ],
        BOOT_TIMEOUT,
    )?;
    m.expect("counter: report ", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl update 3 cpudriver-kcb1")?;
    m.expect(
        "update 3: KCB 4 has layout 2, but cpudriver-kcb1 runs KCB layouts 1 to 1",
        BOOT_TIMEOUT,
    )?;
    // Nothing changed: core 3 runs KCB 4 under the current kernel.
    let line = core_line(&mut m, 3)?;
    assert!(
        line.contains(" running    4 ") && line.ends_with("cpudriver 0.1.0"),
        "{line}"
    );
    // An old-layout OSNode parked on a current kernel is converted there;
    // a current one cannot be parked on an old kernel.
    type_line(&mut m, "corectrl stop 2")?;
    m.expect("core 2 stopped: KCB 2 kept", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl boot 2 --kernel cpudriver-kcb1")?;
    m.expect(
        "core 2 booted: cpudriver-kcb1 0.1.0-kcb1, KCB 5 (new)",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "corectrl park 3 2")?;
    m.expect(
        "park 3: KCB 4 has layout 2, but cpudriver-kcb1 0.1.0-kcb1 runs KCB layouts 1 to 1",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "corectrl park 2 3")?;
    m.expect_each(
        &[
            "OSNode 5: KCB converted from layout 1 to 2",
            "core 2 parked on core 3",
        ],
        BOOT_TIMEOUT,
    )?;
    // It comes back under a kernel that reads its layout now.
    type_line(&mut m, "corectrl unpark 5 2")?;
    m.expect(
        "KCB 5 unparked to core 2 under cpudriver 0.1.0",
        BOOT_TIMEOUT,
    )?;
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40);
    assert!(all[39].2.contains(" on core 3: "), "{}", all[39].2);
    Ok(())
}

#[test]
fn a_parked_osnode_runs_on_its_host_and_comes_back() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_park")?;
    type_line(&mut m, "run --core 2 counter 40")?;
    let mut reports = Vec::new();
    while reports.len() < 3 {
        reports.push(count_of(&m.expect("counter: report ", BOOT_TIMEOUT)?));
    }
    type_line(&mut m, "corectrl park 2 1")?;
    m.expect(
        "core 2 parked on core 1: KCB 2 runs there too",
        BOOT_TIMEOUT,
    )?;
    // Refused, changing nothing.
    for (command, answer) in [
        (
            "corectrl park 1 1",
            "park 1: core 1 cannot be parked on itself",
        ),
        ("corectrl park 3 2", "park 3: core 2 is not running"),
        ("corectrl park 2 1", "park 2: core 2 is not running"),
        (
            "corectrl boot 2 --kcb 2",
            "boot 2: KCB 2 is parked on core 1; unpark it",
        ),
        ("corectrl unpark 3 2", "unpark 3: KCB 3 is not parked"),
        (
            "corectrl unpark 2 3",
            "unpark 2: core 3 is running already (KCB 3)",
        ),
    ] {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    // Both OSNodes run on core 1: the parked one's counter, and a program
    // of the host's own.
    type_line(&mut m, "run --core 1 hello host")?;
    m.expect("hello (id 1) on core 1 exited with code 1", BOOT_TIMEOUT)?;
    let on_host = m.expect(" on core 1: ", BOOT_TIMEOUT)?;
    assert!(on_host.contains("counter: report "), "{on_host}");
    type_line(&mut m, "corectrl list")?;
    m.expect("   2  parked on core 1", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl unpark 2 2")?;
    m.expect(
        "KCB 2 unparked to core 2 under cpudriver 0.1.0",
        BOOT_TIMEOUT,
    )?;
    wait_counter_done(&mut m, 40)?;
    let all = reports_in_log(&m);
    assert_eq!(all.len(), 40, "a report was lost");
    assert!(all[39].2.contains(" on core 2: "), "{}", all[39].2);
    assert!(
        all.iter().any(|r| r.2.contains(" on core 1: ")),
        "never ran on the host"
    );
    m.expect("counter (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    Ok(())
}

#[test]
fn a_sleeper_wakes_on_time_across_park_and_unpark() -> Result<(), HarnessError> {
    let mut m = four_cores("decoupled_nap")?;
    // Long enough to stay asleep across both operations on a slow host;
    // parked only once it is really asleep.
    type_line(&mut m, "run --core 2 nap 3000")?;
    m.expect("nap: sleeping 3000 ms on core 2", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl park 2 1")?;
    m.expect("core 2 parked on core 1", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl unpark 2 2")?;
    m.expect("KCB 2 unparked to core 2", BOOT_TIMEOUT)?;
    let woke = m.expect("nap: slept on core 2, woke on core ", BOOT_TIMEOUT)?;
    let late_us: u64 = woke
        .split(' ')
        .rev()
        .nth(4)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no lateness in {woke:?}"));
    // The wakeup went with the OSNode: it came at its deadline give or take
    // the emulator's timer delivery (a few ms on a busy host), not at the
    // next unrelated event (the monitor's backstop is 10 s). How late a
    // wakeup is on this machine is a figure for the benchmark, not a test.
    assert!(late_us < 100_000, "woke {late_us} us late: {woke}");
    m.expect("nap (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    Ok(())
}
