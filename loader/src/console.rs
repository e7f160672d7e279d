//! The loader's consoles: the serial port (COM1), which it programs for
//! everyone after it (115200 baud, 8N1), and the screen when the firmware
//! set up a framebuffer.
//!
//! The screen's state ([`screen::Terminal`]) lives in the loader's own
//! memory, which stays reserved for the machine's life (the memory map
//! marks it `Loader`): the loader draws its lines there, then hands its
//! address to the first kernel, and every kernel goes on drawing on it
//! under the console lock.

use core::fmt::Write;

use cpu::serial::{COM1, Serial};
use screen::{Framebuffer, ScreenError, Surface, Terminal};
use spin::Mutex;

/// The screen's state, shared with every kernel after the loader.
static TERMINAL: Mutex<Terminal> = Mutex::new(Terminal::EMPTY);
/// The framebuffer, once the console draws on it.
static SCREEN: Mutex<Option<Pixels>> = Mutex::new(None);

/// The framebuffer's memory, identity-mapped by the entry stub.
struct Pixels {
    base: *mut u8,
}

// SAFETY: the loader runs on one core only; the pointer is only used under
// `SCREEN`'s lock.
unsafe impl Send for Pixels {}

impl Surface for Pixels {
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize) {
        let bytes = pixel.to_le_bytes();
        for (i, &byte) in bytes.iter().enumerate().take(len) {
            // SAFETY: `screen` only passes offsets inside the framebuffer
            // whose geometry it checked; `attach_screen` made sure that
            // lies below 4 GiB (identity-mapped) and outside RAM.
            unsafe { self.base.add(offset + i).write_volatile(byte) };
        }
    }
}

/// Programs the UART.
pub fn init() {
    // SAFETY: the loader is the only code running on the machine.
    let _ = unsafe { Serial::init(COM1) };
}

/// Starts drawing on `framebuffer` (checked by `bootinfo`: below 4 GiB,
/// outside RAM, a mode the console draws on).
pub fn attach_screen(framebuffer: Framebuffer) -> Result<(), ScreenError> {
    let mut pixels = Pixels {
        base: framebuffer.phys as usize as *mut u8,
    };
    TERMINAL.lock().init(framebuffer, &mut pixels)?;
    *SCREEN.lock() = Some(pixels);
    Ok(())
}

/// The physical address of the screen's state, or 0 without a screen.
pub fn screen_phys() -> u64 {
    if SCREEN.lock().is_none() {
        return 0;
    }
    let terminal = TERMINAL.lock();
    core::ptr::from_ref::<Terminal>(&terminal) as u64
}

/// Sends text to both consoles.
struct Both {
    serial: Serial,
}

impl Write for Both {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if b == b'\n' {
                self.serial.write_byte(b'\r');
            }
            self.serial.write_byte(b);
        }
        // `try_lock`: a panic while drawing still reaches the serial port.
        if let (Some(mut screen), Some(mut terminal)) = (SCREEN.try_lock(), TERMINAL.try_lock())
            && let Some(pixels) = screen.as_mut()
        {
            terminal.write(pixels, s.as_bytes());
        }
        Ok(())
    }
}

/// Writes formatted text.
pub fn write_fmt(args: core::fmt::Arguments<'_>) {
    // SAFETY: the loader is the only code running on the machine.
    let serial = unsafe { Serial::attach(COM1) };
    let _ = Both { serial }.write_fmt(args);
}

/// Prints a line.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
