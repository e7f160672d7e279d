//! Creating root capabilities: the kernel's boot-time grant of the
//! platform's resources (physical memory, RAM, I/O ports, interrupts, its
//! own interface). Everything else descends from these by retype or derive.

use super::{check_dest, install};
use crate::{CapError, Capability, CteAddr, CteMemory, ObjType, PAGE_SIZE, Rights, mdb};

/// Creates a root capability of type `ty` for `[base, base + size)` with
/// all rights in the empty slot `dest`.
///
/// Checks, in order: `ty` is a root type ([`ObjType::is_root_type`]:
/// `PhysAddr`, `Ram` or a non-memory type), else [`CapError::WrongType`];
/// `dest` is non-null ([`CapError::BadArgument`]) and empty
/// ([`CapError::SlotOccupied`]); `size > 0` ([`CapError::BadSize`]); memory
/// ranges are page-aligned ([`CapError::Misaligned`]); the range does not
/// overflow ([`CapError::OutOfBounds`]); no existing capability of the same
/// domain overlaps it ([`CapError::Overlap`]).
pub fn create<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    ty: ObjType,
    base: u64,
    size: u64,
    dest: CteAddr,
) -> Result<(), CapError> {
    if !ty.is_root_type() {
        return Err(CapError::WrongType);
    }
    check_dest(mem, dest)?;
    if size == 0 {
        return Err(CapError::BadSize);
    }
    if ty.is_physical() && (!base.is_multiple_of(PAGE_SIZE) || !size.is_multiple_of(PAGE_SIZE)) {
        return Err(CapError::Misaligned);
    }
    let end = base.checked_add(size).ok_or(CapError::OutOfBounds)?;
    if mdb::any_in_domain_overlapping(mem, *root, ty.domain(), base, end).is_some() {
        return Err(CapError::Overlap);
    }
    install(
        mem,
        root,
        dest,
        Capability::new(ty, Rights::ALL, base, size),
    );
    Ok(())
}
