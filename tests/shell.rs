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

    m.send("frobnicate\r")?;
    m.expect("unknown command `frobnicate`", BOOT_TIMEOUT)?;
    Ok(())
}
