//! The PC's 16550-compatible UART (COM1 at port 0x3f8), polled.
//!
//! Output waits for the transmit-holding register to empty before each byte;
//! input is read only when the line-status register says a byte is ready.
//! Nothing here uses the UART's interrupt: Corefish's CPU drivers run with
//! interrupts off, and the serial *driver* (`user/serial`) lives in user
//! space.

use crate::port::{inb, outb};

/// The base I/O port of COM1.
pub const COM1: u16 = 0x3f8;

const DATA: u16 = 0; // receive buffer / transmit holding (DLAB=0), divisor low (DLAB=1)
const INT_ENABLE: u16 = 1; // interrupt enable (DLAB=0), divisor high (DLAB=1)
const FIFO_CTRL: u16 = 2;
const LINE_CTRL: u16 = 3;
const MODEM_CTRL: u16 = 4;
const LINE_STATUS: u16 = 5;

const LSR_DATA_READY: u8 = 1 << 0;
const LSR_THR_EMPTY: u8 = 1 << 5;
const LCR_DLAB: u8 = 1 << 7;
const LCR_8N1: u8 = 0b0000_0011;

/// The UART's clock divided by 16: divisor 1 gives 115200 baud.
const BASE_BAUD: u32 = 115_200;

/// The divisor latch value for `baud`, or `None` when the UART cannot
/// produce that rate exactly enough (zero, above the base rate, or a
/// divisor that does not fit 16 bits).
pub fn divisor_for(baud: u32) -> Option<u16> {
    if baud == 0 || baud > BASE_BAUD {
        return None;
    }
    u16::try_from(BASE_BAUD / baud).ok()
}

/// A polled 16550 UART.
#[derive(Debug)]
pub struct Serial {
    base: u16,
}

impl Serial {
    /// Takes the UART at `base` and programs it for 115200 baud, 8N1,
    /// FIFOs on, its interrupts off.
    ///
    /// # Safety
    /// The caller must own the UART at `base` (no one else programs it); other
    /// Corefish kernels may only *write bytes* to it concurrently.
    pub unsafe fn init(base: u16) -> Self {
        let divisor = divisor_for(BASE_BAUD).unwrap_or(1);
        // SAFETY: the caller owns the UART at `base`.
        unsafe {
            outb(base + INT_ENABLE, 0);
            outb(base + LINE_CTRL, LCR_DLAB);
            outb(base + DATA, divisor as u8);
            outb(base + INT_ENABLE, (divisor >> 8) as u8);
            outb(base + LINE_CTRL, LCR_8N1);
            outb(base + FIFO_CTRL, 0xc7); // enable, clear both FIFOs, 14-byte threshold
            outb(base + MODEM_CTRL, 0x03); // DTR, RTS
        }
        Self { base }
    }

    /// Uses the UART at `base` as already programmed (by an earlier boot
    /// stage or another kernel).
    ///
    /// # Safety
    /// As for [`Serial::init`].
    pub const unsafe fn attach(base: u16) -> Self {
        Self { base }
    }

    /// Sends one byte, waiting until the transmitter can take it.
    pub fn write_byte(&mut self, byte: u8) {
        // SAFETY: `self` owns the UART (constructor contract); reading the
        // line status and writing the data register have no other effect.
        unsafe {
            while inb(self.base + LINE_STATUS) & LSR_THR_EMPTY == 0 {
                core::hint::spin_loop();
            }
            outb(self.base + DATA, byte);
        }
    }

    /// Receives one byte if one is waiting.
    pub fn try_read_byte(&mut self) -> Option<u8> {
        // SAFETY: `self` owns the UART; reading the data register consumes
        // the byte, which is what the caller asked for.
        unsafe {
            if inb(self.base + LINE_STATUS) & LSR_DATA_READY != 0 {
                Some(inb(self.base + DATA))
            } else {
                None
            }
        }
    }
}

impl core::fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisors() {
        assert_eq!(divisor_for(115_200), Some(1));
        assert_eq!(divisor_for(9600), Some(12));
        assert_eq!(divisor_for(2), Some(57_600));
        assert_eq!(divisor_for(1), None); // 115200 does not fit 16 bits
        assert_eq!(divisor_for(0), None);
        assert_eq!(divisor_for(230_400), None);
    }
}
