//! QEMU's `isa-debug-exit` device: how a Corefish image ends the emulator
//! with a status the test harness can read.
//!
//! Corefish always starts QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.
//! Writing `code` to the port makes QEMU exit with status `(code << 1) | 1`;
//! on real hardware the port is unused and the write does nothing.

use crate::port::outl;

/// The I/O port of the device.
pub const PORT: u16 = 0xf4;

/// Why the machine is being switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// A requested orderly shutdown (QEMU status 33).
    Success = 0x10,
    /// A fatal error stopped the last running core (QEMU status 35).
    Failure = 0x11,
}

impl ExitCode {
    /// The exit status QEMU reports for this code.
    pub const fn qemu_status(self) -> i32 {
        ((self as i32) << 1) | 1
    }

    /// Decodes a QEMU exit status back into the code that caused it.
    pub fn from_qemu_status(status: i32) -> Option<Self> {
        [Self::Success, Self::Failure]
            .into_iter()
            .find(|c| c.qemu_status() == status)
    }
}

/// Asks QEMU to exit. Returns only when no such device is present (then the
/// caller decides how to stop).
pub fn exit_qemu(code: ExitCode) {
    // SAFETY: port 0xf4 belongs to isa-debug-exit under QEMU and is unused on
    // PC hardware; writing it has no other effect.
    unsafe { outl(PORT, code as u32) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        assert_eq!(ExitCode::Success.qemu_status(), 33);
        assert_eq!(ExitCode::Failure.qemu_status(), 35);
        for code in [ExitCode::Success, ExitCode::Failure] {
            assert_eq!(ExitCode::from_qemu_status(code.qemu_status()), Some(code));
        }
        assert_eq!(ExitCode::from_qemu_status(0), None);
        assert_eq!(ExitCode::from_qemu_status(1), None);
    }
}
