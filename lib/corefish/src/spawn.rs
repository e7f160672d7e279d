//! Spawning a program from an ELF image: everything the new dispatcher
//! needs is made from one RAM capability retyped for it, with capability
//! invocations only (no kernel policy, docs/design.md, rule 3):
//!
//! * its CSpace: a root CNode with the task and receive CNodes, filled with
//!   the well-known capabilities (`abi::cspace::task`) and any the caller
//!   gives;
//! * its VSpace: a top-level table, one PDPT, PD and three page tables, the
//!   image (loaded and relocated for `PROGRAM_BASE`), the dispatcher frame,
//!   the arguments page and the stack;
//! * its dispatcher, set up and started, with the caller's endpoint told
//!   when it ends.
//!
//! The spawner keeps the capabilities of the child's objects in a
//! *bookkeeping* L2 CNode of its own root CNode; killing the child is
//! revoking its RAM capability, which takes every object with it.

use abi::cspace::{CPtr, SlotRef, task};
use abi::dispatcher::{
    DispatcherFrame, EndpointRing, FRAME_MAGIC, FRAME_SIZE, FpuState, RECEIVE_SLOT_VALID,
    Registers, SaveArea,
};
use abi::error::SysError;
use abi::invoke::{MAP_EXECUTE, MAP_WRITE};
use abi::layout::{ARGS_BASE, DISPATCHER_BASE, PROGRAM_BASE, PROGRAM_MAX, STACK_SIZE, STACK_TOP};
use caps::{ObjType, Rights};
use core::mem::offset_of;
use elfload::ElfImage;

use crate::cap::{Cap, kind};
use crate::{ram, slots, vspace};

const PAGE: u64 = 4096;
const VNODE: u64 = caps::VNODE_SIZE;

/// Slots of the bookkeeping CNode.
pub mod book {
    /// The child's root CNode.
    pub const L1: u32 = 0;
    /// Its task CNode.
    pub const TASK: u32 = 1;
    /// Its receive CNode.
    pub const RECEIVE: u32 = 2;
    /// Its dispatcher.
    pub const DISPATCHER: u32 = 3;
    /// Its dispatcher frame.
    pub const FRAME: u32 = 4;
    /// Its arguments page.
    pub const ARGS: u32 = 5;
    /// Its top-level page table.
    pub const PML4: u32 = 6;
    /// The RAM it gets to allocate from.
    pub const INITIAL_RAM: u32 = 7;
    /// An endpoint to its inbox (ring 0).
    pub const ENDPOINT: u32 = 8;
    /// Its other page tables, image and stack.
    pub const PDPT: u32 = 9;
    /// PD.
    pub const PD: u32 = 10;
    /// Page table of the image.
    pub const PT_IMAGE: u32 = 11;
    /// Page table of the frame and arguments.
    pub const PT_FRAME: u32 = 12;
    /// Page table of the stack.
    pub const PT_STACK: u32 = 13;
    /// The image frame.
    pub const IMAGE: u32 = 14;
    /// The stack frame.
    pub const STACK: u32 = 15;
    /// First slot for mapping records.
    pub const RECORDS: u32 = 16;
}

/// What to spawn.
pub struct Spec<'a> {
    /// Name (the first 8 bytes are the dispatcher's name).
    pub name: &'a str,
    /// The ELF image.
    pub image: &'a [u8],
    /// Arguments, readable with [`crate::args`] (at most 4095 bytes).
    pub args: &'a str,
    /// RAM the child may allocate from itself.
    pub ram_bytes: u64,
    /// Capabilities to give: (slot of the child's task CNode, source, rights, badge).
    pub caps: &'a [(CPtr, CPtr, Rights, u64)],
    /// Endpoint told when the child ends (its exit message).
    pub exit_endpoint: Option<CPtr>,
    /// The RAM to make the child of ([`ram_needed`] bytes at least; it
    /// stays the caller's, revoked, if the spawn fails), or `None` for RAM
    /// from the spawner's own allocator.
    pub from: Option<CPtr>,
}

/// Why a program could not be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// The image is not a loadable program.
    Image(elfload::ElfError),
    /// Arguments too long.
    ArgsTooLong,
    /// A system call failed.
    Sys(SysError),
}

impl From<SysError> for SpawnError {
    fn from(e: SysError) -> Self {
        Self::Sys(e)
    }
}

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Image(e) => write!(f, "bad program image: {e}"),
            Self::ArgsTooLong => f.write_str("arguments too long"),
            Self::Sys(e) => write!(f, "{e}"),
        }
    }
}

/// A spawned program, as its spawner holds it.
#[derive(Debug, Clone, Copy)]
pub struct Child {
    /// Root slot of the bookkeeping CNode.
    pub book: u32,
    /// The RAM everything of the child is made of (revoke to kill).
    pub ram: CPtr,
    /// The dispatcher's id within the OSNode.
    pub id: u64,
}

impl Child {
    /// A capability in the bookkeeping CNode.
    pub fn slot(&self, index: u32) -> CPtr {
        CPtr::new(self.book, index)
    }

    /// The child's dispatcher.
    pub fn dispatcher(&self) -> Cap<kind::Dispatcher> {
        Cap::at(self.slot(book::DISPATCHER))
    }

    /// The child's root CNode.
    pub fn root_cnode(&self) -> Cap<kind::L1CNode> {
        Cap::at(self.slot(book::L1))
    }

    /// An endpoint to the child's inbox.
    pub fn endpoint(&self) -> Cap<kind::EndPoint> {
        Cap::at(self.slot(book::ENDPOINT))
    }

    /// How the child ended, if it did, by its dispatcher's state (for a
    /// spawner whose exit notice was missed): how, and the exit code or
    /// exception vector.
    pub fn ended(&self) -> Option<(proto::kernel::ExitKind, u64)> {
        use abi::invoke::state;
        let status = self.dispatcher().status().ok()?;
        let kind = match status.state {
            state::EXITED => proto::kernel::ExitKind::Exited,
            state::FAULTED => proto::kernel::ExitKind::Faulted,
            _ => return None,
        };
        Some((kind, status.exit_code))
    }

    /// Ends the child and frees everything it had: revoking its RAM
    /// deletes all its objects (and every capability to them, anywhere),
    /// including the bookkeeping CNode; the RAM goes back to the spawner's
    /// allocator.
    pub fn kill(self) -> Result<(), SysError> {
        // Nothing is made of that RAM any more: it is the spawner's again.
        ram::give_back(self.end()?)
    }

    /// Ends the child like [`Child::kill`] but hands its RAM capability
    /// (nothing made of it any more) to the caller.
    pub fn end(self) -> Result<CPtr, SysError> {
        // Its objects may have copies on other OSNodes (it sent some).
        crate::monitor::revoke(Cap::<kind::Ram>::at(self.ram))?;
        Ok(self.ram)
    }
}

/// A bump allocator over the child's RAM capability.
struct Carver {
    ram: Cap<kind::Ram>,
    base: u64,
    used: u64,
}

impl Carver {
    fn make(&mut self, ty: ObjType, size: u64, dest: SlotRef) -> Result<(), SysError> {
        let align = if ty.is_kernel_object() { size } else { PAGE };
        let start = (self.base + self.used).next_multiple_of(align);
        self.ram.retype(ty, start - self.base, size, 1, dest)?;
        self.used = start + size - self.base;
        Ok(())
    }
}

/// Page-table indices (PML4, PDPT, PD, PT) of an address.
fn indices(vaddr: u64) -> [u64; 4] {
    [
        (vaddr >> 39) & 511,
        (vaddr >> 30) & 511,
        (vaddr >> 21) & 511,
        (vaddr >> 12) & 511,
    ]
}

/// The program image of `image`, checked, and its memory size.
fn checked_image(image: &[u8]) -> Result<(ElfImage<'_>, u64), SpawnError> {
    let image = ElfImage::parse(image).map_err(SpawnError::Image)?;
    if !image.is_relocatable() || image.vaddr_range().0 != 0 || image.memory_size() > PROGRAM_MAX {
        return Err(SpawnError::Image(elfload::ElfError::ImageTooLarge));
    }
    let size = image.memory_size().next_multiple_of(PAGE);
    Ok((image, size))
}

/// The RAM a child of program `image` with `ram_bytes` of its own is made
/// of: its CNodes, dispatcher, page tables, image, stack and own RAM.
pub fn ram_needed(image: &[u8], ram_bytes: u64) -> Result<u64, SpawnError> {
    let (_, image_size) = checked_image(image)?;
    Ok(total_bytes(image_size, ram_bytes.next_multiple_of(PAGE)))
}

fn total_bytes(image_size: u64, ram_bytes: u64) -> u64 {
    3 * caps::L2CNODE_SIZE
        + 2 * caps::L2CNODE_SIZE
        + PAGE
        + FRAME_SIZE
        + PAGE
        + 6 * VNODE
        + image_size
        + STACK_SIZE
        + ram_bytes
        + 64 * 1024
}

/// Spawns a program. On failure everything made so far is freed.
pub fn spawn(spec: &Spec<'_>) -> Result<Child, SpawnError> {
    let (image, image_size) = checked_image(spec.image)?;
    if spec.args.len() >= PAGE as usize {
        return Err(SpawnError::ArgsTooLong);
    }
    let ram_bytes = spec.ram_bytes.next_multiple_of(PAGE);
    let total = total_bytes(image_size, ram_bytes);
    let ram = match spec.from {
        Some(ram) => {
            if Cap::<kind::Ram>::at(ram).identify()?.size < total {
                return Err(SpawnError::Sys(SysError::BadSize));
            }
            ram
        }
        None => ram::alloc_ram(total)?,
    };
    let base = Cap::<kind::Ram>::at(ram).identify()?.base;
    let mut carver = Carver {
        ram: Cap::at(ram),
        base,
        used: 0,
    };
    let book_root = match free_root() {
        Ok(r) => r,
        Err(e) => {
            if spec.from.is_none() {
                let _ = Cap::<kind::Ram>::at(ram).delete();
                slots::free(ram);
            }
            return Err(e.into());
        }
    };
    let child = Child {
        book: book_root,
        ram,
        id: 0,
    };
    match build(spec, &image, image_size, ram_bytes, &mut carver, child) {
        Ok(child) => Ok(child),
        Err(e) => {
            if spec.from.is_some() {
                let _ = child.end();
            } else {
                let _ = child.kill();
            }
            Err(e)
        }
    }
}

/// The first empty root slot (for a bookkeeping CNode).
fn free_root() -> Result<u32, SysError> {
    let roots = crate::cap::root_slots()?;
    let me = Cap::<kind::L1CNode>::at(task::ROOT_CNODE);
    (abi::cspace::root::FIRST_FREE..roots)
        .find(|&r| me.identify_in(CPtr::new(r, 0)) == Err(SysError::NotACNode))
        .ok_or(SysError::SlotOutOfRange)
}

fn build(
    spec: &Spec<'_>,
    image: &ElfImage<'_>,
    image_size: u64,
    ram_bytes: u64,
    c: &mut Carver,
    child: Child,
) -> Result<Child, SpawnError> {
    let s = |i: u32| SlotRef::Slot(child.slot(i));
    c.make(
        ObjType::L2CNode,
        caps::L2CNODE_SIZE,
        SlotRef::Root(child.book),
    )?;
    c.make(ObjType::L1CNode, 256 * caps::CTE_SIZE, s(book::L1))?;
    c.make(ObjType::L2CNode, caps::L2CNODE_SIZE, s(book::TASK))?;
    c.make(ObjType::L2CNode, caps::L2CNODE_SIZE, s(book::RECEIVE))?;
    c.make(
        ObjType::Dispatcher,
        caps::DISPATCHER_SIZE,
        s(book::DISPATCHER),
    )?;
    c.make(ObjType::Frame, FRAME_SIZE, s(book::FRAME))?;
    c.make(ObjType::Frame, PAGE, s(book::ARGS))?;
    c.make(ObjType::VNodePml4, VNODE, s(book::PML4))?;
    c.make(ObjType::VNodePdpt, VNODE, s(book::PDPT))?;
    c.make(ObjType::VNodePd, VNODE, s(book::PD))?;
    c.make(ObjType::VNodePt, VNODE, s(book::PT_IMAGE))?;
    c.make(ObjType::VNodePt, VNODE, s(book::PT_FRAME))?;
    c.make(ObjType::VNodePt, VNODE, s(book::PT_STACK))?;
    c.make(ObjType::Frame, image_size, s(book::IMAGE))?;
    c.make(ObjType::Frame, STACK_SIZE, s(book::STACK))?;
    if ram_bytes > 0 {
        c.make(ObjType::Ram, ram_bytes, s(book::INITIAL_RAM))?;
    }
    let dispatcher = child.dispatcher();
    dispatcher.create_endpoint(0, child.slot(book::ENDPOINT))?;

    // The CSpace.
    let l1 = Cap::<kind::L1CNode>::at(child.slot(book::L1));
    l1.mint_in(
        abi::cspace::root::TASK,
        child.slot(book::TASK),
        Rights::ALL,
        0,
    )?;
    l1.mint_in(
        abi::cspace::root::RECEIVE,
        child.slot(book::RECEIVE),
        Rights::ALL,
        0,
    )?;
    let task_cnode = Cap::<kind::L2CNode>::at(child.slot(book::TASK));
    let mut gifts = [
        (task::TASK_CNODE, book::TASK),
        (task::ROOT_CNODE, book::L1),
        (task::DISPATCHER, book::DISPATCHER),
        (task::DISPATCHER_FRAME, book::FRAME),
        (task::VSPACE_ROOT, book::PML4),
        (task::RECEIVE_CNODE, book::RECEIVE),
        (task::SELF_ENDPOINT, book::ENDPOINT),
        (task::ARGS_FRAME, book::ARGS),
        (task::INITIAL_RAM, book::INITIAL_RAM),
    ]
    .into_iter()
    .take(if ram_bytes > 0 { 9 } else { 8 });
    for (at, from) in &mut gifts {
        task_cnode.mint_in(at.l2(), child.slot(from), Rights::ALL, 0)?;
    }
    for &(at, source, rights, badge) in spec.caps {
        task_cnode.mint_in(at.l2(), source, rights, badge)?;
    }

    // The VSpace.
    let mut record = book::RECORDS;
    let mut map = |table: u32,
                   child_slot: u32,
                   index: u64,
                   count: u64,
                   offset: u64,
                   flags: u64|
     -> Result<(), SysError> {
        let r = child.slot(record);
        record += 1;
        Cap::<kind::VNode>::at(child.slot(table)).map(
            child.slot(child_slot),
            index,
            count,
            offset,
            flags,
            r,
        )
    };
    let [p4, p3, p2_image, p1_image] = indices(PROGRAM_BASE);
    let [_, _, p2_frame, p1_frame] = indices(DISPATCHER_BASE);
    let [_, _, _, p1_args] = indices(ARGS_BASE);
    let [_, _, p2_stack, p1_stack] = indices(STACK_TOP - STACK_SIZE);
    map(book::PML4, book::PDPT, p4, 1, 0, 0)?;
    map(book::PDPT, book::PD, p3, 1, 0, 0)?;
    map(book::PD, book::PT_IMAGE, p2_image, 1, 0, 0)?;
    map(book::PD, book::PT_FRAME, p2_frame, 1, 0, 0)?;
    map(book::PD, book::PT_STACK, p2_stack, 1, 0, 0)?;
    for segment in image.segments() {
        let first = segment.vaddr / PAGE;
        let pages = (segment.vaddr + segment.memsz).div_ceil(PAGE) - first;
        let flags = if segment.writable { MAP_WRITE } else { 0 }
            | if segment.executable { MAP_EXECUTE } else { 0 };
        map(
            book::PT_IMAGE,
            book::IMAGE,
            p1_image + first,
            pages,
            first,
            flags,
        )?;
    }
    map(
        book::PT_FRAME,
        book::FRAME,
        p1_frame,
        FRAME_SIZE / PAGE,
        0,
        MAP_WRITE,
    )?;
    map(book::PT_FRAME, book::ARGS, p1_args, 1, 0, MAP_WRITE)?;
    map(
        book::PT_STACK,
        book::STACK,
        p1_stack,
        STACK_SIZE / PAGE,
        0,
        MAP_WRITE,
    )?;

    // Contents: image, arguments, dispatcher frame.
    let mut m = vspace::map(child.slot(book::IMAGE), image_size, MAP_WRITE)?;
    let loaded = image.load_into(m.bytes_mut(), PROGRAM_BASE);
    vspace::unmap(m);
    loaded.map_err(SpawnError::Image)?;
    let mut m = vspace::map(child.slot(book::ARGS), PAGE, MAP_WRITE)?;
    m.bytes_mut()[..spec.args.len()].copy_from_slice(spec.args.as_bytes());
    // The name after the arguments' NUL, as far as it fits (`crate::name`).
    let after = spec.args.len() + 1;
    let room = (PAGE as usize - 1).saturating_sub(after);
    let name = &spec.name.as_bytes()[..spec.name.len().min(room)];
    m.bytes_mut()[after..after + name.len()].copy_from_slice(name);
    vspace::unmap(m);
    let mut m = vspace::map(child.slot(book::FRAME), FRAME_SIZE, MAP_WRITE)?;
    write_frame(m.bytes_mut(), PROGRAM_BASE + image.entry());
    vspace::unmap(m);

    dispatcher.setup(
        child.slot(book::L1),
        child.slot(book::PML4),
        child.slot(book::FRAME),
        spec.name,
    )?;
    if let Some(endpoint) = spec.exit_endpoint {
        dispatcher.set_exit_endpoint(endpoint)?;
    }
    let id = dispatcher.status()?.id;
    dispatcher.run()?;
    Ok(Child { id, ..child })
}

/// Writes a fresh dispatcher frame: magic, no upcalls, and the enabled area
/// at the entry point with the stack at its top.
fn write_frame(bytes: &mut [u8], entry: u64) {
    let put = |bytes: &mut [u8], at: usize, value: u64| {
        bytes[at..at + 8].copy_from_slice(&value.to_le_bytes())
    };
    put(bytes, offset_of!(DispatcherFrame, magic), FRAME_MAGIC);
    // Capabilities sent before the program first runs land in the first
    // slot of its receive CNode (its runtime knows, see `lmp`).
    let inbox = offset_of!(DispatcherFrame, endpoints) + offset_of!(EndpointRing, receive_slot);
    put(
        bytes,
        inbox,
        SlotRef::Slot(crate::lmp::FIRST_RECEIVE_SLOT).pack() | RECEIVE_SLOT_VALID,
    );
    let area = offset_of!(DispatcherFrame, enabled_area);
    let regs = area + offset_of!(SaveArea, regs);
    put(bytes, regs + offset_of!(Registers, rip), entry);
    put(bytes, regs + offset_of!(Registers, rsp), STACK_TOP);
    put(bytes, regs + offset_of!(Registers, rdi), DISPATCHER_BASE);
    put(bytes, regs + offset_of!(Registers, rflags), 1 << 9);
    let fpu = area + offset_of!(SaveArea, fpu);
    bytes[fpu..fpu + 512].copy_from_slice(&FpuState::default().0);
}
