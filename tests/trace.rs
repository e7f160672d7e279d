//! The tracing kernel: `corectrl trace 3 on` updates core 3 to
//! `cpudriver-trace` while a program sleeps there, a program run on it is
//! recorded (its system calls in the dump, with a summary), the dump makes
//! a Chrome trace-event file, and `trace 3 off` updates the core back, the
//! sleeping program waking on time throughout.

use ktrace::text::Line;
use qemu_tests::{
    BOOT_TIMEOUT, HarnessError, boot_with_modules, core_line, four_cores, standard_module,
    type_line,
};

#[test]
fn a_core_is_traced_and_back_with_its_programs_running() -> Result<(), HarnessError> {
    let mut m = four_cores("trace")?;
    type_line(&mut m, "run --core 3 nap 4000")?;
    m.expect("nap: sleeping 4000 ms on core 3", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl trace 3 dump")?;
    m.expect("trace 3: core 3 is not traced (`trace 3 on`)", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl trace 3 on")?;
    let on = m.expect(
        "core 3 updated to cpudriver-trace 0.1.0-trace",
        BOOT_TIMEOUT,
    )?;
    assert!(on.ends_with("; core 3 traces into 64 KiB"), "{on}");
    type_line(&mut m, "corectrl trace 3 on")?;
    m.expect("trace 3: core 3 is traced already", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 3 hello traced")?;
    m.expect("hello (id 2) on core 3 exited with code 1", BOOT_TIMEOUT)?;
    let before = m.lines().len();
    type_line(&mut m, "corectrl trace 3 dump")?;
    let summary = m.expect("trace 3 summary: ", BOOT_TIMEOUT)?;
    m.expect("trace 3 top system calls: ", BOOT_TIMEOUT)?;
    let lines: Vec<Line> = m.lines()[before..]
        .iter()
        .filter_map(|l| Line::parse(l))
        .collect();
    assert!(lines.len() > 10, "{} lines", lines.len());
    assert!(lines.iter().all(|l| l.core == 3));
    // What `hello` did: print (DEBUG_PRINT) and exit.
    let has = |what: &str| lines.iter().any(|l| l.what.starts_with(what));
    assert!(has("DEBUG_PRINT -> ok"), "no print in the dump");
    assert!(has("EXIT"), "no exit in the dump");
    assert!(lines.iter().any(|l| l.kind == ktrace::Kind::Interrupt));
    assert!(lines.iter().any(|l| l.kind == ktrace::Kind::Dispatch));
    assert!(lines.windows(2).all(|w| w[0].start_ns <= w[1].start_ns));
    let events: usize = summary
        .split("summary: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("an event count");
    assert_eq!(events, lines.len(), "{summary}");
    // The same lines as a Chrome trace-event file.
    let json: serde_json::Value =
        serde_json::from_str(&ktrace::chrome::to_json(&lines)).expect("valid JSON");
    let trace_events = json["traceEvents"].as_array().expect("events");
    assert_eq!(trace_events.len(), lines.len());
    assert!(
        trace_events
            .iter()
            .any(|e| e["ph"] == "X" && e["cat"] == "syscall")
    );
    type_line(&mut m, "corectrl trace 3 off")?;
    let off = m.expect("core 3 updated to cpudriver 0.1.0", BOOT_TIMEOUT)?;
    assert!(off.ends_with("; core 3 no longer traces"), "{off}");
    type_line(&mut m, "corectrl trace 3 off")?;
    m.expect("trace 3: core 3 is not traced (`trace 3 on`)", BOOT_TIMEOUT)?;
    // A core that does not exist is refused before anything is made for it
    // (the boot driver once grew its table of rings to any number typed).
    type_line(&mut m, "corectrl trace 4000000000 off")?;
    m.expect("there is no core 4000000000", BOOT_TIMEOUT)?;
    // The ring stays readable after `off`.
    type_line(&mut m, "corectrl trace 3 dump")?;
    m.expect("trace 3 summary: ", BOOT_TIMEOUT)?;
    // The program that slept through it all wakes.
    let woke = m.expect("nap: slept on core 3, woke on core 3 ", BOOT_TIMEOUT)?;
    assert!(woke.contains(" us after its deadline"), "{woke}");
    let line = core_line(&mut m, 3)?;
    assert!(line.ends_with("cpudriver 0.1.0"), "{line}");
    // Tracing again works (rings let go are kept for the next one).
    type_line(&mut m, "corectrl trace 3 on")?;
    m.expect("; core 3 traces into 64 KiB", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl trace 3 off")?;
    m.expect("; core 3 no longer traces", BOOT_TIMEOUT)?;
    Ok(())
}

/// A tracing kernel that does not take its ring (here: the archive's
/// `cpudriver-trace` is the standard kernel, which records nothing) makes
/// `trace on` fail, the core back under the kernel it ran before, its
/// program still running; before, `trace on` said the core was traced.
#[test]
fn a_ring_the_kernel_does_not_take_fails_trace_on_and_the_core_goes_back()
-> Result<(), HarnessError> {
    let standard = standard_module("cpudriver");
    let mut m = boot_with_modules("trace_not_taken", 4, 512, &[("cpudriver-trace", standard)])?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    type_line(&mut m, "run --core 2 nap 6000")?;
    m.expect("nap: sleeping 6000 ms on core 2", BOOT_TIMEOUT)?;
    type_line(&mut m, "corectrl trace 2 on")?;
    m.expect(
        "trace 2: the tracing kernel did not take its ring (a tracing build logs why); core 2 runs cpudriver again",
        BOOT_TIMEOUT,
    )?;
    let line = core_line(&mut m, 2)?;
    assert!(line.contains(" running "), "{line}");
    assert!(line.contains("cpudriver 0.1.0"), "{line}");
    type_line(&mut m, "corectrl trace 2 dump")?;
    m.expect("trace 2: core 2 is not traced (`trace 2 on`)", BOOT_TIMEOUT)?;
    m.expect("nap: slept on core 2, woke on core 2 ", BOOT_TIMEOUT)?;
    Ok(())
}
