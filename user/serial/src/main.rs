//! `serial`: the driver of the PC's first serial port (COM1, I/O ports
//! 0x3f8-0x3ff, ISA interrupt 4).
//!
//! Init gives it exactly what the device needs: an I/O capability for the
//! eight ports (task slot 32), the interrupt line (33) and a vector of this
//! OSNode (34). It routes the line to its own endpoint, so typed bytes
//! arrive as interrupt messages; it passes them to the program that asked
//! with `LISTEN` (the shell), and writes what programs send with `WRITE`.
//!
//! Output goes out a line at a time through the kernel's console
//! (IO_CONSOLE_WRITE, allowed by the I/O capability for COM1's ports), so
//! that it never interleaves with what the kernels of other cores print on
//! the same UART; a partial line (a prompt) goes out when nothing more
//! comes for 2 ms.

#![no_std]
#![no_main]

use corefish::abi::cspace::{CPtr, root};
use corefish::cap::{Cap, kind};
use corefish::proto::kernel::Interrupt;
use corefish::proto::serial::{Message, Text};
use corefish::{lmp, println};

corefish::entry!(main);

/// Task slot of the I/O capability for COM1.
pub const IO_SLOT: u32 = 32;
/// Task slot of the interrupt line.
pub const IRQ_SOURCE_SLOT: u32 = 33;
/// Task slot of the interrupt vector.
pub const IRQ_DEST_SLOT: u32 = 34;
/// Ring the interrupts arrive on.
const IRQ_RING: usize = 2;

const COM1: u16 = 0x3f8;
const DATA: u16 = COM1;
const INT_ENABLE: u16 = COM1 + 1;
const MODEM_CTRL: u16 = COM1 + 4;
const LINE_STATUS: u16 = COM1 + 5;
const DATA_READY: u64 = 1;
const THR_EMPTY: u64 = 1 << 5;

struct Uart(Cap<kind::Io>);

impl Uart {
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
    fn write(&self, bytes: &[u8]) {
        let args = [bytes.as_ptr() as u64, bytes.len() as u64, 0, 0];
        if corefish::sys::invoke(self.0.cptr(), corefish::abi::invoke::IO_CONSOLE_WRITE, args)
            .is_err()
        {
            for &byte in bytes {
                self.put(byte);
            }
        }
    }

    fn get(&self) -> Option<u8> {
        let ready = self.0.read(LINE_STATUS, 1).ok()? & DATA_READY != 0;
        if ready {
            self.0.read(DATA, 1).ok().map(|b| b as u8)
        } else {
            None
        }
    }
}

/// How long a partial line waits for the rest before it is written.
const LINE_PATIENCE_NS: u64 = 2_000_000;

/// Output collected into whole lines, written in one piece each.
struct Output {
    buf: [u8; 512],
    len: usize,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            buf: [0; 512],
            len: 0,
        }
    }
}

impl Output {
    /// Adds `bytes` (`\n` becomes `\r\n`), writing each line as it ends.
    fn push(&mut self, uart: &Uart, bytes: &[u8]) {
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

    fn flush(&mut self, uart: &Uart) {
        if self.len > 0 {
            uart.write(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

fn main() -> i32 {
    let uart = Uart(Cap::at(CPtr::new(root::TASK, IO_SLOT)));
    let source = Cap::<kind::IrqSrc>::at(CPtr::new(root::TASK, IRQ_SOURCE_SLOT));
    let dest = Cap::<kind::IrqDest>::at(CPtr::new(root::TASK, IRQ_DEST_SLOT));
    let routed = lmp::endpoint_to_self(IRQ_RING)
        .and_then(|ep| dest.connect(ep.cptr()))
        .and_then(|()| source.route(dest.cptr()));
    if let Err(e) = routed {
        println!("serial: cannot route the interrupt: {e}");
        return 1;
    }
    // Receive-data interrupts on; OUT2 gates the UART's interrupt line on PCs.
    if uart
        .0
        .write(INT_ENABLE, 1, 0x01)
        .and_then(|()| uart.0.write(MODEM_CTRL, 1, 0x0b))
        .is_err()
    {
        println!("serial: no access to COM1");
        return 1;
    }
    println!("serial: COM1 ready");
    let mut listener: Option<Cap<kind::EndPoint>> = None;
    let mut out = Output::default();
    loop {
        // A line in the making goes out when it ends, or when nothing more
        // comes for a moment (a prompt).
        let deadline = if out.len == 0 {
            0
        } else {
            corefish::sys::time_ns() + LINE_PATIENCE_NS
        };
        let Some((ring, message)) = lmp::recv_any(&[lmp::INBOX, IRQ_RING], deadline) else {
            out.flush(&uart);
            continue;
        };
        if ring == IRQ_RING && Interrupt::from_words(message.words).is_ok() {
            let mut typed = [0u8; 24];
            let mut n = 0;
            while let Some(byte) = uart.get() {
                typed[n] = byte;
                n += 1;
                if n == typed.len() {
                    forward(listener, &typed[..n]);
                    n = 0;
                }
            }
            if n > 0 {
                forward(listener, &typed[..n]);
            }
            continue;
        }
        match Message::from_words(message.words) {
            Ok(Message::Write(text)) => out.push(&uart, text.as_bytes()),
            Ok(Message::Listen) => {
                if let Some(old) = listener.take() {
                    let _ = old.delete();
                    corefish::slots::free(old.cptr());
                }
                listener = message.cap.map(Cap::at);
            }
            _ => {
                if let Some(cap) = message.cap {
                    let _ = Cap::<kind::Any>::at(cap).delete();
                    corefish::slots::free(cap);
                }
            }
        }
    }
}

/// Passes typed bytes to the listener, if there is one.
fn forward(listener: Option<Cap<kind::EndPoint>>, bytes: &[u8]) {
    if let Some(to) = listener {
        for text in Text::split(bytes) {
            let _ = lmp::send(to, Message::Input(text).to_words(), None);
        }
    }
}
