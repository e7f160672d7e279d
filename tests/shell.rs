//! The shell on the serial console: typing a command runs it and prints its
//! output. Exercises the serial driver (interrupt-driven input), the shell,
//! init's process manager and spawning, end to end.

use qemu_tests::{BOOT_TIMEOUT, HarnessError, boot_to_shell};

#[test]
fn typed_commands_run_and_print() -> Result<(), HarnessError> {
    let mut m = boot_to_shell("shell_commands")?;
    m.send("help\r")?;
    m.expect("run NAME [ARGS]", BOOT_TIMEOUT)?;
    m.expect("programs: ", BOOT_TIMEOUT)?;

    m.send("run hello a b c\r")?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.ends_with("args `a b c`"), "{hello}");
    let exited = m.expect("exited with code", BOOT_TIMEOUT)?;
    assert!(
        exited.starts_with("hello (id ") && exited.ends_with("code 3"),
        "{exited}"
    );

    m.send("ps\r")?;
    m.expect("ID  DISP  STATE", BOOT_TIMEOUT)?;
    m.expect("memserv", BOOT_TIMEOUT)?;
    m.expect("serial", BOOT_TIMEOUT)?;
    m.expect("shell", BOOT_TIMEOUT)?;
    let line = m.expect("exited(3)", BOOT_TIMEOUT)?;
    assert!(line.ends_with("hello"), "{line}");

    m.send("mem\r")?;
    m.expect("memory server: ", BOOT_TIMEOUT)?;

    // A program in the background: its capabilities listed, then killed.
    m.send("run sleeper &\r")?;
    let started = m.expect("started sleeper as ", BOOT_TIMEOUT)?;
    let id = started
        .trim_start_matches("started sleeper as ")
        .to_string();
    m.send(&format!("caps {id}\r"))?;
    m.expect(&format!("capabilities of {id} (sleeper):"), BOOT_TIMEOUT)?;
    m.expect("L1CNode", BOOT_TIMEOUT)?;
    m.expect("Dispatcher", BOOT_TIMEOUT)?;
    m.send(&format!("kill {id}\r"))?;
    m.expect(&format!("killed {id}"), BOOT_TIMEOUT)?;
    m.send("ps\r")?;
    let line = m.expect_line("the sleeper's ps line", BOOT_TIMEOUT, |l| {
        l.ends_with("sleeper")
    })?;
    assert!(line.contains("killed"), "{line}");
    m.send(&format!("caps {id}\r"))?;
    m.expect("has ended; its capabilities are gone", BOOT_TIMEOUT)?;

    m.send("frobnicate\r")?;
    m.expect("unknown command `frobnicate`", BOOT_TIMEOUT)?;
    Ok(())
}

/// The PS/2 keyboard types into the shell as the serial port does (QEMU's
/// `sendkey`, through a monitor socket): a machine without a serial port
/// can be used from its keyboard and screen.
#[test]
fn the_keyboard_types_into_the_shell() -> Result<(), HarnessError> {
    let monitor = harness::Monitor::at(
        std::env::temp_dir().join(format!("corefish-keys-{}.sock", std::process::id())),
    );
    let mut config = qemu_tests::config(4, 512)?;
    config.extra.extend(monitor.args());
    let mut m = harness::Machine::start(&config, "shell_keyboard")?;
    m.expect("serial: COM1 ready; keyboard ready", BOOT_TIMEOUT)?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    monitor.type_keys("run hello Typed_ON keys\r", BOOT_TIMEOUT)?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.ends_with("args `Typed_ON keys`"), "{hello}");
    m.expect("exited with code 2", BOOT_TIMEOUT)?;
    // Backspace edits the line.
    monitor.type_keys("run hellox", BOOT_TIMEOUT)?;
    monitor.command("sendkey backspace", BOOT_TIMEOUT)?;
    monitor.type_keys(" edited\r", BOOT_TIMEOUT)?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.ends_with("args `edited`"), "{hello}");
    Ok(())
}
