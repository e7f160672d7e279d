//! Stopping this core after a fatal error (CPU exception in ring 0, panic,
//! unusable boot parameters).
//!
//! docs/design.md, rule 4: a fatal error stops *this core only*: it prints its
//! report, leaves its OSNodes stopped and intact where the error allows
//! (`dispatch::recover`), tells its starter in the boot-parameter page
//! (`ACK_FAULTED`, with what struck), and halts with interrupts off; other
//! cores carry on, and the boot driver resumes the OSNodes under another
//! kernel. A kernel whose parameters name a fallback kernel goes back to it
//! instead of halting. The kernel command line's `fatal=exit` additionally
//! switches the machine off with a failure status through QEMU's
//! `isa-debug-exit` device (exit status 35), which is what automated tests
//! want.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use bootproto::cmdline::Cmdline;
use bootproto::params::{FAULT_FATAL, FAULT_OSNODES_INTACT, FAULT_PANIC, FaultReport};
use cpu::debug_exit::{ExitCode, exit_qemu};

use crate::arch::objects::KernelMemory;
use crate::dispatch::recover;

static EXIT_ON_FATAL: AtomicBool = AtomicBool::new(false);
static REPORTING: AtomicBool = AtomicBool::new(false);
static NESTED: AtomicBool = AtomicBool::new(false);

/// Claims the right to report a fatal error. A second fatal error while
/// the first is being reported (a fault in the reporting code) gets a
/// one-line notice, straight to the UART under no lock (it may cut into
/// another core's line), lets the console locks go and applies `fatal=`,
/// instead of recursing.
pub fn begin_report() {
    if REPORTING.swap(true, Ordering::Relaxed) {
        if !NESTED.swap(true, Ordering::Relaxed) {
            // Straight to the UART, under no lock: the first report may
            // have faulted taking one. Then the locks it may hold go (the
            // system page's words: a fault there too halts at once).
            let mut uart = crate::arch::console_uart();
            let _ = writeln!(
                uart,
                "\n!!! nested fatal error while reporting; core stopped"
            );
            crate::system::release_console();
            if EXIT_ON_FATAL.load(Ordering::Relaxed) {
                say_switching_off(&mut uart);
                exit_qemu(ExitCode::Failure);
            }
        }
        cpu::instr::halt_forever()
    }
}

/// Whether a fatal error is being reported on this core (an NMI then
/// leaves the end to it).
pub fn reporting() -> bool {
    REPORTING.load(Ordering::Relaxed)
}

/// Reads `fatal=halt|exit` from the command line (default `halt`).
pub fn configure(cmdline: Cmdline<'_>) {
    match cmdline.get("fatal") {
        None | Some("halt") => EXIT_ON_FATAL.store(false, Ordering::Relaxed),
        Some("exit") => EXIT_ON_FATAL.store(true, Ordering::Relaxed),
        Some(other) => log::warn!("fatal={other} not understood (halt|exit); keeping halt"),
    }
}

/// Stops this core for good after a fatal error (no CPU exception) has
/// been reported.
pub fn stop_core(reason: &str) -> ! {
    let fault = FaultReport {
        vector: FAULT_FATAL,
        ..FaultReport::default()
    };
    crate::arch::exception::stop(reason, fault)
}

/// The end of every fatal error, with the handle of the fatal path (the
/// arch layer's): the OSNodes left as [`recover::leave`] can, the starter
/// told, then the fallback kernel or the `fatal=` policy.
pub fn leave_and_stop(mem: &mut KernelMemory, reason: &str, mut fault: FaultReport) -> ! {
    let core = crate::identity::this_core().core_id;
    let intact = recover::leave(mem);
    if intact {
        fault.flags |= FAULT_OSNODES_INTACT;
    }
    let back = if intact { recover::fallback(mem) } else { None };
    let mut out = crate::console::emergency();
    let left = if intact {
        "its OSNodes are left stopped and intact"
    } else {
        "its OSNodes are left as the fault found them"
    };
    let _ = writeln!(out, "!!! core {core} halted ({reason}); {left}");
    match &back {
        Some(Ok(_)) => {
            let _ = writeln!(
                out,
                "!!! core {core} goes back to the kernel it was updated from"
            );
        }
        Some(Err(e)) => {
            let _ = writeln!(
                out,
                "!!! core {core}: the fallback kernel is unusable ({e})"
            );
        }
        None => {}
    }
    let exit = EXIT_ON_FATAL.load(Ordering::Relaxed);
    if exit {
        say_switching_off(&mut out);
    }
    drop(out);
    // Before the acknowledgement: the starter may INIT this core as soon
    // as it sees it.
    crate::system::release_console();
    crate::arch::params::ack_faulted(fault);
    if let Some(Ok(next)) = back
        && !exit
    {
        // A kernel that fails before it claimed its start claims it now,
        // against a rescue watch over this core: if the watch fired, the
        // fallback is on its way through the trampoline already.
        let params = crate::arch::params::ParamsPage::this_kernels().map(|p| p.read().params_phys);
        if params.is_none_or(crate::watch::claim_start) {
            crate::dispatch::fall_back(next)
        }
    }
    // The `fatal=` policy, said above: switch the machine off, or halt.
    if exit {
        exit_qemu(ExitCode::Failure);
    }
    cpu::instr::halt_forever()
}

/// Says through `out` that `fatal=exit` switches the machine off.
fn say_switching_off(out: &mut impl Write) {
    let _ = writeln!(
        out,
        "!!! fatal=exit: switching the machine off (status {})",
        ExitCode::Failure.qemu_status()
    );
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    begin_report();
    let core = crate::identity::this_core();
    let mut out = crate::console::emergency();
    let _ = writeln!(
        out,
        "\n!!! FATAL: kernel panic on core {} (APIC {}): {info}",
        core.core_id, core.apic_id
    );
    crate::arch::backtrace::write_here(&mut out);
    drop(out);
    let fault = FaultReport {
        vector: FAULT_PANIC,
        ..FaultReport::default()
    };
    crate::arch::exception::stop("panic", fault)
}
