//! Handing this core to another CPU driver in place (KERNEL_REPLACE): the
//! boot driver's own core cannot be stopped and started again, so its
//! kernel jumps into the next one.
//!
//! The next kernel comes either as a whole image of its own, right after
//! its parameter page, entered on this kernel's page tables; or on an
//! image's shared text (`docs/design.md`, *Shared kernel text*): the
//! image's home, with the next kernel's own copy of the writable part and
//! the tables it starts with in the boot driver's block for it. Then the
//! jump switches to those tables and drops every global translation first
//! (this kernel may run the same home, with its own writable part where
//! the next one's must show), touching no memory between the switch and
//! the jump. Either way the request is checked before anything stops: the
//! parameters name this core and KCB, the image lies in memory and is not
//! this kernel's live writable part, the entry carries a CPU driver's
//! preamble for this KCB layout, and the starting tables map the entry,
//! the parameters, the copy of the writable part and this kernel's own code
//! where the jump needs them (reading only tables that lie in memory).
//!
//! One window is left open: between the switch and the next kernel's own
//! IDT, an NMI would find an IDT that is not there (for the same home, the
//! next kernel's fresh copy of it). Corefish raises no NMIs; a core starting
//! through the trampoline has the same window.

use bootproto::PhysRange;
use bootproto::layout::{DIRECT_MAP_BASE, phys_to_virt};
use bootproto::memmap::MemoryMap;
use bootproto::params::{BootParams, MEMORY_MAP_CAPACITY, PARAMS_PAGE};
use bootproto::starter::{ENTRY_PREAMBLE, check_entry};
use cpu::paging::{TableMemory, translate_through};

use super::objects::KernelMemory;

/// Largest CPU driver image a kernel hands its core to.
pub const MAX_KERNEL_IMAGE: u64 = 64 << 20;

/// A CPU driver this core can be handed to in place: valid boot parameters
/// for this core and KCB, and an entry point checked to carry a CPU
/// driver's preamble, inside the image they describe.
#[derive(Debug, Clone, Copy)]
pub struct NextKernel {
    entry: u64,
    params: u64,
    /// The tables it starts on (shared text), or none (this kernel's).
    tables: Option<u64>,
}

/// Why a request is refused (all reported as a bad argument).
const BAD: abi::error::SysError = abi::error::SysError::BadArgument;

impl NextKernel {
    /// The kernel whose boot parameters are at `params_phys` (in memory
    /// below `phys_top`, as `map` says), to be entered at the direct-map
    /// address `entry`, for the KCB at `kcb`, on the starting tables at
    /// `tables` (0: a whole image of its own right after its parameter
    /// page, entered on this kernel's tables).
    pub fn check(
        mem: &mut KernelMemory,
        map: &MemoryMap<MEMORY_MAP_CAPACITY>,
        phys_top: u64,
        params_phys: u64,
        entry: u64,
        tables: u64,
        kcb: osnode::PAddr,
    ) -> Result<Self, abi::error::SysError> {
        let low_memory = |range: PhysRange| {
            range.base.is_multiple_of(4096)
                && range
                    .base
                    .checked_add(range.size)
                    .is_some_and(|end| end <= phys_top.min(1 << 32))
                && map
                    .regions()
                    .iter()
                    .any(|r| r.kind().is_memory() && r.range().contains(range))
        };
        let params_page = PhysRange::new(params_phys, 4096);
        if !low_memory(params_page) {
            return Err(BAD);
        }
        let mut page = [0u8; PARAMS_PAGE];
        mem.read_bytes(params_phys, &mut page);
        let params = BootParams::decode(&page);
        let me = crate::identity::this_core();
        if params.validate().is_err()
            || params.kcb_phys != kcb
            || params.apic_id != me.apic_id
            || params.core_id != me.core_id
            || params.params_phys != params_phys
        {
            return Err(BAD);
        }
        let image = PhysRange::new(params.kernel_phys, params.kernel_size);
        let in_one_region = map
            .regions()
            .iter()
            .any(|r| r.kind().is_memory() && r.range().contains(image));
        if image.size > MAX_KERNEL_IMAGE || !in_one_region {
            return Err(BAD);
        }
        // What this kernel still runs on until the jump: its image and the
        // copy of its writable part, if it has one.
        let [own, own_data] = super::paging::own_memory();
        let live = super::paging::is_own;
        let virt = phys_to_virt(image.base)..phys_to_virt(image.base + image.size);
        if !virt.contains(&entry) || entry + ENTRY_PREAMBLE as u64 > virt.end {
            return Err(BAD);
        }
        let data = params.data_range().map_err(|_| BAD)?;
        let tables = match (tables, data) {
            // A whole image of its own, right after its parameters.
            (0, None) => {
                if image.base != params_phys + 4096 || live(image) {
                    return Err(BAD);
                }
                None
            }
            // Shared text: its home may be this kernel's too (only the
            // writable part is each kernel's), but the copy, the
            // parameters and the tables are the next kernel's alone.
            (tables, Some((window, to))) if tables != 0 => {
                let copy = PhysRange::new(to, window.size);
                let table = PhysRange::new(tables, 4096);
                let same_home = own_data.size != 0 && own == image;
                if !low_memory(copy)
                    || !low_memory(table)
                    || own_data.overlaps(image)
                    || (own.overlaps(image) && !same_home)
                    || live(copy)
                    || live(params_page)
                    || live(table)
                {
                    return Err(BAD);
                }
                let start = Start {
                    tables,
                    entry,
                    image,
                    params_phys,
                    copy: (window.base, to),
                };
                start.check(mem, |phys| low_memory(PhysRange::new(phys, 4096)))?;
                Some(tables)
            }
            _ => return Err(BAD),
        };
        let mut code = [0u8; ENTRY_PREAMBLE];
        mem.read_bytes(entry - DIRECT_MAP_BASE, &mut code);
        let info = check_entry(&code).map_err(|_| BAD)?;
        if !info.runs_kcb_layout(osnode::kcb::KCB_VERSION) {
            return Err(BAD);
        }
        Ok(Self {
            entry,
            params: phys_to_virt(params_phys),
            tables,
        })
    }

    /// Jumps to it (the entry contract: long mode, interrupts off, `rdi` =
    /// the parameters' direct-map address), on its starting tables if it
    /// has them, every global translation dropped; nothing of this kernel
    /// is used afterwards.
    pub fn enter(self) -> ! {
        match self.tables {
            None => {
                // `check` found a CPU driver's preamble at `entry`, inside
                // its image in memory this kernel's direct map maps, not this
                // kernel's own, with valid parameters for this core.
                // SAFETY: a checked CPU driver is entered as its contract
                // says, interrupts off; this kernel is not needed again.
                unsafe {
                    core::arch::asm!(
                        "cli",
                        "jmp {entry}",
                        entry = in(reg) self.entry,
                        in("rdi") self.params,
                        options(noreturn)
                    )
                }
            }
            Some(tables) => {
                // `rax` carries the tables, then CR4 (nothing returns, so the
                // input may be overwritten). `check` walked the tables: they
                // map the entry, the parameters, the next kernel's writable
                // part, and this kernel's code exactly where it runs now.
                // Toggling CR4.PGE drops the global translations of this
                // kernel's writable part before the next kernel's access.
                // SAFETY: as above; the code after the CR3 switch is still
                // mapped where it runs, and touches registers only.
                unsafe {
                    core::arch::asm!(
                        "cli",
                        "mov cr3, rax",
                        "mov rax, cr4",
                        "btr rax, 7",
                        "mov cr4, rax",
                        "bts rax, 7",
                        "mov cr4, rax",
                        "jmp {entry}",
                        in("rax") tables,
                        entry = in(reg) self.entry,
                        in("rdi") self.params,
                        options(noreturn)
                    )
                }
            }
        }
    }
}

/// Where a kernel on shared text starts: its tables, entry, image (the
/// home), parameters and the copy of its writable part (the home's
/// physical address of that part, and the copy's).
struct Start {
    tables: u64,
    entry: u64,
    image: PhysRange,
    params_phys: u64,
    copy: (u64, u64),
}

impl Start {
    /// Checks that the starting tables translate the entry into the image,
    /// the parameters' direct-map address to the parameters, the writable
    /// part's first page to its copy, and every page of this kernel's code
    /// to where it is now; reading only tables `readable` accepts.
    fn check(
        &self,
        mem: &mut KernelMemory,
        readable: impl Fn(u64) -> bool + Copy,
    ) -> Result<(), abi::error::SysError> {
        let mut walk = Walk(mem);
        let mut at = |virt: u64| {
            translate_through(&mut walk, self.tables, virt, readable).map(|(phys, _)| phys)
        };
        let text = super::image_range().start..super::data_range().start;
        let code_in_place = text
            .step_by(4096)
            .all(|virt| at(virt) == Some(virt - DIRECT_MAP_BASE));
        let (from, to) = self.copy;
        let entry_phys = self.entry - phys_to_virt(self.image.base) + self.image.base;
        if at(self.entry) != Some(entry_phys)
            || at(phys_to_virt(self.params_phys)) != Some(self.params_phys)
            || at(phys_to_virt(from)) != Some(to)
            || !code_in_place
        {
            return Err(BAD);
        }
        Ok(())
    }
}

/// Page tables read through the direct map, for a walk (nothing is made).
struct Walk<'a>(&'a mut KernelMemory);

impl TableMemory for Walk<'_> {
    fn alloc_table(&mut self) -> Option<u64> {
        None
    }

    fn table(&mut self, phys: u64) -> &mut [u64; 512] {
        self.0.table(phys)
    }
}
