//! The real-mode trampoline: the first code a core runs after STARTUP.
//!
//! The core starts in 16-bit real mode at `vector << 12` ([`PAGE`], chosen
//! by the rules of `bootproto::starter::trampoline_vector`). The
//! trampoline notes its arrival and the TSC, loads its own GDT, enters
//! protected mode, enables PAE, SSE, long mode and paging with page tables
//! that map the low 4 GiB at identity and in the direct map, and jumps to
//! the CPU driver's entry with the boot parameters' direct-map address in
//! `rdi` (the entry contract of `bootproto::params`).
//!
//! The bootstrap core does not wait for STARTUP after INIT: the firmware
//! sends it to the real-mode address given with IPI_INIT (the start of the
//! page to boot it, [`HALT`] to keep it off), so the trampoline's first
//! instructions work from either `cs:ip` (they use absolute addresses).
//!
//! The code is assembled into this program's read-only data and copied to
//! the trampoline page before each boot, with three words patched in (the
//! page tables, the boot parameters, the entry point) and the arrival flag
//! cleared. The data sits at fixed offsets at the start of the page, behind
//! a jump; far-jump targets are computed for [`PAGE`] by the assembler
//! (`PAGE + (label - start)`) and written as bytes, since the assembler
//! would pick 16-bit relocations for them.

use core::sync::atomic::{AtomicU64, Ordering};

use bootproto::layout::phys_to_virt;
use corefish::abi::error::SysError;
use corefish::cap::{Cap, kind};
use corefish::vspace::Mapping;
use corefish::{CPtr, ObjType, SlotRef, slots, vspace};

use crate::image::Loaded;

/// Physical address of the trampoline page.
pub const PAGE: u64 = 0x8000;
/// Physical address of the trampoline's halt loop: where the bootstrap
/// core, which an INIT sends through the firmware's warm-reset path rather
/// than to wait-for-STARTUP, is sent to stay off (the kernel's IPI_INIT
/// takes this real-mode entry for it).
pub const HALT: u64 = PAGE + 88;

core::arch::global_asm!(
    r#"
    .pushsection .rodata.corectrl_trampoline, "a"
    .global corectrl_trampoline_start
    .hidden corectrl_trampoline_start
corectrl_trampoline_start:
    .code16
    jmp 1f
    /* Data at fixed offsets (the section holds only the trampoline). */
    .org 8
    .quad 0  /* 8: page tables (PML4 physical address) */
    .quad 0  /* 16: boot parameters (direct-map address) */
    .quad 0  /* 24: entry point */
    .quad 0  /* 32: TSC at arrival */
    .quad 0  /* 40: arrival flag */
    /* 48: GDT: null, 32-bit code, data, 64-bit code */
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
    /* 80: GDT pointer */
    .word 31
    .long {page} + 48
    /* 88: halt loop, where an INIT sends the bootstrap core to stay off */
    .org 88
    cli
4:
    hlt
    jmp 4b
    .org 96
1:
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov ss, ax
    rdtsc
    mov dword ptr [{page} + 32], eax
    mov dword ptr [{page} + 36], edx
    mov byte ptr [{page} + 40], 1
    lgdt [{page} + 80]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    /* jmp far 0x08:protected (32-bit offset) */
    .byte 0x66, 0xea
    .long {page} + (2f - corectrl_trampoline_start)
    .word 0x08

    .code32
2:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    /* PAE, OSFXSR, OSXMMEXCPT */
    mov eax, cr4
    or eax, 0x620
    mov cr4, eax
    mov eax, dword ptr [{page} + 8]
    mov cr3, eax
    /* EFER.LME */
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x100
    wrmsr
    /* paging and MP on, EM off */
    mov eax, cr0
    or eax, 0x80000002
    and eax, 0xfffffffb
    mov cr0, eax
    /* jmp far 0x18:long */
    .byte 0xea
    .long {page} + (3f - corectrl_trampoline_start)
    .word 0x18

    .code64
3:
    mov rdi, qword ptr [{page} + 16]
    mov rax, qword ptr [{page} + 24]
    jmp rax
    .global corectrl_trampoline_end
    .hidden corectrl_trampoline_end
corectrl_trampoline_end:
    .popsection
    "#,
    page = const PAGE,
);

unsafe extern "C" {
    static corectrl_trampoline_start: u8;
    static corectrl_trampoline_end: u8;
}

/// Word indices of the patched fields in the page (byte offsets 8 to 40 in
/// the assembly above).
const DATA_TABLES: usize = 1;
const DATA_PARAMS: usize = 2;
const DATA_ENTRY: usize = 3;
const DATA_TSC: usize = 4;
const DATA_ARRIVED: usize = 5;

/// The trampoline's code and data, as assembled.
fn image() -> &'static [u8] {
    let start = (&raw const corectrl_trampoline_start) as usize;
    let end = (&raw const corectrl_trampoline_end) as usize;
    // SAFETY: the two symbols delimit the block of read-only data assembled
    // above (start < end), mapped with the program's image for its whole
    // life.
    unsafe { core::slice::from_raw_parts(start as *const u8, end - start) }
}

/// Bytes of the trampoline.
pub fn len() -> u64 {
    image().len() as u64
}

/// The trampoline page and the page tables it switches to, both mapped
/// into the boot driver.
pub struct Trampoline {
    page: Mapping,
    tables_phys: u64,
}

/// Bytes of the trampoline's page tables: PML4, PDPT, four PDs.
pub const TABLE_BYTES: u64 = 6 * 4096;
const PRESENT_WRITABLE: u64 = 0x3;
const LARGE: u64 = 0x80;

impl Trampoline {
    /// Takes the trampoline page from `low_memory` (a PhysAddr capability
    /// for the first MiB) and builds the page tables in `tables_ram` (RAM
    /// below 4 GiB of at least [`TABLE_BYTES`]).
    pub fn new(low_memory: CPtr, tables_ram: CPtr) -> Result<Self, SysError> {
        let page_cap = slots::alloc()?;
        Cap::<kind::Ram>::at(low_memory).retype(
            ObjType::DevFrame,
            PAGE,
            4096,
            1,
            SlotRef::Slot(page_cap),
        )?;
        let page = vspace::map(page_cap, 4096, corefish::abi::invoke::MAP_WRITE)?;

        let tables = slots::alloc()?;
        Cap::<kind::Ram>::at(tables_ram).retype(
            ObjType::Frame,
            0,
            TABLE_BYTES,
            1,
            SlotRef::Slot(tables),
        )?;
        let tables_phys = Cap::<kind::Frame>::at(tables).identify()?.base;
        if tables_phys + TABLE_BYTES > 1 << 32 {
            return Err(SysError::OutOfBounds);
        }
        let mut mapping = vspace::map(tables, TABLE_BYTES, corefish::abi::invoke::MAP_WRITE)?;
        let entries = mapping.bytes_mut();
        let mut put = |table: u64, index: u64, value: u64| {
            let at = (table * 4096 + index * 8) as usize;
            entries[at..at + 8].copy_from_slice(&value.to_le_bytes());
        };
        let phys = |table: u64| tables_phys + table * 4096;
        // PML4[0] (identity) and PML4[256] (direct map) share one PDPT.
        put(0, 0, phys(1) | PRESENT_WRITABLE);
        put(0, 256, phys(1) | PRESENT_WRITABLE);
        for gib in 0..4 {
            put(1, gib, phys(2 + gib) | PRESENT_WRITABLE);
            for mib2 in 0..512 {
                let addr = (gib << 30) | (mib2 << 21);
                put(2 + gib, mib2, addr | PRESENT_WRITABLE | LARGE);
            }
        }
        vspace::unmap(mapping);
        Ok(Self { page, tables_phys })
    }

    /// The page's words (the page is shared with cores starting up).
    fn words(&self) -> &[AtomicU64] {
        // SAFETY: the mapping is 4096 writable bytes, page-aligned, alive as
        // long as `self`; a starting core writes to it concurrently, so it
        // is only accessed as atomics.
        unsafe { core::slice::from_raw_parts(self.page.vaddr as *const AtomicU64, 512) }
    }

    /// Writes the trampoline for a core that is to start the kernel
    /// `loaded`: its entry, its boot parameters, and its own page tables if
    /// it runs on shared text (else the trampoline's).
    pub fn prepare(&mut self, loaded: &Loaded) {
        let code = image();
        self.page.bytes_mut()[..code.len()].copy_from_slice(code);
        let words = self.words();
        let field = |i: usize| &words[i];
        let tables = match loaded.tables_phys {
            0 => self.tables_phys,
            own => own,
        };
        field(DATA_TABLES).store(tables, Ordering::Relaxed);
        field(DATA_PARAMS).store(phys_to_virt(loaded.phys), Ordering::Relaxed);
        field(DATA_ENTRY).store(loaded.entry, Ordering::Relaxed);
        field(DATA_TSC).store(0, Ordering::Relaxed);
        field(DATA_ARRIVED).store(0, Ordering::Release);
    }

    /// The TSC at which a core arrived in the trampoline since the last
    /// [`prepare`](Self::prepare), if one did.
    pub fn arrived(&self) -> Option<u64> {
        let words = self.words();
        (words[DATA_ARRIVED].load(Ordering::Acquire) != 0)
            .then(|| words[DATA_TSC].load(Ordering::Relaxed))
    }
}
