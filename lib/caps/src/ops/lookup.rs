//! Finding a slot: the two-level CSpace walk from a capability address.
//!
//! A capability address (`cptr`) has the L1 index in its upper 24 bits and
//! the L2 slot in its low 8 bits: `cptr >> 8` selects an L2 CNode cap in the
//! L1 CNode, `cptr & 0xff` a slot in that L2 CNode.

use crate::{CTE_SIZE, CapError, Capability, CteAddr, CteMemory, L2_SLOTS, ObjType};

/// The address of slot `index` of the CNode `cnode` (an L1 or L2 CNode).
///
/// Address 0 is the null CTE address, so slot 0 of a CNode at physical
/// address 0 cannot be named (it reports [`CapError::SlotOutOfRange`]).
pub fn cnode_slot(cnode: &Capability, index: u64) -> Result<CteAddr, CapError> {
    let slots = match cnode.obj_type() {
        ObjType::L1CNode => u64::from(cnode.extra),
        ObjType::L2CNode => L2_SLOTS,
        _ => return Err(CapError::NotACNode),
    };
    // A damaged cap must not name slots beyond its memory.
    let slots = slots.min(cnode.size / CTE_SIZE);
    if index >= slots {
        return Err(CapError::SlotOutOfRange);
    }
    match cnode.base.checked_add(index * CTE_SIZE) {
        Some(at) if at != 0 => Ok(at),
        _ => Err(CapError::SlotOutOfRange),
    }
}

/// The slot named by `cptr` in the CSpace whose root is the L1 CNode
/// `l1_root`. The slot may be empty.
///
/// Errors: [`CapError::NotACNode`] when `l1_root` is not an L1 CNode or the
/// L1 slot does not hold an L2 CNode; [`CapError::SlotOutOfRange`] when the
/// L1 index is beyond the root's slot count.
pub fn lookup<M: CteMemory>(mem: &M, l1_root: &Capability, cptr: u32) -> Result<CteAddr, CapError> {
    if l1_root.obj_type() != ObjType::L1CNode {
        return Err(CapError::NotACNode);
    }
    let l1_slot = cnode_slot(l1_root, u64::from(cptr >> 8))?;
    let l2 = mem.read(l1_slot).cap;
    if l2.obj_type() != ObjType::L2CNode {
        return Err(CapError::NotACNode);
    }
    cnode_slot(&l2, u64::from(cptr & 0xff))
}
