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
//! that it makes sense.

use crate::cmdline::Cmdline;
use crate::memmap::MemoryMap;

/// `b"CFBOOTP1"` read as a little-endian integer.
pub const BOOT_PARAMS_MAGIC: u64 = u64::from_le_bytes(*b"CFBOOTP1");
/// Layout version; bump on any change to [`BootParams`].
pub const BOOT_PARAMS_VERSION: u32 = 1;
/// Room for the command line, including its terminating NUL.
pub const CMDLINE_CAPACITY: usize = 256;
/// Room for the kernel image's name.
pub const NAME_CAPACITY: usize = 32;
/// Room for memory-map regions.
pub const MEMORY_MAP_CAPACITY: usize = 64;

/// Everything a CPU driver needs to know at entry.
#[derive(Debug, Clone, Copy)]
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
    /// Name of the kernel image (NUL-padded UTF-8).
    pub kernel_name: [u8; NAME_CAPACITY],
    /// Kernel command line (NUL-terminated UTF-8).
    pub cmdline: [u8; CMDLINE_CAPACITY],
    /// The physical memory map.
    pub memory_map: MemoryMap<MEMORY_MAP_CAPACITY>,
}

const _: () = assert!(
    size_of::<BootParams>() <= 4096,
    "BootParams must fit one page"
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
            kernel_name: [0; NAME_CAPACITY],
            cmdline: [0; CMDLINE_CAPACITY],
            memory_map: MemoryMap::new(),
        }
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
        let image_end = self
            .kernel_phys
            .checked_add(self.kernel_size)
            .ok_or(ParamsError::BadImageRange)?;
        if self.kernel_size == 0 || image_end > self.phys_top.max(crate::layout::DIRECT_MAP_MIN_TOP)
        {
            return Err(ParamsError::BadImageRange);
        }
        Ok(())
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
}

impl Default for BootParams {
    fn default() -> Self {
        Self::new()
    }
}

/// The UTF-8 text before the first NUL; there must be a NUL.
fn text(field: &[u8]) -> Result<&str, ParamsError> {
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
mod tests {
    extern crate std;
    use super::*;

    fn sample() -> BootParams {
        let mut p = BootParams::new();
        p.kernel_phys = 0x20_0000;
        p.kernel_size = 0x10_0000;
        p.phys_top = 0x2000_0000;
        p.set_kernel_name("cpudriver").unwrap();
        p.set_cmdline("fatal=exit").unwrap();
        p
    }

    #[test]
    fn valid_params_pass() {
        let p = sample();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.kernel_name(), Ok("cpudriver"));
        assert_eq!(p.cmdline().unwrap().get("fatal"), Some("exit"));
    }

    #[test]
    fn each_defect_is_named() {
        let mut p = sample();
        p.magic ^= 1;
        assert_eq!(p.validate(), Err(ParamsError::BadMagic));
        let mut p = sample();
        p.version = 7;
        assert_eq!(p.validate(), Err(ParamsError::BadVersion { found: 7 }));
        let mut p = sample();
        p.size -= 8;
        assert_eq!(p.validate(), Err(ParamsError::BadSize));
        let mut p = sample();
        p.cmdline = [b'a'; CMDLINE_CAPACITY];
        assert_eq!(p.validate(), Err(ParamsError::BadText));
        let mut p = sample();
        p.kernel_name[0] = 0xff;
        assert_eq!(p.validate(), Err(ParamsError::BadText));
        let mut p = sample();
        p.kernel_phys = u64::MAX - 4;
        assert_eq!(p.validate(), Err(ParamsError::BadImageRange));
        let mut p = sample();
        p.kernel_size = 0;
        assert_eq!(p.validate(), Err(ParamsError::BadImageRange));
    }

    #[test]
    fn setters_refuse_oversized_text() {
        let mut p = sample();
        let long = "x".repeat(CMDLINE_CAPACITY);
        assert_eq!(p.set_cmdline(&long), Err(ParamsError::TooLong));
        assert_eq!(p.set_kernel_name("a\0b"), Err(ParamsError::TooLong));
        assert_eq!(p.cmdline().unwrap().as_str(), "fatal=exit");
    }
}
