//! User-level message passing (UMP) between two dispatchers that may run on
//! different cores, after Barrelfish's UMP.
//!
//! Both dispatchers map one frame of memory. The frame holds two rings of
//! cache-line-sized messages, one per direction, and one line per end in
//! which that end publishes how far it has read. Each ring has exactly one
//! writer and one reader; sending and receiving take no locks and make no
//! system calls, and the kernel is not involved. This crate is the algorithm
//! over that memory, which it sees as a slice of [`AtomicU64`]: it never maps
//! anything itself, and it needs no `unsafe`.
//!
//! * [`layout`]: where everything is in the frame ([`Layout`]), the line and
//!   header formats, and resetting a frame to an empty channel;
//! * [`channel`]: one end of a channel ([`Channel`]): sending, receiving,
//!   flow control;
//! * [`payload`]: converting a message's payload to and from bytes.
//!
//! # Protocol
//!
//! A message is one 64-byte line: [`PAYLOAD_WORDS`] payload words, then the
//! header word, whose bit 0 is the line's *epoch*. The `k`-th message of a
//! ring (counting from 0) goes to line `k mod lines` and carries epoch 1 on
//! the ring's first lap, 0 on the second, 1 on the third, and so on. The
//! reader knows which message it expects next and therefore which epoch, so
//! it tells a fresh line from one it has already read without any shared
//! counter; an all-zero frame is an empty channel (every line has epoch 0,
//! the first message expected has epoch 1).
//!
//! The writer stores the payload words, then publishes the line with a
//! Release store of its header. The reader Acquire-loads the header, and if
//! the epoch is the one it expects it reads the payload, then Release-stores
//! its new read count into its own position line. The writer keeps a cached
//! copy of the peer's read count and Acquire-loads the real one only when
//! the cache says the ring is full; it never writes a line the reader has not
//! consumed. [`channel`] gives the argument that this is correct under the
//! Rust (C++) memory model, and so under x86-TSO.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

pub mod channel;
pub mod layout;
pub mod payload;

#[cfg(doc)]
use core::sync::atomic::AtomicU64;

pub use channel::Channel;
pub use layout::{
    EPOCH_BIT, HEADER_WORD, LINE_BYTES, LINE_WORDS, Layout, MAX_LINES, MIN_LINES, PAYLOAD_WORDS,
};

/// The contents of one message: [`PAYLOAD_WORDS`] words, meaning whatever the
/// two ends agree on.
pub type Payload = [u64; PAYLOAD_WORDS];

/// Which end of a channel a [`Channel`] is. Side A sends on ring 0 and reads
/// ring 1; side B sends on ring 1 and reads ring 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The end that sends on ring 0.
    A,
    /// The end that sends on ring 1.
    B,
}

impl Side {
    /// The other end.
    pub const fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// The ring this end sends on (0 or 1); it reads the other one.
    pub const fn send_ring(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// Why a UMP operation was refused. A refused operation changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UmpError {
    /// The memory is shorter than the frame the line count needs.
    TooSmall {
        /// Words the frame needs ([`Layout::words`]).
        needed: usize,
        /// Words given.
        given: usize,
    },
    /// The line count is not a power of two between [`MIN_LINES`] and
    /// [`MAX_LINES`].
    BadLineCount {
        /// The line count given.
        lines: usize,
    },
    /// Every line of the send ring holds a message the peer has not read yet.
    Full,
}

impl core::fmt::Display for UmpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::TooSmall { needed, given } => write!(
                f,
                "channel memory too small: {given} words given, {needed} needed"
            ),
            Self::BadLineCount { lines } => write!(
                f,
                "bad line count {lines}: must be a power of two from {MIN_LINES} to {MAX_LINES}"
            ),
            Self::Full => f.write_str("send ring full"),
        }
    }
}
