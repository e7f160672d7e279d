//! The kernel's console: the serial port (COM1), mirrored on the screen
//! when the machine has one ([`crate::screen`]).
//!
//! The first boot stage programs the UART; kernels only attach to it.
//! Everything written to the UART also goes to the screen, in the same
//! order ([`crate::screen`], under its own lock, which is never taken from
//! a holder: a drawing cut short would leave two kernels in one console
//! state; when it cannot be had, the screen misses that text).
//! Writers take a spin lock local to this kernel instance, then the console
//! lock of the system page, which orders whole writes between the kernels
//! of different cores (the UART is one device for all of them).
//!
//! The kernel's own report lines (log records at `info` and below, each
//! stamped with the time it was made) are *deferred*: they go into this
//! kernel's pending buffer and reach the UART when the core next idles, at
//! its next timer interrupt (at most a time slice later while a program
//! runs), before it stops, or before anything that is written at once
//! (warnings, errors, programs' output, the serial driver's, fatal
//! reports), so this core's output keeps its order. A full buffer is
//! written out first. Every byte sent to the UART is a trip into the
//! emulator, which under host load took a boot's three report lines up to
//! 3 ms: off the paths someone waits for (a core's start, a resumed OSNode,
//! a park), they cost that core's idle time instead. Lines of different
//! cores may therefore appear out of the order of their stamps. A real-time
//! kernel writes everything at once (it has no time slices, and its own
//! idle time is what it measures).

use core::fmt::Write;

use arrayvec::ArrayVec;
use cpu::serial::Serial;
use spin::Mutex;

static CONSOLE: Mutex<Serial> = Mutex::new(crate::arch::console_uart());

/// Bytes of deferred output a kernel holds: a boot's lines several times.
const PENDING_BYTES: usize = 2048;

/// Deferred output, oldest first (lock order: `CONSOLE`, the system
/// page's console lock, then this).
static PENDING: Mutex<ArrayVec<u8, PENDING_BYTES>> = Mutex::new(ArrayVec::new_const());

/// Writes formatted text now (after what is pending).
pub fn write_fmt(args: core::fmt::Arguments<'_>) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    drain(&mut serial);
    let _ = Both(&mut serial).write_fmt(args);
    crate::system::unlock_console();
}

/// Text to the UART and the screen (the caller holds both console locks).
struct Both<'a>(&'a mut Serial);

impl Write for Both<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write_str(s)?;
        crate::screen::show(s.as_bytes());
        Ok(())
    }
}

/// Queues formatted text for the next [`flush`]; written at once by a
/// real-time kernel, or if it does not fit even after a flush.
pub fn defer_fmt(args: core::fmt::Arguments<'_>) {
    if !cfg!(feature = "rt") {
        for _ in 0..2 {
            let mut pending = PENDING.lock();
            let mark = pending.len();
            if Appender(&mut pending).write_fmt(args).is_ok() {
                return;
            }
            pending.truncate(mark);
            drop(pending);
            flush();
        }
    }
    write_fmt(args);
}

/// Writes what is pending, if anything.
pub fn flush() {
    if PENDING.lock().is_empty() {
        return;
    }
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    drain(&mut serial);
    crate::system::unlock_console();
}

/// Sends the pending bytes to the UART and the screen (the caller holds
/// both console locks).
fn drain(serial: &mut Serial) {
    let mut pending = PENDING.lock();
    for &b in pending.iter() {
        serial.write_byte(b);
    }
    crate::screen::show(&pending);
    pending.clear();
}

/// Appends to the pending buffer; fails (leaving a partial line for the
/// caller to cut off) when it is full. Line ends become CR LF, as the
/// UART's other writers send them.
struct Appender<'a>(&'a mut ArrayVec<u8, PENDING_BYTES>);

impl Write for Appender<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if b == b'\n' {
                self.0.try_push(b'\r').map_err(|_| core::fmt::Error)?;
            }
            self.0.try_push(b).map_err(|_| core::fmt::Error)?;
        }
        Ok(())
    }
}

/// Writes raw bytes (a program's output); non-ASCII bytes are shown as `?`.
pub fn write_bytes(bytes: &[u8]) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    drain(&mut serial);
    for chunk in bytes.chunks(64) {
        let mut shown = ArrayVec::<u8, 128>::new();
        for &b in chunk {
            match b {
                b'\n' => shown.extend([b'\r', b'\n']),
                b'\t' | 0x20..=0x7e => shown.push(b),
                _ => shown.push(b'?'),
            }
        }
        for &b in &shown {
            serial.write_byte(b);
        }
        crate::screen::show(&shown);
    }
    crate::system::unlock_console();
}

/// Writes bytes exactly as given, for the user-level serial driver
/// (IO_CONSOLE_WRITE): its output and the kernels' lines never interleave.
pub fn write_exact(bytes: &[u8]) {
    let mut serial = CONSOLE.lock();
    crate::system::lock_console();
    drain(&mut serial);
    for &b in bytes {
        serial.write_byte(b);
    }
    crate::screen::show(bytes);
    crate::system::unlock_console();
}

/// A writer for fatal reports (to the screen too, if its lock can be
/// had): the console if it is free, otherwise a fresh handle to the same
/// UART (the lock may be held by the code that
/// faulted, and this core is about to stop anyway). What is pending goes
/// first, if its buffer is free. It holds the system page's console lock
/// until dropped, as every other writer does, so a report never cuts into
/// a line another core is writing (nor they into it).
pub fn emergency() -> impl Write {
    enum Emergency<'a> {
        Locked(spin::MutexGuard<'a, Serial>),
        Raw(Serial),
    }
    impl Drop for Emergency<'_> {
        fn drop(&mut self) {
            crate::system::release_console_lock();
        }
    }
    impl Write for Emergency<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            match self {
                Self::Locked(guard) => guard.write_str(s)?,
                Self::Raw(serial) => serial.write_str(s)?,
            }
            // Unless this core was drawing when it failed (then the screen
            // lock is its own, and the screen misses the report).
            crate::screen::show(s.as_bytes());
            Ok(())
        }
    }
    let mut out = match CONSOLE.try_lock() {
        Some(guard) => Emergency::Locked(guard),
        // The holder of the lock is this core's own interrupted code, which
        // never runs again.
        None => Emergency::Raw(crate::arch::console_uart()),
    };
    crate::system::lock_console();
    if let Some(mut pending) = PENDING.try_lock() {
        for &b in pending.iter() {
            let serial = match &mut out {
                Emergency::Locked(guard) => &mut **guard,
                Emergency::Raw(serial) => serial,
            };
            serial.write_byte(b);
        }
        crate::screen::show(&pending);
        pending.clear();
    }
    out
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
