//! Text output: `print!`/`println!` collect a line and write it to the
//! kernel console with one system call, so lines of different programs do
//! not interleave within a line.

use core::fmt::Write;

/// A line buffer that flushes on newline or when full.
struct LineWriter {
    buf: [u8; 256],
    len: usize,
}

impl LineWriter {
    fn flush(&mut self) {
        let _ = crate::sys::debug_print(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl Write for LineWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
            if b == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

/// Writes formatted text (used by the macros).
pub fn write_fmt(args: core::fmt::Arguments<'_>) {
    let mut w = LineWriter {
        buf: [0; 256],
        len: 0,
    };
    let _ = w.write_fmt(args);
    if w.len > 0 {
        w.flush();
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
