//! Invocations every capability has (identify, copy, mint, delete, revoke)
//! and retype.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use caps::{Capability, CteAddr, ObjType, Rights};

use super::{Invocation, Results};
use crate::cspace::{self, sys};
use crate::objects;

/// IDENTIFY's results for `cap`.
pub fn describe(cap: &Capability) -> Results {
    let packed = u64::from(cap.raw_type)
        | (u64::from(cap.rights) << 8)
        | (u64::from(cap.flags) << 16)
        | (u64::from(cap.extra) << 32);
    [packed, cap.base, cap.size, cap.word, 0, 0]
}

/// Runs a capability-library operation on the KCB's MDB root.
fn with_root<R>(
    inv: &mut Invocation,
    f: impl FnOnce(&mut crate::arch::objects::KernelMemory, &mut CteAddr) -> Result<R, caps::CapError>,
) -> Result<R, SysError> {
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let result = f(inv.mem, &mut root);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    result.map_err(sys)
}

/// COPY(a0 = destination).
pub fn copy(inv: &mut Invocation) -> Result<Results, SysError> {
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[0]))?;
    let src = inv.target.at;
    with_root(inv, |mem, root| caps::ops::copy(mem, root, src, dest))?;
    Ok([0; 6])
}

/// MINT(a0 = destination, a1 = rights mask, a2 = badge).
pub fn mint(inv: &mut Invocation) -> Result<Results, SysError> {
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[0]))?;
    let rights = u8::try_from(inv.args[1]).map_err(|_| SysError::BadArgument)?;
    let (src, badge) = (inv.target.at, inv.args[2]);
    with_root(inv, |mem, root| {
        caps::ops::mint(
            mem,
            root,
            src,
            dest,
            Rights::from_bits_truncate(rights),
            badge,
        )
    })?;
    Ok([0; 6])
}

/// MINT_IN(a0 = slot of the invoked CNode, a1 = source, a2 = rights mask,
/// a3 = badge).
pub fn mint_in(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let dest = caps::ops::cnode_slot(&inv.target.cap, inv.args[0]).map_err(sys)?;
    let source = cspace::cap(
        inv.mem,
        &inv.root,
        CPtr(u32::try_from(inv.args[1]).map_err(|_| SysError::BadArgument)?),
    )?;
    let rights = u8::try_from(inv.args[2]).map_err(|_| SysError::BadArgument)?;
    let badge = inv.args[3];
    with_root(inv, |mem, root| {
        caps::ops::mint(
            mem,
            root,
            source.at,
            dest,
            Rights::from_bits_truncate(rights),
            badge,
        )
    })?;
    Ok([0; 6])
}

/// DELETE.
pub fn delete(inv: &mut Invocation) -> Result<Results, SysError> {
    objects::delete(inv.mem, inv.kcb, inv.target.at)?;
    Ok([0; 6])
}

/// REVOKE.
pub fn revoke(inv: &mut Invocation) -> Result<Results, SysError> {
    objects::revoke(inv.mem, inv.kcb, inv.target.at)?;
    Ok([0; 6])
}

/// PREPARE_REVOKE: marks the anchors of copies on other OSNodes that a
/// revoke of this original would delete, for their monitor; returns how
/// many.
pub fn prepare_revoke(inv: &mut Invocation) -> Result<Results, SysError> {
    if inv.target.cap.is_copy() {
        return Err(SysError::NotOriginal);
    }
    let root = inv.mem.kcb(inv.kcb).mdb_root;
    let marked = caps::ops::mark_revoking(inv.mem, root, inv.target.at);
    Ok([marked as u64, 0, 0, 0, 0, 0])
}

/// IDENTIFY_IN(a0 = address in the CSpace the invoked L1 CNode roots).
pub fn identify_in(inv: &mut Invocation) -> Result<Results, SysError> {
    let cptr = u32::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let root = inv.target.cap;
    let found = cspace::cap(inv.mem, &root, CPtr(cptr))?;
    Ok(describe(&found.cap))
}

/// Most objects one RETYPE may create.
const MAX_RETYPE: usize = 256;

/// RETYPE(a0 = type | count << 16, a1 = offset, a2 = object size, a3 =
/// first destination).
pub fn retype(inv: &mut Invocation) -> Result<Results, SysError> {
    let ty = ObjType::from_raw((inv.args[0] & 0xff) as u8).ok_or(SysError::IllegalRetype)?;
    let count = (inv.args[0] >> 16) & 0xffff;
    if inv.args[0] & 0xff00 != 0 || inv.args[0] >> 32 != 0 {
        return Err(SysError::BadArgument);
    }
    let mut dests = [0; MAX_RETYPE];
    let n = cspace::dests(
        inv.mem,
        &inv.root,
        SlotRef::unpack(inv.args[3]),
        count,
        &mut dests,
    )?;
    let (src, offset, objsize) = (inv.target.at, inv.args[1], inv.args[2]);
    with_root(inv, |mem, root| {
        caps::ops::retype(mem, root, src, ty, offset, objsize, count, &dests[..n])
    })?;
    objects::init_created(inv.mem, inv.kcb, &dests[..n]);
    Ok([0; 6])
}
