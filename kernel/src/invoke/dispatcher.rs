//! Dispatcher invocations: giving a new dispatcher its CSpace, VSpace and
//! frame; starting it; naming its exit endpoint; making endpoints to it;
//! reading its state.

use abi::cspace::{CPtr, SlotRef};
use abi::dispatcher::{ENDPOINTS, FRAME_SIZE};
use abi::error::SysError;
use abi::invoke::state;
use caps::{Capability, CteAddr, CteMemory, ObjType, Rights};
use osnode::dcb::{Dcb, Resume};

use super::{Invocation, Results};
use crate::cspace::{self, sys};

/// Copies the capability at `src` into the DCB's CTE at `offset`
/// (replacing what was there).
fn hold(inv: &mut Invocation, offset: usize, src: CteAddr) -> Result<(), SysError> {
    let slot = inv.target.cap.base + offset as u64;
    if !inv.mem.read(slot).cap.is_null() {
        crate::objects::delete(inv.mem, inv.kcb, slot)?;
    }
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let copied = caps::ops::copy(inv.mem, &mut root, src, slot);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    copied.map_err(sys)
}

/// SETUP(a0 = CSpace root | VSpace root << 32, a1 = frame, a2 = name).
pub fn setup(inv: &mut Invocation) -> Result<Results, SysError> {
    let dcb = inv.target.cap.base;
    if inv.mem.dcb(dcb).state != state::NEW || inv.mem.dcb(dcb).kcb != inv.kcb {
        return Err(SysError::BadArgument);
    }
    // The new dispatcher changes all three: the caller must be allowed to.
    let rw = Rights::READ.union(Rights::WRITE);
    let cspace = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(inv.args[0] as u32),
        ObjType::L1CNode,
        rw,
    )?;
    let vspace = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr((inv.args[0] >> 32) as u32),
        ObjType::VNodePml4,
        rw,
    )?;
    let frame = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(inv.args[1] as u32),
        ObjType::Frame,
        rw,
    )?;
    if frame.cap.size < FRAME_SIZE {
        return Err(SysError::BadSize);
    }
    hold(inv, core::mem::offset_of!(Dcb, cspace), cspace.at)?;
    if let Err(e) = hold(inv, core::mem::offset_of!(Dcb, vspace), vspace.at)
        .and_then(|()| hold(inv, core::mem::offset_of!(Dcb, frame), frame.at))
    {
        // Undo what was taken, so a refused SETUP changes nothing.
        for offset in [
            core::mem::offset_of!(Dcb, cspace),
            core::mem::offset_of!(Dcb, vspace),
        ] {
            let slot = dcb + offset as u64;
            if !inv.mem.read(slot).cap.is_null() {
                let _ = crate::objects::delete(inv.mem, inv.kcb, slot);
            }
        }
        return Err(e);
    }
    let d = inv.mem.dcb(dcb);
    d.frame_phys = frame.cap.base;
    d.vspace_phys = vspace.cap.base;
    d.name = [0; osnode::dcb::NAME_LEN];
    d.name[..8].copy_from_slice(&inv.args[2].to_le_bytes());
    d.state = state::READY;
    Ok([0; 6])
}

/// RUN: a set-up dispatcher becomes runnable; it starts at its `run` upcall
/// or, without one, at the enabled area its creator filled in.
pub fn run(inv: &mut Invocation) -> Result<Results, SysError> {
    let dcb = inv.target.cap.base;
    {
        let d = inv.mem.dcb(dcb);
        if d.state != state::READY || d.kcb != inv.kcb {
            return Err(SysError::DispatcherNotReady);
        }
        d.state = state::RUNNABLE;
        d.resume = Resume::Run as u32;
    }
    osnode::sched::make_runnable(inv.mem, inv.kcb, dcb);
    Ok([0; 6])
}

/// SET_EXIT_ENDPOINT(a0 = endpoint): only before the dispatcher first
/// runs (its spawner names where its end is reported; the program itself
/// cannot redirect that later), through an endpoint the caller may send
/// through.
pub fn set_exit_endpoint(inv: &mut Invocation) -> Result<Results, SysError> {
    if !matches!(
        inv.mem.dcb(inv.target.cap.base).state,
        state::NEW | state::READY
    ) {
        return Err(SysError::DispatcherNotReady);
    }
    let endpoint = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(inv.args[0] as u32),
        ObjType::EndPoint,
        Rights::WRITE,
    )?;
    hold(inv, core::mem::offset_of!(Dcb, exit_endpoint), endpoint.at)?;
    Ok([0; 6])
}

/// CREATE_ENDPOINT(a0 = ring index, a1 = destination).
pub fn create_endpoint(inv: &mut Invocation) -> Result<Results, SysError> {
    let index = u32::try_from(inv.args[0])
        .ok()
        .filter(|&i| (i as usize) < ENDPOINTS)
        .ok_or(SysError::BadArgument)?;
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[1]))?;
    let parent = inv.target.cap;
    let child =
        Capability::new(ObjType::EndPoint, Rights::ALL, parent.base, parent.size).with_extra(index);
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    // An endpoint to that ring may exist already: then this is a copy of it.
    let made = match caps::mdb::find_copy(inv.mem, root, &child) {
        Some(existing) => caps::ops::copy(inv.mem, &mut root, existing, dest),
        None => caps::ops::derive(inv.mem, &mut root, inv.target.at, child, dest),
    };
    inv.mem.kcb(inv.kcb).mdb_root = root;
    made.map_err(sys)?;
    // A copy may have come from a badged or restricted mint: the new
    // endpoint is always plain (badge and rights are not part of the MDB
    // key, so this changes no order).
    let mut cte = inv.mem.read(dest);
    cte.cap.word = 0;
    cte.cap.rights = inv.target.cap.rights;
    inv.mem.write(dest, &cte);
    Ok([0; 6])
}

/// STATUS: state, id, exit code.
pub fn status(inv: &mut Invocation) -> Result<Results, SysError> {
    let d = inv.mem.dcb(inv.target.cap.base);
    Ok([d.state, d.id, d.exit_code, d.runtime_ns, d.dispatches, 0])
}
