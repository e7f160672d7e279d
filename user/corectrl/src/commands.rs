//! One command line of the boot driver (`bootcmd` syntax): what it does
//! and the text it answers (a report line from `bootctl::report`, or why
//! it was refused).

use alloc::format;
use alloc::string::String;

use bootcmd::{Command, TraceAction};

use crate::driver::{Driver, boot_cores};
use crate::error::BootError;

/// Runs `line`; returns whether it succeeded, and the answer.
pub fn run(driver: &mut Driver, line: &str) -> (bool, String) {
    match bootcmd::parse(line.trim()) {
        Ok(Command::Boot(boot)) => {
            let (text, all_ok) = boot_cores(driver, &boot);
            (all_ok, text)
        }
        Ok(Command::Stop(core)) => answer(driver.stop(core).map(|h| h.report), || {
            format!("stop {core}")
        }),
        Ok(Command::Update(u)) => match driver.update(u.core, u.kernel, u.check_ms) {
            // The report names the update itself.
            Err(BootError::RolledBack(report)) => (false, format!("{report}\n")),
            other => answer(other, || format!("update {}", u.core)),
        },
        Ok(Command::Give(kcb, core)) => answer(driver.give(kcb, core), || format!("give {kcb}")),
        Ok(Command::Park(core, host)) => answer(driver.park(core, host), || format!("park {core}")),
        Ok(Command::Unpark(kcb, core)) => {
            answer(driver.unpark(kcb, core), || format!("unpark {kcb}"))
        }
        Ok(Command::Rt(rt)) => answer(driver.rt(&rt), || format!("rt {}", rt.core)),
        Ok(Command::Move(core, to)) => {
            answer(driver.move_osnode(core, to), || format!("move {core}"))
        }
        Ok(Command::Fault(f)) => match driver.fault(f.core, f.kind) {
            // The report names the core.
            Ok(report) => (true, format!("{report}\n")),
            Err(e) => (false, format!("fault {}: {e}\n", f.core)),
        },
        Ok(Command::Trace(core, action)) => {
            let done = match action {
                TraceAction::On => driver.trace_on(core),
                TraceAction::Off => driver.trace_off(core),
                TraceAction::Dump => driver.trace_dump(core),
            };
            match done {
                Ok(text) if text.ends_with('\n') => (true, text),
                Ok(text) => (true, format!("{text}\n")),
                // A rollback's report names the update itself.
                Err(BootError::RolledBack(report)) => (false, format!("{report}\n")),
                Err(e) => (false, format!("trace {core}: {e}\n")),
            }
        }
        Ok(Command::List) => (
            true,
            bootctl::list::list(&driver.table, |core| driver.liveness(core)),
        ),
        Ok(Command::Help) => (true, String::from(bootcmd::HELP)),
        Err(e) => (false, format!("corectrl: {e}\n")),
    }
}

/// A report line, or `what: why` for a refusal or failure.
fn answer<R: core::fmt::Display, E: core::fmt::Display>(
    result: Result<R, E>,
    what: impl FnOnce() -> String,
) -> (bool, String) {
    match result {
        Ok(report) => (true, format!("{report}\n")),
        Err(e) => (false, format!("{}: {e}\n", what())),
    }
}
