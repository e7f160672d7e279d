//! Capabilities across OSNodes, for monitors (through the Kernel
//! capability): each OSNode has its own mapping database, so a capability
//! sent to another OSNode arrives there as a new *foreign* root made from
//! its description ([`import`]), while the sending OSNode keeps an
//! *exported* anchor ([`set_exported`]) that no delete or revoke can remove
//! until the monitors have revoked the foreign copies. Ownership stays with
//! the OSNode that made the object.
//!
//! Only memory can travel: RAM, frames and device frames, and KCBs (so
//! that the boot driver can have another OSNode's kernel host a stopped
//! OSNode, which that kernel reaches through its imported KCB capability).
//!
//! RAM can also change hands ([`adopt`]): the receiving OSNode gets an
//! original of its own, which it may retype, while the giving OSNode keeps
//! its exported anchor, so its own mapping database never hands the range
//! out again until the receiver has given it back (the memory of programs
//! on every core comes this way from the machine's memory server).

use super::{check_dest, install, live_cap};
use crate::{
    CapError, Capability, Cte, CteAddr, CteMemory, FLAG_EXPORTED, FLAG_FOREIGN, ObjType, PAGE_SIZE,
    Rights, mdb,
};

/// Whether capabilities of type `ty` may go to other OSNodes.
const fn travels(ty: ObjType) -> bool {
    matches!(
        ty,
        ObjType::Ram | ObjType::Frame | ObjType::DevFrame | ObjType::KernelControlBlock
    )
}

/// Creates in the empty slot `dest` a foreign capability of type `ty` with
/// `rights` for `[base, base + size)`: another OSNode's capability as this
/// OSNode knows it.
///
/// Checks, in order: `ty` travels ([`CapError::WrongType`]); `dest` is
/// non-null ([`CapError::BadArgument`]) and empty
/// ([`CapError::SlotOccupied`]); `size > 0`, and the type's own size for a
/// type that has one ([`CapError::BadSize`]); the
/// range is page-aligned ([`CapError::Misaligned`]) and does not overflow
/// ([`CapError::OutOfBounds`]); no capability of this OSNode overlaps it
/// ([`CapError::Overlap`]: an import is made once and then copied).
#[allow(clippy::too_many_arguments)]
pub fn import<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    ty: ObjType,
    rights: Rights,
    base: u64,
    size: u64,
    dest: CteAddr,
) -> Result<(), CapError> {
    if !travels(ty) {
        return Err(CapError::WrongType);
    }
    check_dest(mem, dest)?;
    if size == 0 || ty.fixed_size().is_some_and(|fixed| size != fixed) {
        return Err(CapError::BadSize);
    }
    if !base.is_multiple_of(PAGE_SIZE) || !size.is_multiple_of(PAGE_SIZE) {
        return Err(CapError::Misaligned);
    }
    let end = base.checked_add(size).ok_or(CapError::OutOfBounds)?;
    if mdb::any_in_domain_overlapping(mem, *root, ty.domain(), base, end).is_some() {
        return Err(CapError::Overlap);
    }
    let mut cap = Capability::new(ty, rights, base, size);
    cap.flags = FLAG_FOREIGN;
    install(mem, root, dest, cap);
    Ok(())
}

/// Creates in the empty slot `dest` an original RAM capability for
/// `[base, base + size)` with every right: RAM another OSNode handed over
/// (it keeps an exported anchor of it) becomes this OSNode's to retype.
///
/// The checks are [`import`]'s, in its order; `Ram` is the only type
/// ([`CapError::WrongType`]).
pub fn adopt<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    base: u64,
    size: u64,
    dest: CteAddr,
) -> Result<(), CapError> {
    import(mem, root, ObjType::Ram, Rights::ALL, base, size, dest)?;
    let mut cte: Cte = mem.read(dest);
    cte.cap.flags = 0;
    // The flags are not part of the MDB order: the links stay valid.
    mem.write(dest, &cte);
    Ok(())
}

/// Marks the capability at `at` as the anchor of copies on other OSNodes
/// (`exported`), or clears the mark once those copies are gone.
///
/// Checks, in order: `at` holds a capability ([`CapError::SlotEmpty`]); its
/// type travels ([`CapError::WrongType`]); it is not foreign
/// ([`CapError::Foreign`]: only the owner exports).
pub fn set_exported<M: CteMemory>(
    mem: &mut M,
    at: CteAddr,
    exported: bool,
) -> Result<(), CapError> {
    let cap = live_cap(mem, at)?;
    if !travels(cap.obj_type()) {
        return Err(CapError::WrongType);
    }
    if cap.is_foreign() {
        return Err(CapError::Foreign);
    }
    let mut cte: Cte = mem.read(at);
    if exported {
        cte.cap.flags |= FLAG_EXPORTED;
    } else {
        cte.cap.flags &= !FLAG_EXPORTED;
    }
    // The flags are not part of the MDB order: the links stay valid.
    mem.write(at, &cte);
    Ok(())
}
