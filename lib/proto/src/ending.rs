//! How a program ended, as its starter learns it and the console says it:
//! the kernel's [`ExitKind`] and code, read with the runtime's conventions
//! (a panic exits with [`PANIC_CODE`]; running out of memory with
//! [`out_of_memory_code`], which carries the size that could not be had).

use core::fmt;

use crate::kernel::ExitKind;

/// The exit code of a program that panicked.
pub const PANIC_CODE: u64 = 101;
/// The top 16 bits of the exit code of a program that ran out of memory
/// (the low 48 the bytes it asked for).
const OUT_OF_MEMORY_TAG: u64 = 0x00ee;
const SIZE_BITS: u32 = 48;

/// The exit code of a program whose request for `bytes` could not be met.
pub const fn out_of_memory_code(bytes: u64) -> u64 {
    let max = (1 << SIZE_BITS) - 1;
    let bytes = if bytes > max { max } else { bytes };
    (OUT_OF_MEMORY_TAG << SIZE_BITS) | bytes
}

/// A program's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// How it ended.
    pub kind: ExitKind,
    /// Its exit code or exception vector.
    pub code: u64,
}

impl Ending {
    /// The bytes it could not get, if it ran out of memory.
    pub fn out_of_memory(&self) -> Option<u64> {
        (self.kind == ExitKind::Exited && self.code >> SIZE_BITS == OUT_OF_MEMORY_TAG)
            .then_some(self.code & ((1 << SIZE_BITS) - 1))
    }
}

/// Bytes as people read them: `2.4 MB`, `512 KB`, `100 bytes`.
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b >= 1_000_000 {
            write!(f, "{}.{} MB", b / 1_000_000, b % 1_000_000 / 100_000)
        } else if b >= 1_000 {
            write!(f, "{} KB", b / 1_000)
        } else {
            write!(f, "{b} bytes")
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.out_of_memory() {
            return write!(f, "ran out of memory ({})", Size(bytes));
        }
        match self.kind {
            ExitKind::Exited if self.code == PANIC_CODE => f.write_str("panicked (exit code 101)"),
            ExitKind::Exited => write!(f, "exited with code {}", self.code),
            ExitKind::Faulted => write!(f, "was killed by exception {}", self.code),
        }
    }
}
