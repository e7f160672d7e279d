//! Delete, revoke and identify: removing capabilities and reading them.
//!
//! Deleting a capability never deletes anything else: descendants of a
//! deleted object stay alive (and keep its memory from being retyped again)
//! until they are deleted or revoked themselves. Revoke deletes one
//! capability per step so the kernel can clean up each object (unmap,
//! deschedule, ...) between steps. Only an original revokes: a copy
//! ([`crate::FLAG_COPY`]) cannot.

use super::live_cap;
use crate::{CapError, Capability, Cte, CteAddr, CteMemory, mdb};

/// What [`delete`] removed, for the kernel's type-specific cleanup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deleted {
    /// The capability that was in the slot.
    pub cap: Capability,
    /// Whether it was the last copy: the object itself is gone.
    pub last_copy: bool,
    /// Whether the object had descendants (which remain).
    pub had_descendants: bool,
}

/// Removes the capability at `at` from the MDB and clears the slot.
///
/// Errors: [`CapError::SlotEmpty`]; [`CapError::Exported`] (it anchors
/// copies on other OSNodes).
pub fn delete<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    at: CteAddr,
) -> Result<Deleted, CapError> {
    let cap = live_cap(mem, at)?;
    if cap.is_exported() {
        return Err(CapError::Exported);
    }
    let deleted = Deleted {
        cap,
        last_copy: !mdb::has_copies(mem, *root, at),
        had_descendants: mdb::has_descendants(mem, *root, at),
    };
    mdb::remove(mem, root, at);
    mem.write(at, &Cte::NULL);
    Ok(deleted)
}

/// Deletes one capability that is a descendant or a copy of the one at `at`
/// (never `at` itself) and returns its slot and what was deleted, or `None`
/// when none is left. Descendants go first, the last in the order first, so
/// a deleted descendant never has descendants of its own; copies go last.
///
/// Errors: [`CapError::SlotEmpty`]; [`CapError::NotOriginal`] (`at` holds a
/// copy).
pub fn revoke_step<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    at: CteAddr,
) -> Result<Option<(CteAddr, Deleted)>, CapError> {
    let cap = live_cap(mem, at)?;
    if cap.is_copy() {
        return Err(CapError::NotOriginal);
    }
    let copy = |n: Option<CteAddr>| n.filter(|&n| mem.read(n).cap.is_copy_of(&cap));
    let victim = mdb::last_descendant(mem, *root, at)
        .or_else(|| copy(mdb::successor(mem, *root, at)))
        .or_else(|| copy(mdb::predecessor(mem, *root, at)));
    match victim {
        Some(v) if v != at => Ok(Some((v, delete(mem, root, v)?))),
        _ => Ok(None),
    }
}

/// Deletes every descendant and copy of the capability at `at`, calling
/// `on_delete` after each deletion; returns how many were deleted.
///
/// Errors: [`CapError::SlotEmpty`]; [`CapError::NotOriginal`] (`at` holds a
/// copy); [`CapError::Exported`] when one of them anchors copies on other
/// OSNodes (see [`revoke_blocker`] and [`mark_revoking`]). Either way
/// nothing is deleted.
pub fn revoke<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    at: CteAddr,
    mut on_delete: impl FnMut(CteAddr, &Deleted),
) -> Result<u64, CapError> {
    if live_cap(mem, at)?.is_copy() {
        return Err(CapError::NotOriginal);
    }
    if revoke_blocker(mem, *root, at).is_some() {
        return Err(CapError::Exported);
    }
    let mut count = 0;
    while let Some((slot, deleted)) = revoke_step(mem, root, at)? {
        on_delete(slot, &deleted);
        count += 1;
    }
    Ok(count)
}

/// Marks every exported capability (anchor of copies on other OSNodes)
/// among the copies and descendants of the original at `at`, which a
/// revoke of `at` would delete, as asked to go ([`crate::FLAG_REVOKING`]):
/// its holder had the authority to revoke them, so their monitor may
/// revoke their copies elsewhere. Returns how many it marked; marks
/// nothing for a copy. The flags are not part of the MDB order.
pub fn mark_revoking<M: CteMemory>(mem: &mut M, root: CteAddr, at: CteAddr) -> usize {
    let cap = mem.read(at).cap;
    if cap.is_null() || cap.is_copy() {
        return 0;
    }
    let is_copy = |m: &M, n: &CteAddr| m.read(*n).cap.is_copy_of(&cap);
    let mut marked = 0;
    let mut mark = |m: &mut M, n: CteAddr| {
        let mut cte = m.read(n);
        if cte.cap.is_exported() {
            cte.cap.flags |= crate::FLAG_REVOKING;
            m.write(n, &cte);
            marked += 1;
        }
    };
    let mut next = mdb::successor(mem, root, at).filter(|n| is_copy(mem, n));
    while let Some(n) = next {
        mark(mem, n);
        next = mdb::successor(mem, root, n).filter(|n| is_copy(mem, n));
    }
    let mut next = mdb::predecessor(mem, root, at).filter(|n| is_copy(mem, n));
    while let Some(n) = next {
        mark(mem, n);
        next = mdb::predecessor(mem, root, n).filter(|n| is_copy(mem, n));
    }
    let mut next = mdb::first_descendant(mem, root, at);
    while let Some(n) = next {
        mark(mem, n);
        next = mdb::successor(mem, root, n).filter(|&s| cap.is_ancestor_of(&mem.read(s).cap));
    }
    marked
}

/// The first exported capability (an anchor of copies on other OSNodes)
/// among the copies and descendants of the one at `at`, which a revoke of
/// `at` would delete.
pub fn revoke_blocker<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    if cap.is_null() {
        return None;
    }
    let exported = |n: CteAddr| mem.read(n).cap.is_exported();
    let is_copy = |n: &CteAddr| mem.read(*n).cap.is_copy_of(&cap);
    let mut next = mdb::successor(mem, root, at).filter(is_copy);
    while let Some(n) = next {
        if exported(n) {
            return Some(n);
        }
        next = mdb::successor(mem, root, n).filter(is_copy);
    }
    let mut next = mdb::predecessor(mem, root, at).filter(is_copy);
    while let Some(n) = next {
        if exported(n) {
            return Some(n);
        }
        next = mdb::predecessor(mem, root, n).filter(is_copy);
    }
    mdb::descendants(mem, root, at).find(|&n| exported(n))
}

/// The capability at `at`.
///
/// Errors: [`CapError::SlotEmpty`].
pub fn identify<M: CteMemory>(mem: &M, at: CteAddr) -> Result<Capability, CapError> {
    live_cap(mem, at)
}
