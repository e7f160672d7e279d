//! The Kernel Control Block: all per-OSNode kernel state, in a
//! KernelControlBlock object (capability memory retyped from RAM).
//!
//! A CPU driver keeps exactly one pointer to the KCB it currently runs
//! (per-boot scratch); everything else it needs to resume the OSNode later,
//! on any core and under any kernel version, is here or reachable from here
//! through capabilities. Layout (all offsets are fixed by `#[repr(C)]` and
//! checked by tests):
//!
//! | field | what |
//! |---|---|
//! | `magic`, `version` | identify a valid KCB and its layout |
//! | `id` | the OSNode id (stable across moves) |
//! | `mdb_root` | root of the mapping database (all capabilities of the OSNode) |
//! | `init_cspace` | a copy of the first dispatcher's CSpace root capability |
//! | `run_queue`, `current` | round-robin run queue and the running dispatcher |
//! | `dispatchers` | every dispatcher of the OSNode |
//! | `wakeups` | dispatchers sleeping until a deadline (system-clock ns) |
//! | `quantum_ns` | scheduling quantum |
//! | `irq_routes` | interrupt vector -> endpoint (and the line routed to it) |
//! | `pending` | notification bits raised while the OSNode was not running |
//! | `ring_next`, `ring_prev` | links when several KCBs share a core |
//! | `last_core`, `last_apic` | where it last ran |
//! | `dispatch_count` | dispatches so far |
//! | `resumes` | times a kernel resumed it (layout 2) |
//!
//! ## Layout versions
//!
//! `magic`, `version`, `flags` and `id` never move: a kernel reads them
//! before it knows the layout (whether the KCB ran, and which OSNode it
//! is). A kernel
//! that finds an older layout converts the KCB in place, one version at a
//! time, before it uses anything else ([`Kcb::adopt`]); one that finds a
//! newer layout (or one no kernel wrote) refuses it and changes nothing, so
//! a kernel never runs a misread KCB. A KCB that never ran holds no state
//! and simply takes the layout of the kernel that first runs it.
//!
//! * 1: everything up to `dispatch_count`.
//! * 2: adds `resumes`, after all fields of layout 1. A layout-1 kernel never
//!   wrote it, so converting sets it to 0.
//!
//! The `layout1` feature builds this crate with layout 1 (a kernel of the
//! previous release, `cpudriver-kcb1`, to exercise conversion and refusal).

use caps::Cte;

use crate::PAddr;
use crate::dcb::EMPTY_CTE;
use crate::queue::{DispatcherList, RunQueue, WakeQueue};

/// `b"CFKCB\0\0\x01"` as a little-endian integer.
pub const KCB_MAGIC: u64 = u64::from_le_bytes(*b"CFKCB\0\0\x01");
/// The layout this build reads and writes.
pub const KCB_VERSION: u32 = if cfg!(feature = "layout1") { 1 } else { 2 };
/// The oldest layout this build converts to its own.
pub const OLDEST_CONVERTIBLE: u32 = 1;
/// [`Kcb::flags`]: the OSNode has been built (its first dispatcher made);
/// a kernel given this KCB resumes it instead of building it.
pub const KCB_STARTED: u32 = 1 << 0;
/// [`Kcb::flags`]: its core stopped it (its running dispatcher is saved and
/// queued); the next kernel to run it clears the flag.
pub const KCB_STOPPED: u32 = 1 << 1;
/// Interrupt vectors an OSNode can route to endpoints.
pub const IRQ_VECTORS: usize = 32;
/// The first of those vectors.
pub const FIRST_IRQ_VECTOR: u8 = 0x40;
/// Default scheduling quantum.
pub const DEFAULT_QUANTUM_NS: u64 = 10_000_000;

/// One routable vector.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct IrqRoute {
    /// Copy of the endpoint capability interrupts are sent to (null if none).
    pub endpoint: Cte,
    /// The global system interrupt routed to this vector, plus one (0: none).
    pub gsi_plus_one: u32,
    /// Non-zero if an IRQ-destination capability for the vector exists.
    pub allocated: u32,
    /// Interrupts delivered.
    pub count: u64,
}

/// The Kernel Control Block.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct Kcb {
    /// [`KCB_MAGIC`].
    pub magic: u64,
    /// [`KCB_VERSION`].
    pub version: u32,
    /// Reserved flags.
    pub flags: u32,
    /// The OSNode id.
    pub id: u64,
    /// Root of the mapping database.
    pub mdb_root: PAddr,
    /// Copy of init's CSpace root capability.
    pub init_cspace: Cte,
    /// Round-robin run queue.
    pub run_queue: RunQueue,
    /// The dispatcher running (or chosen to run) now, 0 if none.
    pub current: PAddr,
    /// All dispatchers of the OSNode.
    pub dispatchers: DispatcherList,
    /// Sleeping dispatchers, by deadline.
    pub wakeups: WakeQueue,
    /// Scheduling quantum in nanoseconds.
    pub quantum_ns: u64,
    /// Next dispatcher id to hand out.
    pub next_dispatcher_id: u64,
    /// Vector routing.
    pub irq_routes: [IrqRoute; IRQ_VECTORS],
    /// Notification bits raised while the OSNode was not running.
    pub pending: [u64; 4],
    /// Next KCB in this core's ring (itself when alone).
    pub ring_next: PAddr,
    /// Previous KCB in this core's ring.
    pub ring_prev: PAddr,
    /// Logical core id it last ran on.
    pub last_core: u32,
    /// APIC id of that core.
    pub last_apic: u32,
    /// Total dispatches.
    pub dispatch_count: u64,
    /// Times a kernel resumed the OSNode (after a stop, an update, a move
    /// or an unpark). Layout 2: a layout-1 kernel does not have it.
    #[cfg(not(feature = "layout1"))]
    pub resumes: u64,
}

const _: () = assert!(size_of::<Kcb>() as u64 <= caps::KCB_SIZE);

/// Why a KCB cannot be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcbError {
    /// Not a KCB (never initialised, or overwritten).
    BadMagic,
    /// Written by a kernel with a newer layout: this kernel cannot know
    /// what the newer fields mean.
    NewerVersion {
        /// The version found.
        found: u32,
    },
    /// A layout older than any this kernel converts (or no layout at all).
    OlderVersion {
        /// The version found.
        found: u32,
    },
}

impl core::fmt::Display for KcbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a valid KCB (bad magic)"),
            Self::NewerVersion { found } => write!(
                f,
                "KCB layout version {found} is newer than this kernel's ({KCB_VERSION}); \
                 refusing to run it"
            ),
            Self::OlderVersion { found } => write!(
                f,
                "KCB layout version {found} is older than any this kernel converts \
                 ({OLDEST_CONVERTIBLE} to {KCB_VERSION}); refusing to run it"
            ),
        }
    }
}

impl Kcb {
    /// A fresh KCB for OSNode `id` whose own physical address is `at`.
    pub const fn new(id: u64, at: PAddr) -> Self {
        Self {
            magic: KCB_MAGIC,
            version: KCB_VERSION,
            flags: 0,
            id,
            mdb_root: 0,
            init_cspace: EMPTY_CTE,
            run_queue: RunQueue::new(),
            current: 0,
            dispatchers: DispatcherList::new(),
            wakeups: WakeQueue::new(),
            quantum_ns: DEFAULT_QUANTUM_NS,
            next_dispatcher_id: 1,
            irq_routes: [IrqRoute {
                endpoint: EMPTY_CTE,
                gsi_plus_one: 0,
                allocated: 0,
                count: 0,
            }; IRQ_VECTORS],
            pending: [0; 4],
            ring_next: at,
            ring_prev: at,
            last_core: 0,
            last_apic: 0,
            dispatch_count: 0,
            #[cfg(not(feature = "layout1"))]
            resumes: 0,
        }
    }

    /// Checks that this is a KCB this kernel can run, converted if need
    /// be (see [`adopt`](Self::adopt)).
    pub fn validate(&self) -> Result<(), KcbError> {
        if self.magic != KCB_MAGIC {
            return Err(KcbError::BadMagic);
        }
        match self.version {
            v if v > KCB_VERSION => Err(KcbError::NewerVersion { found: v }),
            v if v < OLDEST_CONVERTIBLE => Err(KcbError::OlderVersion { found: v }),
            _ => Ok(()),
        }
    }

    /// Makes this KCB one of this kernel's layout: converts an older layout
    /// in place, one version at a time, and returns the version it had
    /// (`None` if it had this kernel's already). Refuses, changing nothing,
    /// what [`validate`](Self::validate) refuses.
    pub fn adopt(&mut self) -> Result<Option<u32>, KcbError> {
        self.validate()?;
        let found = self.version;
        if found == KCB_VERSION {
            return Ok(None);
        }
        #[cfg(not(feature = "layout1"))]
        if self.version == 1 {
            self.resumes = 0;
            self.version = 2;
        }
        debug_assert_eq!(self.version, KCB_VERSION);
        Ok(Some(found))
    }

    /// Counts a resume (layout 2 and up).
    pub fn note_resumed(&mut self) {
        #[cfg(not(feature = "layout1"))]
        {
            self.resumes += 1;
        }
    }

    /// Times a kernel resumed the OSNode, for layouts that count them.
    pub fn resumes(&self) -> Option<u64> {
        #[cfg(not(feature = "layout1"))]
        return Some(self.resumes);
        #[cfg(feature = "layout1")]
        None
    }

    /// The route of `vector`, if it is a routable vector.
    pub fn irq_route(&mut self, vector: u8) -> Option<&mut IrqRoute> {
        let index = vector.checked_sub(FIRST_IRQ_VECTOR)? as usize;
        self.irq_routes.get_mut(index)
    }
}
