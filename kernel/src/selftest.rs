//! Faults provoked on purpose, so tests can check the fatal-exception path
//! and the recovery from it end to end: selected by the kernel command line
//! (`selftest=pagefault` or `selftest=invalid-opcode`), or built into the
//! deliberately bad kernels the boot archive carries for the update tests:
//! `cpudriver-faulty` (feature `faulty`) takes a page fault in ring 0 at
//! the first interrupt once it runs an OSNode; `cpudriver-hang` (feature
//! `hang`) stops with interrupts off before it touches its KCB, so it never
//! acknowledges; or asked for by the boot driver (IPI_FAULT, `corectrl
//! fault`): a page fault in ring 0 as the request's interrupt is handled, or
//! a halt there with interrupts off (the kernel stops answering).

use bootproto::cmdline::Cmdline;

/// A fault to provoke.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Read from an unmapped address.
    PageFault,
    /// Execute `ud2`.
    InvalidOpcode,
}

/// The fault the command line asks for, if any.
pub fn requested(cmdline: Cmdline<'_>) -> Option<Fault> {
    match cmdline.get("selftest")? {
        "pagefault" => Some(Fault::PageFault),
        "invalid-opcode" => Some(Fault::InvalidOpcode),
        other => {
            log::warn!("selftest={other} unknown (pagefault|invalid-opcode); ignored");
            None
        }
    }
}

impl Fault {
    /// Provokes it (never returns: the fault stops the core).
    pub fn provoke(self) {
        match self {
            Self::PageFault => crate::arch::provoke_page_fault(),
            Self::InvalidOpcode => crate::arch::provoke_invalid_opcode(),
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::PageFault => write!(f, "a page fault at {:#x}", crate::arch::UNMAPPED_ADDRESS),
            Self::InvalidOpcode => f.write_str("an invalid opcode"),
        }
    }
}

/// Called first thing by every interrupt's handler: every kernel faults
/// here on a fault request (IPI_FAULT), and the `faulty` kernel at its
/// first interrupt once it runs an OSNode (before the handler changes
/// anything, so the OSNodes are left intact).
pub fn on_interrupt(vector: u64) {
    if vector == crate::arch::vectors::FAULT_REQUEST {
        log::warn!("a page fault on purpose, as the boot driver asked (IPI_FAULT)");
        Fault::PageFault.provoke();
    }
    if vector == crate::arch::vectors::HANG_REQUEST {
        log::warn!("no longer answering on purpose, as the boot driver asked (IPI_FAULT)");
        crate::console::flush();
        cpu::instr::halt_forever();
    }
    if cfg!(feature = "faulty") && crate::node::current().is_some() {
        log::warn!("cpudriver-faulty: a page fault on purpose at interrupt {vector:#x}");
        Fault::PageFault.provoke();
    }
}

/// Called before the kernel takes its KCB: the `hang` kernel stops here
/// for good, with interrupts off, and never acknowledges.
pub fn before_osnode() {
    if cfg!(feature = "hang") {
        log::warn!("cpudriver-hang: hanging on purpose before running the OSNode");
        crate::console::flush();
        cpu::instr::halt_forever()
    }
}

/// Called by every interrupt's handler once it counts as changing objects
/// (`dispatch::recover`): a fault requested for there (IPI_FAULT, a1 = 2)
/// strikes, and the OSNodes are left as the fault found them.
pub fn after_change(vector: u64) {
    if vector == crate::arch::vectors::FAULT_CHANGING_REQUEST {
        log::warn!(
            "a page fault on purpose where objects may be half changed, as the boot driver asked"
        );
        Fault::PageFault.provoke();
    }
}
