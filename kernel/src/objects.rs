//! The life of kernel objects around the capability operations: making a
//! freshly retyped object usable, and cleaning up when the last capability
//! to an object goes (or, for page tables and frames, their installations).
//!
//! * New objects are zeroed (frames, CNodes, page tables); a dispatcher gets
//!   a fresh DCB on its KCB's dispatcher list; a KCB gets a fresh layout.
//! * Deleting the last copy of a frame or page table first removes the
//!   Mapping capabilities that installed it (clearing those entries); of a
//!   page table, also those that installed things in it.
//! * Deleting a Mapping capability clears its entries.
//! * Deleting the last copy of a dispatcher takes it off every queue, marks
//!   its DCB dead and deletes the capability copies the DCB held.
//! * Deleting the last copy of a CNode deletes every capability in it. To
//!   keep the kernel stack bounded whatever the CSpace shape, the CNode
//!   becomes a *zombie*: a record (base, slots, next) written into the slot
//!   that held that last capability, now empty, and chained from a per-entry
//!   list that [`drain`] empties before the system call returns.

use abi::error::SysError;
use abi::invoke::state;
use caps::ops::{Deleted, cnode_slot};
use caps::{Capability, Cte, CteAddr, CteMemory, MdbNode, ObjType, mdb};
use osnode::PAddr;
use osnode::dcb::Dcb;
use osnode::kcb::Kcb;

use crate::arch::objects::KernelMemory;
use crate::cspace::sys;
use crate::vspace;

/// Head of the zombie-CNode list (per-entry scratch: always empty between
/// kernel entries).
static ZOMBIES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Readies objects a retype just created in `dests`: zeroes their memory
/// and gives them their initial layout.
pub fn init_created(mem: &mut KernelMemory, kcb: PAddr, dests: &[CteAddr]) {
    for &at in dests {
        let cap = mem.read(at).cap;
        // RAM and physical ranges are not accessed; device frames must not
        // be written; I/O ranges have no memory.
        if cap.obj_type() == ObjType::Frame || cap.obj_type().is_kernel_object() {
            mem.zero(cap.base, cap.size);
        }
        init_object(mem, kcb, at);
    }
}

/// Gives the (zeroed) object whose capability is at `at` its initial layout.
pub fn init_object(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr) {
    let cap = mem.read(at).cap;
    {
        match cap.obj_type() {
            ObjType::VNodePml4 => vspace::init_pml4(mem, cap.base),
            ObjType::Dispatcher => {
                let id = {
                    let k = mem.kcb(kcb);
                    let id = k.next_dispatcher_id;
                    k.next_dispatcher_id += 1;
                    id
                };
                *mem.dcb(cap.base) = Dcb::new(id, kcb);
                mem.dcb(cap.base).state = state::NEW;
                osnode::sched::add_dispatcher(mem, kcb, cap.base);
            }
            ObjType::KernelControlBlock => *mem.kcb(cap.base) = Kcb::new(cap.base >> 12, cap.base),
            _ => {}
        }
    }
}

/// Deletes the capability at `at` with all cleanup, including every CNode
/// that became garbage.
pub fn delete(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr) -> Result<(), SysError> {
    let result = delete_one(mem, kcb, at);
    drain(mem, kcb);
    result
}

/// Deletes every copy and descendant of the capability at `at`.
pub fn revoke(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr) -> Result<(), SysError> {
    let result = revoke_steps(mem, kcb, at);
    drain(mem, kcb);
    result
}

fn revoke_steps(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr) -> Result<(), SysError> {
    let original = mem.read(at).cap;
    if original.is_null() {
        return Err(SysError::SlotEmpty);
    }
    // A capability someone was given cannot take the giver's away.
    if original.is_copy() {
        return Err(SysError::NotOriginal);
    }
    // Copies on other OSNodes go first, through the monitors.
    let root = mem.kcb(kcb).mdb_root;
    if caps::ops::revoke_blocker(mem, root, at).is_some() {
        return Err(SysError::RemoteCopies);
    }
    loop {
        // Cleanup may have deleted `at` itself (a CNode holding it died).
        let cap = mem.read(at).cap;
        if cap != original {
            return Ok(());
        }
        let root = mem.kcb(kcb).mdb_root;
        let victim = mdb::last_descendant(mem, root, at)
            .or_else(|| mdb::successor(mem, root, at).filter(|&s| mem.read(s).cap.is_copy_of(&cap)))
            .or_else(|| {
                mdb::predecessor(mem, root, at).filter(|&p| mem.read(p).cap.is_copy_of(&cap))
            });
        match victim {
            Some(v) if v != at => delete_one(mem, kcb, v)?,
            _ => return Ok(()),
        }
    }
}

/// Deletes one capability and cleans up after it, without draining zombies.
fn delete_one(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr) -> Result<(), SysError> {
    let cap = mem.read(at).cap;
    if cap.is_null() {
        return Err(SysError::SlotEmpty);
    }
    if cap.is_exported() {
        return Err(SysError::RemoteCopies);
    }
    let ty = cap.obj_type();
    let root = mem.kcb(kcb).mdb_root;
    let last = !mdb::has_copies(mem, root, at);
    if last && (matches!(ty, ObjType::Frame | ObjType::DevFrame) || ty.is_vnode()) {
        delete_mappings_of(mem, kcb, at, &cap);
    }
    if last && ty.is_vnode() {
        delete_mappings_in(mem, kcb, cap.base);
    }
    let mut root = mem.kcb(kcb).mdb_root;
    let deleted = caps::ops::delete(mem, &mut root, at);
    mem.kcb(kcb).mdb_root = root;
    let deleted = deleted.map_err(sys)?;
    after_delete(mem, kcb, at, &deleted);
    Ok(())
}

/// Removes the installations of the object `cap` (at `at`): its Mapping
/// capabilities, which sort right after it and its copies.
fn delete_mappings_of(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr, cap: &Capability) {
    loop {
        let root = mem.kcb(kcb).mdb_root;
        let Some(first) = mdb::first_descendant(mem, root, at) else {
            return;
        };
        let child = mem.read(first).cap;
        let is_mine = child.obj_type() == ObjType::Mapping
            && child.base == cap.base
            && child.size == cap.size;
        if !is_mine || delete_one(mem, kcb, first).is_err() {
            return;
        }
    }
}

/// Removes every installation recorded in the page table at `table`.
fn delete_mappings_in(mem: &mut KernelMemory, kcb: PAddr, table: u64) {
    let mut records = [0; vspace::ENTRIES as usize];
    let n = vspace::records_in(mem, table, &mut records);
    for &record in &records[..n] {
        if mem.read(record).cap.obj_type() == ObjType::Mapping {
            let _ = delete_one(mem, kcb, record);
        }
    }
}

/// Type-specific cleanup once a capability is gone from the MDB.
fn after_delete(mem: &mut KernelMemory, kcb: PAddr, at: CteAddr, deleted: &Deleted) {
    let cap = &deleted.cap;
    match cap.obj_type() {
        ObjType::Mapping => vspace::uninstall(mem, cap),
        ObjType::L1CNode | ObjType::L2CNode if deleted.last_copy => {
            let slots = cap.size / caps::CTE_SIZE;
            let record = Capability {
                base: cap.base,
                size: slots,
                word: ZOMBIES.load(core::sync::atomic::Ordering::Relaxed),
                ..Capability::default()
            };
            mem.write(
                at,
                &Cte {
                    cap: record,
                    mdb: MdbNode::default(),
                },
            );
            ZOMBIES.store(at, core::sync::atomic::Ordering::Relaxed);
        }
        ObjType::Dispatcher if deleted.last_copy => destroy_dispatcher(mem, kcb, cap.base),
        ObjType::IrqDest if deleted.last_copy => free_vector(mem, kcb, cap.base),
        ObjType::IrqSrc if deleted.last_copy => {
            crate::arch::irq::mask(cap.base);
            let osnode = mem.kcb(kcb).id;
            crate::system::release_line(cap.base, osnode);
        }
        _ => {}
    }
}

/// Frees an OSNode's interrupt vector whose last IRQ-destination capability
/// went: its line (if routed) is masked, its endpoint copy deleted.
fn free_vector(mem: &mut KernelMemory, kcb: PAddr, vector: u64) {
    let Some(index) = vector
        .checked_sub(u64::from(osnode::kcb::FIRST_IRQ_VECTOR))
        .filter(|&i| i < osnode::kcb::IRQ_VECTORS as u64)
    else {
        return;
    };
    let route = mem.kcb(kcb).irq_routes[index as usize];
    if route.gsi_plus_one != 0 {
        crate::arch::irq::mask(u64::from(route.gsi_plus_one - 1));
    }
    let slot = kcb
        + core::mem::offset_of!(Kcb, irq_routes) as u64
        + index * size_of::<osnode::kcb::IrqRoute>() as u64
        + core::mem::offset_of!(osnode::kcb::IrqRoute, endpoint) as u64;
    if !mem.read(slot).cap.is_null() {
        let _ = delete_one(mem, kcb, slot);
    }
    let r = &mut mem.kcb(kcb).irq_routes[index as usize];
    r.allocated = 0;
    r.gsi_plus_one = 0;
}

/// Takes a dispatcher whose last capability went out of every queue, marks
/// it dead and deletes the capabilities its DCB held.
fn destroy_dispatcher(mem: &mut KernelMemory, kcb: PAddr, dcb: PAddr) {
    let (owner, was_alive) = {
        let d = mem.dcb(dcb);
        (d.kcb, !matches!(d.state, state::EXITED | state::FAULTED))
    };
    if owner == kcb {
        osnode::sched::remove_dispatcher(mem, kcb, dcb);
    }
    if was_alive {
        mem.dcb(dcb).state = state::EXITED;
    }
    mem.dcb(dcb).magic = 0;
    let base = dcb;
    for offset in [
        core::mem::offset_of!(Dcb, cspace),
        core::mem::offset_of!(Dcb, vspace),
        core::mem::offset_of!(Dcb, frame),
        core::mem::offset_of!(Dcb, exit_endpoint),
    ] {
        let slot = base + offset as u64;
        if !mem.read(slot).cap.is_null() {
            let _ = delete_one(mem, kcb, slot);
        }
    }
}

/// Deletes the contents of every zombie CNode.
fn drain(mem: &mut KernelMemory, kcb: PAddr) {
    loop {
        let head = ZOMBIES.load(core::sync::atomic::Ordering::Relaxed);
        if head == 0 {
            return;
        }
        let record = mem.read(head).cap;
        ZOMBIES.store(record.word, core::sync::atomic::Ordering::Relaxed);
        mem.write(head, &Cte::default());
        let cnode = Capability {
            raw_type: ObjType::L1CNode as u8,
            extra: record.size as u32,
            base: record.base,
            size: record.size * caps::CTE_SIZE,
            ..Capability::default()
        };
        for index in 0..record.size {
            let Ok(slot) = cnode_slot(&cnode, index) else {
                break;
            };
            let cap = mem.read(slot).cap;
            if cap.is_exported() {
                // Its monitor's CSpace is going away: the anchor cannot
                // outlive the CNode's memory.
                log::warn!(
                    "an exported capability ({:?} {:#x}+{:#x}) went with its CNode; its copies on other OSNodes remain",
                    cap.obj_type(),
                    cap.base,
                    cap.size
                );
                let _ = caps::ops::set_exported(mem, slot, false);
            }
            if !cap.is_null() {
                let _ = delete_one(mem, kcb, slot);
            }
        }
    }
}
