//! `serial`: the driver of the console: the PC's first serial port (COM1,
//! I/O ports 0x3f8-0x3ff, ISA interrupt 4) and, for input, the keyboard
//! where the machine has a keyboard controller ([`keyboard`]).
//!
//! Init gives it exactly what the devices need: an I/O capability for the
//! eight ports (task slot 32), the interrupt line (33) and a vector of this
//! OSNode (34); and for the keyboard one I/O capability each for ports 0x60
//! and 0x64 (35, 36), its interrupt line (37) and a vector (38). It routes
//! the lines to its own endpoint, so typed bytes arrive as interrupt
//! messages; it passes them to the program that asked with `LISTEN`
//! ([`input`]), and writes what programs send with `WRITE`.
//! Only the shell may listen: its endpoint to this driver is badged as the
//! shell's (`proto::badge`); anyone else's LISTEN is refused.
//!
//! Output goes out a line at a time through the kernel's console
//! (IO_CONSOLE_WRITE, allowed by the I/O capability for COM1's ports), so
//! that it never interleaves with what the kernels of other cores print on
//! the same UART; a partial line (a prompt) goes out when nothing more
//! comes for 2 ms.

#![no_std]
#![no_main]

extern crate alloc;

mod input;
mod keyboard;
mod uart;

use corefish::abi::cspace::{CPtr, root};
use corefish::cap::{Cap, kind};
use corefish::lmp::Message as Lmp;
use corefish::proto::badge::Badge;
use corefish::proto::kernel::Interrupt;
use corefish::proto::serial::Message;
use corefish::{SysError, lmp, println};

use crate::input::Input;
use crate::keyboard::Ps2;
use crate::uart::{INT_ENABLE, MODEM_CTRL, Output, Uart};

corefish::entry!(main);

/// Task slot of the I/O capability for COM1.
pub const IO_SLOT: u32 = 32;
/// Task slot of the interrupt line.
pub const IRQ_SOURCE_SLOT: u32 = 33;
/// Task slot of the interrupt vector.
pub const IRQ_DEST_SLOT: u32 = 34;
/// Task slot of the I/O capability for the keyboard controller's data port.
pub const KEYBOARD_DATA_SLOT: u32 = 35;
/// Task slot of the I/O capability for its status and command port.
pub const KEYBOARD_STATUS_SLOT: u32 = 36;
/// Task slot of the keyboard's interrupt line.
pub const KEYBOARD_SOURCE_SLOT: u32 = 37;
/// Task slot of the keyboard's interrupt vector.
pub const KEYBOARD_DEST_SLOT: u32 = 38;
/// Ring the interrupts arrive on.
const IRQ_RING: usize = 2;
/// How long a partial line waits for the rest before it is written, and
/// input that the listener could not take waits before it is offered again.
const PATIENCE_NS: u64 = 2_000_000;

fn main() -> i32 {
    let uart = Uart(Cap::at(CPtr::new(root::TASK, IO_SLOT)));
    let source = Cap::<kind::IrqSrc>::at(CPtr::new(root::TASK, IRQ_SOURCE_SLOT));
    let dest = Cap::<kind::IrqDest>::at(CPtr::new(root::TASK, IRQ_DEST_SLOT));
    let ring = match lmp::endpoint_to_self(IRQ_RING) {
        Ok(ring) => ring,
        Err(e) => {
            println!("serial: cannot route the interrupt: {e}");
            return 1;
        }
    };
    if let Err(e) = dest
        .connect(ring.cptr())
        .and_then(|()| source.route(dest.cptr()))
    {
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
    let mut keyboard = keyboard(ring.cptr());
    println!(
        "serial: COM1 ready{}",
        if keyboard.is_some() {
            "; keyboard ready"
        } else {
            ""
        }
    );
    let mut listener: Option<Cap<kind::EndPoint>> = None;
    let mut out = Output::default();
    let mut input = Input::default();
    loop {
        // A line in the making goes out when it ends, or when nothing more
        // comes for a moment (a prompt); input the listener could not take
        // is offered again a moment later.
        let deadline = if out.len == 0 && !input.waiting() {
            0
        } else {
            corefish::sys::time_ns() + PATIENCE_NS
        };
        match lmp::recv_any(&[lmp::INBOX, IRQ_RING], deadline) {
            None => out.flush(&uart),
            Some((IRQ_RING, m)) if Interrupt::from_words(m.words).is_ok() => {}
            Some((_, m)) => request(m, &uart, &mut out, &mut listener),
        }
        input.read(&uart);
        if let Some(keyboard) = keyboard.as_mut() {
            keyboard.read(&mut input);
        }
        input.deliver(listener);
    }
}

/// The keyboard, its interrupt routed to `ring`, if init gave its
/// capabilities and the machine has a controller.
fn keyboard(ring: CPtr) -> Option<Ps2> {
    let cap = |slot| CPtr::new(root::TASK, slot);
    let source = Cap::<kind::IrqSrc>::at(cap(KEYBOARD_SOURCE_SLOT));
    let dest = Cap::<kind::IrqDest>::at(cap(KEYBOARD_DEST_SLOT));
    let ps2 = Ps2::start(
        Cap::at(cap(KEYBOARD_DATA_SLOT)),
        Cap::at(cap(KEYBOARD_STATUS_SLOT)),
    )?;
    dest.connect(ring)
        .and_then(|()| source.route(dest.cptr()))
        .ok()?;
    Some(ps2)
}

/// A message on the inbox: text to write, or a LISTEN.
fn request(m: Lmp, uart: &Uart, out: &mut Output, listener: &mut Option<Cap<kind::EndPoint>>) {
    match Message::from_words(m.words) {
        Ok(Message::Write(text)) => {
            // Text brings no capability; one that came goes.
            if let Some(cap) = m.cap {
                discard(cap);
            }
            out.push(uart, text.as_bytes())
        }
        Ok(Message::Listen) => {
            let Some(offered) = m.cap.map(Cap::<kind::EndPoint>::at) else {
                return;
            };
            let result = match Badge::from_word(m.badge) {
                Some(Badge::Shell(_)) => Ok(()),
                _ => Err(SysError::NotAllowed),
            };
            let _ = lmp::try_send(offered, Message::Listening(result).to_words(), None);
            if result.is_ok() {
                if let Some(old) = listener.replace(offered) {
                    discard(old.cptr());
                }
            } else {
                discard(offered.cptr());
            }
        }
        _ => {
            if let Some(cap) = m.cap {
                discard(cap);
            }
        }
    }
}

/// Deletes a capability that came with a message.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    corefish::slots::free(cap);
}
