//! One end of a channel: sending on one ring, receiving from the other, and
//! the flow control between them.
//!
//! A [`Channel`] holds references into the frame and its end's private
//! positions: the number of messages it has sent, the number it has
//! received, and a cached copy of the peer's read count of the send ring.
//! The only shared state besides the message lines is the two published read
//! counts (see [`crate::layout`]).
//!
//! # Why this is correct
//!
//! Message `k` of a ring is written to line `k mod n` with epoch
//! `1 - (k / n) mod 2`.
//!
//! * *The reader sees a whole message.* The writer stores the payload, then
//!   the header with Release; the reader Acquire-loads the header. If it sees
//!   the new epoch, that store synchronizes with its load, so the payload
//!   stores happen before the reader's payload loads, which therefore see
//!   them (the writer does not store to the line again before the reader
//!   is done with it, next point).
//! * *The writer never overwrites an unread message.* It writes message `k`
//!   only after an Acquire load of the peer's read count returned at least
//!   `k - n + 1`. The reader Release-stored that count after its loads of
//!   message `k - n`, in the same line; so those loads happen before the
//!   writer's stores of message `k` and cannot see them.
//! * *The reader never mistakes an old line for a new one.* When the reader
//!   expects message `k`, it has already read message `k - n` from the same
//!   line (if `k >= n`), so by coherence its load of the header returns the
//!   header of message `k - n` (the other epoch: nothing yet) or of message
//!   `k` (the expected epoch), never an older one; and not that of message
//!   `k + n`, which the writer cannot write before the reader's count says
//!   `k + 1`. For `k < n` the line holds zero (epoch 0) or message `k`.
//!
//! None of this assumes x86-TSO; on x86 every one of these loads and stores
//! is a plain `mov`. Nothing a misbehaving peer writes into the frame can
//! make this end panic or touch memory outside the frame: a header is only
//! tested for one bit, and a published read count that is not between the
//! cached one and the number of messages sent is ignored.

use core::sync::atomic::{AtomicU64, Ordering, fence};

use crate::layout::{EPOCH_BIT, HEADER_WORD, LINE_WORDS, Layout};
use crate::{Payload, Side, UmpError};

/// One line of the frame.
type Line = [AtomicU64; LINE_WORDS];

/// One end of a channel in a frame of shared memory.
///
/// Each end of a frame may be created once, on a frame that is an empty
/// channel (all zero, see [`Layout::reset`]); both ends must give the same
/// line count and different [`Side`]s. The end can move to another thread
/// (it is `Send`), but only one `Channel` may exist per end: the positions
/// that say which line comes next live in this value.
pub struct Channel<'m> {
    side: Side,
    /// `lines - 1`: a position's line index is `position & mask`.
    mask: u64,
    /// `log2(lines)`: a position's lap is `position >> shift`.
    shift: u32,
    /// The ring this end writes.
    send: &'m [Line],
    /// The ring this end reads.
    recv: &'m [Line],
    /// Where this end publishes how many messages it has received.
    received_count: &'m AtomicU64,
    /// Where the peer publishes how many of our messages it has received.
    peer_count: &'m AtomicU64,
    /// Where this end says it waits for a message.
    waiting: &'m AtomicU64,
    /// Where the peer says it waits.
    peer_waiting: &'m AtomicU64,
    /// Messages sent (the next one goes to line `sent & mask`).
    sent: u64,
    /// Messages received (the next one is in line `received & mask`).
    received: u64,
    /// The peer's read count as last seen; never more than `sent`.
    peer_received: u64,
}

impl<'m> Channel<'m> {
    /// The `side` end of the channel in the frame at the start of `memory`,
    /// with `lines` lines per direction (a power of two from
    /// [`MIN_LINES`](crate::MIN_LINES) to [`MAX_LINES`](crate::MAX_LINES)).
    /// `memory` must be at least [`Layout::words`] long; words after the
    /// frame are never touched.
    pub fn new(memory: &'m [AtomicU64], lines: usize, side: Side) -> Result<Self, UmpError> {
        let layout = Layout::new(lines)?;
        let words = layout.frame(memory)?.as_flattened();
        let ring = |s| {
            words
                .get(layout.ring(s))
                .map(|r| r.as_chunks::<LINE_WORDS>().0)
        };
        let count = |s| words.get(layout.read_count_word(s));
        let waits = |s| words.get(layout.waiting_word(s));
        let (
            Some(send),
            Some(recv),
            Some(received_count),
            Some(peer_count),
            Some(waiting),
            Some(peer_waiting),
        ) = (
            ring(side),
            ring(side.peer()),
            count(side),
            count(side.peer()),
            waits(side),
            waits(side.peer()),
        )
        else {
            // Not reached: every part lies inside the frame just checked.
            return Err(layout.too_small(memory));
        };
        Ok(Self {
            side,
            mask: lines as u64 - 1,
            shift: lines.trailing_zeros(),
            send,
            recv,
            received_count,
            peer_count,
            waiting,
            peer_waiting,
            sent: 0,
            received: 0,
            peer_received: 0,
        })
    }

    /// Which end this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Lines per direction.
    pub fn lines(&self) -> usize {
        self.send.len()
    }

    /// Sends one message, or fails with [`UmpError::Full`] if the peer has
    /// not yet received the last [`lines`](Self::lines) messages sent.
    pub fn try_send(&mut self, payload: &Payload) -> Result<(), UmpError> {
        if self.in_flight() > self.mask {
            self.refresh_peer_received();
            if self.in_flight() > self.mask {
                return Err(UmpError::Full);
            }
        }
        let line = &self.send[(self.sent & self.mask) as usize];
        for (word, &value) in line.iter().zip(payload) {
            word.store(value, Ordering::Relaxed);
        }
        line[HEADER_WORD].store(self.epoch(self.sent), Ordering::Release);
        self.sent = self.sent.wrapping_add(1);
        Ok(())
    }

    /// Receives the next message, if the peer has sent one.
    pub fn try_recv(&mut self) -> Option<Payload> {
        let line = &self.recv[(self.received & self.mask) as usize];
        let header = line[HEADER_WORD].load(Ordering::Acquire);
        if header & EPOCH_BIT != self.epoch(self.received) {
            return None;
        }
        let payload = core::array::from_fn(|i| line[i].load(Ordering::Relaxed));
        self.received = self.received.wrapping_add(1);
        self.received_count.store(self.received, Ordering::Release);
        Some(payload)
    }

    /// Says that this end is about to block until the peer notifies it (for
    /// example with an IPI). Call it, then [`try_recv`](Self::try_recv)
    /// once more, and block only if that found nothing; call
    /// [`stop_waiting`](Self::stop_waiting) when awake.
    ///
    /// With [`peer_waiting`](Self::peer_waiting) on the sending side this
    /// is Dekker's handshake: this end stores its flag, then (after a
    /// SeqCst fence) loads the header; the sender stores the header, then
    /// (after a SeqCst fence) loads the flag. The fences are totally
    /// ordered, so at least one side sees the other's store: the receiver
    /// finds the message or the sender sees the flag. No wakeup is lost.
    pub fn prepare_to_wait(&self) {
        self.waiting.store(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Says that this end no longer waits.
    pub fn stop_waiting(&self) {
        self.waiting.store(0, Ordering::Relaxed);
    }

    /// Whether the peer waits to be notified: ask after sending (the other
    /// half of [`prepare_to_wait`](Self::prepare_to_wait)).
    pub fn peer_waiting(&self) -> bool {
        fence(Ordering::SeqCst);
        self.peer_waiting.load(Ordering::Relaxed) != 0
    }

    /// Messages sent that the peer has not received, as far as this end
    /// knows.
    fn in_flight(&self) -> u64 {
        self.sent.wrapping_sub(self.peer_received)
    }

    /// Reloads the peer's read count, accepting it only if it lies between
    /// the cached count and `sent`.
    fn refresh_peer_received(&mut self) {
        let seen = self.peer_count.load(Ordering::Acquire);
        if seen.wrapping_sub(self.peer_received) <= self.in_flight() {
            self.peer_received = seen;
        }
    }

    /// The epoch of the message at `position`: 1 on the first lap of the
    /// ring, then alternating.
    fn epoch(&self, position: u64) -> u64 {
        ((position >> self.shift) & EPOCH_BIT) ^ EPOCH_BIT
    }
}

impl core::fmt::Debug for Channel<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Channel")
            .field("side", &self.side)
            .field("lines", &self.lines())
            .field("sent", &self.sent)
            .field("received", &self.received)
            .field("peer_received", &self.peer_received)
            .finish()
    }
}
