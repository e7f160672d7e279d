//! Booting the ISO (`cargo xtask image`: GRUB, multiboot2) the way a real
//! machine would: from a CD under SeaBIOS and under UEFI (OVMF), 4 cores,
//! no network device. Each reaches the shell over the serial port and
//! runs the paper's basic operations on core 2, and the screen (QEMU's
//! `screendump`) must show the shell's banner and the answers, drawn with
//! the console's own font. A boot that cannot go on says why on both
//! consoles.

use std::time::Duration;

use harness::{Boot, Firmware, Monitor, Watchdog};
use qemu_tests::screenshot::Screenshot;
use qemu_tests::{BOOT_TIMEOUT, HarnessError, Images, Machine, config, type_line};

const BANNER: &str = "Corefish shell; type `help`.";

/// Starts a 4-core machine on `iso` under `firmware`, with a monitor and
/// its serial port on the machine's console (`stdio`) or absent (`none`).
/// With a serial port, a kernel's fault report ends the test at once: the
/// ISO's menu decides the command line, so `fatal=exit` does not apply.
fn boot_iso(
    name: &str,
    iso: std::path::PathBuf,
    firmware: Firmware,
    serial: &str,
) -> Result<(Machine, Monitor), HarnessError> {
    if !iso.is_file() {
        return Err(HarnessError::MissingImage(iso));
    }
    let monitor = Monitor::at(
        std::env::temp_dir().join(format!("corefish-{name}-{}.sock", std::process::id())),
    );
    let mut config = config(4, 512)?;
    config.boot = Boot::Iso {
        image: iso,
        firmware,
    };
    config.extra.extend(monitor.args());
    config.watchdog = Some(Watchdog::guest(BOOT_TIMEOUT));
    let machine = if serial == "stdio" {
        Machine::start(&config, name)?
    } else {
        Machine::spawn(config.command(serial), config.command_line(serial), name)?
    };
    Ok((machine, monitor))
}

/// Stops core 2, boots it again (a new OSNode), runs `hello` there.
fn operate_core_2(m: &mut Machine) -> Result<(), HarnessError> {
    type_line(m, "corectrl stop 2")?;
    let stopped = m.expect("core 2 stopped: ", BOOT_TIMEOUT)?;
    assert!(stopped.contains("KCB 2 kept"), "{stopped}");
    type_line(m, "corectrl boot 2")?;
    let booted = m.expect("core 2 booted: ", BOOT_TIMEOUT)?;
    assert!(booted.contains("cpudriver 0.1.0, KCB 4 (new)"), "{booted}");
    type_line(m, "run --core 2 hello")?;
    m.expect("hello: dispatcher 2 on core 2, args ``", BOOT_TIMEOUT)?;
    m.expect("hello (id 1) on core 2 exited with code 0", BOOT_TIMEOUT)?;
    Ok(())
}

/// Takes screenshots until `texts` all show and the screen has settled
/// (two in a row alike: the screen is drawn just after the serial port,
/// and a screenshot may catch a line half drawn), for at most 15 s. The
/// last one is kept as `target/qemu-logs/<name>.png`.
fn screen_showing(monitor: &Monitor, name: &str, texts: &[&str]) -> Screenshot {
    screen_showing_within(monitor, name, texts, 30)
}

/// [`screen_showing`] with `tries` screenshots half a second apart.
fn screen_showing_within(monitor: &Monitor, name: &str, texts: &[&str], tries: u32) -> Screenshot {
    let logs = harness::workspace_root().join("target").join("qemu-logs");
    let (ppm, png) = (
        logs.join(format!("{name}.ppm")),
        logs.join(format!("{name}.png")),
    );
    let mut last: Option<Screenshot> = None;
    let mut missing = Vec::new();
    for _ in 0..tries {
        // The monitor's socket appears once QEMU runs.
        let Ok(bytes) = monitor.screendump(&ppm, Duration::from_secs(10)) else {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        let shot = Screenshot::from_ppm(&bytes).expect("a PPM");
        missing = texts
            .iter()
            .filter(|t| shot.rows_showing(t).is_empty())
            .copied()
            .collect();
        if missing.is_empty() && last.as_ref().is_some_and(|l| l.same_as(&shot)) {
            shot.save_png(&png).expect("PNG");
            return shot;
        }
        last = Some(shot);
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("the screen ({}) does not show {missing:?}", ppm.display());
}

/// The whole run on one firmware.
fn boots_and_shows(name: &str, firmware: Firmware, how: &str) -> Result<(), HarnessError> {
    let (mut m, monitor) = boot_iso(name, Images::locate()?.iso(), firmware, "stdio")?;
    m.expect(
        &format!("(entered through multiboot2 ({how}))"),
        BOOT_TIMEOUT,
    )?;
    m.expect(BANNER, BOOT_TIMEOUT)?;
    let shot = screen_showing(&monitor, &format!("{name}_banner"), &[BANNER]);
    assert_eq!(
        (shot.width, shot.height),
        (1024, 768),
        "GRUB set the mode the loader asked for"
    );
    assert_eq!(shot.rows_showing(BANNER).len(), 1);
    // The comparison can fail: a line that is not there is not found.
    assert!(
        shot.rows_showing("Corefish shell; type `xyzzy`.")
            .is_empty()
    );
    operate_core_2(&mut m)?;
    // The keyboard types too (the firmware may have left the controller
    // set up its own way).
    m.expect_seen("serial: COM1 ready; keyboard ready", BOOT_TIMEOUT)?;
    monitor.type_keys("run --core 3 hello keys\r", BOOT_TIMEOUT)?;
    let hello = m.expect("hello: dispatcher", BOOT_TIMEOUT)?;
    assert!(hello.ends_with("on core 3, args `keys`"), "{hello}");
    screen_showing(
        &monitor,
        name,
        &[
            "corefish> run --core 2 hello",
            "hello (id 1) on core 2 exited with code 0",
            "run --core 3 hello keys",
        ],
    );
    Ok(())
}

#[test]
fn the_iso_boots_under_bios_and_shows_the_shell_on_screen() -> Result<(), HarnessError> {
    boots_and_shows("firmware_bios", Firmware::Bios, "BIOS")
}

#[test]
fn the_iso_boots_under_uefi_and_shows_the_shell_on_screen() -> Result<(), HarnessError> {
    boots_and_shows("firmware_uefi", Firmware::Uefi, "UEFI")
}

/// A machine without a serial port (`-serial none`: nothing answers COM1's
/// ports) is used from its keyboard and screen alone: the boot reaches the
/// shell on the screen, and a command typed on the keyboard runs there.
#[test]
fn a_machine_without_a_serial_port_is_used_from_keyboard_and_screen() -> Result<(), HarnessError> {
    let (_machine, monitor) = boot_iso(
        "firmware_no_serial",
        Images::locate()?.iso(),
        Firmware::Uefi,
        "none",
    )?;
    // Up to 90 s for the boot, as over the serial port.
    screen_showing_within(&monitor, "firmware_no_serial_banner", &[BANNER], 180);
    monitor.type_keys("run hello noserial\r", BOOT_TIMEOUT)?;
    screen_showing(
        &monitor,
        "firmware_no_serial",
        &["args `noserial`", "exited with code 1"],
    );
    Ok(())
}

/// A menu entry that passes a command line but no boot archive: the
/// loader reads the command line, then says what is missing.
#[test]
fn a_boot_without_the_archive_says_why_on_both_consoles() -> Result<(), HarnessError> {
    let images = Images::locate()?;
    let scratch = harness::workspace_root().join("target").join("qemu-tests");
    let iso = scratch.join("no-archive.iso");
    let menu = "serial --unit=0 --speed=115200\nterminal_output console serial\n\
                insmod all_video\nset timeout=0\n\
                menuentry \"no archive\" { multiboot2 /boot/loader.elf kernel=cpudriver-v2 }\n";
    harness::iso::make(
        &scratch.join("no-archive"),
        &images.loader(),
        None,
        menu,
        &iso,
    )?;
    let (mut m, monitor) = boot_iso("firmware_no_archive", iso, Firmware::Uefi, "stdio")?;
    // The menu entry's command line reaches the loader.
    m.expect(
        "starting `cpudriver-v2` (entered through multiboot2 (UEFI))",
        BOOT_TIMEOUT,
    )?;
    let why =
        "loader: error: no boot archive (pass one with -initrd, or as the first multiboot2 module)";
    m.expect(why, BOOT_TIMEOUT)?;
    screen_showing(&monitor, "firmware_no_archive", &[why]);
    Ok(())
}
