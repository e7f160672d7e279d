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
mod pool;
mod text;
mod trampoline;

use alloc::format;
use alloc::string::String;

use corefish::abi::cspace::{CPtr, root};
use corefish::abi::invoke::MAP_WRITE;
use corefish::commands::Pieces;
use corefish::lmp::{self, Message};
use corefish::proto::procmgr::{Reply, Request};
use corefish::proto::refusal;
use corefish::vspace::{self, Mapping};
use corefish::{SysError, memserv, println, sys};

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
    let mut pending = Pieces::default();
    loop {
        let request = next_request(driver);
        match Request::from_words(request.words) {
            Ok(Request::Connect) => {
                match request.cap.map(|frame| vspace::map(frame, 4096, MAP_WRITE)) {
                    Some(Ok(mapping)) => page = Some(mapping),
                    Some(Err(e)) => println!("corectrl: cannot map a client's page: {e}"),
                    None => {}
                }
            }
            Ok(Request::Command { len }) => {
                if let Some(page) = page.as_mut() {
                    let line = command_line(page, len);
                    let (ok, text) = commands::run(driver, &line);
                    pending = Pieces::new(text.as_bytes(), !ok, 0);
                }
                answer(&mut page, &mut pending, &request);
            }
            Ok(Request::More) => answer(&mut page, &mut pending, &request),
            Ok(Request::Ready) => {
                let _ = lmp::reply(&request, Reply::Ready(Ok(())).to_words(), None);
            }
            Err(e) => {
                println!("corectrl: {e}");
                if request.cap.is_some() {
                    let refusal = refusal(request.words[0], SysError::InvalidOperation);
                    let _ = lmp::reply(&request, refusal, None);
                }
            }
        }
    }
}

/// The next request; meanwhile the watchdog looks at the kernels whenever
/// a notification wakes this (a kernel's fault report rings the doorbell)
/// and at least every [`driver::WATCH_PERIOD_NS`], and its reports go to
/// the console.
fn next_request(driver: &mut Driver) -> Message {
    let _ = lmp::arm(lmp::INBOX);
    loop {
        if let Some(message) = lmp::try_recv(lmp::INBOX) {
            return message;
        }
        for report in driver.watch() {
            println!("corectrl: {report}");
        }
        sys::wait_rings(
            sys::time_ns() + driver::WATCH_PERIOD_NS,
            1 << lmp::INBOX | corefish::abi::dispatcher::NOTIFY_BIT,
        );
    }
}

/// The command line of `len` bytes in the client's page.
fn command_line(page: &Mapping, len: u64) -> String {
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(4096);
    String::from_utf8_lossy(&page.bytes()[..len]).into_owned()
}

/// Answers with the next piece of the pending answer, in the page.
fn answer(page: &mut Option<Mapping>, pending: &mut Pieces, request: &Message) {
    let Some(page) = page.as_mut() else {
        let refused = Reply::Command(Err(SysError::DispatcherNotReady));
        let _ = lmp::reply(request, refused.to_words(), None);
        return;
    };
    let answer = pending.next(page.bytes_mut());
    if let Err(e) = lmp::reply(request, Reply::Command(Ok(answer)).to_words(), None) {
        println!("corectrl: cannot answer: {e}");
    }
}
