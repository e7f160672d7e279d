//! Where a new OSNode's CSpace goes in its boot region: the KCB (the first
//! OSNode's), the root CNode and the L2 CNodes, in that order, planned
//! before anything is made so that capabilities go straight to their final
//! slots.

use abi::cspace::{INIT_RESOURCES, init, root};
use caps::CteAddr;

use super::Role;
use super::builder::slot;

/// Bytes of the KCB and of each CNode (256 slots), the largest objects:
/// the boot region is aligned to it.
pub const CNODE_BYTES: u64 = caps::L2CNODE_SIZE;
const _: () = assert!(caps::KCB_SIZE == CNODE_BYTES && 256 * caps::CTE_SIZE == CNODE_BYTES);
/// The L2 CNodes, in the order they follow the root CNode.
pub const L2_ORDER: [u32; 6] = [
    root::TASK,
    root::RECEIVE,
    INIT_RESOURCES,
    init::RAM_CNODE,
    init::DEVICE_CNODE,
    init::PAGE_CNODE,
];
/// The KCB, the root CNode and the L2 CNodes.
pub const CSPACE_BYTES: u64 = (2 + L2_ORDER.len() as u64) * CNODE_BYTES;
/// Where the CNodes of the boot region are.
pub struct CSpace {
    /// The root CNode.
    pub l1: u64,
    /// The L2 CNodes, in [`L2_ORDER`].
    l2: [u64; L2_ORDER.len()],
}

impl CSpace {
    /// The layout of a region at `base`: the first OSNode's KCB comes
    /// first; a monitor's KCB is the boot driver's, elsewhere.
    pub fn plan(base: u64, role: Role) -> Self {
        let kcb_slots = match role {
            Role::First { .. } => 1,
            Role::Monitor => 0,
        };
        let at = |i: u64| base + (i + kcb_slots) * CNODE_BYTES;
        Self {
            l1: at(0),
            l2: core::array::from_fn(|i| at(1 + i as u64)),
        }
    }

    /// The L2 CNode in root slot `root_slot`.
    pub fn l2(&self, root_slot: u32) -> u64 {
        let position = L2_ORDER.iter().position(|&s| s == root_slot).unwrap_or(0);
        self.l2[position]
    }

    /// Slot `index` of the task CNode.
    pub fn task(&self, cptr: abi::cspace::CPtr) -> CteAddr {
        slot(self.l2(root::TASK), cptr.l2())
    }

    /// Slot `index` of the page CNode.
    pub fn page(&self, index: u32) -> CteAddr {
        slot(self.l2(init::PAGE_CNODE), index)
    }
}
