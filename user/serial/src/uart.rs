//! COM1 itself: its registers, and output collected into whole lines.

use corefish::cap::{Cap, kind};

const COM1: u16 = 0x3f8;
const DATA: u16 = COM1;
/// Interrupt enable register.
pub const INT_ENABLE: u16 = COM1 + 1;
/// Modem control register.
pub const MODEM_CTRL: u16 = COM1 + 4;
const LINE_STATUS: u16 = COM1 + 5;
const DATA_READY: u64 = 1;
const THR_EMPTY: u64 = 1 << 5;
/// What a port no device answers reads as.
const ABSENT: u64 = 0xff;

/// The UART, through the I/O capability for its eight ports.
pub struct Uart(pub Cap<kind::Io>);

impl Uart {
    /// Writes one byte, waiting for the transmitter.
    fn put(&self, byte: u8) {
        while self
            .0
            .read(LINE_STATUS, 1)
            .is_ok_and(|s| s & THR_EMPTY == 0)
        {}
        let _ = self.0.write(DATA, 1, u64::from(byte));
    }

    /// Writes through the kernel's console (IO_CONSOLE_WRITE), so that
    /// these bytes and the kernels' lines, from any core, never interleave.
    pub fn write(&self, bytes: &[u8]) {
        let args = [bytes.as_ptr() as u64, bytes.len() as u64, 0, 0];
        if corefish::sys::invoke(self.0.cptr(), corefish::abi::invoke::IO_CONSOLE_WRITE, args)
            .is_err()
        {
            for &byte in bytes {
                self.put(byte);
            }
        }
    }

    /// The next received byte, if one is there. A line status of all ones
    /// is no UART at all (nothing answers the port): nothing is read.
    pub fn get(&self) -> Option<u8> {
        let status = self.0.read(LINE_STATUS, 1).ok()?;
        let ready = status != ABSENT && status & DATA_READY != 0;
        if ready {
            self.0.read(DATA, 1).ok().map(|b| b as u8)
        } else {
            None
        }
    }
}

/// Output collected into whole lines, written in one piece each.
pub struct Output {
    buf: [u8; corefish::abi::syscall::MAX_PRINT as usize],
    /// Bytes collected.
    pub len: usize,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            buf: [0; corefish::abi::syscall::MAX_PRINT as usize],
            len: 0,
        }
    }
}

impl Output {
    /// Adds `bytes` (`\n` becomes `\r\n`), writing each line as it ends.
    pub fn push(&mut self, uart: &Uart, bytes: &[u8]) {
        for &b in bytes {
            if self.len + 2 > self.buf.len() {
                self.flush(uart);
            }
            if b == b'\n' {
                self.buf[self.len] = b'\r';
                self.len += 1;
            }
            self.buf[self.len] = b;
            self.len += 1;
            if b == b'\n' {
                self.flush(uart);
            }
        }
    }

    /// Writes what was collected.
    pub fn flush(&mut self, uart: &Uart) {
        if self.len > 0 {
            uart.write(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}
