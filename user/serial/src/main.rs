//! `serial`: the driver of the PC's first serial port (COM1, I/O ports
//! 0x3f8-0x3ff, ISA interrupt 4).
//!
//! Init gives it exactly what the device needs: an I/O capability for the
//! eight ports (task slot 32), the interrupt line (33) and a vector of this
//! OSNode (34). It routes the line to its own endpoint, so typed bytes
//! arrive as interrupt messages; it passes them to the program that asked
//! with `LISTEN` (the shell), and writes what programs send with `WRITE`.

#![no_std]
#![no_main]

use corefish::abi::cspace::{CPtr, root};
use corefish::abi::dispatcher::IRQ_MESSAGE;
use corefish::cap::{Cap, kind};
use corefish::proto::serial::{INPUT, LISTEN, WRITE, pack, unpack};
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

    fn write(&self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
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
    loop {
        let Some((ring, message)) = lmp::recv_any(&[lmp::INBOX, IRQ_RING], 0) else {
            continue;
        };
        if ring == IRQ_RING && message.words[0] == IRQ_MESSAGE {
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
        match message.words[0] & 0xffff {
            WRITE => {
                let mut bytes = [0u8; 24];
                let n = unpack(
                    &message.words[1..],
                    (message.words[0] >> 16) as usize,
                    &mut bytes,
                );
                uart.write(&bytes[..n]);
            }
            LISTEN => {
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
        let [a, b, c] = pack(bytes);
        let _ = lmp::send(to, [INPUT | ((bytes.len() as u64) << 16), a, b, c], None);
    }
}
