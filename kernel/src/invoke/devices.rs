//! Device access from user space: I/O ports through IO capabilities, and
//! interrupts through the OSNode's IRQ table (a vector of this OSNode as an
//! IRQ-destination capability, connected to an endpoint; an IOAPIC line as
//! an IRQ-source capability, routed to such a vector on the current core).

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use caps::{CteMemory, ObjType, Rights};
use osnode::kcb::{FIRST_IRQ_VECTOR, IRQ_VECTORS, IrqRoute};

use super::{Invocation, Results};
use crate::cspace::{self, sys};

/// The port and width of an IO_IN/IO_OUT, checked against the capability.
fn port(inv: &Invocation, right: Rights) -> Result<(u16, u64), SysError> {
    let cap = inv.target.cap;
    if !cap.rights().contains(right) {
        return Err(SysError::InsufficientRights);
    }
    let (port, width) = (inv.args[0], inv.args[1]);
    if !matches!(width, 1 | 2 | 4) {
        return Err(SysError::BadArgument);
    }
    let end = port.checked_add(width).ok_or(SysError::PortOutOfRange)?;
    if port < cap.base || end > cap.base.saturating_add(cap.size) || end > 0x1_0000 {
        return Err(SysError::PortOutOfRange);
    }
    Ok((port as u16, width))
}

/// IO_IN(a0 = port, a1 = width).
pub fn io_in(inv: &mut Invocation) -> Result<Results, SysError> {
    let (port, width) = port(inv, Rights::READ)?;
    Ok([crate::arch::ports::read(port, width), 0, 0, 0, 0, 0])
}

/// IO_OUT(a0 = port, a1 = width, a2 = value).
pub fn io_out(inv: &mut Invocation) -> Result<Results, SysError> {
    let (port, width) = port(inv, Rights::WRITE)?;
    crate::arch::ports::write(port, width, inv.args[2]);
    Ok([0; 6])
}

/// IO_CONSOLE_WRITE(a0 = address, a1 = length).
pub fn io_console_write(inv: &mut Invocation) -> Result<Results, SysError> {
    let cap = inv.target.cap;
    if !cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let console = u64::from(cpu::serial::COM1);
    if console < cap.base || console + 8 > cap.base.saturating_add(cap.size) {
        return Err(SysError::PortOutOfRange);
    }
    let len = usize::try_from(inv.args[1])
        .ok()
        .filter(|&n| n as u64 <= abi::syscall::MAX_PRINT)
        .ok_or(SysError::BadArgument)?;
    let mut buf = [0u8; abi::syscall::MAX_PRINT as usize];
    let pml4 = inv
        .mem
        .vspace_of(inv.dcb)
        .ok_or(SysError::DispatcherNotReady)?;
    crate::usermem::read(inv.mem, pml4.phys(), inv.args[0], &mut buf[..len])?;
    crate::console::write_exact(&buf[..len]);
    Ok([0; 6])
}

/// IRQ_ALLOC_DEST(a0 = destination): a free vector of this OSNode.
pub fn irq_alloc_dest(inv: &mut Invocation) -> Result<Results, SysError> {
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[0]))?;
    let free = inv
        .mem
        .kcb(inv.kcb)
        .irq_routes
        .iter()
        .position(|r| r.allocated == 0)
        .ok_or(SysError::IrqInUse)?;
    let vector = u64::from(FIRST_IRQ_VECTOR) + free as u64;
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let created = caps::ops::create(inv.mem, &mut root, ObjType::IrqDest, vector, 1, dest);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    created.map_err(sys)?;
    inv.mem.kcb(inv.kcb).irq_routes[free].allocated = 1;
    Ok([vector, 0, 0, 0, 0, 0])
}

/// IRQ_GET_SOURCE(a0 = GSI, a1 = destination): the line, if no other
/// OSNode holds it (`IrqInUse`).
pub fn irq_get_source(inv: &mut Invocation) -> Result<Results, SysError> {
    let gsi = inv.args[0];
    if !crate::arch::irq::gsi_exists(gsi) {
        return Err(SysError::BadArgument);
    }
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[1]))?;
    // One OSNode's line is no other's to route: claimed machine-wide.
    let osnode = inv.mem.kcb(inv.kcb).id;
    let claimed_now = crate::system::claim_line(gsi, osnode)?;
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let created = caps::ops::create(inv.mem, &mut root, ObjType::IrqSrc, gsi, 1, dest);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    if created.is_err() && claimed_now {
        crate::system::release_line(gsi, osnode);
    }
    created.map_err(|e| {
        if e == caps::CapError::Overlap {
            SysError::IrqInUse
        } else {
            sys(e)
        }
    })?;
    Ok([0; 6])
}

/// The route entry of an IRQ-destination capability's vector.
fn route_index(vector: u64) -> Result<usize, SysError> {
    vector
        .checked_sub(u64::from(FIRST_IRQ_VECTOR))
        .map(|i| i as usize)
        .filter(|&i| i < IRQ_VECTORS)
        .ok_or(SysError::BadArgument)
}

/// IRQ_CONNECT(a0 = endpoint): interrupts on this vector become messages.
pub fn irq_connect(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let index = route_index(inv.target.cap.base)?;
    // The kernel sends through it for the caller: the caller must be
    // allowed to.
    let endpoint = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(inv.args[0] as u32),
        ObjType::EndPoint,
        Rights::WRITE,
    )?;
    let slot = inv.kcb
        + core::mem::offset_of!(osnode::kcb::Kcb, irq_routes) as u64
        + (index * size_of::<IrqRoute>()) as u64
        + core::mem::offset_of!(IrqRoute, endpoint) as u64;
    if !inv.mem.read(slot).cap.is_null() {
        crate::objects::delete(inv.mem, inv.kcb, slot)?;
    }
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let copied = caps::ops::copy(inv.mem, &mut root, endpoint.at, slot);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    copied.map_err(sys)?;
    Ok([0; 6])
}

/// IRQ_ACK: unmasks the line (after a level-triggered interrupt).
pub fn irq_ack(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    crate::arch::irq::unmask(inv.target.cap.base);
    Ok([0; 6])
}

/// IRQ_ROUTE(a0 = IRQ destination): this line now raises that vector on
/// the current core.
pub fn irq_route(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let gsi = inv.target.cap.base;
    let dest = cspace::cap_with(
        inv.mem,
        &inv.root,
        CPtr(inv.args[0] as u32),
        ObjType::IrqDest,
        Rights::WRITE,
    )?;
    let vector = dest.cap.base;
    let index = route_index(vector)?;
    crate::arch::irq::route(gsi, vector as u8)?;
    inv.mem.kcb(inv.kcb).irq_routes[index].gsi_plus_one = gsi as u32 + 1;
    Ok([0; 6])
}
