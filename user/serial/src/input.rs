//! Typed input on its way to the listener (the shell).
//!
//! The driver never waits for the listener: bytes read from the UART wait
//! here, in a bounded buffer, and go to the listener as fast as its ring
//! takes them. While the buffer is full the driver reads no more from the
//! UART, whose FIFO (and the emulator behind it) holds the rest back; the
//! main loop reads again, without waiting for an interrupt, as soon as
//! there is room.

use alloc::collections::VecDeque;
use corefish::SysError;
use corefish::cap::{Cap, kind};
use corefish::lmp;
use corefish::proto::serial::{Message, Text};

use crate::uart::Uart;

/// Most bytes waiting for the listener.
pub const INPUT_MAX: usize = 4096;

/// Typed bytes not yet taken by the listener.
#[derive(Default)]
pub struct Input {
    bytes: VecDeque<u8>,
    /// Whether the buffer filled up since the UART was last drained.
    held_back: bool,
}

impl Input {
    /// Reads what the UART has, as far as there is room.
    pub fn read(&mut self, uart: &Uart) {
        while self.bytes.len() < INPUT_MAX {
            match uart.get() {
                Some(byte) => self.bytes.push_back(byte),
                None => {
                    self.held_back = false;
                    return;
                }
            }
        }
        self.held_back = true;
    }

    /// Whether another byte fits.
    pub fn has_room(&self) -> bool {
        self.bytes.len() < INPUT_MAX
    }

    /// Adds a byte from another source (the keyboard), if it fits (the
    /// keyboard reads only while [`Input::has_room`]).
    pub fn push(&mut self, byte: u8) {
        if self.has_room() {
            self.bytes.push_back(byte);
        }
    }

    /// Notes that another source left bytes unread for lack of room, so
    /// the driver comes back for them without waiting for an interrupt.
    pub fn hold_back(&mut self) {
        self.held_back = true;
    }

    /// Whether bytes wait for the listener, or in the UART for room here.
    pub fn waiting(&self) -> bool {
        !self.bytes.is_empty() || self.held_back
    }

    /// Passes waiting bytes to `listener` until its ring is full (then
    /// they wait for the next try); without a listener they wait for one.
    pub fn deliver(&mut self, listener: Option<Cap<kind::EndPoint>>) {
        let Some(to) = listener else { return };
        while !self.bytes.is_empty() {
            let (front, _) = self.bytes.as_slices();
            let n = front.len().min(Text::MAX);
            let Some(text) = Text::new(&front[..n]) else {
                return;
            };
            match lmp::try_send(to, Message::Input(text).to_words(), None) {
                Ok(()) => {
                    self.bytes.drain(..n);
                }
                Err(SysError::EndpointFull) => return,
                // The listener is gone: its input is nobody's.
                Err(_) => {
                    self.bytes.clear();
                    return;
                }
            }
        }
    }
}
