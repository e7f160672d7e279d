//! The boot-parameter page a CPU driver receives at entry.
//!
//! # Entry contract
//! A starter (the PVH loader for the first core, the user-level boot driver
//! for others) loads the CPU driver's static-PIE image at a page-aligned
//! physical address `p`, relocates it to run at `DIRECT_MAP_BASE + p`, fills
//! a [`BootParams`] page and jumps to the image's entry point with:
//! * the CPU in 64-bit long mode, interrupts disabled, SSE enabled;
//! * page tables that map at least the low 4 GiB both at identity and in the
//!   direct map (the kernel builds its own tables first thing);
//! * `rdi` = the direct-map virtual address of the [`BootParams`];
//! * any stack (the kernel switches to its own at once).
//!
//! The page is plain integers and byte arrays, so reading one written by
//! another program is always defined; [`BootParams::validate`] then checks
//! that it makes sense. [`BootParams`] and [`BootAck`] are `#[repr(C)]`
//! structs whose layout *is* the page's format (little-endian, no padding;
//! `zerocopy` checks both and does the copying), so the format is written
//! down once.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub use crate::ack::{
    ACK_BYTES, ACK_ENTERED, ACK_FAULTED, ACK_FINISHED, ACK_OFFSET, ACK_REFUSED, ACK_RUNNING,
    ACK_STOPPED, BootAck, COUNTER_INTERRUPTS, COUNTER_IPIS, COUNTERS_OFFSET, DOORBELL_OFFSET,
    FAULT_FATAL, FAULT_OSNODES_INTACT, FAULT_PANIC, FaultReport, IDLE_BUSY, IDLE_OFFERED,
    IDLE_OFFSET, IDLE_TAKEN, NMI_OFFSET, NMI_STOP, doorbell, doorbell_apic,
};
use crate::cmdline::Cmdline;
use crate::memmap::{MemoryMap, MemoryRegion};

/// `b"CFBOOTP1"` read as a little-endian integer.
pub const BOOT_PARAMS_MAGIC: u64 = u64::from_le_bytes(*b"CFBOOTP1");
/// Layout version; bump on any change to [`BootParams`].
pub const BOOT_PARAMS_VERSION: u32 = 9;
/// Room for the command line, including its terminating NUL.
pub const CMDLINE_CAPACITY: usize = 256;
/// Room for the kernel image's name.
pub const NAME_CAPACITY: usize = 32;
/// Room for the first program's name and arguments, including the NUL.
pub const PROGRAM_CAPACITY: usize = 128;
/// Room for memory-map regions.
pub const MEMORY_MAP_CAPACITY: usize = 64;
/// [`BootParams::flags`]: this is the machine's first core (started by the
/// loader): the kernel owns the legacy devices (PIC, PIT, IOAPIC masks) and
/// builds the first OSNode.
pub const FIRST_CORE: u64 = 1 << 0;
/// Bytes of the boot-parameter page.
pub const PARAMS_PAGE: usize = 4096;

/// Everything a CPU driver needs to know at entry, in the order and layout
/// of the page.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct BootParams {
    /// [`BOOT_PARAMS_MAGIC`].
    pub magic: u64,
    /// [`BOOT_PARAMS_VERSION`].
    pub version: u32,
    /// `size_of::<BootParams>()` as written by the starter.
    pub size: u32,
    /// Corefish's logical id of the core being started.
    pub core_id: u32,
    /// The local APIC id of that core.
    pub apic_id: u32,
    /// Physical address of the kernel image (its virtual address 0).
    pub kernel_phys: u64,
    /// Bytes of memory given to the image, including its zeroed data.
    pub kernel_size: u64,
    /// Physical address of this page.
    pub params_phys: u64,
    /// Physical address of the boot archive.
    pub archive_phys: u64,
    /// Length of the boot archive in bytes.
    pub archive_size: u64,
    /// Physical address of the ACPI RSDP, or 0 to search the BIOS area.
    pub rsdp_phys: u64,
    /// One past the highest physical address the direct map must cover.
    pub phys_top: u64,
    /// Time-stamp counter when the machine's first boot stage started.
    pub tsc_at_start: u64,
    /// Time-stamp counter when the starter jumped to this kernel.
    pub tsc_at_handoff: u64,
    /// TSC frequency in Hz if the starter knows it, else 0 (the kernel then
    /// calibrates it).
    pub tsc_hz: u64,
    /// Local APIC timer rate (divide-by-16) if known, else 0.
    pub apic_timer_hz: u64,
    /// [`FIRST_CORE`] and other flags.
    pub flags: u64,
    /// Physical address of the KCB to run, or 0: the kernel makes the first
    /// OSNode's KCB itself (first core only).
    pub kcb_phys: u64,
    /// The id the OSNode of a fresh KCB gets (the boot driver chooses it;
    /// ignored for a KCB that ran before, which keeps its id).
    pub osnode_id: u64,
    /// Physical address of the system page shared by all kernels (see
    /// `layout::SystemPage`), or 0: the kernel allocates it (first core).
    pub system_phys: u64,
    /// Physical address and length of the frame for the channel between the
    /// new OSNode's monitor and the first OSNode (0: none).
    pub channel_phys: u64,
    /// Length of that frame.
    pub channel_size: u64,
    /// Offset in the image of its writable part (data and bss), when that
    /// part is not in the image's block but at [`data_phys`](Self::data_phys):
    /// the image's text is shared by every core that runs it, and the
    /// starter's page tables show this kernel's own copy of the writable
    /// part at the image's direct-map addresses (`cpu::direct`). 0 with
    /// `data_phys` 0: the whole image is this kernel's.
    pub data_offset: u64,
    /// Physical address of this kernel's copy of the writable part, or 0.
    pub data_phys: u64,
    /// The kernel this core goes back to if this one takes a fatal fault
    /// with its OSNode left intact: the physical address of that kernel's
    /// boot parameters (prepared to resume the same KCB on this core), 0
    /// for none. Only an in-place update of the boot driver's own core
    /// sets it (`docs/design.md`, *Updates that roll back*): there, no
    /// other core is left to roll the update back.
    pub fallback_params: u64,
    /// The fallback kernel's entry point (its direct-map address).
    pub fallback_entry: u64,
    /// Physical address of the page tables the fallback kernel starts on.
    pub fallback_tables: u64,
    /// Physical address of the memory for the tracing kernel's event ring
    /// (`ktrace::ring`, its header written by the starter), 0 for none;
    /// only the tracing build (`cpudriver-trace`) uses it.
    pub trace_phys: u64,
    /// Bytes of that memory.
    pub trace_size: u64,
    /// Physical address of the screen's shared text console
    /// (`screen::Terminal`, in the loader's memory), 0 for none; only the
    /// first core's parameters carry it, the system page names it for the
    /// others.
    pub screen_phys: u64,
    /// Name of the kernel image (NUL-padded UTF-8).
    pub kernel_name: [u8; NAME_CAPACITY],
    /// Kernel command line (NUL-terminated UTF-8).
    pub cmdline: [u8; CMDLINE_CAPACITY],
    /// For a fresh KCB: the OSNode's first program and its arguments
    /// (`name args...`, NUL-terminated UTF-8); empty: `monitor`.
    pub program: [u8; PROGRAM_CAPACITY],
    /// How many of `memory_regions` the memory map uses.
    memory_map_len: u32,
    _memory_map_reserved: u32,
    /// The physical memory map ([`BootParams::memory_map`]).
    memory_regions: [MemoryRegion; MEMORY_MAP_CAPACITY],
}

const _: () = assert!(
    size_of::<BootParams>() <= ACK_OFFSET,
    "BootParams must end before the acknowledgement"
);

/// Why boot parameters were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsError {
    /// The magic number is wrong: this is not a boot-parameter page.
    BadMagic,
    /// The page was written for another layout version.
    BadVersion {
        /// The version found.
        found: u32,
    },
    /// The recorded size does not match this layout.
    BadSize,
    /// A text field is not NUL-terminated UTF-8 within its capacity.
    BadText,
    /// A text given to a setter is longer than its field.
    TooLong,
    /// The kernel image does not lie inside the direct-mapped range.
    BadImageRange,
    /// The writable part's offset or copy is not page-aligned, not inside
    /// the image, or overlaps it.
    BadDataRange,
}

impl core::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadMagic => f.write_str("bad magic: not a boot-parameter page"),
            Self::BadVersion { found } => {
                write!(f, "layout version {found}, expected {BOOT_PARAMS_VERSION}")
            }
            Self::BadSize => f.write_str("recorded size does not match the layout"),
            Self::BadText => f.write_str("text field is not NUL-terminated UTF-8"),
            Self::TooLong => f.write_str("text longer than its field"),
            Self::BadImageRange => f.write_str("kernel image outside the direct-mapped range"),
            Self::BadDataRange => f.write_str("the image's writable part is misplaced"),
        }
    }
}

impl BootParams {
    /// Empty parameters with magic, version and size filled in.
    pub const fn new() -> Self {
        Self {
            magic: BOOT_PARAMS_MAGIC,
            version: BOOT_PARAMS_VERSION,
            size: size_of::<Self>() as u32,
            core_id: 0,
            apic_id: 0,
            kernel_phys: 0,
            kernel_size: 0,
            params_phys: 0,
            archive_phys: 0,
            archive_size: 0,
            rsdp_phys: 0,
            phys_top: 0,
            tsc_at_start: 0,
            tsc_at_handoff: 0,
            tsc_hz: 0,
            apic_timer_hz: 0,
            flags: 0,
            kcb_phys: 0,
            osnode_id: 0,
            system_phys: 0,
            channel_phys: 0,
            channel_size: 0,
            data_offset: 0,
            data_phys: 0,
            fallback_params: 0,
            fallback_entry: 0,
            fallback_tables: 0,
            trace_phys: 0,
            trace_size: 0,
            screen_phys: 0,
            kernel_name: [0; NAME_CAPACITY],
            cmdline: [0; CMDLINE_CAPACITY],
            program: [0; PROGRAM_CAPACITY],
            memory_map_len: 0,
            _memory_map_reserved: 0,
            memory_regions: [MemoryRegion::new(
                crate::PhysRange::new(0, 0),
                crate::memmap::MemoryKind::Reserved,
            ); MEMORY_MAP_CAPACITY],
        }
    }

    /// The physical memory map.
    pub fn memory_map(&self) -> MemoryMap<MEMORY_MAP_CAPACITY> {
        MemoryMap::from_wire(self.memory_map_len, self.memory_regions)
    }

    /// Stores the physical memory map.
    pub fn set_memory_map(&mut self, map: &MemoryMap<MEMORY_MAP_CAPACITY>) {
        (self.memory_map_len, self.memory_regions) = map.to_wire();
    }

    /// Checks that the page is one this kernel can use.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.magic != BOOT_PARAMS_MAGIC {
            return Err(ParamsError::BadMagic);
        }
        if self.version != BOOT_PARAMS_VERSION {
            return Err(ParamsError::BadVersion {
                found: self.version,
            });
        }
        if self.size as usize != size_of::<Self>() {
            return Err(ParamsError::BadSize);
        }
        text(&self.kernel_name)?;
        text(&self.cmdline)?;
        text(&self.program)?;
        let image_end = self
            .kernel_phys
            .checked_add(self.kernel_size)
            .ok_or(ParamsError::BadImageRange)?;
        if self.kernel_size == 0 || image_end > self.phys_top.max(crate::layout::DIRECT_MAP_MIN_TOP)
        {
            return Err(ParamsError::BadImageRange);
        }
        self.data_range()?;
        Ok(())
    }

    /// Where this kernel's own copy of the image's writable part is: the
    /// image range it stands for, and the copy's address; `None` when the
    /// whole image is the kernel's.
    pub fn data_range(&self) -> Result<Option<(crate::PhysRange, u64)>, ParamsError> {
        if self.data_offset == 0 && self.data_phys == 0 {
            return Ok(None);
        }
        let page = PARAMS_PAGE as u64;
        let bad = ParamsError::BadDataRange;
        // Both or neither: a copy at 0 or of nothing is no copy.
        if self.data_offset == 0
            || self.data_phys == 0
            || self.data_offset >= self.kernel_size
            || !self.data_offset.is_multiple_of(page)
            || !self.kernel_phys.is_multiple_of(page)
            || !self.kernel_size.is_multiple_of(page)
            || !self.data_phys.is_multiple_of(page)
        {
            return Err(bad);
        }
        let size = self.kernel_size - self.data_offset;
        let base = self.kernel_phys.checked_add(self.data_offset).ok_or(bad)?;
        self.data_phys.checked_add(size).ok_or(bad)?;
        let window = crate::PhysRange::new(base, size);
        let copy = crate::PhysRange::new(self.data_phys, size);
        if copy.overlaps(crate::PhysRange::new(self.kernel_phys, self.kernel_size)) {
            return Err(bad);
        }
        Ok(Some((window, self.data_phys)))
    }

    /// The kernel image's name.
    pub fn kernel_name(&self) -> Result<&str, ParamsError> {
        text(&self.kernel_name)
    }

    /// The command line.
    pub fn cmdline(&self) -> Result<Cmdline<'_>, ParamsError> {
        text(&self.cmdline).map(Cmdline::new)
    }

    /// Stores the kernel image's name.
    pub fn set_kernel_name(&mut self, name: &str) -> Result<(), ParamsError> {
        store(&mut self.kernel_name, name)
    }

    /// Stores the command line.
    pub fn set_cmdline(&mut self, line: &str) -> Result<(), ParamsError> {
        store(&mut self.cmdline, line)
    }

    /// The first program and its arguments (empty: the monitor).
    pub fn program(&self) -> Result<&str, ParamsError> {
        text(&self.program)
    }

    /// Stores the first program and its arguments (`name args...`).
    pub fn set_program(&mut self, line: &str) -> Result<(), ParamsError> {
        store(&mut self.program, line)
    }
}

impl Default for BootParams {
    fn default() -> Self {
        Self::new()
    }
}

impl BootParams {
    /// Writes the parameters at the start of a boot-parameter page (the
    /// page must hold them).
    pub fn encode(&self, page: &mut [u8]) {
        if let Some(dest) = page.get_mut(..size_of::<Self>()) {
            dest.copy_from_slice(self.as_bytes());
        }
    }

    /// Reads parameters from a boot-parameter page (any bytes decode, a
    /// short page as if zero-filled; use [`BootParams::validate`] to check
    /// them). The memory map is rebuilt region by region, so it is sorted
    /// and disjoint whatever the page held.
    pub fn decode(page: &[u8]) -> Self {
        let mut bytes = [0u8; size_of::<Self>()];
        let n = page.len().min(bytes.len());
        bytes[..n].copy_from_slice(&page[..n]);
        let mut params = Self::read_from_bytes(&bytes).unwrap_or_default();
        let map = params.memory_map();
        params.set_memory_map(&map);
        params
    }
}

/// The UTF-8 text before the first NUL; there must be a NUL.
pub(crate) fn text(field: &[u8]) -> Result<&str, ParamsError> {
    let end = field
        .iter()
        .position(|&b| b == 0)
        .ok_or(ParamsError::BadText)?;
    core::str::from_utf8(&field[..end]).map_err(|_| ParamsError::BadText)
}

/// Stores `value` NUL-padded; it must leave room for one NUL.
fn store(field: &mut [u8], value: &str) -> Result<(), ParamsError> {
    if value.len() >= field.len() || value.bytes().any(|b| b == 0) {
        return Err(ParamsError::TooLong);
    }
    field.fill(0);
    field[..value.len()].copy_from_slice(value.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests;
