//! Copy and mint: new capabilities for an existing object, with the same or
//! fewer rights, and (for endpoints) a badge.
//!
//! A copy is a sibling, not a child: it names the same object and shares
//! its descendants. But it is marked a copy ([`crate::FLAG_COPY`]): its
//! holder can delete it, not revoke with it, so whatever capability is
//! handed out cannot destroy the giver's. A copy of a foreign capability is
//! foreign; a copy of an exported one is not exported. Mapping records are
//! never copied: each one stands for exactly one page-table entry.

use super::{check_dest, install, live_cap};
use crate::{CapError, CteAddr, CteMemory, ObjType, Rights};

/// Copies the capability in `src` into the empty slot `dest`, keeping its
/// rights (and badge). Needs no right.
///
/// Checks, in order: `src` holds a capability ([`CapError::SlotEmpty`]); it
/// is not a `Mapping` ([`CapError::NotCopyable`]); `dest` is non-null
/// ([`CapError::BadArgument`]) and empty ([`CapError::SlotOccupied`]).
pub fn copy<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    src: CteAddr,
    dest: CteAddr,
) -> Result<(), CapError> {
    mint(mem, root, src, dest, Rights::ALL, 0)
}

/// Copies the capability in `src` into the empty slot `dest` with rights
/// `src.rights ∩ rights_mask` and, if `badge` is non-zero, that badge.
///
/// Checks, in order: `src` holds a capability ([`CapError::SlotEmpty`]); it
/// is not a `Mapping` ([`CapError::NotCopyable`]); a non-zero `badge` is
/// only for an unbadged `EndPoint` ([`CapError::BadArgument`]); `dest` is
/// non-null ([`CapError::BadArgument`]) and empty
/// ([`CapError::SlotOccupied`]). A zero `badge` keeps the source's badge.
pub fn mint<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    src: CteAddr,
    dest: CteAddr,
    rights_mask: Rights,
    badge: u64,
) -> Result<(), CapError> {
    let source = live_cap(mem, src)?;
    let ty = source.obj_type();
    if ty == ObjType::Mapping {
        return Err(CapError::NotCopyable);
    }
    if badge != 0 && (ty != ObjType::EndPoint || source.badge() != 0) {
        return Err(CapError::BadArgument);
    }
    check_dest(mem, dest)?;
    let mut cap = source;
    cap.rights = source.rights().intersection(rights_mask).bits();
    // A copy is foreign if its source is; only the monitor's anchor is
    // exported (and asked to be revoked).
    cap.flags = source.flags & !(crate::FLAG_EXPORTED | crate::FLAG_REVOKING) | crate::FLAG_COPY;
    if badge != 0 {
        cap.word = badge;
    }
    install(mem, root, dest, cap);
    Ok(())
}
