//! Invocations of the Kernel capability, for the boot driver and the
//! monitors: what the kernel knows of the machine, capabilities across
//! OSNodes, parking KCBs here, and replacing this kernel in place.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use abi::invoke as op;
use bootproto::memmap::MemoryKind;
use caps::{ObjType, Rights};
use frames::PhysRange;

use super::{Invocation, Results};
use crate::arch::apic;
use crate::arch::next_kernel::NextKernel;
use crate::{cspace, machine, platform, system};

/// KERNEL_INFO.
pub fn info(_inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let cores = platform::get().map_or(0, |p| p.enabled_cores().count() as u64);
    Ok([
        m.tsc_hz,
        m.apic_timer_hz,
        m.phys_top,
        m.rsdp,
        system::phys(),
        cores,
    ])
}

/// KERNEL_CORE(a0 = core index).
pub fn core(inv: &mut Invocation) -> Result<Results, SysError> {
    let platform = platform::get().ok_or(SysError::DispatcherNotReady)?;
    let index = usize::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let core = platform
        .enabled_cores()
        .nth(index)
        .ok_or(SysError::BadArgument)?;
    let mine = u64::from(core.apic_id == apic::id());
    Ok([
        u64::from(core.apic_id),
        u64::from(core.enabled),
        mine,
        0,
        0,
        0,
    ])
}

/// KERNEL_MEMORY_REGION(a0 = index).
pub fn memory_region(inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let index = usize::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let region = m
        .memory_map
        .regions()
        .get(index)
        .ok_or(SysError::BadArgument)?;
    Ok([
        region.base,
        region.size,
        u64::from(region.raw_kind),
        0,
        0,
        0,
    ])
}

/// KERNEL_VERSION: the name and version, then the time slice of this
/// OSNode's dispatchers under this kernel.
pub fn version(inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let mut words = [0u64; 6];
    for (i, chunk) in m.version.as_bytes().chunks(8).take(4).enumerate() {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        words[i] = u64::from_le_bytes(bytes);
    }
    if let Some(kcb) = crate::node::current() {
        words[4] = crate::dispatch::time_slice(inv.mem.kcb(kcb).quantum_ns);
    }
    Ok(words)
}

/// KERNEL_DISPATCHER_SYSTEM(a0 = dispatcher capability).
pub fn dispatcher_system(inv: &mut Invocation) -> Result<Results, SysError> {
    let cptr = CPtr(u32::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?);
    let target = cspace::cap(inv.mem, &inv.root, cptr)?;
    if target.cap.obj_type() != ObjType::Dispatcher {
        return Err(SysError::WrongType);
    }
    // Changing how it runs takes the right to change it.
    if !target.cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let d = inv.mem.dcb(target.cap.base);
    if d.magic != osnode::dcb::DCB_MAGIC || d.kcb != inv.kcb {
        return Err(SysError::BadArgument);
    }
    d.flags |= osnode::dcb::SYSTEM;
    Ok([0; 6])
}

/// KERNEL_OSNODE.
pub fn osnode(inv: &mut Invocation) -> Result<Results, SysError> {
    let core = crate::identity::this_core();
    let id = inv.mem.kcb(inv.kcb).id;
    Ok([
        id,
        u64::from(core.core_id),
        u64::from(core.apic_id),
        inv.kcb,
        u64::from(osnode::kcb::KCB_VERSION),
        (u64::from(osnode::kcb::OLDEST_CONVERTIBLE) << 32) | u64::from(osnode::kcb::KCB_VERSION),
    ])
}

/// KERNEL_CAP_IMPORT(a0 = destination, a1 = type | rights << 8 |
/// [`IMPORT_ADOPT`], a2 = base, a3 = size): a foreign copy, or with the
/// adopt bit RAM that becomes this OSNode's original (`caps::ops::adopt`),
/// only from memory the boot map says is assigned elsewhere.
pub fn cap_import(inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[0]))?;
    let adopt = inv.args[1] & op::IMPORT_ADOPT != 0;
    if (inv.args[1] & !op::IMPORT_ADOPT) >> 16 != 0 {
        return Err(SysError::BadArgument);
    }
    let ty = ObjType::from_raw(inv.args[1] as u8).ok_or(SysError::WrongType)?;
    let rights = Rights::from_bits_truncate((inv.args[1] >> 8) as u8);
    let (base, size) = (inv.args[2], inv.args[3]);
    // Only memory this machine has (a device frame: below 4 GiB).
    let top = if ty == ObjType::DevFrame {
        bootproto::layout::DIRECT_MAP_MIN_TOP
    } else {
        m.phys_top
    };
    if base.checked_add(size).is_none_or(|end| end > top) {
        return Err(SysError::OutOfBounds);
    }
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let result = if adopt {
        if ty != ObjType::Ram {
            return Err(SysError::WrongType);
        }
        // Only RAM another OSNode owns: memory this kernel's boot map says
        // is assigned elsewhere (never a device hole, never this kernel's
        // own share, which holds its page tables).
        if !m
            .memory_map
            .lies_in(PhysRange::new(base, size), MemoryKind::Assigned)
        {
            return Err(SysError::OutOfBounds);
        }
        caps::ops::adopt(inv.mem, &mut root, base, size, dest)
    } else {
        caps::ops::import(inv.mem, &mut root, ty, rights, base, size, dest)
    };
    inv.mem.kcb(inv.kcb).mdb_root = root;
    result.map_err(cspace::sys)?;
    Ok([0; 6])
}

/// KERNEL_CAP_EXPORT(a0 = capability address, a1 = 1 or 0).
pub fn cap_export(inv: &mut Invocation) -> Result<Results, SysError> {
    let cptr = u32::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let mark = match inv.args[1] {
        0 => false,
        1 => true,
        _ => return Err(SysError::BadArgument),
    };
    let at = cspace::cap(inv.mem, &inv.root, CPtr(cptr))?.at;
    caps::ops::set_exported(inv.mem, at, mark).map_err(cspace::sys)?;
    Ok([0; 6])
}

/// KERNEL_KCB_ATTACH(a0 = KCB capability, a1 = OSNode id): parks the
/// stopped KCB of that OSNode, named by a capability the caller holds,
/// on this core; the OSNode table must already name this core for it.
/// The KCB's memory is reached only through that capability (docs/design.md,
/// rule 7), never through an address from the caller.
pub fn kcb_attach(inv: &mut Invocation) -> Result<Results, SysError> {
    let cptr = u32::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let cap = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(cptr),
        ObjType::KernelControlBlock,
        Rights::READ.union(Rights::WRITE),
    )?
    .cap;
    let (kcb, id) = (cap.base, inv.args[1]);
    if cap.size != caps::KCB_SIZE || !kcb.is_multiple_of(caps::KCB_SIZE) {
        return Err(SysError::BadSize);
    }
    // Neither that KCB nor another of that OSNode (this core's own, say)
    // runs here already.
    let ring = crate::node::ring(inv.mem);
    if ring.iter().any(|&k| k == kcb || inv.mem.kcb(k).id == id) {
        return Err(SysError::BadArgument);
    }
    {
        let k = inv.mem.kcb(kcb);
        let wanted = osnode::kcb::KCB_STARTED | osnode::kcb::KCB_STOPPED;
        if k.validate().is_err() || k.id != id || k.flags & wanted != wanted {
            return Err(SysError::BadArgument);
        }
    }
    if system::core_of(id) != Some(apic::id()) {
        return Err(SysError::DispatcherNotReady);
    }
    // Cannot be refused: validated above.
    crate::node::take_over(inv.mem, kcb, crate::node::Arrival::Park)
        .map_err(|_| SysError::BadArgument)?;
    log::info!(
        "OSNode {id} parked on core {} (KCB at {kcb:#x})",
        crate::identity::this_core().core_id
    );
    Ok([0; 6])
}

/// KERNEL_KCB_DETACH(a0 = OSNode id): takes a parked OSNode (not the
/// caller's own) off this core; it is stopped again.
pub fn kcb_detach(inv: &mut Invocation) -> Result<Results, SysError> {
    let ring = crate::node::ring(inv.mem);
    let kcb = ring
        .iter()
        .copied()
        .find(|&k| k != inv.kcb && inv.mem.kcb(k).id == inv.args[0])
        .ok_or(SysError::BadArgument)?;
    crate::node::give_up(inv.mem, kcb);
    log::info!(
        "OSNode {} taken off core {}",
        inv.args[0],
        crate::identity::this_core().core_id
    );
    Ok([0; 6])
}

/// KERNEL_REPLACE(a0 = boot parameters' physical address, a1 = entry,
/// a2 = the starting tables of a kernel on shared text, or 0 for a whole
/// image of its own): replaces this core's kernel with the one they
/// describe (checked by `NextKernel::check`), which resumes the caller's
/// OSNode; does not return
/// to the caller on this kernel. Refused while other OSNodes are parked
/// here.
pub fn replace(
    inv: &mut Invocation,
    current: crate::dispatch::Current,
) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let [params_phys, entry, tables, ..] = inv.args;
    let next = NextKernel::check(
        inv.mem,
        &m.memory_map,
        m.phys_top,
        params_phys,
        entry,
        tables,
        inv.kcb,
    )?;
    if crate::node::ring(inv.mem).len() > 1 {
        return Err(SysError::InvalidOperation);
    }
    crate::dispatch::replace_kernel(inv.mem, current, next)
}
