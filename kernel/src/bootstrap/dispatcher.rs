//! The first program's dispatcher: its objects (the DCB, its frame, page
//! tables, arguments, image and stack frames), their mappings, and its
//! first context and place in the run queue.

use abi::cspace::task;
use abi::dispatcher::{FpuState, Registers};
use abi::layout::{ARGS_BASE, DISPATCHER_BASE, PROGRAM_BASE, STACK_SIZE, STACK_TOP};
use bootproto::params::BootParams;
use caps::{Capability, ObjType, Rights};
use elfload::{Backing, ElfImage, InPlace};
use frames::FRAME_SIZE;
use osnode::dcb::Resume;

use super::builder::{Builder, indices};
use super::cspace::CSpace;
use super::{BootstrapError, Role};
use crate::arch::objects::Area;
use crate::vspace;

/// Where the mapping records of the program's page tables and frames
/// start in the page CNode.
const FIRST_RECORD: u32 = 17;

/// The objects of the first program.
pub struct Program {
    dcb: Capability,
    frame: Capability,
    pml4: Capability,
    pdpt: Capability,
    pd: Capability,
    pt_image: Capability,
    pt_frame: Capability,
    pt_stack: Capability,
    /// The frame the image is loaded into.
    pub image_frame: Capability,
}

/// Where the program's shared pages come from: its file in the boot
/// archive.
pub struct FromArchive {
    /// The image's pages mapped from the file.
    pub shared: InPlace,
    /// The archive's capability in the new CSpace.
    pub archive: caps::CteAddr,
    /// The file's first page within the capability.
    pub first_page: u64,
}

/// The dispatcher, its frame, its page tables, its arguments (written
/// NUL-terminated into a fresh frame), and frames for its image and stack.
pub fn make_program(
    b: &mut Builder<'_>,
    cspace: &CSpace,
    args: &str,
    image_size: u64,
) -> Result<Program, BootstrapError> {
    let vnode = vspace::VNODE_OBJECT_SIZE;
    let dcb = b.object(
        ObjType::Dispatcher,
        caps::DISPATCHER_SIZE,
        cspace.task(task::DISPATCHER),
        "dispatcher",
    )?;
    let frame = b.object(
        ObjType::Frame,
        abi::dispatcher::FRAME_SIZE,
        cspace.task(task::DISPATCHER_FRAME),
        "dispatcher frame",
    )?;
    let pml4 = b.object(
        ObjType::VNodePml4,
        vnode,
        cspace.task(task::VSPACE_ROOT),
        "PML4",
    )?;
    let args_frame = b.object(
        ObjType::Frame,
        FRAME_SIZE,
        cspace.task(task::ARGS_FRAME),
        "arguments frame",
    )?;
    // The frame is zero; PROGRAM_CAPACITY is far below a page.
    b.mem
        .bytes_mut(args_frame.base, args.len() as u64)
        .copy_from_slice(args.as_bytes());
    let program = Program {
        dcb,
        frame,
        pml4,
        pdpt: b.object(ObjType::VNodePdpt, vnode, cspace.page(0), "PDPT")?,
        pd: b.object(ObjType::VNodePd, vnode, cspace.page(1), "PD")?,
        pt_image: b.object(ObjType::VNodePt, vnode, cspace.page(2), "image PT")?,
        pt_frame: b.object(ObjType::VNodePt, vnode, cspace.page(3), "frame PT")?,
        pt_stack: b.object(ObjType::VNodePt, vnode, cspace.page(4), "stack PT")?,
        image_frame: b.object(ObjType::Frame, image_size, cspace.page(5), "image frame")?,
    };
    b.object(ObjType::Frame, STACK_SIZE, cspace.page(6), "stack frame")?;
    Ok(program)
}

/// The page tables (PML4 -> PDPT -> PD -> three PTs) and in them the
/// image's segments (the shared ones from the archive, the rest from the
/// image frame), the dispatcher frame, the arguments and the stack, each
/// with its mapping record in the page CNode.
pub fn map_program(
    b: &mut Builder<'_>,
    cspace: &CSpace,
    p: &Program,
    image: &ElfImage<'_>,
    from: &FromArchive,
) -> Result<(), BootstrapError> {
    let (p4, p3, p2_image, p1_image) = indices(PROGRAM_BASE);
    let (_, _, p2_frame, p1_frame) = indices(DISPATCHER_BASE);
    let (_, _, _, p1_args) = indices(ARGS_BASE);
    let (_, _, p2_stack, p1_stack) = indices(STACK_TOP - STACK_SIZE);
    let mut record = FIRST_RECORD;
    let mut next_record = || {
        record += 1;
        cspace.page(record - 1)
    };
    let tables = [
        (p.pml4, 0, p4, "PDPT"),
        (p.pdpt, 1, p3, "PD"),
        (p.pd, 2, p2_image, "image PT"),
        (p.pd, 3, p2_frame, "frame PT"),
        (p.pd, 4, p2_stack, "stack PT"),
    ];
    for (table, child, index, what) in tables {
        b.map(
            table,
            cspace.page(child),
            index,
            1,
            0,
            0,
            next_record(),
            what,
        )?;
    }
    for segment in image.segments() {
        let first = (segment.vaddr / FRAME_SIZE) * FRAME_SIZE;
        let pages = (segment.vaddr + segment.memsz)
            .next_multiple_of(FRAME_SIZE)
            .saturating_sub(first)
            / FRAME_SIZE;
        let mut flags = 0;
        if segment.writable {
            flags |= abi::invoke::MAP_WRITE;
        }
        if segment.executable {
            flags |= abi::invoke::MAP_EXECUTE;
        }
        let at = p1_image + first / FRAME_SIZE;
        let (child, offset) = match from.shared.backing(image, &segment) {
            Backing::File { page } => (from.archive, from.first_page + page),
            Backing::Copy { page } => (cspace.page(5), page),
        };
        b.map(
            p.pt_image,
            child,
            at,
            pages,
            offset,
            flags,
            next_record(),
            "image",
        )?;
    }
    let rw = abi::invoke::MAP_WRITE;
    let frames = [
        (
            p.pt_frame,
            cspace.task(task::DISPATCHER_FRAME),
            p1_frame,
            abi::dispatcher::FRAME_SIZE / FRAME_SIZE,
            "dispatcher frame",
        ),
        (
            p.pt_frame,
            cspace.task(task::ARGS_FRAME),
            p1_args,
            1,
            "arguments",
        ),
        (
            p.pt_stack,
            cspace.page(6),
            p1_stack,
            STACK_SIZE / FRAME_SIZE,
            "stack",
        ),
    ];
    for (table, child, index, pages, what) in frames {
        b.map(table, child, index, pages, 0, rw, next_record(), what)?;
    }
    Ok(())
}

/// The dispatcher's endpoint to itself, its CSpace, VSpace and frame, its
/// first context (the program's entry, the stack at its top), and its place
/// in the run queue; the KCB is then started.
pub fn start_dispatcher(
    b: &mut Builder<'_>,
    cspace: &CSpace,
    p: &Program,
    program: &str,
    entry: u64,
    params: &BootParams,
    role: Role,
) -> Result<(), BootstrapError> {
    let endpoint = Capability::new(ObjType::EndPoint, Rights::ALL, p.dcb.base, p.dcb.size);
    caps::ops::derive(
        b.mem,
        &mut b.root,
        cspace.task(task::DISPATCHER),
        endpoint,
        cspace.task(task::SELF_ENDPOINT),
    )
    .map_err(|e| BootstrapError::Caps("self endpoint", e))?;
    b.commit();
    let dcb = p.dcb.base;
    for (offset, from) in [
        (
            core::mem::offset_of!(osnode::dcb::Dcb, cspace),
            task::ROOT_CNODE,
        ),
        (
            core::mem::offset_of!(osnode::dcb::Dcb, vspace),
            task::VSPACE_ROOT,
        ),
        (
            core::mem::offset_of!(osnode::dcb::Dcb, frame),
            task::DISPATCHER_FRAME,
        ),
    ] {
        b.copy(
            cspace.task(from),
            dcb + offset as u64,
            "dispatcher's capabilities",
        )?;
    }
    b.copy(
        cspace.task(task::ROOT_CNODE),
        b.kcb + core::mem::offset_of!(osnode::kcb::Kcb, init_cspace) as u64,
        "init CSpace root",
    )?;
    b.commit();
    {
        let d = b.mem.dcb(dcb);
        d.frame_phys = p.frame.base;
        d.vspace_phys = p.pml4.base;
        let n = program.len().min(d.name.len());
        d.name[..n].copy_from_slice(&program.as_bytes()[..n]);
        d.state = abi::invoke::state::RUNNABLE;
        d.resume = Resume::Run as u32;
        // Init and the monitors are system services (a real-time core's one
        // program has nobody to run ahead of).
        if matches!(program, "init" | "monitor") {
            d.flags |= osnode::dcb::SYSTEM;
        }
    }
    // The frame's magic, no upcalls, and the enabled area at the entry point
    // with the stack at its top.
    let frame = b
        .mem
        .frame_of(dcb)
        .ok_or(BootstrapError::Layout("dispatcher frame"))?;
    frame.set_magic(abi::dispatcher::FRAME_MAGIC);
    let regs = Registers {
        rip: entry + PROGRAM_BASE,
        rsp: STACK_TOP,
        rdi: DISPATCHER_BASE,
        rflags: 1 << 9,
        ..Registers::default()
    };
    frame.store(Area::Enabled, &regs, &FpuState::default());
    osnode::sched::make_runnable(b.mem, b.kcb, dcb);
    let k = b.mem.kcb(b.kcb);
    k.flags |= osnode::kcb::KCB_STARTED;
    k.last_core = params.core_id;
    k.last_apic = params.apic_id;
    if let Role::First { .. } = role {
        k.id = 0;
    }
    Ok(())
}
