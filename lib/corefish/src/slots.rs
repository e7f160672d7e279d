//! The CSpace slot allocator: empty slots for new capabilities.
//!
//! It starts with the program's part of the task CNode (up to
//! `task::FIRST_GIFT`, where the spawner's gifts begin) and, when that runs out,
//! makes another L2 CNode (256 slots) from the program's RAM and installs
//! it in the first empty root slot. Freed slots are reused first.

use abi::cspace::{CPtr, L2_SLOTS, SlotRef, root, task};
use abi::error::SysError;
use abi::invoke;
use arrayvec::ArrayVec;
use caps::ObjType;
use spin::Mutex;

use crate::sys;

struct Allocator {
    /// Root slot of the L2 CNode being handed out, and the next index in it.
    current: Option<(u32, u32)>,
    /// Freed slots.
    free: ArrayVec<CPtr, 256>,
    /// Root slots known to be in use (hint for the search).
    next_root: u32,
}

static SLOTS: Mutex<Allocator> = Mutex::new(Allocator {
    current: Some((root::TASK, task::FIRST_FREE)),
    free: ArrayVec::new_const(),
    next_root: root::FIRST_FREE,
});

/// An empty slot.
pub fn alloc() -> Result<CPtr, SysError> {
    let mut a = SLOTS.lock();
    if let Some(slot) = a.free.pop() {
        return Ok(slot);
    }
    loop {
        let limit = |l1| {
            if l1 == root::TASK {
                task::FIRST_GIFT
            } else {
                L2_SLOTS
            }
        };
        if let Some((l1, index)) = a.current
            && index < limit(l1)
        {
            a.current = Some((l1, index + 1));
            return Ok(CPtr::new(l1, index));
        }
        // A new L2 CNode in the first empty root slot.
        let l1 = find_empty_root(a.next_root)?;
        drop(a);
        crate::ram::alloc_into(ObjType::L2CNode, caps::L2CNODE_SIZE, SlotRef::Root(l1))?;
        a = SLOTS.lock();
        a.next_root = l1 + 1;
        a.current = Some((l1, 0));
    }
}

/// Returns an (emptied) slot for reuse.
pub fn free(slot: CPtr) {
    let _ = SLOTS.lock().free.try_push(slot);
}

/// The first root slot at or after `from` that holds nothing.
fn find_empty_root(from: u32) -> Result<u32, SysError> {
    let roots = crate::cap::root_slots()?;
    (from..roots)
        .find(|&l1| {
            // IDENTIFY_IN on an empty root slot fails with NotACNode.
            sys::invoke(
                task::ROOT_CNODE,
                invoke::IDENTIFY_IN,
                [u64::from(CPtr::new(l1, 0).0), 0, 0, 0],
            ) == Err(SysError::NotACNode)
        })
        .ok_or(SysError::SlotOutOfRange)
}
