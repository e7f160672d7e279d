//! Making an OSNode's objects the way a spawner would: each retyped from
//! the boot region's RAM capability into its final slot
//! ([`Builder::object`]), capabilities created for memory the OSNode does
//! not own ([`Builder::frame_cap`], [`Builder::root_cap`]), copied, and
//! installed in page tables with their mapping records ([`Builder::map`]).
//! Every step goes through the capability library, and the mapping
//! database root is written back to the KCB after each.

use abi::cspace::L2_SLOTS;
use caps::{Capability, CteAddr, CteMemory, ObjType, Rights};
use frames::{FRAME_SIZE, PhysRange};
use osnode::PAddr;

use super::BootstrapError;
use crate::arch::objects::KernelMemory;
use crate::{objects, vspace};

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
pub struct Builder<'m> {
    /// Object memory.
    pub mem: &'m mut KernelMemory,
    /// The mapping-database root (written to the KCB once it exists).
    pub root: CteAddr,
    /// The slot of the boot region's RAM capability.
    pub ram: CteAddr,
    region: Region,
    /// The KCB (0 until made).
    pub kcb: PAddr,
}

impl<'m> Builder<'m> {
    /// A builder over the zeroed boot region `[base, base + size)`.
    pub fn new(mem: &'m mut KernelMemory, base: u64, size: u64) -> Self {
        Self {
            mem,
            root: 0,
            ram: 0,
            region: Region {
                base,
                next: base,
                end: base + size,
            },
            kcb: 0,
        }
    }

    /// Retypes one object of `ty` and `size` from the boot region into `dest`.
    pub fn object(
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
            self.mem,
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
        objects::init_object(self.mem, self.kcb, dest);
        self.commit();
        Ok(self.mem.read(dest).cap)
    }

    /// A Frame capability with `rights` for memory that is not the OSNode's
    /// own (the archive, shared pages): made from a temporary RAM root in
    /// scratch slots of the CNode at `scratch_base`.
    pub fn frame_cap(
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
            self.mem,
            &mut self.root,
            scratch_ram,
            ObjType::Frame,
            0,
            range.size,
            1,
            &[scratch_frame],
        )
        .and_then(|()| caps::ops::mint(self.mem, &mut self.root, scratch_frame, dest, rights, 0))
        .and_then(|()| caps::ops::delete(self.mem, &mut self.root, scratch_frame).map(|_| ()))
        .and_then(|()| caps::ops::delete(self.mem, &mut self.root, scratch_ram).map(|_| ()));
        self.commit();
        made.map_err(|e| BootstrapError::Caps(what, e))
    }

    /// Creates a root capability.
    pub fn root_cap(
        &mut self,
        ty: ObjType,
        base: u64,
        size: u64,
        dest: CteAddr,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        caps::ops::create(self.mem, &mut self.root, ty, base, size, dest)
            .map_err(|e| BootstrapError::Caps(what, e))
    }

    pub fn copy(
        &mut self,
        from: CteAddr,
        to: CteAddr,
        what: &'static str,
    ) -> Result<(), BootstrapError> {
        caps::ops::copy(self.mem, &mut self.root, from, to)
            .map_err(|e| BootstrapError::Caps(what, e))
    }

    /// Stores the MDB root in the KCB (once the KCB exists).
    pub fn commit(&mut self) {
        if self.kcb != 0 {
            self.mem.kcb(self.kcb).mdb_root = self.root;
        }
    }

    /// Installs `child` (at `child_at`) in `table` and records the mapping in `record_at`.
    #[allow(clippy::too_many_arguments)]
    pub fn map(
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
        let (record, first, step) =
            vspace::plan(self.mem, &request, &child).map_err(|e| BootstrapError::Map(what, e))?;
        caps::ops::derive(self.mem, &mut self.root, child_at, record, record_at)
            .map_err(|e| BootstrapError::Caps(what, e))?;
        let record = self.mem.read(record_at).cap;
        vspace::install(self.mem, &record, record_at, first, step);
        self.commit();
        Ok(())
    }
}

/// Slot `index` of the CNode whose memory starts at `base`.
pub fn slot(base: u64, index: u32) -> CteAddr {
    base + u64::from(index) * caps::CTE_SIZE
}

/// Page-table indices of a user address: (PML4, PDPT, PD, PT).
pub fn indices(virt: u64) -> (u64, u64, u64, u64) {
    (
        (virt >> 39) & 511,
        (virt >> 30) & 511,
        (virt >> 21) & 511,
        (virt >> 12) & 511,
    )
}
