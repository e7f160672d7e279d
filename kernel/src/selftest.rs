//! Faults provoked on purpose, selected by the kernel command line
//! (`selftest=pagefault` or `selftest=invalid-opcode`), so tests can check
//! the fatal-exception path end to end.

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
