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

mod commands;
mod driver;
mod error;
mod image;
mod machine;
mod trampoline;

use alloc::format;
use alloc::string::String;

use corefish::abi::cspace::{CPtr, root};
use corefish::abi::invoke::MAP_WRITE;
use corefish::lmp::{self, Message};
use corefish::proto::corectrl::{COMMAND, CONNECT, READY, REPLY};
use corefish::vspace::{self, Mapping};
use corefish::{SysError, memserv, println};

use crate::driver::{Driver, Resources, boot_cores};

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
        driver.table.cores().len(),
        driver.mech.machine.version
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
    let (status, text) = commands::run(driver, &line);
    let bytes = page.bytes_mut();
    let n = text.len().min(bytes.len());
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    if let Err(e) = lmp::reply(request, [REPLY, status, n as u64, 0], None) {
        println!("corectrl: cannot answer: {e}");
    }
}
