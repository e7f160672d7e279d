//! The capability operations the kernel offers: lookup, create, retype,
//! copy, mint, derive, delete, revoke, identify, and for monitors import and
//! export across OSNodes.
//!
//! Every operation validates all of its arguments before it writes
//! anything; when it returns an error, memory and the MDB root are exactly
//! as they were. Checks run in the order each function documents, so the
//! error reported for an argument with several faults is predictable.
//!
//! Slot address 0 never holds a capability: as a source it reads as an
//! empty slot ([`CapError::SlotEmpty`]), as a destination it is a malformed
//! argument ([`CapError::BadArgument`]).

mod copy;
mod create;
mod delete;
mod derive;
mod lookup;
mod remote;
mod retype;

pub use copy::{copy, mint};
pub use create::create;
pub use delete::{Deleted, delete, identify, mark_revoking, revoke, revoke_blocker, revoke_step};
pub use derive::derive;
pub use lookup::{cnode_slot, lookup};
pub use remote::{adopt, import, set_exported};
pub use retype::retype;

use crate::{CapError, Capability, Cte, CteAddr, CteMemory, MdbNode, mdb};

/// The capability at `at`, which must not be empty.
fn live_cap<M: CteMemory>(mem: &M, at: CteAddr) -> Result<Capability, CapError> {
    if at == 0 {
        return Err(CapError::SlotEmpty);
    }
    let cap = mem.read(at).cap;
    if cap.is_null() {
        Err(CapError::SlotEmpty)
    } else {
        Ok(cap)
    }
}

/// Checks that `dest` names an empty slot.
fn check_dest<M: CteMemory>(mem: &M, dest: CteAddr) -> Result<(), CapError> {
    if dest == 0 {
        Err(CapError::BadArgument)
    } else if !mem.read(dest).cap.is_null() {
        Err(CapError::SlotOccupied)
    } else {
        Ok(())
    }
}

/// Writes `cap` into the (checked, empty) slot `at` and enters it into the
/// MDB.
fn install<M: CteMemory>(mem: &mut M, root: &mut CteAddr, at: CteAddr, cap: Capability) {
    let cte = Cte {
        cap,
        mdb: MdbNode::default(),
    };
    mem.write(at, &cte);
    mdb::insert(mem, root, at);
}
