//! Naming capabilities from a system call: resolving capability addresses
//! and destination slots in the calling dispatcher's CSpace, and turning
//! capability-library errors into system-call errors.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use caps::ops::{cnode_slot, lookup};
use caps::{CapError, Capability, CteAddr, CteMemory, ObjType};

use crate::arch::objects::KernelMemory;

/// The system-call error for a capability-library error.
pub fn sys(e: CapError) -> SysError {
    match e {
        CapError::SlotOutOfRange => SysError::SlotOutOfRange,
        CapError::NotACNode => SysError::NotACNode,
        CapError::SlotEmpty => SysError::SlotEmpty,
        CapError::SlotOccupied => SysError::SlotOccupied,
        CapError::WrongType => SysError::WrongType,
        CapError::IllegalRetype => SysError::IllegalRetype,
        CapError::Misaligned => SysError::Misaligned,
        CapError::BadSize => SysError::BadSize,
        CapError::BadCount => SysError::BadCount,
        CapError::OutOfBounds => SysError::OutOfBounds,
        CapError::Overlap => SysError::Overlap,
        CapError::InsufficientRights => SysError::InsufficientRights,
        CapError::NotCopyable => SysError::NotCopyable,
        CapError::NotDerivable => SysError::NotDerivable,
        CapError::BadArgument => SysError::BadArgument,
        CapError::Exported => SysError::RemoteCopies,
        CapError::Foreign => SysError::ForeignCapability,
        CapError::NotOriginal => SysError::NotOriginal,
    }
}

/// A resolved, non-empty capability.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// Its slot.
    pub at: CteAddr,
    /// The capability.
    pub cap: Capability,
}

impl Resolved {
    /// Its type (Null for an unknown raw type).
    pub fn ty(&self) -> ObjType {
        self.cap.obj_type()
    }
}

/// The slot `cptr` names in the CSpace rooted at `root` (it may be empty).
pub fn slot(mem: &KernelMemory, root: &Capability, cptr: CPtr) -> Result<CteAddr, SysError> {
    lookup(mem, root, cptr.0).map_err(sys)
}

/// The capability `cptr` names; an empty slot is an error.
pub fn cap(mem: &KernelMemory, root: &Capability, cptr: CPtr) -> Result<Resolved, SysError> {
    let at = slot(mem, root, cptr)?;
    let cap = mem.read(at).cap;
    if cap.obj_type() == ObjType::Null {
        return Err(SysError::SlotEmpty);
    }
    Ok(Resolved { at, cap })
}

/// The capability `cptr` names, which must be of type `ty`.
pub fn cap_of(
    mem: &KernelMemory,
    root: &Capability,
    cptr: CPtr,
    ty: ObjType,
) -> Result<Resolved, SysError> {
    let resolved = cap(mem, root, cptr)?;
    if resolved.ty() != ty {
        return Err(SysError::WrongType);
    }
    Ok(resolved)
}

/// The capability at `cptr`, which must be of type `ty` and hold `rights`
/// ([`SysError::InsufficientRights`]): what an operation that acts through
/// a capability given as an argument needs of it.
pub fn cap_with(
    mem: &KernelMemory,
    root: &Capability,
    cptr: CPtr,
    ty: ObjType,
    rights: caps::Rights,
) -> Result<Resolved, SysError> {
    let resolved = cap_of(mem, root, cptr, ty)?;
    if !resolved.cap.rights().contains(rights) {
        return Err(SysError::InsufficientRights);
    }
    Ok(resolved)
}

/// The slot a [`SlotRef`] names (it may be empty).
pub fn dest(mem: &KernelMemory, root: &Capability, slot_ref: SlotRef) -> Result<CteAddr, SysError> {
    match slot_ref {
        SlotRef::Slot(cptr) => slot(mem, root, cptr),
        SlotRef::Root(index) => cnode_slot(root, u64::from(index)).map_err(sys),
    }
}

/// `count` consecutive destination slots starting at `first`.
pub fn dests(
    mem: &KernelMemory,
    root: &Capability,
    first: SlotRef,
    count: u64,
    out: &mut [CteAddr],
) -> Result<usize, SysError> {
    let count = usize::try_from(count).map_err(|_| SysError::BadCount)?;
    if count == 0 || count > out.len() {
        return Err(SysError::BadCount);
    }
    for (i, slot) in out.iter_mut().take(count).enumerate() {
        let next = first.offset(i as u32).ok_or(SysError::SlotOutOfRange)?;
        *slot = dest(mem, root, next)?;
    }
    Ok(count)
}

/// The root capability of a dispatcher's CSpace.
pub fn root_of(mem: &mut KernelMemory, dcb: osnode::PAddr) -> Capability {
    mem.dcb(dcb).cspace.cap
}
