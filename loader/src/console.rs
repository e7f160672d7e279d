//! The loader's serial output (COM1), which it programs for everyone after
//! it (115200 baud, 8N1).

use core::fmt::Write;

use cpu::serial::{COM1, Serial};

/// Programs the UART.
pub fn init() {
    // SAFETY: the loader is the only code running on the machine.
    let _ = unsafe { Serial::init(COM1) };
}

/// Writes formatted text.
pub fn write_fmt(args: core::fmt::Arguments<'_>) {
    // SAFETY: the loader is the only code running on the machine.
    let mut serial = unsafe { Serial::attach(COM1) };
    let _ = serial.write_fmt(args);
}

/// Prints a line.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
