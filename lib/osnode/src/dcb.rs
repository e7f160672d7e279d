//! The dispatcher control block: the kernel's part of a dispatcher, in the
//! Dispatcher object's own memory. (The user-visible part, with the save
//! areas, is the dispatcher frame: `abi::dispatcher`.)

use caps::Cte;

use crate::PAddr;

/// An empty capability slot.
pub const EMPTY_CTE: Cte = Cte {
    cap: caps::Capability {
        raw_type: 0,
        rights: 0,
        flags: 0,
        reserved: 0,
        extra: 0,
        base: 0,
        size: 0,
        word: 0,
    },
    mdb: caps::MdbNode {
        left: 0,
        right: 0,
        subtree_end: 0,
        level: 0,
        flags: 0,
    },
};

/// `b"CFDCB\0\0\x01"` as a little-endian integer.
pub const DCB_MAGIC: u64 = u64::from_le_bytes(*b"CFDCB\0\0\x01");
/// Bytes in a name.
pub const NAME_LEN: usize = 16;

/// How a dispatcher continues the next time it is dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Resume {
    /// Upcall its `run` entry (first run, or preempted while enabled), or
    /// resume the enabled area if it has no `run` entry.
    Run = 0,
    /// Resume the enabled save area as it is.
    Enabled = 1,
    /// Resume the disabled save area as it is.
    Disabled = 2,
}

impl Resume {
    /// Decodes a stored value (anything unknown upcalls `run`).
    pub const fn from_raw(raw: u32) -> Self {
        match raw {
            1 => Self::Enabled,
            2 => Self::Disabled,
            _ => Self::Run,
        }
    }
}

/// [`Dcb::flags`]: on the KCB's run queue.
pub const ON_RUN_QUEUE: u32 = 1 << 0;
/// [`Dcb::flags`]: on the KCB's wakeup queue.
pub const ON_WAKEUP_QUEUE: u32 = 1 << 1;
/// [`Dcb::flags`]: on the KCB's dispatcher list.
pub const ON_DISPATCHER_LIST: u32 = 1 << 2;
/// [`Dcb::flags`]: blocked in WAIT until a message (or its deadline).
pub const WAITING: u32 = 1 << 3;
/// [`Dcb::flags`]: a notification came for its OSNode while it was not
/// waiting for one; its next WAIT for notifications returns at once (so a
/// notification that races with the decision to wait is never lost).
pub const NOTIFIED: u32 = 1 << 4;
/// [`Dcb::flags`]: a system service (the boot driver, the memory server,
/// the serial driver, a monitor, init): it queues ahead of every ordinary
/// dispatcher of its OSNode (`sched::make_runnable`), except after a whole
/// time slice of its own (`sched::yield_back`). Only a holder of the
/// Kernel capability marks one (`KERNEL_DISPATCHER_SYSTEM`).
pub const SYSTEM: u32 = 1 << 5;

/// A dispatcher control block.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct Dcb {
    /// [`DCB_MAGIC`] once initialised by the kernel.
    pub magic: u64,
    /// Dispatcher state (`abi::invoke::state`).
    pub state: u64,
    /// Queue membership and waiting flags.
    pub flags: u32,
    /// A [`Resume`] value.
    pub resume: u32,
    /// Id, unique within the OSNode.
    pub id: u64,
    /// The KCB of the OSNode it belongs to.
    pub kcb: PAddr,
    /// Name (NUL-padded ASCII).
    pub name: [u8; NAME_LEN],
    /// Run-queue successor.
    pub run_next: PAddr,
    /// Run-queue predecessor.
    pub run_prev: PAddr,
    /// Dispatcher-list successor.
    pub all_next: PAddr,
    /// Dispatcher-list predecessor.
    pub all_prev: PAddr,
    /// Wakeup-queue successor.
    pub wake_next: PAddr,
    /// Wakeup-queue predecessor.
    pub wake_prev: PAddr,
    /// Absolute wakeup deadline in system-clock nanoseconds.
    pub deadline_ns: u64,
    /// Physical address of the dispatcher frame (0 until set up).
    pub frame_phys: u64,
    /// Physical address of the VSpace root (0 until set up).
    pub vspace_phys: u64,
    /// Exit code (EXIT) or exception vector (killed).
    pub exit_code: u64,
    /// Nanoseconds of CPU time used.
    pub runtime_ns: u64,
    /// Times dispatched.
    pub dispatches: u64,
    /// While waiting: the rings whose messages wake it (bit per ring).
    pub wait_rings: u64,
    /// Copy of the CSpace root capability (keeps it alive).
    pub cspace: Cte,
    /// Copy of the VSpace root capability.
    pub vspace: Cte,
    /// Copy of the dispatcher-frame capability.
    pub frame: Cte,
    /// Copy of the exit endpoint capability (null if none).
    pub exit_endpoint: Cte,
}

const _: () = assert!(size_of::<Dcb>() as u64 <= caps::DISPATCHER_SIZE);

impl Dcb {
    /// A fresh DCB with `id`, belonging to `kcb`.
    pub const fn new(id: u64, kcb: PAddr) -> Self {
        Self {
            magic: DCB_MAGIC,
            state: 0,
            flags: 0,
            resume: Resume::Run as u32,
            id,
            kcb,
            name: [0; NAME_LEN],
            run_next: 0,
            run_prev: 0,
            all_next: 0,
            all_prev: 0,
            wake_next: 0,
            wake_prev: 0,
            deadline_ns: 0,
            frame_phys: 0,
            vspace_phys: 0,
            exit_code: 0,
            runtime_ns: 0,
            dispatches: 0,
            wait_rings: 0,
            cspace: EMPTY_CTE,
            vspace: EMPTY_CTE,
            frame: EMPTY_CTE,
            exit_endpoint: EMPTY_CTE,
        }
    }

    /// The name as text (up to the first NUL; non-ASCII bytes shown as `?`).
    pub fn name_bytes(&self) -> &[u8] {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        &self.name[..end]
    }

    /// How to resume next.
    pub const fn resume_mode(&self) -> Resume {
        Resume::from_raw(self.resume)
    }
}
