//! The scheduler's queues, intrusive through DCBs and linked by physical
//! addresses: a FIFO run queue, the list of all dispatchers, and the wakeup
//! queue sorted by deadline. Each operation checks the DCB's membership flag
//! first, so inserting twice or removing something absent is a no-op rather
//! than a corruption.

use crate::dcb::{ON_DISPATCHER_LIST, ON_RUN_QUEUE, ON_WAKEUP_QUEUE};
use crate::{DcbMemory, PAddr};

/// A FIFO of runnable dispatchers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct RunQueue {
    /// First dispatcher (0 if empty).
    pub head: PAddr,
    /// Last dispatcher (0 if empty).
    pub tail: PAddr,
    /// Number queued.
    pub len: u64,
}

impl RunQueue {
    /// The empty queue.
    pub const fn new() -> Self {
        Self {
            head: 0,
            tail: 0,
            len: 0,
        }
    }

    /// Appends `at` unless it is queued already.
    pub fn push_back(&mut self, mem: &mut impl DcbMemory, at: PAddr) {
        if mem.dcb(at).flags & ON_RUN_QUEUE != 0 {
            return;
        }
        let tail = self.tail;
        {
            let d = mem.dcb(at);
            d.flags |= ON_RUN_QUEUE;
            d.run_prev = tail;
            d.run_next = 0;
        }
        if tail == 0 {
            self.head = at;
        } else {
            mem.dcb(tail).run_next = at;
        }
        self.tail = at;
        self.len += 1;
    }

    /// Puts `at` right after the queued `after` (0: first), taking it from
    /// wherever it is queued first.
    pub fn insert_after(&mut self, mem: &mut impl DcbMemory, after: PAddr, at: PAddr) {
        self.remove(mem, at);
        let next = if after == 0 {
            self.head
        } else {
            mem.dcb(after).run_next
        };
        {
            let d = mem.dcb(at);
            d.flags |= ON_RUN_QUEUE;
            d.run_prev = after;
            d.run_next = next;
        }
        if after == 0 {
            self.head = at;
        } else {
            mem.dcb(after).run_next = at;
        }
        if next == 0 {
            self.tail = at;
        } else {
            mem.dcb(next).run_prev = at;
        }
        self.len += 1;
    }

    /// The last of the leading dispatchers for which `leading` holds (0:
    /// none does).
    pub fn last_leading(
        &self,
        mem: &mut impl DcbMemory,
        mut leading: impl FnMut(&crate::dcb::Dcb) -> bool,
    ) -> PAddr {
        let mut last = 0;
        let mut at = self.head;
        for _ in 0..self.len {
            if at == 0 || !leading(mem.dcb(at)) {
                break;
            }
            last = at;
            at = mem.dcb(at).run_next;
        }
        last
    }

    /// Takes the first dispatcher.
    pub fn pop_front(&mut self, mem: &mut impl DcbMemory) -> Option<PAddr> {
        let head = self.head;
        if head == 0 {
            return None;
        }
        self.remove(mem, head);
        Some(head)
    }

    /// Unlinks `at` if it is queued.
    pub fn remove(&mut self, mem: &mut impl DcbMemory, at: PAddr) {
        let (prev, next) = {
            let d = mem.dcb(at);
            if d.flags & ON_RUN_QUEUE == 0 {
                return;
            }
            d.flags &= !ON_RUN_QUEUE;
            let links = (d.run_prev, d.run_next);
            d.run_prev = 0;
            d.run_next = 0;
            links
        };
        if prev == 0 {
            self.head = next;
        } else {
            mem.dcb(prev).run_next = next;
        }
        if next == 0 {
            self.tail = prev;
        } else {
            mem.dcb(next).run_prev = prev;
        }
        self.len = self.len.saturating_sub(1);
    }
}

/// Every dispatcher of an OSNode, in creation order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DispatcherList {
    /// First dispatcher (0 if none).
    pub head: PAddr,
    /// Number listed.
    pub len: u64,
}

impl DispatcherList {
    /// The empty list.
    pub const fn new() -> Self {
        Self { head: 0, len: 0 }
    }

    /// Adds `at` at the front unless it is listed already.
    pub fn insert(&mut self, mem: &mut impl DcbMemory, at: PAddr) {
        if mem.dcb(at).flags & ON_DISPATCHER_LIST != 0 {
            return;
        }
        let head = self.head;
        {
            let d = mem.dcb(at);
            d.flags |= ON_DISPATCHER_LIST;
            d.all_prev = 0;
            d.all_next = head;
        }
        if head != 0 {
            mem.dcb(head).all_prev = at;
        }
        self.head = at;
        self.len += 1;
    }

    /// Unlinks `at` if it is listed.
    pub fn remove(&mut self, mem: &mut impl DcbMemory, at: PAddr) {
        let (prev, next) = {
            let d = mem.dcb(at);
            if d.flags & ON_DISPATCHER_LIST == 0 {
                return;
            }
            d.flags &= !ON_DISPATCHER_LIST;
            let links = (d.all_prev, d.all_next);
            d.all_prev = 0;
            d.all_next = 0;
            links
        };
        if prev == 0 {
            self.head = next;
        } else {
            mem.dcb(prev).all_next = next;
        }
        if next != 0 {
            mem.dcb(next).all_prev = prev;
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The dispatcher after `at` (or the first for 0).
    pub fn next(&self, mem: &mut impl DcbMemory, at: PAddr) -> PAddr {
        if at == 0 {
            self.head
        } else {
            mem.dcb(at).all_next
        }
    }
}

/// Dispatchers sleeping until a deadline, earliest first (equal deadlines
/// in insertion order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct WakeQueue {
    /// Earliest sleeper (0 if none).
    pub head: PAddr,
    /// Number queued.
    pub len: u64,
}

impl WakeQueue {
    /// The empty queue.
    pub const fn new() -> Self {
        Self { head: 0, len: 0 }
    }

    /// Queues `at` to wake at `deadline_ns` (re-queues it if already there).
    pub fn insert(&mut self, mem: &mut impl DcbMemory, at: PAddr, deadline_ns: u64) {
        self.remove(mem, at);
        let mut prev = 0;
        let mut next = self.head;
        while next != 0 && mem.dcb(next).deadline_ns <= deadline_ns {
            prev = next;
            next = mem.dcb(next).wake_next;
        }
        {
            let d = mem.dcb(at);
            d.flags |= ON_WAKEUP_QUEUE;
            d.deadline_ns = deadline_ns;
            d.wake_prev = prev;
            d.wake_next = next;
        }
        if prev == 0 {
            self.head = at;
        } else {
            mem.dcb(prev).wake_next = at;
        }
        if next != 0 {
            mem.dcb(next).wake_prev = at;
        }
        self.len += 1;
    }

    /// Unlinks `at` if it is queued.
    pub fn remove(&mut self, mem: &mut impl DcbMemory, at: PAddr) {
        let (prev, next) = {
            let d = mem.dcb(at);
            if d.flags & ON_WAKEUP_QUEUE == 0 {
                return;
            }
            d.flags &= !ON_WAKEUP_QUEUE;
            let links = (d.wake_prev, d.wake_next);
            d.wake_prev = 0;
            d.wake_next = 0;
            links
        };
        if prev == 0 {
            self.head = next;
        } else {
            mem.dcb(prev).wake_next = next;
        }
        if next != 0 {
            mem.dcb(next).wake_prev = prev;
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self, mem: &mut impl DcbMemory) -> Option<u64> {
        (self.head != 0).then(|| mem.dcb(self.head).deadline_ns)
    }

    /// Takes the earliest sleeper whose deadline is at or before `now_ns`.
    pub fn pop_expired(&mut self, mem: &mut impl DcbMemory, now_ns: u64) -> Option<PAddr> {
        let head = self.head;
        if head == 0 || mem.dcb(head).deadline_ns > now_ns {
            return None;
        }
        self.remove(mem, head);
        Some(head)
    }
}
