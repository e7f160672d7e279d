//! Faults provoked on purpose, selected by the kernel command line
//! (`selftest=pagefault` or `selftest=invalid-opcode`), so tests can check
//! the fatal-exception path end to end.

use bootproto::cmdline::Cmdline;

/// An address the kernel never maps (lower half, which belongs to user
/// space and is empty in the kernel's own tables).
pub const UNMAPPED_ADDRESS: u64 = 0x0000_0000_dead_b000;

/// A fault to provoke.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Read from an unmapped address.
    PageFault(u64),
    /// Execute `ud2`.
    InvalidOpcode,
}

/// The fault the command line asks for, if any.
pub fn requested(cmdline: Cmdline<'_>) -> Option<Fault> {
    match cmdline.get("selftest")? {
        "pagefault" => Some(Fault::PageFault(UNMAPPED_ADDRESS)),
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
            Self::PageFault(address) => crate::arch::provoke_page_fault(address),
            Self::InvalidOpcode => crate::arch::provoke_invalid_opcode(),
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::PageFault(address) => write!(f, "a page fault at {address:#x}"),
            Self::InvalidOpcode => f.write_str("an invalid opcode"),
        }
    }
}
