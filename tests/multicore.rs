//! Several OSNodes: the boot driver (`corectrl`) starts the other cores
//! with a CPU driver image and a KCB of its choosing, each new OSNode's
//! monitor connects to the hub over a UMP channel, and bad requests are
//! refused with a clear message and change nothing.

use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, Machine, between, boot_with_modules, config, standard_module,
    type_line,
};

/// Waits for `corectrl` to report core `core` booted; returns the line.
fn expect_booted(m: &mut Machine, core: u32) -> Result<String, HarnessError> {
    m.expect(&format!("corectrl: core {core} booted: "), BOOT_TIMEOUT)
}

/// Runs `corectrl list` and returns the core lines (by core id) and the
/// KCB lines.
fn list(m: &mut Machine, cores: usize) -> Result<(Vec<String>, Vec<String>), HarnessError> {
    type_line(m, "corectrl list")?;
    m.expect("CORE  APIC  STATE    KCB  MONITOR", BOOT_TIMEOUT)?;
    let mut core_lines = Vec::new();
    for id in 0..cores {
        let prefix = format!("{id:>4}  ");
        core_lines.push(
            m.expect_line(&format!("core {id}'s list line"), BOOT_TIMEOUT, |l| {
                l.starts_with(&prefix)
            })?,
        );
    }
    m.expect(" KCB  STATE", BOOT_TIMEOUT)?;
    let mut kcb_lines = Vec::new();
    loop {
        let line = m.expect_line("a KCB line or the summary", BOOT_TIMEOUT, |l| {
            l.contains("running on core") || l.contains("stopped") || l.contains(" KCBs")
        })?;
        if line.contains(" KCBs") {
            assert!(line.starts_with(&format!("{cores} cores, ")), "{line}");
            break;
        }
        kcb_lines.push(line);
    }
    Ok((core_lines, kcb_lines))
}

/// The columns of a core line: id, APIC id, state, KCB, monitor..., kernel.
fn columns(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[test]
fn the_boot_driver_starts_every_core_with_a_monitor() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "multicore_four")?;
    m.expect(
        "corectrl: 4 cores; the first runs `cpudriver 0.1.0`",
        BOOT_TIMEOUT,
    )?;
    for core in 1..4 {
        let booted = expect_booted(&mut m, core)?;
        assert!(
            booted.contains(&format!("cpudriver 0.1.0, KCB {core} (new)")),
            "{booted}"
        );
    }
    for core in 1..4 {
        // The kernel on that core ran the OSNode the boot driver made, and
        // its monitor came up there (both said on that core, before or
        // after the boot driver's report).
        m.expect_seen(
            &format!("c{core}] INFO  core {core} (APIC {core}) runs OSNode {core}"),
            BOOT_TIMEOUT,
        )?;
        m.expect_seen(&format!("monitor: core {core} up"), BOOT_TIMEOUT)?;
    }
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let (cores, kcbs) = list(&mut m, 4)?;
    assert_eq!(columns(&cores[0])[..5], ["0", "0", "running", "0", "hub"]);
    for (id, line) in cores.iter().enumerate().skip(1) {
        let c = columns(line);
        let id = id.to_string();
        assert_eq!(c[..5], [&id, &id, "running", &id, "up"], "{line}");
        assert!(line.ends_with("cpudriver 0.1.0"), "{line}");
    }
    for (id, line) in kcbs.iter().enumerate() {
        assert_eq!(line.trim(), format!("{id}  running on core {id}"));
    }
    assert_eq!(kcbs.len(), 4);
    // The monitors sleep between pings and wake on the hub's notification
    // IPI, not on their backstop: the second listing shows such wakeups.
    let (cores, _) = list(&mut m, 4)?;
    for line in &cores[1..] {
        let woken: u64 = between(line, ", ", " woken)")
            .parse()
            .unwrap_or_else(|_| panic!("no wakeup count in {line:?}"));
        assert!(woken > 0, "never woken by a notification: {line}");
        // Each wakeup came with an IPI, which its kernel counted.
        let c = columns(line);
        let ipis: u64 = c
            .iter()
            .position(|w| *w == "woken)")
            .and_then(|i| c.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no IPI count in {line:?}"));
        assert!(ipis >= woken, "{ipis} IPIs but {woken} wakeups: {line}");
    }
    Ok(())
}

/// Checks with `corectrl list` that core 3 is off and only KCBs 0-2 exist.
fn expect_core_3_off(m: &mut Machine) -> Result<(), HarnessError> {
    let (cores, kcbs) = list(m, 4)?;
    assert_eq!(
        columns(&cores[3])[..4],
        ["3", "3", "off", "-"],
        "{}",
        cores[3]
    );
    assert_eq!(kcbs.len(), 3);
    Ok(())
}

/// The `mem` command's memory-server line.
fn memserv_free(m: &mut Machine) -> Result<String, HarnessError> {
    type_line(m, "mem")?;
    m.expect("memory server: ", BOOT_TIMEOUT)
}

#[test]
fn bad_boots_are_refused_and_another_kernel_boots() -> Result<(), HarnessError> {
    let kernel = standard_module("cpudriver");
    // Cut inside the loadable segments.
    let truncated = kernel[..64 * 1024].to_vec();
    let mut wrong_machine = kernel.clone();
    wrong_machine[18] = 183; // e_machine = AArch64
    // A kernel that starts but never reports: `jmp .` right after the entry
    // preamble (signature and versions), so the boot driver accepts it.
    let mut hangs = kernel.clone();
    let hang_at = entry_file_offset(&kernel) + bootproto::starter::ENTRY_PREAMBLE;
    hangs[hang_at..hang_at + 2].copy_from_slice(&[0xeb, 0xfe]);
    let mut m = boot_with_modules(
        "multicore_errors",
        4,
        512,
        &[
            (
                "boot.cfg",
                b"# leave core 3 off\nboot 1\nboot 2 --kernel cpudriver\n".to_vec(),
            ),
            ("cpudriver-truncated", truncated),
            ("cpudriver-arm", wrong_machine),
            ("cpudriver-hangs", hangs),
        ],
    )?;
    expect_booted(&mut m, 1)?;
    expect_booted(&mut m, 2)?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let before = memserv_free(&mut m)?;

    let refused = [
        (
            "corectrl boot 3 --kernel cpudriver-truncated",
            "boot 3: kernel image `cpudriver-truncated`: ",
        ),
        (
            "corectrl boot 3 --kernel cpudriver-arm",
            "boot 3: kernel image `cpudriver-arm`: built for machine 183",
        ),
        (
            "corectrl boot 3 --kernel hello",
            "boot 3: kernel image `hello`: not a Corefish CPU driver",
        ),
        (
            "corectrl boot 3 --kernel nope",
            "boot 3: the boot archive has no kernel image `nope`",
        ),
        (
            "corectrl boot 9",
            "boot 9: there is no core 9: this machine has cores 0 to 3",
        ),
        (
            "corectrl boot 1",
            "boot 1: core 1 is running already (KCB 1)",
        ),
        (
            "corectrl boot 0",
            "boot 0: core 0 is running already (KCB 0)",
        ),
        (
            "corectrl boot 3 --kcb 1",
            "boot 3: KCB 1 is running already, on core 1",
        ),
        ("corectrl boot 3 --kcb 7", "boot 3: there is no KCB 7"),
        ("corectrl boot three", "corectrl: `three` is not a number"),
    ];
    for (command, answer) in refused {
        type_line(&mut m, command)?;
        m.expect(answer, BOOT_TIMEOUT)?;
    }
    // Nothing changed: core 3 is off, no KCB was made, no memory taken.
    expect_core_3_off(&mut m)?;
    assert_eq!(memserv_free(&mut m)?, before);

    // A core whose kernel starts but never reports is stopped again (INIT)
    // and reported; it stays off and the system carries on.
    type_line(&mut m, "corectrl boot 3 --kernel cpudriver-hangs")?;
    m.expect(
        "boot 3: core 3 started but its kernel did not report in time",
        BOOT_TIMEOUT,
    )?;
    expect_core_3_off(&mut m)?;

    // The other kernel build boots on the free core and says so.
    type_line(&mut m, "corectrl boot 3 --kernel cpudriver-v2")?;
    // The monitor says it is up after its hello, which the report awaits.
    let booted =
        m.expect_each(&["monitor: core 3 up", "core 3 booted: "], BOOT_TIMEOUT)?[1].clone();
    assert!(
        booted.contains("cpudriver-v2 0.1.0-v2, KCB 3 (new)"),
        "{booted}"
    );
    let (cores, _) = list(&mut m, 4)?;
    assert!(cores[3].ends_with("cpudriver-v2 0.1.0-v2"), "{}", cores[3]);
    assert_eq!(columns(&cores[3])[..5], ["3", "3", "running", "3", "up"]);
    assert!(cores[1].ends_with("cpudriver 0.1.0"), "{}", cores[1]);
    Ok(())
}

#[test]
fn sixteen_cores_boot_and_are_listed() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(16, 512)?, "multicore_sixteen")?;
    for core in 1..16 {
        expect_booted(&mut m, core)?;
    }
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    let (cores, kcbs) = list(&mut m, 16)?;
    for (id, line) in cores.iter().enumerate() {
        let c = columns(line);
        assert_eq!(c[2], "running", "{line}");
        assert_eq!(c[3], id.to_string(), "{line}");
    }
    assert_eq!(kcbs.len(), 16);
    Ok(())
}

#[test]
fn programs_on_every_pair_of_cores_exchange_ump_messages() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "multicore_umpmesh")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    for core in 1..4 {
        type_line(&mut m, &format!("run --core {core} umpmesh {core} 4 10000"))?;
        m.expect(&format!("started umpmesh on core {core} as "), BOOT_TIMEOUT)?;
    }
    type_line(&mut m, "run umpmesh 0 4 10000 &")?;
    let mut done = Vec::new();
    for _ in 0..4 {
        let line = m.expect_line("a umpmesh verdict", BOOT_TIMEOUT, |l| {
            l.contains("umpmesh: ")
        })?;
        assert!(
            line.contains(
                ": 3 peers, 10000 messages each way with each, all in order and intact ("
            ),
            "{line}"
        );
        done.push(line);
    }
    for core in 0..4 {
        assert!(
            done.iter()
                .any(|l| l.contains(&format!("umpmesh: {core} on core {core}: "))),
            "no verdict from core {core}: {done:?}"
        );
    }
    Ok(())
}

#[test]
fn a_capability_sent_to_another_osnode_works_there_until_revoked() -> Result<(), HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, "multicore_xcap")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 2 xcap serve capsink")?;
    m.expect("started xcap on core 2 as ", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 1 xcap send capsink")?;
    // The copy on core 2 maps the frame core 1 wrote and answers in it.
    let received = m.expect("xcap: core 2 received a frame", BOOT_TIMEOUT)?;
    assert!(
        received.ends_with("(0x1000 bytes, foreign: true) holding 0x5eedcafef00d0001"),
        "{received}"
    );
    m.expect(
        "xcap: core 1: the receiver answered 0xa11235010ff2fffe",
        BOOT_TIMEOUT,
    )?;
    // Revoking on core 1 takes the copy on core 2; both programs end well
    // (the four reports come in any order).
    let mut awaited = vec![
        "xcap: core 2: the frame was revoked; mapping it now fails: Err(SlotEmpty)".to_string(),
        "xcap: core 1: revoked the frame".to_string(),
        "xcap (id 1) on core 1 exited with code 0".to_string(),
        "xcap (id 1) on core 2 exited with code 0".to_string(),
    ];
    while !awaited.is_empty() {
        let line = m.expect_line("the xcap reports", BOOT_TIMEOUT, |l| {
            awaited.iter().any(|a| l.ends_with(a.as_str()))
        })?;
        awaited.retain(|a| !line.ends_with(a.as_str()));
    }

    // Bad requests to run elsewhere are refused with a reason.
    type_line(&mut m, "run --core 9 hello")?;
    m.expect(
        "run: no program `hello` in the boot archive, or no OSNode runs on core 9",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "run --core 3 nope")?;
    m.expect(
        "run: no program `nope` in the boot archive, or no OSNode runs on core 3",
        BOOT_TIMEOUT,
    )?;
    type_line(&mut m, "run --core x hello")?;
    m.expect("usage: run [--core N] NAME [ARGS] [&]", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 3 hello from three")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.contains("on core 3, args `from three`"), "{hello}");
    m.expect("hello (id 1) on core 3 exited with code 2", BOOT_TIMEOUT)?;
    Ok(())
}

/// The offset in an ELF file of the bytes at its entry point.
fn entry_file_offset(file: &[u8]) -> usize {
    let image = elfload::ElfImage::parse(file).expect("a valid kernel image");
    let entry = image.entry();
    let segment = image
        .segments()
        .find(|s| entry >= s.vaddr && entry < s.vaddr + s.filesz)
        .expect("the entry point is in a segment");
    (segment.offset + (entry - segment.vaddr)) as usize
}
