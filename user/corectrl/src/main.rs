//! `corectrl`: the boot driver (Barrelfish/DC's). It holds the Kernel and
//! IPI capabilities and starts cores: any core, at any time, with any CPU
//! driver image from the boot archive and a new or an existing KCB
//! ([`driver`]). At startup it runs the boot archive's `boot.cfg`; then it
//! answers commands (`bootcmd` syntax) that init forwards from the shell.
//!
//! Init gives it, in its task CNode: [`KERNEL`], [`IPI`], [`LOW_MEMORY`]
//! (the first MiB, for the trampoline), [`SYSTEM_PAGE`] and [`HUB`] (an
//! endpoint to the first OSNode's monitor), besides the usual memory
//! server endpoint and boot archive.

#![no_std]
#![no_main]

extern crate alloc;

mod driver;
mod error;
mod image;
mod list;
mod machine;
mod trampoline;

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use bootcmd::{Boot, Command, CoreSpec};
use corefish::abi::cspace::{CPtr, root};
use corefish::abi::invoke::MAP_WRITE;
use corefish::lmp::{self, Message};
use corefish::proto::corectrl::{COMMAND, CONNECT, READY, REPLY};
use corefish::vspace::{self, Mapping};
use corefish::{SysError, memserv, println};

use crate::driver::{CoreState, Driver, Resources};

corefish::entry!(main);

/// The Kernel capability.
pub const KERNEL: CPtr = CPtr::new(root::TASK, 32);
/// The IPI capability.
pub const IPI: CPtr = CPtr::new(root::TASK, 33);
/// Physical-address capability for the first MiB.
pub const LOW_MEMORY: CPtr = CPtr::new(root::TASK, 34);
/// The system page (OSNode table).
pub const SYSTEM_PAGE: CPtr = CPtr::new(root::TASK, 35);
/// An endpoint to the hub.
pub const HUB: CPtr = CPtr::new(root::TASK, 36);

fn main() -> i32 {
    let mut driver = match setup() {
        Ok(d) => d,
        Err(e) => {
            println!("corectrl: cannot start: {e}");
            return 1;
        }
    };
    println!(
        "corectrl: {} cores; the first runs `{}`",
        driver.cores.len(),
        driver.machine.version
    );
    startup(&mut driver);
    serve(&mut driver)
}

fn setup() -> Result<Driver, String> {
    let machine = machine::query(KERNEL).map_err(|e| format!("Kernel capability: {e}"))?;
    let vector = bootproto::starter::trampoline_vector(
        &machine.boot_map,
        trampoline::PAGE,
        trampoline::len(),
    )
    .map_err(|e| format!("{e}"))?;
    let tables = memserv::request_below(trampoline::TABLE_BYTES, image::LOW_LIMIT)
        .map_err(|e| format!("no memory for the trampoline's page tables: {e}"))?;
    let trampoline = trampoline::Trampoline::new(LOW_MEMORY, tables)
        .map_err(|e| format!("cannot set up the trampoline: {e}"))?;
    let system = vspace::map(SYSTEM_PAGE, 4096, MAP_WRITE)
        .map_err(|e| format!("cannot map the system page: {e}"))?;
    Ok(Driver::new(
        machine,
        Resources {
            kernel: KERNEL,
            ipi: IPI,
            hub: HUB,
            trampoline: (trampoline, vector),
            system,
        },
    ))
}

/// Runs the startup configuration.
fn startup(driver: &mut Driver) {
    let config = corefish::modules::get(bootcmd::CONFIG_MODULE)
        .map(|bytes| core::str::from_utf8(bytes).unwrap_or(""))
        .unwrap_or(bootcmd::DEFAULT_CONFIG);
    for (line, parsed) in bootcmd::config(config) {
        match parsed {
            Ok(boot) => {
                for result in boot_cores(driver, &boot).0.lines() {
                    println!("corectrl: {result}");
                }
            }
            Err(e) => println!("corectrl: {} line {line}: {e}", bootcmd::CONFIG_MODULE),
        }
    }
}

/// Runs a `boot` command: one line of text per core, and whether every
/// boot succeeded.
fn boot_cores(driver: &mut Driver, boot: &Boot<'_>) -> (String, bool) {
    let cores: alloc::vec::Vec<u32> = match boot.core {
        CoreSpec::One(core) => alloc::vec![core],
        CoreSpec::All => (0..driver.cores.len() as u32)
            .filter(|&c| driver.cores[c as usize].state == CoreState::Off)
            .collect(),
    };
    if cores.is_empty() {
        return (String::from("every core is running already\n"), true);
    }
    let mut text = String::new();
    let mut all_ok = true;
    for core in cores {
        match driver.boot(core, boot.kernel, boot.kcb) {
            Ok(b) => {
                let p = b.phases;

                let _ = writeln!(
                    text,
                    "core {} booted: {}, KCB {} ({}), in {} ms: load {}, start {}, kernel {}, monitor {} ms",
                    b.core,
                    b.kernel,
                    b.kcb,
                    if b.fresh { "new" } else { "resumed" },
                    ms(p.total_ns),
                    ms(p.load_ns),
                    ms(p.start_ns),
                    ms(p.kernel_ns),
                    ms(p.monitor_ns),
                );
            }
            Err(e) => {
                all_ok = false;
                let _ = writeln!(text, "boot {core}: {e}");
            }
        }
    }
    (text, all_ok)
}

/// Nanoseconds as milliseconds with three decimals.
fn ms(ns: u64) -> String {
    format!("{}.{:03}", ns / 1_000_000, ns / 1000 % 1000)
}

/// Answers commands.
fn serve(driver: &mut Driver) -> i32 {
    let mut page: Option<Mapping> = None;
    loop {
        let request = lmp::recv(lmp::INBOX);
        match request.words[0] {
            CONNECT => match request.cap.map(|frame| vspace::map(frame, 4096, MAP_WRITE)) {
                Some(Ok(mapping)) => page = Some(mapping),
                Some(Err(e)) => println!("corectrl: cannot map a client's page: {e}"),
                None => {}
            },
            COMMAND => answer(driver, &mut page, &request),
            READY => {
                let _ = lmp::reply(&request, [REPLY, 0, 0, 0], None);
            }
            other => {
                println!("corectrl: unknown request {other:#x}");
                if request.cap.is_some() {
                    let _ = lmp::reply(
                        &request,
                        [REPLY, SysError::InvalidOperation as u64, 0, 0],
                        None,
                    );
                }
            }
        }
    }
}

fn answer(driver: &mut Driver, page: &mut Option<Mapping>, request: &Message) {
    let Some(page) = page.as_mut() else {
        let _ = lmp::reply(
            request,
            [REPLY, SysError::DispatcherNotReady as u64, 0, 0],
            None,
        );
        return;
    };
    let len = (request.words[1] as usize).min(4096);
    let line = String::from_utf8_lossy(&page.bytes()[..len]).into_owned();
    let (status, text) = match bootcmd::parse(line.trim()) {
        Ok(Command::Boot(boot)) => {
            let (text, all_ok) = boot_cores(driver, &boot);
            (u64::from(!all_ok), text)
        }
        Ok(Command::Stop(core)) => match driver.stop(core) {
            Ok(s) => (
                0,
                format!(
                    "core {core} stopped: KCB {} kept, halted {} ms after the request (seen after {} ms), {} cores involved\n",
                    s.kcb,
                    ms(s.halted_ns),
                    ms(s.seen_ns),
                    s.cores_involved
                ),
            ),
            Err(e) => (1, format!("stop {core}: {e}\n")),
        },
        Ok(Command::Update(core, kernel)) => match driver.update(core, kernel) {
            Ok((s, b, downtime)) => (
                0,
                format!(
                    "core {core} updated to {}: KCB {} resumed; its programs paused {} ms (stop {}, boot {} ms)\n",
                    b.kernel,
                    s.kcb,
                    ms(downtime),
                    ms(s.halted_ns),
                    ms(b.phases.total_ns)
                ),
            ),
            Err(e) => (1, format!("update {core}: {e}\n")),
        },
        Ok(Command::Give(kcb, core)) => match driver.give(kcb, core) {
            Ok(b) => (
                0,
                format!(
                    "KCB {kcb} now runs on core {core} under {}, booted in {} ms\n",
                    b.kernel,
                    ms(b.phases.total_ns)
                ),
            ),
            Err(e) => (1, format!("give {kcb}: {e}\n")),
        },
        Ok(Command::Park(core, host)) => match driver.park(core, host) {
            Ok(p) => (
                0,
                format!(
                    "core {core} parked on core {host}: KCB {} runs there too (stop {} ms, attach {} ms)\n",
                    p.kcb,
                    ms(p.stop_ns),
                    ms(p.attach_ns)
                ),
            ),
            Err(e) => (1, format!("park {core}: {e}\n")),
        },
        Ok(Command::Unpark(kcb, core)) => match driver.unpark(kcb, core) {
            Ok(b) => (
                0,
                format!(
                    "KCB {kcb} unparked to core {core} under {}, booted in {} ms\n",
                    b.kernel,
                    ms(b.phases.total_ns)
                ),
            ),
            Err(e) => (1, format!("unpark {kcb}: {e}\n")),
        },
        Ok(Command::Rt(core, program, args)) => match driver.rt(core, program, args) {
            Ok(run) => (
                0,
                format!(
                    "rt {core}: {program} ended with code {} after {} ms under {}; OSNode {} (parked on core {} meanwhile) is back on core {core} under {}\n",
                    run.exit_code,
                    ms(run.run_ns),
                    run.kernel,
                    run.kcb,
                    run.host,
                    run.back.kernel
                ),
            ),
            Err(e) => (1, format!("rt {core}: {e}\n")),
        },
        Ok(Command::Move(core, to)) => match driver.move_osnode(core, to) {
            Ok(b) => (
                0,
                format!(
                    "OSNode {} moved from core {core} to core {to} under {}, in {} ms\n",
                    b.kcb,
                    b.kernel,
                    ms(b.phases.total_ns)
                ),
            ),
            Err(e) => (1, format!("move {core}: {e}\n")),
        },
        Ok(Command::List) => (0, list::list(driver)),
        Ok(Command::Help) => (0, String::from(bootcmd::HELP)),
        Err(e) => (1, format!("corectrl: {e}\n")),
    };
    let bytes = page.bytes_mut();
    let n = text.len().min(bytes.len());
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    if let Err(e) = lmp::reply(request, [REPLY, status, n as u64, 0], None) {
        println!("corectrl: cannot answer: {e}");
    }
}
