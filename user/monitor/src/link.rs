//! A monitor's channel to another monitor. Sending never blocks: what the
//! ring has no room for waits in an outbox, flushed whenever the monitor
//! polls. (Two monitors that each waited for room while the other waited
//! too would never read again.) The outbox is bounded: a peer that reads
//! nothing (its OSNode stopped, say) gets no more than [`OUTBOX_MAX`]
//! messages queued, and a send beyond that is refused (its request fails
//! at once rather than the outbox growing). After sending, a monitor
//! notifies the peer OSNode (IPI_NOTIFY) if the peer said it waits
//! blocked.

use alloc::collections::VecDeque;
use corefish::abi::invoke::IPI_NOTIFY;
use corefish::channel::{Channel, Payload};
use corefish::{CPtr, sys};

/// Most messages waiting for room in one channel.
pub const OUTBOX_MAX: usize = 1024;

/// The channel to one other monitor.
pub struct Link {
    /// The OSNode at the other end.
    pub osnode: u64,
    /// The core it was booted on.
    pub core: u64,
    channel: Channel,
    outbox: VecDeque<Payload>,
    /// The IPI capability, to notify the peer.
    ipi: CPtr,
}

impl Link {
    /// A link over `channel`; `ipi` notifies the peer.
    pub fn new(osnode: u64, core: u64, channel: Channel, ipi: CPtr) -> Self {
        Self {
            osnode,
            core,
            channel,
            outbox: VecDeque::new(),
            ipi,
        }
    }

    /// Sends `m` now or as soon as there is room; false (and nothing
    /// queued) when [`OUTBOX_MAX`] messages wait already.
    pub fn send(&mut self, m: Payload) -> bool {
        self.flush();
        if self.outbox.is_empty() && self.channel.try_send(&m).is_ok() {
            self.notify();
            return true;
        }
        if self.outbox.len() >= OUTBOX_MAX {
            return false;
        }
        self.outbox.push_back(m);
        true
    }

    /// Sends what waits in the outbox while there is room; whether any went.
    pub fn flush(&mut self) -> bool {
        let mut sent = false;
        while let Some(m) = self.outbox.front() {
            if self.channel.try_send(m).is_err() {
                break;
            }
            self.outbox.pop_front();
            sent = true;
        }
        if sent {
            self.notify();
        }
        sent
    }

    /// Wakes the peer if it waits for a notification.
    fn notify(&self) {
        if self.channel.peer_waiting() {
            let _ = sys::invoke(self.ipi, IPI_NOTIFY, [self.osnode, 0, 0, 0]);
        }
    }

    /// Says this end is about to block (see `ump::Channel::prepare_to_wait`).
    pub fn prepare_to_wait(&self) {
        self.channel.prepare_to_wait();
    }

    /// Says this end is awake.
    pub fn stop_waiting(&self) {
        self.channel.stop_waiting();
    }

    /// The next message, if one is there.
    pub fn try_recv(&mut self) -> Option<Payload> {
        self.channel.try_recv()
    }
}
