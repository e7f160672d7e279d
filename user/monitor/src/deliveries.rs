//! Deliveries to this OSNode's programs: bindings and capabilities sent to
//! a name they exported, from this OSNode or (through their monitors) from
//! others. The monitor never waits for a program: what a receiver cannot
//! take yet (its ring is full, or its receive slot holds a capability it has
//! not taken) waits here, in order for each receiver, while deliveries to
//! others go on. The queue is bounded, per receiver and in all; a delivery
//! beyond that is refused (`OverLimit`) to whoever sent it.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use corefish::cap::{Cap, kind};
use corefish::lmp;
use corefish::proto::intermon::CapDesc;
use corefish::proto::monitor::Delivery;
use corefish::{CPtr, SysError, println, slots};

use crate::Monitor;

/// Most deliveries waiting for one receiver.
const UNDELIVERED_PER_RECEIVER: usize = 16;
/// Most deliveries waiting for all receivers of this monitor.
const UNDELIVERED_MAX: usize = 256;

/// A delivery its receiver could not take yet: (endpoint, delivery,
/// capability, whether the capability is the monitor's to delete once
/// delivered).
type Undelivered = (CPtr, Delivery, CPtr, bool);

/// The deliveries that wait, oldest first.
#[derive(Default)]
pub struct Deliveries {
    queue: VecDeque<Undelivered>,
}

/// Deletes a capability this monitor holds only for a moment.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

impl Monitor {
    /// Sends `op` with a copy of `cap` to the program that exported
    /// `handle`, now or (if it cannot take it yet) later; the monitor never
    /// waits for a program. `owned`: `cap` is a copy made for this delivery,
    /// deleted once delivered.
    pub fn deliver(
        &mut self,
        handle: u64,
        delivery: Delivery,
        cap: CPtr,
        owned: bool,
    ) -> Result<(), SysError> {
        let Some(endpoint) = self.requests.services.endpoint(handle) else {
            if owned {
                discard(cap);
            }
            return Err(SysError::SlotEmpty);
        };
        let queued = &self.requests.deliveries.queue;
        let for_it = queued.iter().filter(|u| u.0 == endpoint).count();
        if for_it >= UNDELIVERED_PER_RECEIVER || queued.len() >= UNDELIVERED_MAX {
            if owned {
                discard(cap);
            }
            return Err(SysError::OverLimit);
        }
        self.requests
            .deliveries
            .queue
            .push_back((endpoint, delivery, cap, owned));
        self.retry_deliveries();
        Ok(())
    }

    /// Whether deliveries wait for their receivers.
    pub fn deliveries_waiting(&self) -> bool {
        !self.requests.deliveries.queue.is_empty()
    }

    /// Delivers what waits, as far as each receiver takes it (in order for
    /// each receiver; one that takes nothing holds up only its own
    /// deliveries); whether any went.
    pub fn retry_deliveries(&mut self) -> bool {
        let mut progress = false;
        // Receivers that took nothing this time: their later deliveries
        // wait too, so that each receiver gets its own in order.
        let mut blocked: Vec<CPtr> = Vec::new();
        let mut i = 0;
        while let Some(&(endpoint, delivery, cap, owned)) = self.requests.deliveries.queue.get(i) {
            if blocked.contains(&endpoint) {
                i += 1;
                continue;
            }
            match lmp::try_send(Cap::at(endpoint), delivery.to_words(), Some(cap)) {
                Err(SysError::EndpointFull | SysError::NoReceiveSlot) => {
                    blocked.push(endpoint);
                    i += 1;
                }
                result => {
                    if let Err(e) = result {
                        println!("monitor: a delivery was lost: {e}");
                    }
                    self.requests.deliveries.queue.remove(i);
                    if owned {
                        discard(cap);
                    }
                    progress = true;
                }
            }
        }
        progress
    }

    /// BIND from another monitor: this OSNode's copy of the channel frame
    /// goes to the exporter.
    pub fn bound_here(&mut self, handle: u64, frame: CapDesc) -> Result<u64, SysError> {
        let copy = self.remote.import_copy(self.kernel, frame)?;
        self.requests.next_binding += 1;
        let binding = self.requests.next_binding;
        self.deliver(handle, Delivery::Bound { binding }, copy, true)?;
        Ok(binding)
    }

    /// DELIVER from another monitor: this OSNode's copy of a capability
    /// goes to the exporter.
    pub fn delivered_here(&mut self, handle: u64, cap: CapDesc) -> Result<(), SysError> {
        let copy = self.remote.import_copy(self.kernel, cap)?;
        self.deliver(handle, Delivery::CapArrived, copy, true)
    }
}
