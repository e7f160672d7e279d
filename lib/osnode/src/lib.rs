//! The kernel state of an OSNode, as objects in capability memory.
//!
//! An OSNode is a Kernel Control Block plus everything reachable from it
//! through capabilities (docs/design.md). This crate defines the two kernel
//! objects that hold an OSNode's kernel state and the structures threaded
//! through them:
//!
//! * [`kcb::Kcb`]: one per OSNode (object type KernelControlBlock): the
//!   mapping-database root, the init CSpace root, the scheduler's queues and
//!   current dispatcher, the dispatcher list, the wakeup queue (deadlines in
//!   the system clock, valid on every core), the IRQ routing table, pending
//!   notifications, the links that multiplex several KCBs on one core, a
//!   magic number and a format version;
//! * [`dcb::Dcb`]: one per dispatcher (object type Dispatcher): its state,
//!   queue links, deadline, and capability copies of its CSpace root,
//!   VSpace root, dispatcher frame and exit endpoint;
//! * [`queue`]: the run queue, the dispatcher list and the wakeup queue, as
//!   intrusive lists linked by *physical addresses* of DCBs, so that they
//!   mean the same to any kernel that later runs the OSNode;
//! * [`sched`]: every change the scheduler makes to them (make runnable,
//!   block, wake, notify, pick the next dispatcher in ring order, stop, take
//!   over a stopped KCB).
//!
//! Nothing here knows how physical memory is reached: [`DcbMemory`] and
//! [`sched::Objects`] map a physical address to the object. The CPU driver
//! implements them over its direct map; tests over a hash map.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod dcb;
pub mod kcb;
pub mod queue;
pub mod sched;

/// A physical address of a kernel object (0 = none).
pub type PAddr = u64;

/// Access to dispatcher control blocks by physical address.
pub trait DcbMemory {
    /// The DCB at `at` (a live Dispatcher object).
    fn dcb(&mut self, at: PAddr) -> &mut dcb::Dcb;
}
