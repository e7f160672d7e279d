//! Reporting CPU exceptions.
//!
//! In ring 0 every exception is a kernel bug (docs/design.md, rule 4): the
//! report names the core, its APIC id, the exception with its error code
//! decoded, the faulting address for page
//! faults, every register and a frame-pointer backtrace with offsets into
//! the kernel image (resolve them with `addr2line -e <cpudriver ELF>`). Then
//! the core stops (see [`crate::fatal`]).

use core::fmt::Write;

use bootproto::params::FaultReport;

use super::objects::KernelMemory;

use super::frame::TrapFrame;
use super::vectors::{PageFaultCode, name};

/// Reports exception `frame.vector` and stops this core.
pub fn fatal(frame: &TrapFrame) -> ! {
    crate::fatal::begin_report();
    let mut out = crate::console::emergency();
    let (mnemonic, what) = name(frame.vector);
    let core = crate::identity::this_core();
    let _ = write!(
        out,
        "\n!!! FATAL: CPU exception on core {} (APIC {}), ",
        core.core_id, core.apic_id
    );
    let _ = match crate::node::current() {
        Some(kcb) => writeln!(out, "KCB at {kcb:#x}"),
        None => writeln!(out, "no KCB"),
    };
    let _ = write!(
        out,
        "!!! {mnemonic} {what} (vector {}), error code {:#x}",
        frame.vector, frame.error_code
    );
    if frame.vector == 14 {
        let _ = write!(out, " [{}]", PageFaultCode(frame.error_code));
    }
    let _ = writeln!(out);
    if frame.vector == 14 {
        let _ = writeln!(out, "!!! faulting address {:#018x}", cpu::regs::cr2());
    }
    let _ = writeln!(
        out,
        "!!! RIP {:#018x} (image +{:#x})  CS {:#x}  RFLAGS {:#x}  RSP {:#018x}  SS {:#x}",
        frame.rip,
        frame.rip.wrapping_sub(crate::identity::image_base()),
        frame.cs,
        frame.rflags,
        frame.rsp,
        frame.ss
    );
    let regs = [
        ("RAX", frame.rax),
        ("RBX", frame.rbx),
        ("RCX", frame.rcx),
        ("RDX", frame.rdx),
        ("RSI", frame.rsi),
        ("RDI", frame.rdi),
        ("RBP", frame.rbp),
        ("R8 ", frame.r8),
        ("R9 ", frame.r9),
        ("R10", frame.r10),
        ("R11", frame.r11),
        ("R12", frame.r12),
        ("R13", frame.r13),
        ("R14", frame.r14),
        ("R15", frame.r15),
        ("CR3", cpu::regs::cr3()),
    ];
    for row in regs.chunks(4) {
        let _ = write!(out, "!!!");
        for (name, value) in row {
            let _ = write!(out, " {name} {value:#018x}");
        }
        let _ = writeln!(out);
    }
    super::backtrace::write(&mut out, frame.rbp);
    drop(out);
    let fault = FaultReport {
        vector: frame.vector,
        error_code: frame.error_code,
        rip: frame.rip,
        address: if frame.vector == 14 {
            cpu::regs::cr2()
        } else {
            0
        },
        flags: 0,
    };
    stop("CPU exception", fault)
}

/// Stops this core on the starter's NMI (it found the kernel no longer
/// answering): reports where the kernel was, then stops as after a fault.
pub fn stopped_by_nmi(frame: &TrapFrame) -> ! {
    // A kernel that stopped (late), finished or faulted already has said
    // so: nothing to add, and its OSNodes stay as that left them.
    if super::params::has_ended() {
        cpu::instr::halt_forever();
    }
    crate::fatal::begin_report();
    let mut out = crate::console::emergency();
    let core = crate::identity::this_core();
    let _ = writeln!(
        out,
        "\n!!! core {} (APIC {}) stopped answering; stopped by its starter's NMI",
        core.core_id, core.apic_id
    );
    let _ = writeln!(
        out,
        "!!! it was at RIP {:#018x} (image +{:#x}), RFLAGS {:#x}",
        frame.rip,
        frame.rip.wrapping_sub(crate::identity::image_base()),
        frame.rflags
    );
    super::backtrace::write(&mut out, frame.rbp);
    drop(out);
    let fault = FaultReport {
        vector: frame.vector,
        rip: frame.rip,
        ..FaultReport::default()
    };
    stop("stopped answering", fault)
}

/// Stops this core after the fatal error `fault` (reported already):
/// [`crate::fatal::leave_and_stop`] with the fatal path's object-memory
/// handle.
pub fn stop(reason: &str, fault: FaultReport) -> ! {
    // SAFETY: this is the end of a fatal error on this core, which never
    // returns: whatever the error interrupted (and the handle it held, if
    // any) never runs again, so this is the one handle in use from here on.
    let mut mem = unsafe { KernelMemory::new() };
    crate::fatal::leave_and_stop(&mut mem, reason, fault)
}
