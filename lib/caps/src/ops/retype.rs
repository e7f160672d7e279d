//! Retype: carving new objects out of a memory (or I/O port) capability.
//!
//! Retype is the only way kernel objects come to exist, so it is where the
//! system's memory safety is decided: new objects must lie inside the source
//! and must not overlap anything already derived from it (or from its
//! copies). The library does not touch the objects' memory; the kernel
//! zeroes or initialises it after a successful retype.

use super::{check_dest, install, live_cap};
use crate::types::{MAX_L1_SLOTS, MAX_RETYPE_COUNT, MIN_L1_SLOTS, PAGE_SIZE};
use crate::{CTE_SIZE, CapError, Capability, CteAddr, CteMemory, ObjType, Rights, mdb};

/// Creates `count` objects of type `new_type` and `objsize` bytes (ports,
/// for I/O) each, back to back from `src.base + offset`, one in each slot of
/// `dest`. New capabilities are originals with the source's rights (rights
/// never grow: RAM without the right to execute or grant makes objects
/// without it) and `word` 0; L1 CNodes get their slot count
/// (`objsize / 64`) in `extra`.
///
/// Checks, in order:
/// 1. `src` holds a capability ([`CapError::SlotEmpty`]);
/// 2. it is not foreign ([`CapError::Foreign`]: another OSNode's memory);
///    its type may be retyped into `new_type`
///    ([`ObjType::can_retype_to`], else [`CapError::IllegalRetype`]);
/// 3. it has [`Rights::WRITE`] ([`CapError::InsufficientRights`]);
/// 4. `1 <= count <= MAX_RETYPE_COUNT` and `dest.len() == count`
///    ([`CapError::BadCount`]);
/// 5. every `dest` is non-null and named once ([`CapError::BadArgument`]),
///    then every `dest` is empty ([`CapError::SlotOccupied`]);
/// 6. `objsize` is non-zero, the type's fixed size (an L1 CNode: a power of
///    two number of slots in `[MIN_L1_SLOTS, MAX_L1_SLOTS]`), and, when
///    retyping into the source's own type, smaller than the source
///    ([`CapError::BadSize`]);
/// 7. alignment ([`CapError::Misaligned`]): kernel objects (CNodes, VNodes,
///    Dispatchers, KCBs) start at a multiple of `objsize`; other memory
///    objects have `offset` and `objsize` multiples of [`PAGE_SIZE`]; ports
///    need no alignment;
/// 8. `offset + count * objsize <= src.size`, without overflow
///    ([`CapError::OutOfBounds`]);
/// 9. the new range overlaps no descendant of `src` or of its copies
///    ([`CapError::Overlap`]).
#[allow(clippy::too_many_arguments)]
pub fn retype<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    src: CteAddr,
    new_type: ObjType,
    offset: u64,
    objsize: u64,
    count: u64,
    dest: &[CteAddr],
) -> Result<(), CapError> {
    let source = live_cap(mem, src)?;
    if source.is_foreign() {
        return Err(CapError::Foreign);
    }
    if !source.obj_type().can_retype_to(new_type) {
        return Err(CapError::IllegalRetype);
    }
    if !source.rights().contains(Rights::WRITE) {
        return Err(CapError::InsufficientRights);
    }
    if count == 0 || count > MAX_RETYPE_COUNT || dest.len() as u64 != count {
        return Err(CapError::BadCount);
    }
    check_dests(mem, dest)?;
    let extra = object_extra(&source, new_type, objsize)?;
    check_alignment(&source, new_type, offset, objsize)?;
    let (start, end) = new_range(&source, offset, objsize, count)?;
    if mdb::descendant_overlapping_where(mem, *root, &source, start, end, |_| true).is_some() {
        return Err(CapError::Overlap);
    }
    let mut base = start;
    for &at in dest {
        let cap = Capability::new(new_type, source.rights(), base, objsize).with_extra(extra);
        install(mem, root, at, cap);
        base += objsize;
    }
    Ok(())
}

/// Step 5: destinations are non-null, distinct, and empty.
fn check_dests<M: CteMemory>(mem: &M, dest: &[CteAddr]) -> Result<(), CapError> {
    if dest.contains(&0) {
        return Err(CapError::BadArgument);
    }
    // Callers name consecutive slots, which makes the common case linear.
    let ascending = dest.windows(2).all(|w| w[0] < w[1]);
    if !ascending {
        for (i, at) in dest.iter().enumerate() {
            if dest[..i].contains(at) {
                return Err(CapError::BadArgument);
            }
        }
    }
    dest.iter().try_for_each(|&at| check_dest(mem, at))
}

/// Step 6: the object size; returns the new caps' `extra`.
fn object_extra(source: &Capability, new_type: ObjType, objsize: u64) -> Result<u32, CapError> {
    let mut extra = 0;
    let size_ok = if new_type == ObjType::L1CNode {
        let slots = objsize / CTE_SIZE;
        extra = slots as u32; // at most MAX_L1_SLOTS when accepted
        objsize.is_multiple_of(CTE_SIZE)
            && slots.is_power_of_two()
            && (MIN_L1_SLOTS..=MAX_L1_SLOTS).contains(&slots)
    } else if let Some(fixed) = new_type.fixed_size() {
        objsize == fixed
    } else {
        objsize != 0
    };
    let shrinks = new_type != source.obj_type() || objsize < source.size;
    if size_ok && shrinks {
        Ok(extra)
    } else {
        Err(CapError::BadSize)
    }
}

/// Step 7: alignment of the new objects.
fn check_alignment(
    source: &Capability,
    new_type: ObjType,
    offset: u64,
    objsize: u64,
) -> Result<(), CapError> {
    // `objsize` is non-zero after step 6, and at most a few MiB for kernel
    // objects, so the sum below cannot overflow.
    let granule = if new_type.is_kernel_object() {
        objsize.max(1)
    } else if new_type.is_physical() {
        PAGE_SIZE
    } else {
        1
    };
    let start_aligned = (source.base % granule + offset % granule).is_multiple_of(granule);
    if start_aligned && objsize.is_multiple_of(granule) {
        Ok(())
    } else {
        Err(CapError::Misaligned)
    }
}

/// Step 8: the new range `[start, end)`, if it fits in the source.
fn new_range(
    source: &Capability,
    offset: u64,
    objsize: u64,
    count: u64,
) -> Result<(u64, u64), CapError> {
    let len = count.checked_mul(objsize).ok_or(CapError::OutOfBounds)?;
    let end_offset = offset.checked_add(len).ok_or(CapError::OutOfBounds)?;
    if end_offset > source.size {
        return Err(CapError::OutOfBounds);
    }
    let start = source
        .base
        .checked_add(offset)
        .ok_or(CapError::OutOfBounds)?;
    let end = start.checked_add(len).ok_or(CapError::OutOfBounds)?;
    Ok((start, end))
}
