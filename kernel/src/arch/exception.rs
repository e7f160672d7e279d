//! Reporting CPU exceptions.
//!
//! In ring 0 every exception is a kernel bug (DESIGN.md rule 4): the report
//! names the core, its APIC id, the KCB it ran (none yet in this issue),
//! the exception with its error code decoded, the faulting address for page
//! faults, every register and a frame-pointer backtrace with offsets into
//! the kernel image (resolve them with `addr2line -e <cpudriver ELF>`). Then
//! the core stops (see [`crate::fatal`]).

use core::fmt::Write;

use super::trap::TrapFrame;

/// Mnemonic and name of exception `vector`.
pub fn name(vector: u64) -> (&'static str, &'static str) {
    match vector {
        0 => ("#DE", "divide error"),
        1 => ("#DB", "debug"),
        2 => ("NMI", "non-maskable interrupt"),
        3 => ("#BP", "breakpoint"),
        4 => ("#OF", "overflow"),
        5 => ("#BR", "bound range exceeded"),
        6 => ("#UD", "invalid opcode"),
        7 => ("#NM", "device not available"),
        8 => ("#DF", "double fault"),
        10 => ("#TS", "invalid TSS"),
        11 => ("#NP", "segment not present"),
        12 => ("#SS", "stack-segment fault"),
        13 => ("#GP", "general protection fault"),
        14 => ("#PF", "page fault"),
        16 => ("#MF", "x87 floating-point error"),
        17 => ("#AC", "alignment check"),
        18 => ("#MC", "machine check"),
        19 => ("#XM", "SIMD floating-point exception"),
        20 => ("#VE", "virtualization exception"),
        21 => ("#CP", "control protection"),
        28 => ("#HV", "hypervisor injection"),
        29 => ("#VC", "VMM communication"),
        30 => ("#SX", "security exception"),
        _ => ("#??", "reserved exception"),
    }
}

/// Reports exception `frame.vector` and stops this core.
pub fn fatal(frame: &TrapFrame) -> ! {
    crate::fatal::begin_report();
    let mut out = crate::console::emergency();
    let (mnemonic, what) = name(frame.vector);
    let core = crate::identity::this_core();
    let _ = writeln!(
        out,
        "\n!!! FATAL: CPU exception on core {} (APIC {}), KCB none",
        core.core_id, core.apic_id
    );
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
    crate::fatal::stop_core("CPU exception")
}

/// A page-fault error code, decoded for reports.
pub struct PageFaultCode(pub u64);

impl core::fmt::Display for PageFaultCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let code = self.0;
        f.write_str(if code & 0x10 != 0 {
            "instruction fetch"
        } else if code & 2 != 0 {
            "write"
        } else {
            "read"
        })?;
        f.write_str(if code & 1 != 0 {
            ", protection violation"
        } else {
            ", page not present"
        })?;
        f.write_str(if code & 4 != 0 {
            ", user mode"
        } else {
            ", kernel mode"
        })?;
        if code & 8 != 0 {
            f.write_str(", reserved bit set")?;
        }
        Ok(())
    }
}
