//! Reaching kernel objects in capability memory through the direct map.
//!
//! Kernel objects (CTEs in CNodes, the KCB, DCBs, page tables) are plain
//! `#[repr(C)]` integers in memory typed by capabilities; only this kernel
//! instance touches an OSNode's objects while it runs that OSNode, so they
//! are handed out as `&mut` for the duration of one borrow of
//! [`KernelMemory`]. There is one such handle per kernel entry, made where
//! the entry begins ([`crate::events`]) and passed down: two handles would
//! let two `&mut` to one object live at once.
//!
//! Dispatcher frames are different: user code may write them at any time,
//! so they are only read and written with volatile copies ([`UserFrame`]),
//! never through references, and only once the dispatcher's own copy of
//! the frame capability proves the frame is there ([`KernelMemory::frame_of`]).

use abi::dispatcher::{DispatcherFrame, EndpointRing, FpuState, Message, Registers, SaveArea};
use bootproto::layout::phys_to_virt;
use caps::{Cte, CteAddr, CteMemory};
use core::mem::offset_of;
use osnode::dcb::{DCB_MAGIC, Dcb, Resume};
use osnode::kcb::Kcb;
use osnode::sched::Objects;
use osnode::{DcbMemory, PAddr};

/// The capability system's view of memory: a zero-sized handle that gives
/// access to the objects of the OSNodes this kernel runs.
pub struct KernelMemory(());

impl KernelMemory {
    /// The handle of one kernel entry.
    ///
    /// # Safety
    /// At most one handle may be in use at a time on this core: the entry
    /// that makes it (interrupts off) passes it down and makes no other.
    /// An interrupt taken in the idle loop makes its own while the idle
    /// loop's is alive; that holds only because the idle loop holds no
    /// object reference while it waits.
    pub const unsafe fn new() -> Self {
        Self(())
    }

    /// The frame of dispatcher `dcb`, if it still has one: the DCB must be
    /// live and its own copy of the frame capability must still be there,
    /// naming the frame the DCB records. (Revoking the frame, or the memory
    /// it came from, deletes that copy too; the dispatcher then has no
    /// frame and cannot run.)
    pub fn frame_of(&mut self, dcb: PAddr) -> Option<UserFrame> {
        let d = self.dcb(dcb);
        let cap = d.frame.cap;
        let intact = d.magic == DCB_MAGIC
            && cap.obj_type() == caps::ObjType::Frame
            && cap.base == d.frame_phys
            && cap.size >= abi::dispatcher::FRAME_SIZE;
        // SAFETY: the DCB's capability copy proves a Frame object of at
        // least FRAME_SIZE bytes at `frame_phys` exists (capabilities are
        // only ever written by the capability library, which keeps them
        // true), and the copy keeps it alive while the DCB holds it.
        intact.then(|| unsafe { UserFrame::at(d.frame_phys) })
    }

    /// The top-level page table of dispatcher `dcb`, under the same
    /// conditions as [`frame_of`](Self::frame_of).
    pub fn vspace_of(&mut self, dcb: PAddr) -> Option<VSpaceRoot> {
        let d = self.dcb(dcb);
        let cap = d.vspace.cap;
        let intact = d.magic == DCB_MAGIC
            && cap.obj_type() == caps::ObjType::VNodePml4
            && cap.base == d.vspace_phys;
        intact.then_some(VSpaceRoot(d.vspace_phys))
    }

    /// The KCB at `at`.
    pub fn kcb(&mut self, at: PAddr) -> &mut Kcb {
        // SAFETY: `at` is the physical address of a KernelControlBlock object
        // (the current-KCB pointer or a KCB capability's base); the object
        // is at least `size_of::<Kcb>()` bytes, 8-aligned, in the direct
        // map, and no other reference to it lives while `self` is borrowed.
        unsafe { &mut *(phys_to_virt(at) as *mut Kcb) }
    }

    /// The DCB at `at`.
    pub fn dcb(&mut self, at: PAddr) -> &mut Dcb {
        // SAFETY: `at` is a Dispatcher object's base (from a capability or a
        // queue link); the object is 1 KiB, aligned, direct-mapped, and no
        // other reference to it lives while `self` is borrowed.
        unsafe { &mut *(phys_to_virt(at) as *mut Dcb) }
    }

    /// A page-table page.
    pub fn table(&mut self, at: PAddr) -> &mut [u64; 512] {
        // SAFETY: `at` is the base of a VNode object (4 KiB, aligned) or of
        // this kernel's own tables; no other reference lives meanwhile.
        unsafe { &mut *(phys_to_virt(at) as *mut [u64; 512]) }
    }

    /// Zeroes `len` bytes of physical memory (a freshly retyped object).
    pub fn zero(&mut self, at: PAddr, len: u64) {
        // SAFETY: the caller passes the range of an object it just created
        // by retype: memory of this OSNode, direct-mapped, used by no one.
        unsafe { core::ptr::write_bytes(phys_to_virt(at) as *mut u8, 0, len as usize) };
    }

    /// The bytes of an object the caller just created (to load an image).
    pub fn bytes_mut(&mut self, at: PAddr, len: u64) -> &mut [u8] {
        // SAFETY: the caller passes the range of a Frame it just retyped:
        // direct-mapped memory no one else uses; the slice borrows `self`.
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(at) as *mut u8, len as usize) }
    }

    /// Reads `len` bytes of physical memory into `out`.
    pub fn read_bytes(&mut self, from: PAddr, out: &mut [u8]) {
        // SAFETY: the caller passes memory-backed, direct-mapped addresses
        // it found by walking page tables (user memory) or an object range.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(from) as *const u8,
                out.as_mut_ptr(),
                out.len(),
            )
        };
    }
}

impl CteMemory for KernelMemory {
    fn read(&self, at: CteAddr) -> Cte {
        // SAFETY: every CteAddr the kernel passes comes from a CNode slot
        // lookup, a KCB/DCB field, or an MDB link written by the capability
        // library, all inside live objects; CTEs are plain integers.
        unsafe { (phys_to_virt(at) as *const Cte).read() }
    }

    fn write(&mut self, at: CteAddr, cte: &Cte) {
        // SAFETY: as for `read`.
        unsafe { (phys_to_virt(at) as *mut Cte).write(*cte) }
    }
}

impl DcbMemory for KernelMemory {
    fn dcb(&mut self, at: PAddr) -> &mut Dcb {
        KernelMemory::dcb(self, at)
    }
}

impl Objects for KernelMemory {
    fn kcb(&mut self, at: PAddr) -> &mut Kcb {
        KernelMemory::kcb(self, at)
    }

    fn set_wait_result(&mut self, dcb: PAddr, resume: Resume, timed_out: bool) {
        if let Some(frame) = self.frame_of(dcb) {
            frame.set_results(
                Area::resumed_by(resume),
                Ok([u64::from(timed_out), 0, 0, 0, 0, 0]),
            );
        }
    }
}

/// A live top-level page table (a PML4 VNode), as a dispatcher's own copy
/// of its capability proves ([`KernelMemory::vspace_of`]): only such a
/// table is ever loaded into CR3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VSpaceRoot(PAddr);

impl VSpaceRoot {
    /// Its physical address.
    pub fn phys(self) -> PAddr {
        self.0
    }
}

/// The system page shared by every kernel of the machine
/// (`bootproto::system`): the console lock, the OSNode table, the
/// bootstrap core's APIC id. Every kernel only ever accesses it through
/// atomics.
#[derive(Debug, Clone, Copy)]
pub struct SystemPage {
    phys: PAddr,
}

impl SystemPage {
    /// Makes the machine's system page (the first core): a zeroed frame
    /// below 4 GiB (every starter's tables reach it) from this kernel's
    /// RAM. `None` if there is none.
    pub fn make(mem: &mut KernelMemory) -> Option<Self> {
        let phys = crate::memory::alloc_low_frame()?;
        mem.zero(phys, 4096);
        Some(Self { phys })
    }

    /// The system page the boot parameters name (a later core's kernel).
    ///
    /// # Safety
    /// `phys` must be the system page the first core's kernel made: a page
    /// of RAM no kernel ever uses otherwise, accessed only atomically.
    pub unsafe fn named(phys: PAddr) -> Option<Self> {
        (phys != 0 && phys.is_multiple_of(4096)).then_some(Self { phys })
    }

    /// Its physical address.
    pub fn phys(&self) -> PAddr {
        self.phys
    }

    /// The 32-bit word at `offset` (4-aligned, inside the page).
    pub fn word(&self, offset: usize) -> Option<&'static core::sync::atomic::AtomicU32> {
        if !offset.is_multiple_of(4) || offset > 4096 - 4 {
            return None;
        }
        // SAFETY: an aligned word of the system page, a page of RAM every
        // kernel keeps mapped (direct map) for the machine's lifetime and
        // only ever accesses through atomics (`make` and `named`).
        Some(unsafe {
            &*(phys_to_virt(self.phys + offset as u64) as *const core::sync::atomic::AtomicU32)
        })
    }
}

/// Which save area of a dispatcher frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Upcalls were enabled.
    Enabled,
    /// Upcalls were disabled.
    Disabled,
    /// A fault while disabled.
    Trap,
}

impl Area {
    /// The area a dispatcher that resumes as `resume` continues from.
    pub fn resumed_by(resume: Resume) -> Self {
        match resume {
            Resume::Disabled => Self::Disabled,
            Resume::Run | Resume::Enabled => Self::Enabled,
        }
    }

    /// How a dispatcher whose state was saved here continues where it
    /// left off.
    pub fn resume(self) -> Resume {
        match self {
            Self::Disabled | Self::Trap => Resume::Disabled,
            Self::Enabled => Resume::Enabled,
        }
    }

    /// How a dispatcher whose state was saved here continues after it was
    /// preempted (or stopped): through its `run` upcall if it was enabled.
    pub fn resume_after_preemption(self) -> Resume {
        match self {
            Self::Enabled => Resume::Run,
            Self::Disabled | Self::Trap => Resume::Disabled,
        }
    }
}

/// The first fields of a dispatcher frame, as the user last wrote them.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct FrameHeader {
    /// Magic.
    pub magic: u64,
    /// Disabled flag.
    pub disabled: u64,
    /// `run` upcall entry.
    pub run_entry: u64,
    /// Page-fault upcall entry.
    pub pagefault_entry: u64,
    /// Trap upcall entry.
    pub trap_entry: u64,
    /// Upcall stack.
    pub upcall_stack_top: u64,
    /// Critical-section start.
    pub crit_pc_low: u64,
    /// Critical-section end.
    pub crit_pc_high: u64,
}

const _: () = assert!(offset_of!(DispatcherFrame, crit_pc_high) == 56);

/// A dispatcher frame in user-writable memory: every access is a volatile
/// copy, every index is masked.
#[derive(Debug, Clone, Copy)]
pub struct UserFrame {
    base: *mut DispatcherFrame,
}

impl UserFrame {
    /// The frame at physical `phys` (see [`KernelMemory::frame_of`]).
    ///
    /// # Safety
    /// `phys` must be the base of a Frame object of at least
    /// `abi::dispatcher::FRAME_SIZE` bytes (checked when the dispatcher was
    /// set up, and kept alive by the DCB's copy of its capability).
    unsafe fn at(phys: PAddr) -> Self {
        Self {
            base: phys_to_virt(phys) as *mut DispatcherFrame,
        }
    }

    fn field<T>(&self, offset: usize) -> *mut T {
        // SAFETY (of every use): offsets come from `offset_of!` on the frame
        // type, so the pointer stays inside the frame object.
        self.base.cast::<u8>().wrapping_add(offset).cast::<T>()
    }

    /// Reads the header.
    pub fn header(&self) -> FrameHeader {
        // SAFETY: the header is the frame's first 64 bytes; a volatile read
        // of plain integers is defined whatever user code writes.
        unsafe { self.field::<FrameHeader>(0).read_volatile() }
    }

    /// Sets the magic number (a frame the kernel builds itself).
    pub fn set_magic(&self, magic: u64) {
        // SAFETY: in-frame field, volatile write of an integer.
        unsafe {
            self.field::<u64>(offset_of!(DispatcherFrame, magic))
                .write_volatile(magic)
        }
    }

    /// Sets the disabled flag.
    pub fn set_disabled(&self, disabled: bool) {
        // SAFETY: in-frame field, volatile write of an integer.
        unsafe {
            self.field::<u64>(offset_of!(DispatcherFrame, disabled))
                .write_volatile(u64::from(disabled))
        }
    }

    /// Writes the kernel-owned identification fields.
    pub fn set_identity(&self, dispatcher_id: u64, core_id: u64, systime_ns: u64) {
        // SAFETY: in-frame fields, volatile writes of integers.
        unsafe {
            self.field::<u64>(offset_of!(DispatcherFrame, dispatcher_id))
                .write_volatile(dispatcher_id);
            self.field::<u64>(offset_of!(DispatcherFrame, core_id))
                .write_volatile(core_id);
            self.field::<u64>(offset_of!(DispatcherFrame, systime_ns))
                .write_volatile(systime_ns);
        }
    }

    /// Records a fault for an upcall.
    pub fn set_fault(&self, vector: u64, error: u64, address: u64) {
        // SAFETY: in-frame fields, volatile writes of integers.
        unsafe {
            self.field::<u64>(offset_of!(DispatcherFrame, fault_vector))
                .write_volatile(vector);
            self.field::<u64>(offset_of!(DispatcherFrame, fault_error))
                .write_volatile(error);
            self.field::<u64>(offset_of!(DispatcherFrame, fault_address))
                .write_volatile(address);
        }
    }

    fn area_offset(area: Area) -> usize {
        match area {
            Area::Enabled => offset_of!(DispatcherFrame, enabled_area),
            Area::Disabled => offset_of!(DispatcherFrame, disabled_area),
            Area::Trap => offset_of!(DispatcherFrame, trap_area),
        }
    }

    /// Writes a save area.
    pub fn store(&self, area: Area, regs: &Registers, fpu: &FpuState) {
        let at = Self::area_offset(area);
        // SAFETY: in-frame save area, volatile writes of plain data.
        unsafe {
            self.field::<Registers>(at + offset_of!(SaveArea, regs))
                .write_volatile(*regs);
            self.field::<FpuState>(at + offset_of!(SaveArea, fpu))
                .write_volatile(*fpu);
        }
    }

    /// Reads a save area's registers.
    pub fn registers(&self, area: Area) -> Registers {
        // SAFETY: in-frame save area, volatile read of plain integers.
        unsafe {
            self.field::<Registers>(Self::area_offset(area) + offset_of!(SaveArea, regs))
                .read_volatile()
        }
    }

    /// Writes a system call's results into a save area's registers (`rax`
    /// the error code or 0, `rdi`..`r9` the values).
    pub fn set_results(&self, area: Area, result: Result<[u64; 6], abi::error::SysError>) {
        let mut regs = self.registers(area);
        let (code, values) = match result {
            Ok(values) => (0, values),
            Err(e) => (e as u64, [0; 6]),
        };
        regs.rax = code;
        [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9] = values;
        self.set_registers(area, &regs);
    }

    /// Writes a save area's registers.
    pub fn set_registers(&self, area: Area, regs: &Registers) {
        // SAFETY: in-frame save area, volatile write of plain integers.
        unsafe {
            self.field::<Registers>(Self::area_offset(area) + offset_of!(SaveArea, regs))
                .write_volatile(*regs)
        }
    }

    /// Reads a save area's FPU state.
    pub fn fpu(&self, area: Area) -> FpuState {
        // SAFETY: in-frame save area, volatile read of bytes.
        unsafe {
            self.field::<FpuState>(Self::area_offset(area) + offset_of!(SaveArea, fpu))
                .read_volatile()
        }
    }

    fn ring_offset(index: usize) -> usize {
        offset_of!(DispatcherFrame, endpoints)
            + (index % abi::dispatcher::ENDPOINTS) * size_of::<EndpointRing>()
    }

    /// A ring's `(head, tail)` counters.
    pub fn ring_counters(&self, index: usize) -> (u32, u32) {
        let at = Self::ring_offset(index);
        // SAFETY: in-frame ring fields, volatile reads of integers.
        unsafe {
            (
                self.field::<u32>(at + offset_of!(EndpointRing, head))
                    .read_volatile(),
                self.field::<u32>(at + offset_of!(EndpointRing, tail))
                    .read_volatile(),
            )
        }
    }

    /// A ring's receive-slot word.
    pub fn receive_slot(&self, index: usize) -> u64 {
        // SAFETY: in-frame ring field, volatile read.
        unsafe {
            self.field::<u64>(Self::ring_offset(index) + offset_of!(EndpointRing, receive_slot))
                .read_volatile()
        }
    }

    /// Clears a ring's receive slot (a capability was stored there).
    pub fn clear_receive_slot(&self, index: usize) {
        // SAFETY: in-frame ring field, volatile write.
        unsafe {
            self.field::<u64>(Self::ring_offset(index) + offset_of!(EndpointRing, receive_slot))
                .write_volatile(0)
        }
    }

    /// Whether a notice to one of `rings` (a bit mask) was missed.
    pub fn missed(&self, rings: u64) -> bool {
        // SAFETY: in-frame field, volatile read of an integer.
        let missed = unsafe {
            self.field::<u64>(offset_of!(DispatcherFrame, missed))
                .read_volatile()
        };
        missed & rings != 0
    }

    /// Records that a notice to ring `index` did not fit (see
    /// `DispatcherFrame::missed`), atomically: the program clears bits
    /// with an atomic instruction, maybe from another core (a frame is an
    /// ordinary frame, and may be mapped elsewhere too).
    pub fn mark_missed(&self, index: usize) {
        let bit = 1u64 << (index % abi::dispatcher::ENDPOINTS);
        // SAFETY: an 8-byte aligned in-frame field (the frame is page
        // aligned, the field's offset a multiple of 8), accessed by user
        // code and kernels only as a whole word, atomically where written.
        unsafe {
            let at = self.field::<u64>(offset_of!(DispatcherFrame, missed));
            core::sync::atomic::AtomicU64::from_ptr(at)
                .fetch_or(bit, core::sync::atomic::Ordering::Release);
        }
    }

    /// Writes `message` at position `head` of ring `index` and publishes it
    /// by advancing `head`.
    pub fn push_message(&self, index: usize, head: u32, message: &Message) {
        let ring = Self::ring_offset(index);
        let slot = head as usize % abi::dispatcher::RING_SLOTS;
        let at = ring + offset_of!(EndpointRing, messages) + slot * size_of::<Message>();
        // SAFETY: the slot index is masked into the ring; volatile writes of
        // plain data; the fence orders the message before the new head.
        unsafe {
            self.field::<Message>(at).write_volatile(*message);
            core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
            self.field::<u32>(ring + offset_of!(EndpointRing, head))
                .write_volatile(head.wrapping_add(1));
        }
    }
}
