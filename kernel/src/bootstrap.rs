//! Creating the first OSNode at boot: its KCB and its first dispatcher,
//! `init`, with capabilities to everything else.
//!
//! This is the one place the CPU driver makes objects itself (DESIGN.md
//! rule 6 lets user space create objects only by retype; someone has to
//! make the first ones). It does so the way a spawner would, through the
//! same capability operations: one RAM capability for a boot region is
//! created, every object of the OSNode is retyped from it into its final
//! slot, and the temporary RAM capability is deleted again, so the objects
//! stand on their own in the mapping database.
//!
//! Init's CSpace (`abi::cspace`): root slot 0 the task CNode (its own
//! CNodes, dispatcher, frame, VSpace root, an endpoint to itself), 1 the
//! receive CNode, 3 the resources (Kernel, IRQ table, all I/O ports, IPI,
//! its KCB, the boot archive read-only), 4 one RAM capability per free RAM
//! region, 5 physical-address capabilities for device memory, 6 its page
//! tables, image, stack and their mapping records.

use abi::cspace::{INIT_RESOURCES, L2_SLOTS, init, root, task};
use abi::dispatcher::{FRAME_MAGIC, FpuState, Registers};
use abi::layout::{ARGS_BASE, DISPATCHER_BASE, PROGRAM_BASE, STACK_SIZE, STACK_TOP};
use bootproto::params::BootParams;
use caps::{Capability, CteAddr, CteMemory, ObjType, Rights};
use elfload::ElfImage;
use frames::{FRAME_SIZE, PhysRange};
use osnode::PAddr;
use osnode::dcb::Resume;

use crate::arch::objects::{Area, KernelMemory, UserFrame};
use crate::{memory, objects, vspace};

/// Why the first OSNode could not be made.
#[derive(Debug)]
pub enum BootstrapError {
    /// The first program's module is not in the boot archive (its name,
    /// cut to 32 bytes).
    NoProgram(arrayvec::ArrayString<32>),
    /// The boot parameters' first program is not readable text.
    BadProgram,
    /// A real-time kernel was given a KCB that ran before.
    RealTimeResume,
    /// There is no boot archive.
    NoArchive,
    /// The boot parameters name no KCB.
    NoKcb,
    /// The KCB cannot be run by this kernel.
    BadKcb(osnode::kcb::KcbError),
    /// The KCB runs on another core (the APIC id).
    KcbRunning(u32),
    /// The init image is invalid.
    BadImage(elfload::ElfError),
    /// Not enough memory.
    NoMemory,
    /// A capability operation failed (a kernel bug).
    Caps(&'static str, caps::CapError),
    /// A mapping failed (a kernel bug).
    Map(&'static str, abi::error::SysError),
    /// An object is not where the plan put it (a kernel bug).
    Layout(&'static str),
}

impl core::fmt::Display for BootstrapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoProgram(name) => write!(f, "the boot archive has no `{name}` program"),
            Self::BadProgram => {
                f.write_str("the first program named in the boot parameters is not text")
            }
            Self::RealTimeResume => f.write_str(
                "a real-time kernel runs one new program, not an OSNode that ran before",
            ),
            Self::NoArchive => f.write_str("no boot archive"),
            Self::NoKcb => f.write_str("no KCB to run"),
            Self::BadKcb(e) => write!(f, "{e}"),
            Self::KcbRunning(apic) => {
                write!(f, "the KCB runs on the core with APIC id {apic} already")
            }
            Self::BadImage(e) => write!(f, "init image: {e}"),
            Self::NoMemory => f.write_str("not enough memory for the first OSNode"),
            Self::Caps(what, e) => write!(f, "{what}: {e}"),
            Self::Map(what, e) => write!(f, "{what}: {e}"),
            Self::Layout(what) => write!(f, "{what} not where planned"),
        }
    }
}

/// RAM init gets for itself (the rest goes to it as the machine's RAM).
const INIT_RAM: u64 = 8 << 20;
/// RAM a monitor gets for itself (the rest of its core's memory goes to it
/// in its RAM CNode).
const MONITOR_RAM: u64 = 2 << 20;

/// A bump allocator over the boot region.
struct Region {
    base: u64,
    next: u64,
    end: u64,
}

impl Region {
    fn take(&mut self, size: u64, align: u64) -> Result<u64, BootstrapError> {
        let at = self.next.next_multiple_of(align);
        let end = at.checked_add(size).ok_or(BootstrapError::NoMemory)?;
        if end > self.end {
            return Err(BootstrapError::NoMemory);
        }
        self.next = end;
        Ok(at - self.base)
    }
}

/// The state of the construction.
struct Builder {
    mem: KernelMemory,
    root: CteAddr,
    ram: CteAddr,
    region: Region,
    kcb: PAddr,
}

impl Builder {
    /// Retypes one object of `ty` and `size` from the boot region into `dest`.
    fn object(
        &mut self,
        ty: ObjType,
        size: u64,
        dest: CteAddr,
        what: &'static str,
    ) -> Result<Capability, BootstrapError> {
        // Kernel objects are naturally aligned; other memory page-aligned.
        let align = if ty.is_kernel_object() {
            size
        } else {
            FRAME_SIZE
        };
        let offset = self.region.take(size, align)?;
        caps::ops::retype(
            &mut self.mem,
            &mut self.root,
            self.ram,
            ty,
            offset,
            size,
            1,
            &[dest],
        )
        .map_err(|e| BootstrapError::Caps(what, e))?;
        // The region was zeroed as a whole; only give objects their layout.
        objects::init_object(&mut self.mem, self.kcb, dest);
        self.commit();
        Ok(self.mem.read(dest).cap)
    }

    /// A Frame capability with `rights` for memory that is not the OSNode's
    /// own (the archive, shared pages): made from a temporary RAM root in
    /// scratch slots of the CNode at `scratch_base`.
    fn frame_cap(
        &mut self,
        range: PhysRange,
        rights: Rights,
        dest: CteAddr,
        scratch_base: u64,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        let scratch_ram = slot(scratch_base, L2_SLOTS - 1);
        let scratch_frame = slot(scratch_base, L2_SLOTS - 2);
        self.root_cap(ObjType::Ram, range.base, range.size, scratch_ram, what)?;
        let made = caps::ops::retype(
            &mut self.mem,
            &mut self.root,
            scratch_ram,
            ObjType::Frame,
            0,
            range.size,
            1,
            &[scratch_frame],
        )
        .and_then(|()| {
            caps::ops::mint(
                &mut self.mem,
                &mut self.root,
                scratch_frame,
                dest,
                rights,
                0,
            )
        })
        .and_then(|()| caps::ops::delete(&mut self.mem, &mut self.root, scratch_frame).map(|_| ()))
        .and_then(|()| caps::ops::delete(&mut self.mem, &mut self.root, scratch_ram).map(|_| ()));
        self.commit();
        made.map_err(|e| BootstrapError::Caps(what, e))
    }

    /// Creates a root capability.
    fn root_cap(
        &mut self,
        ty: ObjType,
        base: u64,
        size: u64,
        dest: CteAddr,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        caps::ops::create(&mut self.mem, &mut self.root, ty, base, size, dest)
            .map_err(|e| BootstrapError::Caps(what, e))
    }

    fn copy(
        &mut self,
        from: CteAddr,
        to: CteAddr,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        caps::ops::copy(&mut self.mem, &mut self.root, from, to)
            .map_err(|e| BootstrapError::Caps(what, e))
    }

    /// Stores the MDB root in the KCB (once the KCB exists).
    fn commit(&mut self) {
        if self.kcb != 0 {
            self.mem.kcb(self.kcb).mdb_root = self.root;
        }
    }

    /// Installs `child` (at `child_at`) in `table` and records the mapping in `record_at`.
    #[allow(clippy::too_many_arguments)]
    fn map(
        &mut self,
        table: Capability,
        child_at: CteAddr,
        index: u64,
        count: u64,
        offset_pages: u64,
        flags: u64,
        record_at: CteAddr,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        let child = self.mem.read(child_at).cap;
        let request = vspace::Request {
            table,
            index,
            count,
            offset_pages,
            flags,
        };
        let (record, first, step) = vspace::plan(&mut self.mem, &request, &child)
            .map_err(|e| BootstrapError::Map(what, e))?;
        caps::ops::derive(&mut self.mem, &mut self.root, child_at, record, record_at)
            .map_err(|e| BootstrapError::Caps(what, e))?;
        let record = self.mem.read(record_at).cap;
        vspace::install(&mut self.mem, &record, record_at, first, step);
        self.commit();
        Ok(())
    }
}

/// Slot `index` of the CNode whose memory starts at `base`.
fn slot(base: u64, index: u32) -> CteAddr {
    base + u64::from(index) * caps::CTE_SIZE
}

/// Page-table indices of a user address: (PML4, PDPT, PD, PT).
fn indices(virt: u64) -> (u64, u64, u64, u64) {
    (
        (virt >> 39) & 511,
        (virt >> 30) & 511,
        (virt >> 21) & 511,
        (virt >> 12) & 511,
    )
}

/// Which OSNode is being made.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// The machine's first: its KCB is made here; its first program is
    /// `init`, with every resource of the machine.
    First {
        /// The system page (given to init for the boot driver).
        system_phys: u64,
    },
    /// A later core's: its KCB was made by the boot driver; its first
    /// program is `monitor`, with the memory the boot driver gave.
    Monitor,
}

/// Builds the first OSNode with init; returns its KCB.
pub fn first_osnode(
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    system_phys: u64,
) -> Result<PAddr, BootstrapError> {
    let kcb = build(params, archive, Role::First { system_phys })?;
    crate::system::set_core_of(0, params.apic_id);
    Ok(kcb)
}

/// Runs the KCB a boot driver gave this core: a fresh one gets a monitor;
/// one that ran before (on any core, under any kernel) resumes as it was.
pub fn run_osnode(
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
) -> Result<PAddr, BootstrapError> {
    let kcb = params.kcb_phys;
    if kcb == 0 {
        return Err(BootstrapError::NoKcb);
    }
    let mut mem = KernelMemory::new();
    let (id, started) = {
        let k = mem.kcb(kcb);
        if k.magic != osnode::kcb::KCB_MAGIC {
            return Err(BootstrapError::BadKcb(osnode::kcb::KcbError::BadMagic));
        }
        (k.id, k.flags & osnode::kcb::KCB_STARTED != 0)
    };
    let me = params.apic_id;
    if started && cfg!(feature = "rt") {
        // A real-time kernel runs one fresh program, not an OSNode.
        return Err(BootstrapError::RealTimeResume);
    }
    if started {
        if let Some(apic) = crate::system::core_of(id).filter(|&a| a != me) {
            return Err(BootstrapError::KcbRunning(apic));
        }
        // Converted to this kernel's layout before anything else is read,
        // or refused as it is.
        let converted = mem.kcb(kcb).adopt().map_err(BootstrapError::BadKcb)?;
        if let Some(old) = converted {
            log::info!(
                "OSNode {id}: KCB converted from layout {old} to {}",
                osnode::kcb::KCB_VERSION
            );
        }
        let k = mem.kcb(kcb);
        k.note_resumed();
        k.last_core = params.core_id;
        k.last_apic = me;
        k.flags &= !osnode::kcb::KCB_STOPPED;
        // The dispatcher that was running when its core stopped goes first.
        let interrupted = core::mem::replace(&mut k.current, 0);
        if interrupted != 0 {
            let mut queue = mem.kcb(kcb).run_queue;
            queue.push_back(&mut mem, interrupted);
            mem.kcb(kcb).run_queue = queue;
        }
        // It runs alone on this core until something is parked here.
        let k = mem.kcb(kcb);
        (k.ring_next, k.ring_prev) = (kcb, kcb);
        // A notification sent while the OSNode ran nowhere was not
        // delivered: its waiters look again (a spurious wakeup at worst).
        crate::dispatch::wake_notified(&mut mem, kcb);
        crate::interrupt::follow(&mut mem, kcb);
        return Ok(kcb);
    }
    build(params, archive, Role::Monitor)
}

fn build(
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    role: Role,
) -> Result<PAddr, BootstrapError> {
    // A fresh OSNode's first program: the monitor, unless the boot driver
    // named another (the one program of a real-time core).
    let (program, args) = match role {
        Role::First { .. } => ("init", ""),
        Role::Monitor => {
            let line = params.program().map_err(|_| BootstrapError::BadProgram)?;
            match line.trim().split_once(' ') {
                Some((name, args)) => (name, args.trim()),
                None if line.trim().is_empty() => ("monitor", ""),
                None => (line.trim(), ""),
            }
        }
    };
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
    let image_size = image.memory_size().next_multiple_of(FRAME_SIZE);

    // Kernel objects, frames, then slack for alignment.
    let total = 16 * 1024 * 8 + 4096 + 8192 + 8192 * 6 + 4096 + image_size + STACK_SIZE + 64 * 1024;
    let base = memory::alloc_region(total, 16 * 1024).ok_or(BootstrapError::NoMemory)?;
    let mut mem = KernelMemory::new();
    mem.zero(base, total);

    // Where the CNodes will be: planned first, so caps can go straight to
    // their final slots (the memory is already zero).
    let mut b = Builder {
        mem,
        root: 0,
        ram: 0,
        region: Region {
            base,
            next: base,
            end: base + total,
        },
        kcb: 0,
    };
    // 16 KiB each, in this order: KCB, root CNode, then the L2 CNodes.
    const L2_ORDER: [u32; 6] = [
        root::TASK,
        root::RECEIVE,
        INIT_RESOURCES,
        init::RAM_CNODE,
        init::DEVICE_CNODE,
        init::PAGE_CNODE,
    ];
    // The first OSNode's KCB comes first; a monitor's KCB is the boot
    // driver's, elsewhere.
    let kcb_slots = match role {
        Role::First { .. } => 1,
        Role::Monitor => 0,
    };
    let cnode_at = |i: u64| base + (i + kcb_slots) * 16 * 1024;
    let l1_base = cnode_at(0);
    let l2_base = |root_slot: u32| {
        let position = L2_ORDER.iter().position(|&s| s == root_slot).unwrap_or(0);
        cnode_at(1 + position as u64)
    };
    let task_base = l2_base(root::TASK);
    let page_base = l2_base(init::PAGE_CNODE);
    let res_base = l2_base(INIT_RESOURCES);

    b.ram = slot(page_base, L2_SLOTS - 1);
    b.root_cap(ObjType::Ram, base, total, b.ram, "boot region")?;

    match role {
        Role::First { .. } => {
            let kcb_cap = b.object(
                ObjType::KernelControlBlock,
                caps::KCB_SIZE,
                slot(res_base, init::KCB.l2()),
                "KCB",
            )?;
            b.kcb = kcb_cap.base;
        }
        Role::Monitor => {
            // The boot driver made it (and owns its capability, in its
            // OSNode) and chose its id.
            // A KCB that never ran holds nothing yet: it takes this
            // kernel's layout (the kernel that made it may have another).
            b.kcb = params.kcb_phys;
            *b.mem.kcb(b.kcb) = osnode::kcb::Kcb::new(params.osnode_id, b.kcb);
        }
    }
    b.commit();
    let l1 = b.object(
        ObjType::L1CNode,
        256 * caps::CTE_SIZE,
        slot(task_base, task::ROOT_CNODE.l2()),
        "root CNode",
    )?;
    if l1.base != l1_base {
        return Err(BootstrapError::Layout("root CNode"));
    }
    for root_slot in L2_ORDER {
        let cnode = b.object(
            ObjType::L2CNode,
            caps::L2CNODE_SIZE,
            slot(l1_base, root_slot),
            "L2 CNode",
        )?;
        if cnode.base != l2_base(root_slot) {
            return Err(BootstrapError::Layout("L2 CNode"));
        }
    }
    b.copy(
        slot(l1_base, root::TASK),
        slot(task_base, task::TASK_CNODE.l2()),
        "task CNode copy",
    )?;
    b.copy(
        slot(l1_base, root::RECEIVE),
        slot(task_base, task::RECEIVE_CNODE.l2()),
        "receive CNode copy",
    )?;

    let dcb = b.object(
        ObjType::Dispatcher,
        caps::DISPATCHER_SIZE,
        slot(task_base, task::DISPATCHER.l2()),
        "dispatcher",
    )?;
    let frame = b.object(
        ObjType::Frame,
        abi::dispatcher::FRAME_SIZE,
        slot(task_base, task::DISPATCHER_FRAME.l2()),
        "dispatcher frame",
    )?;
    let vnode = vspace::VNODE_OBJECT_SIZE;
    let pml4 = b.object(
        ObjType::VNodePml4,
        vnode,
        slot(task_base, task::VSPACE_ROOT.l2()),
        "PML4",
    )?;
    let args_frame = b.object(
        ObjType::Frame,
        FRAME_SIZE,
        slot(task_base, task::ARGS_FRAME.l2()),
        "arguments frame",
    )?;
    // The arguments, NUL-terminated (the frame is zero; PROGRAM_CAPACITY is
    // far below a page).
    b.mem
        .bytes_mut(args_frame.base, args.len() as u64)
        .copy_from_slice(args.as_bytes());
    let pdpt = b.object(ObjType::VNodePdpt, vnode, slot(page_base, 0), "PDPT")?;
    let pd = b.object(ObjType::VNodePd, vnode, slot(page_base, 1), "PD")?;
    let pt_image = b.object(ObjType::VNodePt, vnode, slot(page_base, 2), "image PT")?;
    let pt_frame = b.object(ObjType::VNodePt, vnode, slot(page_base, 3), "frame PT")?;
    let pt_stack = b.object(ObjType::VNodePt, vnode, slot(page_base, 4), "stack PT")?;
    let image_frame = b.object(
        ObjType::Frame,
        image_size,
        slot(page_base, 5),
        "image frame",
    )?;
    b.object(
        ObjType::Frame,
        STACK_SIZE,
        slot(page_base, 6),
        "stack frame",
    )?;

    // Load and relocate init into its frame.
    load_image(&mut b.mem, &image, image_frame.base, image_size)?;

    // The page tables: PML4 -> PDPT -> PD -> three PTs.
    let (p4, p3, p2_image, p1_image) = indices(PROGRAM_BASE);
    let (_, _, p2_frame, p1_frame) = indices(DISPATCHER_BASE);
    let (_, _, _, p1_args) = indices(ARGS_BASE);
    let stack_base = STACK_TOP - STACK_SIZE;
    let (_, _, p2_stack, p1_stack) = indices(stack_base);
    let mut record = 16;
    let mut next_record = || {
        record += 1;
        slot(page_base, record)
    };
    b.map(pml4, slot(page_base, 0), p4, 1, 0, 0, next_record(), "PDPT")?;
    b.map(pdpt, slot(page_base, 1), p3, 1, 0, 0, next_record(), "PD")?;
    b.map(
        pd,
        slot(page_base, 2),
        p2_image,
        1,
        0,
        0,
        next_record(),
        "image PT",
    )?;
    b.map(
        pd,
        slot(page_base, 3),
        p2_frame,
        1,
        0,
        0,
        next_record(),
        "frame PT",
    )?;
    b.map(
        pd,
        slot(page_base, 4),
        p2_stack,
        1,
        0,
        0,
        next_record(),
        "stack PT",
    )?;
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
        b.map(
            pt_image,
            slot(page_base, 5),
            p1_image + first / FRAME_SIZE,
            pages,
            first / FRAME_SIZE,
            flags,
            next_record(),
            "image",
        )?;
    }
    let rw = abi::invoke::MAP_WRITE;
    b.map(
        pt_frame,
        slot(task_base, task::DISPATCHER_FRAME.l2()),
        p1_frame,
        abi::dispatcher::FRAME_SIZE / FRAME_SIZE,
        0,
        rw,
        next_record(),
        "dispatcher frame",
    )?;
    b.map(
        pt_frame,
        slot(task_base, task::ARGS_FRAME.l2()),
        p1_args,
        1,
        0,
        rw,
        next_record(),
        "arguments",
    )?;
    b.map(
        pt_stack,
        slot(page_base, 6),
        p1_stack,
        STACK_SIZE / FRAME_SIZE,
        0,
        rw,
        next_record(),
        "stack",
    )?;

    // The boot region's RAM capability is not needed any more.
    caps::ops::delete(&mut b.mem, &mut b.root, b.ram)
        .map_err(|e| BootstrapError::Caps("boot region", e))?;
    b.commit();

    // The first program's own RAM for its runtime (heap, page tables, slots).
    let own = match role {
        Role::First { .. } => INIT_RAM,
        Role::Monitor => MONITOR_RAM,
    };
    let initial = memory::alloc_region(own, FRAME_SIZE).ok_or(BootstrapError::NoMemory)?;
    b.root_cap(
        ObjType::Ram,
        initial,
        own,
        slot(task_base, task::INITIAL_RAM.l2()),
        "the first program's RAM",
    )?;
    grant_resources(
        &mut b,
        params,
        archive,
        role,
        res_base,
        l2_base(init::RAM_CNODE),
        l2_base(init::DEVICE_CNODE),
    )?;

    // Endpoint 0 of init, for whoever should reach it.
    let endpoint = Capability::new(ObjType::EndPoint, Rights::ALL, dcb.base, dcb.size);
    caps::ops::derive(
        &mut b.mem,
        &mut b.root,
        slot(task_base, task::DISPATCHER.l2()),
        endpoint,
        slot(task_base, task::SELF_ENDPOINT.l2()),
    )
    .map_err(|e| BootstrapError::Caps("self endpoint", e))?;
    b.commit();

    // The dispatcher: CSpace, VSpace, frame, and where it starts.
    let dcb_at = dcb.base;
    for (offset, from) in [
        (
            core::mem::offset_of!(osnode::dcb::Dcb, cspace),
            slot(task_base, task::ROOT_CNODE.l2()),
        ),
        (
            core::mem::offset_of!(osnode::dcb::Dcb, vspace),
            slot(task_base, task::VSPACE_ROOT.l2()),
        ),
        (
            core::mem::offset_of!(osnode::dcb::Dcb, frame),
            slot(task_base, task::DISPATCHER_FRAME.l2()),
        ),
    ] {
        b.copy(from, dcb_at + offset as u64, "dispatcher's capabilities")?;
    }
    b.copy(
        slot(task_base, task::ROOT_CNODE.l2()),
        b.kcb + core::mem::offset_of!(osnode::kcb::Kcb, init_cspace) as u64,
        "init CSpace root",
    )?;
    b.commit();
    {
        let d = b.mem.dcb(dcb_at);
        d.frame_phys = frame.base;
        d.vspace_phys = pml4.base;
        let n = program.len().min(d.name.len());
        d.name[..n].copy_from_slice(&program.as_bytes()[..n]);
        d.state = abi::invoke::state::RUNNABLE;
        d.resume = Resume::Run as u32;
    }
    // SAFETY: `frame` is the dispatcher frame just created (FRAME_SIZE bytes).
    let user_frame = unsafe { UserFrame::at(frame.base) };
    write_initial_frame(&user_frame, image.entry() + PROGRAM_BASE);
    let mut queue = b.mem.kcb(b.kcb).run_queue;
    queue.push_back(&mut b.mem, dcb_at);
    b.mem.kcb(b.kcb).run_queue = queue;
    let k = b.mem.kcb(b.kcb);
    k.flags |= osnode::kcb::KCB_STARTED;
    k.last_core = params.core_id;
    k.last_apic = params.apic_id;
    if matches!(role, Role::First { .. }) {
        k.id = 0;
    }
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

/// Copies and relocates the image into the frame at `frame_phys`.
fn load_image(
    mem: &mut KernelMemory,
    image: &ElfImage<'_>,
    frame_phys: u64,
    size: u64,
) -> Result<(), BootstrapError> {
    let dest = mem.bytes_mut(frame_phys, size);
    image
        .load_into(dest, PROGRAM_BASE)
        .map_err(BootstrapError::BadImage)
}

/// The dispatcher frame's initial contents: magic, no upcalls, and the
/// enabled area at the entry point with the stack at its top.
fn write_initial_frame(frame: &UserFrame, entry: u64) {
    frame.set_magic(FRAME_MAGIC);
    let regs = Registers {
        rip: entry,
        rsp: STACK_TOP,
        rdi: DISPATCHER_BASE,
        rflags: 1 << 9,
        ..Registers::default()
    };
    frame.store(Area::Enabled, &regs, &FpuState::default());
}

/// Gives the first program its resources. Init: Kernel, IRQ table, I/O
/// ports, IPI, the boot archive (read-only), the system page, every free
/// RAM region and the device memory. A monitor: Kernel, IRQ table, IPI, the
/// archive, its channel to the first OSNode and the rest of its core's RAM.
#[allow(clippy::too_many_arguments)]
fn grant_resources(
    b: &mut Builder,
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    role: Role,
    res_base: u64,
    ram_base: u64,
    device_base: u64,
) -> Result<(), BootstrapError> {
    // The kernel's authority goes to init and monitors only, not to a
    // program the boot driver named (the one program of a real-time core).
    let trusted = match role {
        Role::First { .. } => true,
        Role::Monitor => params.program().map_or(true, |p| {
            let name = p.split_whitespace().next().unwrap_or("monitor");
            name == "monitor"
        }),
    };
    if trusted {
        b.root_cap(
            ObjType::Kernel,
            0,
            1,
            slot(res_base, init::KERNEL.l2()),
            "Kernel capability",
        )?;
        b.root_cap(
            ObjType::IrqTable,
            0,
            256,
            slot(res_base, init::IRQ_TABLE.l2()),
            "IRQ table",
        )?;
    }
    if let Role::First { .. } = role {
        b.root_cap(
            ObjType::Io,
            0,
            0x1_0000,
            slot(res_base, init::IO.l2()),
            "I/O ports",
        )?;
    }
    if trusted {
        b.root_cap(
            ObjType::Ipi,
            0,
            1,
            slot(res_base, init::IPI.l2()),
            "IPI capability",
        )?;
    }

    // The archive (read-only) and, per role, the system page or the channel.
    let archive_range = PhysRange::new(params.archive_phys, archive.total_len() as u64)
        .align_out(FRAME_SIZE)
        .unwrap_or(PhysRange::new(params.archive_phys, FRAME_SIZE));
    b.frame_cap(
        archive_range,
        Rights::READ,
        slot(res_base, init::ARCHIVE.l2()),
        res_base,
        "boot archive",
    )?;
    match role {
        Role::First { system_phys } if system_phys != 0 => {
            let page = PhysRange::new(system_phys, FRAME_SIZE);
            b.frame_cap(
                page,
                Rights::ALL,
                slot(res_base, init::SYSTEM_PAGE.l2()),
                res_base,
                "system page",
            )?;
        }
        Role::Monitor if params.channel_phys != 0 => {
            let channel = PhysRange::new(params.channel_phys, params.channel_size.max(FRAME_SIZE));
            b.frame_cap(
                channel,
                Rights::ALL,
                slot(res_base, init::CHANNEL.l2()),
                res_base,
                "channel",
            )?;
        }
        _ => {}
    }

    let mut index = 0;
    for range in memory::take_all_free() {
        if index == L2_SLOTS {
            log::warn!("more than {L2_SLOTS} free RAM regions; {range:?} stays unused");
            continue;
        }
        b.root_cap(
            ObjType::Ram,
            range.base,
            range.size,
            slot(ram_base, index),
            "RAM",
        )?;
        index += 1;
    }
    if let Role::Monitor = role {
        b.commit();
        return Ok(());
    }
    let mut index = 0;
    for range in crate::platform::device_ranges(&params.memory_map) {
        if index < L2_SLOTS {
            b.root_cap(
                ObjType::PhysAddr,
                range.base,
                range.size,
                slot(device_base, index),
                "device memory",
            )?;
            index += 1;
        }
    }
    b.commit();
    Ok(())
}
