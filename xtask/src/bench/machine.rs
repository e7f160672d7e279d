//! A Corefish machine for a benchmark: its start-up (`fatal=exit`, the
//! options' accelerator, up to the shell's prompt), the boot archive that
//! boots no core by itself, and the commands a benchmark types, with the
//! boot driver's report lines read back (`bootctl::report`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use bootctl::report::{Booted, BootedAll, Parked, Stopped, Unparked, Updated};
use harness::{Images, Machine, QemuConfig};

use super::options::BenchOptions;

/// How long one step may take.
pub const STEP: Duration = Duration::from_secs(120);

/// The shell's prompt: the machine is ready.
const READY: &str = "Corefish shell; type `help`.";

/// Memory of every benchmark machine, Corefish's and the Linux peer's.
pub const MEM_MIB: u32 = 1024;

/// A `cores`-core machine with [`MEM_MIB`] backed by the host before it
/// starts (`-mem-prealloc`, as the Linux peer's), the options' accelerator
/// and `fatal=exit`, for a benchmark to adjust.
pub fn config(images: &Images, options: &BenchOptions, cores: u32) -> QemuConfig {
    let mut config = QemuConfig::new(images).append("fatal=exit");
    config.cores = cores;
    config.mem_mib = MEM_MIB;
    config.prealloc = true;
    config.accel = options.accel;
    options.guard(&mut config);
    config
}

/// Starts the machine `name` and waits up to `ready` for the shell.
pub fn start(config: &QemuConfig, name: &str, ready: Duration) -> Result<Machine> {
    let mut m = Machine::start(config, name)?;
    m.expect(READY, ready)?;
    Ok(m)
}

/// Starts a [`config`] machine (with `archive` for the boot archive, if
/// given) and waits for the shell.
pub fn machine(
    images: &Images,
    options: &BenchOptions,
    cores: u32,
    archive: Option<PathBuf>,
    name: &str,
) -> Result<Machine> {
    let mut config = config(images, options, cores);
    if let Some(path) = archive {
        config.archive = path;
    }
    start(&config, name, STEP)
}

/// An archive whose `boot.cfg` boots nothing: the benchmark boots cores.
pub fn quiet_archive(images: &Images) -> Result<PathBuf> {
    // `ArchiveError` is `no_std`: not a `std::error::Error`.
    let archive_error = |e| anyhow!("boot archive: {e}");
    let bytes = std::fs::read(images.archive()).context("boot archive")?;
    let archive = bootarchive::Archive::parse(&bytes).map_err(archive_error)?;
    let mut builder = bootarchive::ArchiveBuilder::new();
    for module in archive
        .modules()
        .filter(|m| m.name != bootcmd::CONFIG_MODULE)
    {
        builder
            .add(module.name, module.data)
            .map_err(archive_error)?;
    }
    builder
        .add(
            bootcmd::CONFIG_MODULE,
            b"# cargo xtask bench boots the cores itself\n",
        )
        .map_err(archive_error)?;
    let path = images.dir().join("bench.img");
    std::fs::write(&path, builder.build()).with_context(|| path.display().to_string())?;
    Ok(path)
}

/// Types `command` and returns the first line that contains `reply`.
pub fn command(m: &mut Machine, command: &str, reply: &str) -> Result<String> {
    m.send(&format!("{command}\r"))?;
    Ok(m.expect(reply, STEP)?)
}

/// How busy the rest of a [`pair_machine`] is: the report key's suffix
/// and the words for the report.
pub struct Load {
    /// `idle` or `loaded`.
    pub key: &'static str,
    /// `other cores idle` or `cores 0 and 3 busy`.
    pub words: &'static str,
}

/// A 4-core machine whose cores 1 and 2 are measured: named `names[0]`
/// with the other cores idle, or `names[1]` with a busy loop on cores 0
/// and 3 (`loaded`).
pub fn pair_machine(
    images: &Images,
    options: &BenchOptions,
    loaded: bool,
    names: [&str; 2],
) -> Result<(Machine, Load)> {
    let mut m = machine(images, options, 4, None, names[usize::from(loaded)])?;
    if !loaded {
        let load = Load {
            key: "idle",
            words: "other cores idle",
        };
        return Ok((m, load));
    }
    m.send("run busy 3600 &\r")?;
    command(&mut m, "run --core 3 busy 3600", "started busy on core 3")?;
    let load = Load {
        key: "loaded",
        words: "cores 0 and 3 busy",
    };
    Ok((m, load))
}

/// `corectrl boot CORE` (with `extra` arguments); the reply.
pub fn boot_line(m: &mut Machine, core: u32, extra: &str) -> Result<String> {
    command(
        m,
        &format!("corectrl boot {core}{extra}"),
        &format!("core {core} booted: "),
    )
}

/// `corectrl boot CORE`; its report.
pub fn boot(m: &mut Machine, core: u32) -> Result<Booted> {
    read(&boot_line(m, core, "")?, Booted::parse)
}

/// `corectrl boot all` (every core that is off, one after another); its
/// summary.
pub fn boot_all(m: &mut Machine) -> Result<BootedAll> {
    corectrl(m, "boot all", "boot all: ", BootedAll::parse)
}

/// `corectrl stop CORE`; its report.
pub fn stop(m: &mut Machine, core: u32) -> Result<Stopped> {
    let reply = format!("core {core} stopped: ");
    corectrl(m, &format!("stop {core}"), &reply, Stopped::parse)
}

/// `corectrl update CORE KERNEL`; its report.
pub fn update(m: &mut Machine, core: u32, kernel: &str) -> Result<Updated> {
    let reply = format!("core {core} updated to ");
    corectrl(
        m,
        &format!("update {core} {kernel}"),
        &reply,
        Updated::parse,
    )
}

/// `corectrl park CORE HOST`; its report.
pub fn park(m: &mut Machine, core: u32, host: u32) -> Result<Parked> {
    let reply = format!("core {core} parked on core {host}");
    corectrl(m, &format!("park {core} {host}"), &reply, Parked::parse)
}

/// `corectrl unpark KCB CORE`; its report.
pub fn unpark(m: &mut Machine, kcb: u32, core: u32) -> Result<Unparked> {
    let reply = format!("KCB {kcb} unparked to core {core}");
    corectrl(m, &format!("unpark {kcb} {core}"), &reply, Unparked::parse)
}

/// Types `corectrl ARGS` and reads the boot driver's report out of its
/// reply (the first line that contains `reply`).
fn corectrl<R>(
    m: &mut Machine,
    args: &str,
    reply: &str,
    parse: fn(&str) -> Option<R>,
) -> Result<R> {
    read(&command(m, &format!("corectrl {args}"), reply)?, parse)
}

/// The report of type `R` in `line` (a `bootctl::report` parser), or an
/// error that shows the line.
fn read<R>(line: &str, parse: fn(&str) -> Option<R>) -> Result<R> {
    parse(line).with_context(|| format!("cannot read the report `{line}`"))
}

/// Nanoseconds (as the boot driver's reports give them) as milliseconds.
pub fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}
