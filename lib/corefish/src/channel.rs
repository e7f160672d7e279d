//! UMP channels as a program uses them: a shared frame mapped into this
//! program and the `ump` crate's algorithm over it, with waiting.
//!
//! A channel's frame is [`CHANNEL_BYTES`] of fresh (all-zero) memory that
//! both ends map; [`CHANNEL_LINES`] messages fit in each direction. The
//! frame stays mapped for the rest of the program's life (a channel end
//! lives as long as the program).
//!
//! Waiting is polling: a receiver that finds nothing yields, then sleeps for
//! growing intervals (up to [`MAX_BACKOFF_NS`]), so an idle end costs its
//! core next to nothing and a busy one answers within microseconds. Where
//! the peer notifies (the monitors' links), [`Channel::recv_notified`]
//! blocks instead: a yield hands the core to a busy program for a whole
//! time slice.

use abi::cspace::CPtr;
use abi::error::SysError;
use core::sync::atomic::AtomicU64;

pub use ump::{Payload, Side, UmpError};

use crate::{sys, vspace};

/// Bytes of a channel frame.
pub const CHANNEL_BYTES: u64 = 4096;
/// Messages per direction.
pub const CHANNEL_LINES: usize = 16;
/// Polls (with yields in between) before a waiting end starts to sleep.
const SPIN_POLLS: u32 = 64;
/// Longest sleep between polls of a waiting end.
pub const MAX_BACKOFF_NS: u64 = 2_000_000;
/// How often [`Channel::recv_notified`] looks without being notified.
pub const NOTIFIED_BACKSTOP_NS: u64 = 1_000_000;

/// One end of a channel.
pub struct Channel {
    end: ump::Channel<'static>,
}

impl Channel {
    /// Maps the channel frame `frame` and takes its `side` end.
    pub fn open(frame: CPtr, side: Side) -> Result<Self, SysError> {
        let mapping = vspace::map(frame, CHANNEL_BYTES, abi::invoke::MAP_WRITE)?;
        let words = (CHANNEL_BYTES / 8) as usize;
        // `mapping` is forgotten below, so the range stays mapped for the program's life; other
        // programs write the frame concurrently, so it is only accessed as atomics.
        let base = mapping.vaddr as *const AtomicU64;
        // SAFETY: `base` starts CHANNEL_BYTES of writable, page-aligned memory that stays mapped.
        let memory: &'static [AtomicU64] = unsafe { core::slice::from_raw_parts(base, words) };
        core::mem::forget(mapping);
        let end = ump::Channel::new(memory, CHANNEL_LINES, side).map_err(|_| SysError::BadSize)?;
        Ok(Self { end })
    }

    /// Sends `message` if the ring has room.
    pub fn try_send(&mut self, message: &Payload) -> Result<(), UmpError> {
        self.end.try_send(message)
    }

    /// Sends `message`, waiting for room until `deadline_ns` (0: forever).
    pub fn send(&mut self, message: &Payload, deadline_ns: u64) -> Result<(), SysError> {
        let mut waiting = Waiting::new(deadline_ns);
        loop {
            match self.end.try_send(message) {
                Ok(()) => return Ok(()),
                Err(_) if waiting.pause() => {}
                Err(_) => return Err(SysError::EndpointFull),
            }
        }
    }

    /// Says this end is about to block until notified; check for a message
    /// once more before blocking (`ump::Channel::prepare_to_wait`).
    pub fn prepare_to_wait(&self) {
        self.end.prepare_to_wait();
    }

    /// Says this end is awake.
    pub fn stop_waiting(&self) {
        self.end.stop_waiting();
    }

    /// Whether the peer waits to be notified (ask after sending).
    pub fn peer_waiting(&self) -> bool {
        self.end.peer_waiting()
    }

    /// The next message, if one is there.
    pub fn try_recv(&mut self) -> Option<Payload> {
        self.end.try_recv()
    }

    /// The next message, blocking until `deadline_ns` (0: forever) for a
    /// peer that notifies this end when it sends to it while this end
    /// waits (the monitors' links do). A look every [`NOTIFIED_BACKSTOP_NS`]
    /// covers a notification that did not come. Unlike [`Channel::recv`],
    /// it never yields, so a busy program on this core does not delay it.
    pub fn recv_notified(&mut self, deadline_ns: u64) -> Option<Payload> {
        loop {
            if let Some(message) = self.end.try_recv() {
                return Some(message);
            }
            let now = sys::time_ns();
            if deadline_ns != 0 && now >= deadline_ns {
                return None;
            }
            let mut until = now + NOTIFIED_BACKSTOP_NS;
            if deadline_ns != 0 {
                until = until.min(deadline_ns);
            }
            self.end.prepare_to_wait();
            // A message sent before the peer could see this end waiting.
            let early = self.end.try_recv();
            if early.is_none() {
                sys::wait_rings(until, abi::dispatcher::NOTIFY_BIT);
            }
            self.end.stop_waiting();
            if early.is_some() {
                return early;
            }
        }
    }

    /// The next message, waiting until `deadline_ns` (0: forever).
    pub fn recv(&mut self, deadline_ns: u64) -> Option<Payload> {
        let mut waiting = Waiting::new(deadline_ns);
        loop {
            if let Some(message) = self.end.try_recv() {
                return Some(message);
            }
            if !waiting.pause() {
                return None;
            }
        }
    }
}

/// Pausing between polls: yields first, then sleeps for growing intervals.
pub struct Waiting {
    deadline_ns: u64,
    polls: u32,
    backoff_ns: u64,
}

impl Waiting {
    /// Waiting until `deadline_ns` (0: forever).
    pub fn new(deadline_ns: u64) -> Self {
        Self {
            deadline_ns,
            polls: 0,
            backoff_ns: 20_000,
        }
    }

    /// Starts over after progress (the next pauses are short again).
    pub fn reset(&mut self) {
        self.polls = 0;
        self.backoff_ns = 20_000;
    }

    /// Pauses once; false when the deadline has passed.
    pub fn pause(&mut self) -> bool {
        let now = sys::time_ns();
        if self.deadline_ns != 0 && now >= self.deadline_ns {
            return false;
        }
        self.polls += 1;
        if self.polls < SPIN_POLLS {
            sys::yield_now();
            return true;
        }
        let mut until = now + self.backoff_ns;
        if self.deadline_ns != 0 {
            until = until.min(self.deadline_ns);
        }
        sys::sleep_until(until);
        self.backoff_ns = (self.backoff_ns * 2).min(MAX_BACKOFF_NS);
        true
    }
}
