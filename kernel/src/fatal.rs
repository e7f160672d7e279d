//! Stopping this core after a fatal error (CPU exception in ring 0, panic,
//! unusable boot parameters).
//!
//! docs/design.md, rule 4: a fatal error stops *this core only*: it prints its
//! report and halts with interrupts off; other cores carry on. The kernel
//! command line's `fatal=exit` additionally switches the machine off with a
//! failure status through QEMU's `isa-debug-exit` device (exit status 35),
//! which is what automated tests want.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use bootproto::cmdline::Cmdline;
use cpu::debug_exit::{ExitCode, exit_qemu};

static EXIT_ON_FATAL: AtomicBool = AtomicBool::new(false);
static REPORTING: AtomicBool = AtomicBool::new(false);

/// Claims the right to report a fatal error. A second fatal error while
/// the first is being reported (a fault in the reporting code) gets a
/// one-line notice and stops the core at once instead of recursing.
pub fn begin_report() {
    if REPORTING.swap(true, Ordering::Relaxed) {
        let mut out = crate::console::emergency();
        let _ = writeln!(
            out,
            "\n!!! nested fatal error while reporting; core stopped"
        );
        drop(out);
        finish();
    }
}

/// Reads `fatal=halt|exit` from the command line (default `halt`).
pub fn configure(cmdline: Cmdline<'_>) {
    match cmdline.get("fatal") {
        None | Some("halt") => EXIT_ON_FATAL.store(false, Ordering::Relaxed),
        Some("exit") => EXIT_ON_FATAL.store(true, Ordering::Relaxed),
        Some(other) => log::warn!("fatal={other} not understood (halt|exit); keeping halt"),
    }
}

/// Stops this core for good after a fatal error has been reported.
pub fn stop_core(reason: &str) -> ! {
    let core = crate::identity::this_core();
    let mut out = crate::console::emergency();
    let _ = writeln!(out, "!!! core {} halted ({reason})", core.core_id);
    drop(out);
    finish()
}

/// Applies the `fatal=` policy: switch the machine off, or halt the core.
fn finish() -> ! {
    if EXIT_ON_FATAL.load(Ordering::Relaxed) {
        let mut out = crate::console::emergency();
        let _ = writeln!(
            out,
            "!!! fatal=exit: switching the machine off (status {})",
            ExitCode::Failure.qemu_status()
        );
        drop(out);
        exit_qemu(ExitCode::Failure);
    }
    cpu::instr::halt_forever()
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
    stop_core("panic")
}
