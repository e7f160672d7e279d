//! Building a new OSNode and its first program: the boot region is sized
//! and zeroed, the CSpace made at planned addresses (so capabilities go
//! straight to their final slots), the dispatcher, its frame, page tables,
//! image and stack retyped and mapped, the program loaded, its resources
//! granted, and its dispatcher queued to run.
//!
//! The program's code and read-only data are mapped from the boot archive
//! itself (`elfload::InPlace`): every OSNode's monitor runs the same pages,
//! and only the writable part is copied into the boot region.

use abi::cspace::{INIT_RESOURCES, init, root, task};
use abi::layout::{PROGRAM_BASE, STACK_SIZE};
use bootproto::params::BootParams;
use caps::ObjType;
use elfload::{ElfImage, InPlace};
use frames::FRAME_SIZE;
use osnode::PAddr;

use super::builder::{Builder, slot};
use super::cspace::{CNODE_BYTES, CSPACE_BYTES, CSpace, L2_ORDER};
use super::dispatcher::{FromArchive, make_program, map_program, start_dispatcher};
use super::{BootstrapError, Role, grants};
use crate::arch::objects::KernelMemory;
use crate::{memory, vspace};

/// RAM init gets for itself (the rest goes to it as the machine's RAM).
const INIT_RAM: u64 = 8 << 20;
/// RAM a monitor gets for itself to start with (the rest of its kernel's
/// memory goes to it in its RAM CNode; it takes more from the machine's
/// memory server on demand).
const MONITOR_RAM: u64 = 768 << 10;
/// RAM the one program of a real-time core (named by the boot driver in
/// place of the monitor) gets for itself: it has nobody to ask for more.
const NAMED_PROGRAM_RAM: u64 = 4 << 20;

/// The DCB (1 KiB), with the rest of its page: what follows is page-aligned.
const DCB_BYTES: u64 = FRAME_SIZE;
/// Page tables: PML4, PDPT, PD, and the PTs of the image, the frames and
/// the stack.
const PAGE_TABLES: u64 = 6;
/// Room for aligning objects to their size.
const ALIGNMENT_SLACK: u64 = 64 * 1024;
/// Bytes of the boot region for a program image of `image_size` bytes.
const fn region_bytes(image_size: u64) -> u64 {
    CSPACE_BYTES
        + DCB_BYTES
        + abi::dispatcher::FRAME_SIZE
        + PAGE_TABLES * vspace::VNODE_OBJECT_SIZE
        + FRAME_SIZE // the arguments
        + image_size
        + STACK_SIZE
        + ALIGNMENT_SLACK
}

/// The first program of an OSNode in `role` and its arguments: init, or
/// the monitor unless the boot driver named another program (the one
/// program of a real-time core).
fn first_program(params: &BootParams, role: Role) -> Result<(&str, &str), BootstrapError> {
    match role {
        Role::First { .. } => Ok(("init", "")),
        Role::Monitor => {
            let line = params
                .program()
                .map_err(|_| BootstrapError::BadProgram)?
                .trim();
            Ok(match line.split_once(' ') {
                Some((name, args)) => (name, args.trim()),
                None if line.is_empty() => ("monitor", ""),
                None => (line, ""),
            })
        }
    }
}

/// Builds an OSNode in `role` with its first program; returns its KCB.
pub fn build(
    mem: &mut KernelMemory,
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    role: Role,
) -> Result<PAddr, BootstrapError> {
    let (program, args) = first_program(params, role)?;
    let module = archive.get(program).ok_or_else(|| {
        let mut name = arrayvec::ArrayString::new();
        for c in program.chars() {
            if name.try_push(c).is_err() {
                break;
            }
        }
        BootstrapError::NoProgram(name)
    })?;
    let image = ElfImage::parse(module.data).map_err(BootstrapError::BadImage)?;
    if !image.is_relocatable() || image.memory_size() > abi::layout::PROGRAM_MAX {
        return Err(BootstrapError::BadImage(elfload::ElfError::ImageTooLarge));
    }
    // The file's pages can be mapped only if it starts on a page in memory.
    let shared = if (params.archive_phys + module.offset).is_multiple_of(FRAME_SIZE) {
        image.in_place()
    } else {
        InPlace::NONE
    };
    let image_size = shared
        .copied_bytes(&image)
        .next_multiple_of(FRAME_SIZE)
        .max(FRAME_SIZE);
    let total = region_bytes(image_size);
    let base = memory::alloc_region(total, CNODE_BYTES).ok_or(BootstrapError::NoMemory)?;
    mem.zero(base, total);
    let mut b = Builder::new(mem, base, total);
    let cspace = CSpace::plan(base, role);
    b.ram = cspace.page(abi::cspace::L2_SLOTS - 1);
    b.root_cap(ObjType::Ram, base, total, b.ram, "boot region")?;

    make_kcb(&mut b, params, role, &cspace)?;
    make_cspace(&mut b, &cspace)?;
    let res_base = cspace.l2(INIT_RESOURCES);
    let archive_range = grants::grant_archive(&mut b, params, archive, res_base)?;
    let p = make_program(&mut b, &cspace, args, image_size)?;
    let dest = b.mem.bytes_mut(p.image_frame.base, image_size);
    image
        .load_tail_into(dest, PROGRAM_BASE, shared)
        .map_err(BootstrapError::BadImage)?;
    let from_archive = FromArchive {
        shared,
        archive: slot(res_base, init::ARCHIVE.l2()),
        first_page: (params.archive_phys + module.offset - archive_range.base) / FRAME_SIZE,
    };
    map_program(&mut b, &cspace, &p, &image, &from_archive)?;

    // The boot region's RAM capability is not needed any more.
    caps::ops::delete(b.mem, &mut b.root, b.ram)
        .map_err(|e| BootstrapError::Caps("boot region", e))?;
    b.commit();
    // The first program's own RAM for its runtime (heap, page tables, slots).
    let own = match role {
        Role::First { .. } => INIT_RAM,
        Role::Monitor if program == "monitor" => MONITOR_RAM,
        Role::Monitor => NAMED_PROGRAM_RAM,
    };
    let initial = memory::alloc_region(own, FRAME_SIZE).ok_or(BootstrapError::NoMemory)?;
    b.root_cap(
        ObjType::Ram,
        initial,
        own,
        cspace.task(task::INITIAL_RAM),
        "the first program's RAM",
    )?;
    grants::grant_resources(
        &mut b,
        params,
        role,
        res_base,
        cspace.l2(init::RAM_CNODE),
        cspace.l2(init::DEVICE_CNODE),
    )?;
    start_dispatcher(&mut b, &cspace, &p, program, image.entry(), params, role)?;
    let k = b.mem.kcb(b.kcb);
    log::info!(
        "OSNode {}: KCB at {:#x}, {program} ({} KiB) in a {} KiB boot region, {} KiB of RAM given to it",
        k.id,
        b.kcb,
        image_size >> 10,
        total >> 10,
        memory::given_to_init() >> 10
    );
    Ok(b.kcb)
}

/// The KCB: made here for the first OSNode; the boot driver made a
/// monitor's (and owns its capability, in its OSNode) and chose its id. A
/// KCB that never ran holds nothing yet: it takes this kernel's layout
/// (the kernel that made it may have another).
fn make_kcb(
    b: &mut Builder<'_>,
    params: &BootParams,
    role: Role,
    cspace: &CSpace,
) -> Result<(), BootstrapError> {
    match role {
        Role::First { .. } => {
            let kcb = b.object(
                ObjType::KernelControlBlock,
                caps::KCB_SIZE,
                slot(cspace.l2(INIT_RESOURCES), init::KCB.l2()),
                "KCB",
            )?;
            b.kcb = kcb.base;
        }
        Role::Monitor => {
            b.kcb = params.kcb_phys;
            *b.mem.kcb(b.kcb) = osnode::kcb::Kcb::new(params.osnode_id, b.kcb);
        }
    }
    b.commit();
    Ok(())
}

/// The root CNode and the L2 CNodes, where the plan put them, and the task
/// CNode's copies of the root and receive CNodes.
fn make_cspace(b: &mut Builder<'_>, cspace: &CSpace) -> Result<(), BootstrapError> {
    let l1 = b.object(
        ObjType::L1CNode,
        256 * caps::CTE_SIZE,
        cspace.task(task::ROOT_CNODE),
        "root CNode",
    )?;
    if l1.base != cspace.l1 {
        return Err(BootstrapError::Layout("root CNode"));
    }
    for root_slot in L2_ORDER {
        let cnode = b.object(
            ObjType::L2CNode,
            caps::L2CNODE_SIZE,
            slot(cspace.l1, root_slot),
            "L2 CNode",
        )?;
        if cnode.base != cspace.l2(root_slot) {
            return Err(BootstrapError::Layout("L2 CNode"));
        }
    }
    b.copy(
        slot(cspace.l1, root::TASK),
        cspace.task(task::TASK_CNODE),
        "task CNode copy",
    )?;
    b.copy(
        slot(cspace.l1, root::RECEIVE),
        cspace.task(task::RECEIVE_CNODE),
        "receive CNode copy",
    )
}
