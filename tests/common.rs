//! Helpers shared by the image-based tests: starting a machine the usual
//! way and reading the boot banner.

use std::time::Duration;

pub use harness::{HarnessError, Images, Machine, QemuConfig};

#[path = "lib/interleaved.rs"]
pub mod interleaved;
#[path = "lib/screenshot.rs"]
pub mod screenshot;
#[path = "lib/soak.rs"]
pub mod soak;

/// How long a boot may take under TCG on a loaded 2-core machine.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

/// A machine configuration with `cores` cores and `mem_mib` MiB, with
/// `fatal=exit` so that a kernel fault ends the run at once.
pub fn config(cores: u32, mem_mib: u32) -> Result<QemuConfig, HarnessError> {
    let images = Images::locate()?;
    let mut config = QemuConfig::new(&images).append("fatal=exit");
    config.cores = cores;
    config.mem_mib = mem_mib;
    Ok(config)
}

/// What the boot banner said.
#[derive(Debug)]
pub struct Banner {
    /// The first banner line.
    pub title: String,
    /// APIC ids from the `cores:` line.
    pub apic_ids: Vec<u32>,
    /// KiB from the `memory:` line.
    pub usable_kib: u64,
    /// Milliseconds since reset from the `boot:` line.
    pub boot_ms: f64,
}

/// Waits for the banner and parses it.
pub fn read_banner(machine: &mut Machine) -> Result<Banner, HarnessError> {
    let title = machine.expect("Corefish 0.1.0: CPU driver", BOOT_TIMEOUT)?;
    let cores = machine.expect("cores: ", BOOT_TIMEOUT)?;
    let memory = machine.expect("memory: ", BOOT_TIMEOUT)?;
    let boot = machine.expect("boot: ", BOOT_TIMEOUT)?;
    let apic_ids = between(&cores, "APIC ids", ")")
        .split(';')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(|id| {
            id.parse()
                .unwrap_or_else(|_| panic!("bad APIC id {id:?} in {cores:?}"))
        })
        .collect();
    let usable_kib = between(&memory, "usable (", " KiB)")
        .parse()
        .unwrap_or_else(|_| panic!("no KiB in {memory:?}"));
    let boot_ms = between(&boot, "boot: ", " ms since reset")
        .parse()
        .unwrap_or_else(|_| panic!("no ms in {boot:?}"));
    Ok(Banner {
        title,
        apic_ids,
        usable_kib,
        boot_ms,
    })
}

/// The text between `start` and the next `end` in `line` (empty if absent).
pub fn between<'a>(line: &'a str, start: &str, end: &str) -> &'a str {
    line.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map_or("", |(inside, _)| inside.trim())
}

/// Boots to the shell prompt.
pub fn boot_to_shell(name: &str) -> Result<Machine, HarnessError> {
    let mut machine = Machine::start(&config(4, 512)?, name)?;
    machine.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    Ok(machine)
}

/// Core `core`'s line of `corectrl list`.
pub fn core_line(m: &mut Machine, core: u32) -> Result<String, HarnessError> {
    type_line(m, "corectrl list")?;
    m.expect("CORE  APIC  STATE", BOOT_TIMEOUT)?;
    let prefix = format!("{core:>4}  ");
    m.expect_line("the core's line", BOOT_TIMEOUT, |l| l.starts_with(&prefix))
}

/// The system's services, as `ps` names them.
pub const SERVICES: [&str; 5] = ["memserv", "serial", "monitor", "corectrl", "shell"];

/// `ps` lists every system service, running or waiting (none ended).
pub fn services_running(m: &mut Machine) -> Result<(), HarnessError> {
    type_line(m, "ps")?;
    m.expect("ID  DISP  STATE", BOOT_TIMEOUT)?;
    for service in SERVICES {
        let line = m.expect_line(service, BOOT_TIMEOUT, |l| l.ends_with(service))?;
        assert!(
            line.contains("running") || line.contains("waiting"),
            "{line}"
        );
    }
    Ok(())
}

/// Free memory in KiB, from `mem`: the memory server's and what init holds
/// free for starting programs (init takes more from the server as it needs
/// and keeps it: together they are what nobody holds).
pub fn free_kib(m: &mut Machine) -> Result<u64, HarnessError> {
    type_line(m, "mem")?;
    let server = m.expect("memory server: ", BOOT_TIMEOUT)?;
    let init = m.expect("init: ", BOOT_TIMEOUT)?;
    let kib = |line: &str, after: &str| -> u64 {
        line.split(after)
            .nth(1)
            .and_then(|rest| rest.split(" KiB free").next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no free KiB in {line:?}"))
    };
    Ok(kib(&server, "memory server: ") + kib(&init, "init: "))
}

/// Starts `tpchq` in the background with `args` (`run ...`), waits for
/// its first line (which contains `expect`), and returns the command that
/// stops it (`tpchq stop ID`).
pub fn start_tpchq(m: &mut Machine, args: &str, expect: &str) -> Result<String, HarnessError> {
    type_line(m, &format!("run tpchq {args} &"))?;
    let started = m.expect(expect, BOOT_TIMEOUT)?;
    Ok(started
        .split("stop with `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("no stop command in {started}"))
        .to_owned())
}

/// Asserts that the output has the answers `lib/tpch` computes on the
/// host at scale `milli`/1000 (itself checked against an independent
/// implementation), as the coordinator prints them.
pub fn assert_tpch_answers(m: &Machine, milli: u32) {
    let scale = tpch::Scale { milli };
    let table = tpch::Table::generate(scale, 0..scale.orders());
    let digest = format!("tpch: Q1 digest {:#018x}:", tpch::q1(&table).digest());
    let revenue = format!("tpch: Q6 revenue {}", tpch::q6(&table));
    let lines = m.lines();
    for want in [digest, revenue] {
        assert!(
            lines.iter().any(|l| l.contains(&want)),
            "no `{want}` in the output"
        );
    }
}

/// Free memory in KiB ([`free_kib`]) once it is within `slack_kib` of
/// `before`, or after ten seconds of asking (what programs held comes
/// back when init and the monitors have heard of their ends).
pub fn free_kib_back_to(m: &mut Machine, before: u64, slack_kib: u64) -> Result<u64, HarnessError> {
    let mut free = free_kib(m)?;
    for _ in 0..10 {
        if free + slack_kib >= before {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        free = free_kib(m)?;
    }
    Ok(free)
}

/// Types a command line into the shell.
pub fn type_line(machine: &mut Machine, line: &str) -> Result<(), HarnessError> {
    machine.send(&format!("{line}\r"))
}

/// Boots with a copy of the boot archive in which `replace` adds or
/// replaces modules (name, bytes), with `cores` cores and `mem_mib` MiB.
pub fn boot_with_modules(
    name: &str,
    cores: u32,
    mem_mib: u32,
    replace: &[(&str, Vec<u8>)],
) -> Result<Machine, HarnessError> {
    let mut config = config(cores, mem_mib)?;
    let bytes = std::fs::read(&config.archive).expect("boot archive");
    let archive = bootarchive::Archive::parse(&bytes).expect("valid boot archive");
    let mut builder = bootarchive::ArchiveBuilder::new();
    for module in archive.modules() {
        if !replace.iter().any(|(n, _)| *n == module.name) {
            builder.add(module.name, module.data).expect("module");
        }
    }
    for (module, data) in replace {
        builder.add(module, data).expect("module");
    }
    let dir = harness::workspace_root().join("target").join("qemu-tests");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(format!("{name}.img"));
    std::fs::write(&path, builder.build()).expect("write archive");
    config.archive = path;
    Machine::start(&config, name)
}

/// The bytes of module `name` of the standard boot archive.
pub fn standard_module(name: &str) -> Vec<u8> {
    let images = Images::locate().expect("images");
    let bytes = std::fs::read(images.archive()).expect("boot archive");
    let archive = bootarchive::Archive::parse(&bytes).expect("valid boot archive");
    archive.get(name).expect("module").data.to_vec()
}

/// Boots 4 cores and waits for the shell.
pub fn four_cores(name: &str) -> Result<Machine, HarnessError> {
    let mut m = Machine::start(&config(4, 512)?, name)?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    Ok(m)
}

/// The count of a `counter: report N of M on core C: COUNT` line.
pub fn count_of(line: &str) -> (u64, u64) {
    let report = line
        .split("report ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no report number in {line:?}"));
    let count = line
        .rsplit(": ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    (report, count)
}

/// Every counter report in the serial log so far, in order: (report
/// number, count, line). Checks that they are 1, 2, 3... with no report
/// lost or repeated and the count never going down.
pub fn reports_in_log(m: &Machine) -> Vec<(u64, u64, String)> {
    let reports: Vec<(u64, u64, String)> = m
        .lines()
        .into_iter()
        .filter(|l| l.contains("counter: report "))
        .map(|l| {
            let (n, count) = count_of(&l);
            (n, count, l)
        })
        .collect();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(
            r.0,
            i as u64 + 1,
            "report {} lost or repeated: {}",
            i + 1,
            r.2
        );
    }
    for pair in reports.windows(2) {
        assert!(
            pair[1].1 >= pair[0].1,
            "the count went down: {} / {}",
            pair[0].2,
            pair[1].2
        );
    }
    reports
}

/// Waits for the counter's end (`counter: done`).
pub fn wait_counter_done(m: &mut Machine, reports: u64) -> Result<(), HarnessError> {
    let done = m.expect("counter: done", BOOT_TIMEOUT)?;
    assert!(
        done.contains(&format!("counter: done, {reports} reports, ")),
        "{done}"
    );
    Ok(())
}
