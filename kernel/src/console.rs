//! The kernel's serial console (COM1): the one output of the CPU driver.
//!
//! The first boot stage programs the UART; kernels only attach to it.
//! Writers take a spin lock local to this kernel instance, then the console
//! lock of the system page, which orders whole writes between the kernels
//! of different cores (the UART is one device for all of them).

use core::fmt::Write;

use cpu::serial::Serial;
use spin::Mutex;

static CONSOLE: Mutex<Serial> = Mutex::new(crate::arch::console_uart());

/// Writes formatted text.
pub fn write_fmt(args: core::fmt::Arguments<'_>) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    let _ = serial.write_fmt(args);
    crate::system::unlock_console();
}

/// Writes raw bytes (a program's output); non-ASCII bytes are shown as `?`.
pub fn write_bytes(bytes: &[u8]) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    for &b in bytes {
        match b {
            b'\n' => {
                serial.write_byte(b'\r');
                serial.write_byte(b'\n');
            }
            b'\t' | 0x20..=0x7e => serial.write_byte(b),
            _ => serial.write_byte(b'?'),
        }
    }
    crate::system::unlock_console();
}

/// Writes bytes exactly as given, for the user-level serial driver
/// (IO_CONSOLE_WRITE): its output and the kernels' lines never interleave.
pub fn write_exact(bytes: &[u8]) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    for &b in bytes {
        serial.write_byte(b);
    }
    crate::system::unlock_console();
}

/// A writer for fatal reports: the console if it is free, otherwise a
/// fresh handle to the same UART (the lock may be held by the code that
/// faulted, and this core is about to stop anyway).
pub fn emergency() -> impl Write {
    enum Emergency<'a> {
        Locked(spin::MutexGuard<'a, Serial>),
        Raw(Serial),
    }
    impl Write for Emergency<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            match self {
                Self::Locked(guard) => guard.write_str(s),
                Self::Raw(serial) => serial.write_str(s),
            }
        }
    }
    match CONSOLE.try_lock() {
        Some(guard) => Emergency::Locked(guard),
        // The holder of the lock is this core's own interrupted code, which
        // never runs again.
        None => Emergency::Raw(crate::arch::console_uart()),
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
