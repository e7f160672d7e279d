//! This core's kernel page tables: the direct map of physical memory in
//! the higher half (see `bootproto::layout`), built at boot from frames of
//! this kernel's own memory and loaded into CR3. When the image's text is
//! shared with other cores, the image's writable part shows this kernel's
//! own copy ([`cpu::direct`], `BootParams::data_range`).
//!
//! Memory-backed chunks are mapped write-back; chunks without any memory
//! (device registers such as the local APIC and IOAPIC, the PCI hole) are
//! mapped uncached. The lower half stays empty for user space, so a stray
//! null or user pointer dereference in the kernel faults.

use bootproto::PhysRange;
use bootproto::layout::{DIRECT_MAP_BASE, DIRECT_MAP_MAX_TOP, DIRECT_MAP_MIN_TOP, phys_to_virt};
use bootproto::memmap::{MemoryKind, MemoryMap};
use cpu::direct::{Moved, map_direct};
use cpu::paging::{
    CACHE_DISABLE, GLOBAL, HUGE_PAGE_SIZE, LARGE_PAGE_SIZE, MapError, TableMemory, WRITABLE,
    WRITE_THROUGH,
};

use crate::memory;

/// Physical address of this kernel's own top-level table.
static KERNEL_PML4: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// This kernel's own top-level table (its upper half is copied into every
/// address space it runs).
pub fn kernel_pml4() -> u64 {
    KERNEL_PML4.load(core::sync::atomic::Ordering::Relaxed)
}

/// Page-table memory: frames from this kernel's allocator, reached through
/// the direct map (the starter's tables map the low 4 GiB, and the frames
/// are taken from there).
struct KernelTables;

impl TableMemory for KernelTables {
    fn alloc_table(&mut self) -> Option<u64> {
        let phys = memory::alloc_low_frame()?;
        self.table(phys).fill(0);
        Some(phys)
    }

    fn table(&mut self, phys: u64) -> &mut [u64; 512] {
        // SAFETY: `phys` is a page-table frame this kernel allocated (or the
        // root it created), below 4 GiB and so mapped by both the starter's
        // and this kernel's direct map; the kernel never aliases it mutably
        // elsewhere while building tables.
        unsafe { &mut *(phys_to_virt(phys) as *mut [u64; 512]) }
    }
}

/// Where this kernel's writable part is, if it is a copy of its own (the
/// physical range the image's direct-map addresses stand for, and the copy).
static MOVED: spin::Once<Moved> = spin::Once::new();

/// This kernel's own copy of the image's writable part, if it has one.
pub fn moved() -> Option<Moved> {
    MOVED.get().copied()
}

/// The memory this kernel runs on: its image, and its own copy of the
/// image's writable part (an empty range if it has none).
pub fn own_memory() -> [PhysRange; 2] {
    let image = crate::identity::image_phys_range();
    let data = moved().map_or(PhysRange::default(), |m| PhysRange::new(m.to, m.size));
    [PhysRange::from_bounds(image.start, image.end), data]
}

/// Whether `range` shares a byte with this kernel's own memory
/// ([`own_memory`]), which nothing given to it may overlap.
pub fn is_own(range: PhysRange) -> bool {
    own_memory().iter().any(|own| own.overlaps(range))
}

/// Builds the direct map of `[0, top)` (with `moved` shown elsewhere) and
/// switches to it. Returns the PML4's physical address and the covered top.
pub fn init<const N: usize>(
    map: &MemoryMap<N>,
    phys_top: u64,
    moved: Option<Moved>,
) -> Result<(u64, u64), MapError> {
    let chunk = if cpu::cpuid::has_1g_pages() {
        HUGE_PAGE_SIZE
    } else {
        LARGE_PAGE_SIZE
    };
    let top = phys_top
        .clamp(DIRECT_MAP_MIN_TOP, DIRECT_MAP_MAX_TOP)
        .next_multiple_of(chunk);
    let mut tables = KernelTables;
    let pml4 = tables.alloc_table().ok_or(MapError::OutOfMemory)?;
    map_direct(
        &mut tables,
        pml4,
        DIRECT_MAP_BASE,
        top,
        chunk,
        moved,
        |base| {
            let backed = map.regions().iter().any(|r| {
                r.kind() != MemoryKind::Reserved && r.range().overlaps(PhysRange::new(base, chunk))
            });
            let cache = if backed {
                0
            } else {
                CACHE_DISABLE | WRITE_THROUGH
            };
            WRITABLE | GLOBAL | cache
        },
    )?;
    // SAFETY: the new tables map the whole direct map, which holds this
    // kernel's image (its writable part where the starter's tables showed
    // it), stack, boot parameters and every frame in use; nothing in use
    // lives at the identity mapping the starter also provided.
    unsafe { cpu::regs::set_cr3(pml4) };
    // A kernel that took over this core in place may have left global
    // translations of its own writable part: drop them all.
    let cr4 = cpu::regs::cr4();
    // SAFETY: clearing and setting CR4.PGE again only flushes the TLB,
    // global entries included; every other bit is written back as it was.
    unsafe {
        cpu::regs::set_cr4(cr4 & !CR4_PGE);
        cpu::regs::set_cr4(cr4);
    }
    KERNEL_PML4.store(pml4, core::sync::atomic::Ordering::Relaxed);
    if let Some(m) = moved {
        MOVED.call_once(|| m);
    }
    Ok((pml4, top))
}

/// CR4's page-global-enable bit.
const CR4_PGE: u64 = 1 << 7;

/// Where the kernel half of a top-level table begins.
pub const KERNEL_HALF: usize = 256;
/// The address bits of a CR3 value.
const CR3_ADDRESS: u64 = 0x000f_ffff_ffff_f000;

/// Makes the kernel half of the user top-level table at `pml4` this
/// kernel's (a new table, or one another kernel ran last).
pub fn share_kernel_half(mem: &mut super::objects::KernelMemory, pml4: u64) {
    let mut half = [0u64; 512 - KERNEL_HALF];
    half.copy_from_slice(&mem.table(kernel_pml4())[KERNEL_HALF..]);
    let table = mem.table(pml4);
    if table[KERNEL_HALF..] != half {
        table[KERNEL_HALF..].copy_from_slice(&half);
    }
}

/// Switches to the address space rooted at the user top-level table
/// `root`, first making its kernel half this kernel's.
pub fn switch_to(mem: &mut super::objects::KernelMemory, root: super::objects::VSpaceRoot) {
    let pml4 = root.phys();
    share_kernel_half(mem, pml4);
    if cpu::regs::cr3() & CR3_ADDRESS != pml4 {
        // SAFETY: `pml4` is a live top-level table (a dispatcher's capability
        // proves it: `VSpaceRoot`) whose kernel half now maps this kernel
        // exactly as its own table does.
        unsafe { cpu::regs::set_cr3(pml4) };
    }
}

/// Switches to this kernel's own tables (no user half).
pub fn switch_to_kernel() {
    let kernel = kernel_pml4();
    if cpu::regs::cr3() & CR3_ADDRESS != kernel {
        // SAFETY: the kernel's own PML4 maps everything the kernel uses.
        unsafe { cpu::regs::set_cr3(kernel) };
    }
}

/// Flushes this core's non-global translations.
pub fn flush_tlb() {
    // SAFETY: reloading CR3 with its current value only flushes the TLB.
    unsafe { cpu::regs::set_cr3(cpu::regs::cr3()) };
}
