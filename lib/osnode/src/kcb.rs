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

use caps::Cte;

use crate::PAddr;
use crate::dcb::EMPTY_CTE;
use crate::queue::{DispatcherList, RunQueue, WakeQueue};

/// `b"CFKCB\0\0\x01"` as a little-endian integer.
pub const KCB_MAGIC: u64 = u64::from_le_bytes(*b"CFKCB\0\0\x01");
/// Current layout version.
pub const KCB_VERSION: u32 = 1;
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
}

const _: () = assert!(size_of::<Kcb>() as u64 <= caps::KCB_SIZE);

/// Why a KCB cannot be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcbError {
    /// Not a KCB (never initialised, or overwritten).
    BadMagic,
    /// Written by a kernel with a layout this kernel does not understand.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
}

impl core::fmt::Display for KcbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a valid KCB (bad magic)"),
            Self::UnsupportedVersion { found } => {
                write!(
                    f,
                    "KCB layout version {found}, this kernel runs version {KCB_VERSION}"
                )
            }
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
        }
    }

    /// Checks that this is a KCB this kernel can run.
    pub fn validate(&self) -> Result<(), KcbError> {
        if self.magic != KCB_MAGIC {
            return Err(KcbError::BadMagic);
        }
        if self.version != KCB_VERSION {
            return Err(KcbError::UnsupportedVersion {
                found: self.version,
            });
        }
        Ok(())
    }

    /// The route of `vector`, if it is a routable vector.
    pub fn irq_route(&mut self, vector: u8) -> Option<&mut IrqRoute> {
        let index = vector.checked_sub(FIRST_IRQ_VECTOR)? as usize;
        self.irq_routes.get_mut(index)
    }
}
