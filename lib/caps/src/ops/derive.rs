//! Derive: kernel-synthesised descendants that are records about an object
//! rather than new objects made of memory: endpoints of a dispatcher, and
//! mappings of a frame, device frame or page table.
//!
//! Derived capabilities are leaves: they never have descendants. A mapping
//! of part of a frame must not overlap frames already retyped from that
//! frame, so every capability keeps a single line of ancestors.

use super::{check_dest, install, live_cap};
use crate::{CapError, Capability, CteAddr, CteMemory, ObjType, PAGE_SIZE, mdb};

/// Inserts `child`, a record derived from the capability in `parent`, into
/// the empty slot `dest`. The stored child has rights
/// `child.rights ∩ parent.rights` and zero reserved fields; `extra` and
/// `word` are kept as given (endpoint index and badge, or entry count and
/// page-table entry).
///
/// Checks, in order:
/// 1. `parent` holds a capability ([`CapError::SlotEmpty`]);
/// 2. the pair is `EndPoint` from `Dispatcher` or `Mapping` from `Frame`,
///    `DevFrame` or a VNode, and the child's range is the parent's (for a
///    frame's mapping: a non-empty part of it), else
///    [`CapError::NotDerivable`];
/// 3. a frame's mapping is page-aligned ([`CapError::Misaligned`]);
/// 4. `dest` is non-null ([`CapError::BadArgument`]) and empty
///    ([`CapError::SlotOccupied`]);
/// 5. no copy of the child exists already ([`CapError::NotDerivable`]);
/// 6. a frame's mapping overlaps no frame retyped from the parent (or its
///    copies) ([`CapError::Overlap`]).
pub fn derive<M: CteMemory>(
    mem: &mut M,
    root: &mut CteAddr,
    parent: CteAddr,
    child: Capability,
    dest: CteAddr,
) -> Result<(), CapError> {
    let p = live_cap(mem, parent)?;
    let (pt, ct) = (p.obj_type(), child.obj_type());
    let of_frame = ct == ObjType::Mapping && matches!(pt, ObjType::Frame | ObjType::DevFrame);
    let pair_ok = match ct {
        ObjType::EndPoint => pt == ObjType::Dispatcher,
        ObjType::Mapping => of_frame || pt.is_vnode(),
        _ => false,
    };
    let inside = child.size != 0
        && child.base >= p.base
        && child
            .base
            .checked_add(child.size)
            .is_some_and(|end| end <= p.end());
    let whole = child.base == p.base && child.size == p.size;
    if !pair_ok || !(whole || of_frame && inside) {
        return Err(CapError::NotDerivable);
    }
    if of_frame && (!child.base.is_multiple_of(PAGE_SIZE) || !child.size.is_multiple_of(PAGE_SIZE))
    {
        return Err(CapError::Misaligned);
    }
    check_dest(mem, dest)?;
    let mut cap = child;
    cap.rights = child.rights().intersection(p.rights()).bits();
    cap.flags = 0;
    cap.reserved = 0;
    if mdb::find_copy(mem, *root, &cap).is_some() {
        return Err(CapError::NotDerivable);
    }
    if of_frame {
        let not_leaf = |c: &Capability| !c.obj_type().is_leaf();
        if mdb::descendant_overlapping_where(mem, *root, &p, cap.base, cap.end(), not_leaf)
            .is_some()
        {
            return Err(CapError::Overlap);
        }
    }
    install(mem, root, dest, cap);
    Ok(())
}
