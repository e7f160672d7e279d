//! A monitor's channel to another monitor. Sending never blocks: what the
//! ring has no room for waits in an outbox, flushed whenever the monitor
//! polls. (Two monitors that each waited for room while the other waited
//! too would never read again.)

use alloc::collections::VecDeque;
use corefish::channel::{Channel, Payload};

/// The channel to one other monitor.
pub struct Link {
    /// The OSNode at the other end.
    pub osnode: u64,
    /// The core it was booted on.
    pub core: u64,
    channel: Channel,
    outbox: VecDeque<Payload>,
}

impl Link {
    /// A link over `channel`.
    pub fn new(osnode: u64, core: u64, channel: Channel) -> Self {
        Self {
            osnode,
            core,
            channel,
            outbox: VecDeque::new(),
        }
    }

    /// Sends `m` now or as soon as there is room.
    pub fn send(&mut self, m: Payload) {
        self.flush();
        if !self.outbox.is_empty() || self.channel.try_send(&m).is_err() {
            self.outbox.push_back(m);
        }
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
        sent
    }

    /// The next message, if one is there.
    pub fn try_recv(&mut self) -> Option<Payload> {
        self.channel.try_recv()
    }

    /// The channel itself (while setting up).
    pub fn channel(&mut self) -> &mut Channel {
        &mut self.channel
    }
}
