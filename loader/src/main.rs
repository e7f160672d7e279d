//! Corefish's first boot stage, for the first core only.
//!
//! QEMU (`-kernel`) loads this small, non-relocatable ELF at 1 MiB and
//! enters it through its Xen PVH note in 32-bit mode ([`entry`]). The loader
//! then, in 64-bit mode:
//! 1. reads the PVH start info: memory map, boot archive (`-initrd`),
//!    command line, RSDP ([`pvh`]);
//! 2. finds the CPU driver image named by `kernel=` (default `cpudriver`)
//!    in the boot archive and validates it ([`elfload`]);
//! 3. places it in RAM below 4 GiB after a boot-parameter page
//!    ([`placement`]), copies and relocates it to run in the direct map;
//! 4. fills the boot parameters and jumps to it ([`handoff`]).
//!
//! This is exactly what the user-level boot driver does for every other
//! core later, with the same library code; the loader exists only because
//! PVH enters in 32-bit mode at a fixed address, which a static PIE cannot
//! serve.
//!
//! Any error is printed and ends the boot (QEMU exits with status 35
//! through `isa-debug-exit`; on other machines the core halts).

#![no_std]
#![deny(clippy::unwrap_used)]
#![no_main]

use baremetal as _;

mod console;
mod entry;
mod handoff;
mod placement;
mod pvh;

use bootproto::PhysRange;
use bootproto::cmdline::Cmdline;
use bootproto::layout::phys_to_virt;
use bootproto::params::BootParams;
use cpu::debug_exit::{ExitCode, exit_qemu};
use frames::FRAME_SIZE;

/// Module started when the command line names none.
const DEFAULT_KERNEL: &str = "cpudriver";

unsafe extern "C" {
    static __loader_start: u8;
    static __loader_end: u8;
}

/// Called by the entry stub in 64-bit mode.
pub extern "C" fn loader_main(start_info: u32, tsc_at_start: u64) -> ! {
    match run(start_info, tsc_at_start) {
        Ok(never) => match never {},
        Err(message) => {
            println!("loader: error: {message}");
            exit_qemu(ExitCode::Failure);
            cpu::instr::halt_forever()
        }
    }
}

fn run(start_info: u32, tsc_at_start: u64) -> Result<core::convert::Infallible, LoaderError> {
    console::init();
    let info = pvh::read(start_info).map_err(LoaderError::Pvh)?;
    let cmdline = Cmdline::new(info.cmdline);
    let kernel_name = cmdline.get("kernel").unwrap_or(DEFAULT_KERNEL);
    println!(
        "Corefish loader {}: starting `{kernel_name}`",
        env!("CARGO_PKG_VERSION")
    );

    let archive_range = info.archive.ok_or(LoaderError::NoArchive)?;
    if archive_range.base % FRAME_SIZE != 0 {
        return Err(LoaderError::ArchiveMisaligned(archive_range.base));
    }
    let archive = bootarchive::Archive::parse(pvh::module_bytes(archive_range))
        .map_err(LoaderError::Archive)?;
    let module = archive.get(kernel_name).ok_or(LoaderError::NoKernel)?;
    let image = elfload::ElfImage::parse(module.data).map_err(LoaderError::Elf)?;
    if !image.is_relocatable() || image.vaddr_range().0 != 0 {
        return Err(LoaderError::NotPie);
    }

    let loader = PhysRange::from_bounds(
        (&raw const __loader_start) as u64,
        (&raw const __loader_end) as u64,
    );
    let mut map = placement::build_map(&info.e820[..info.e820_len], loader, Some(archive_range))
        .map_err(LoaderError::Placement)?;
    // One page of boot parameters, then the image.
    let block = placement::place_kernel(&mut map, FRAME_SIZE + image.memory_size())
        .map_err(LoaderError::Placement)?;
    let params_phys = block.base;
    let kernel_phys = block.base + FRAME_SIZE;
    let bias = phys_to_virt(kernel_phys);

    // SAFETY: `block` was just taken from RAM the map marks free (not the
    // loader, the archive, low memory or firmware areas), below 4 GiB and
    // so identity-mapped; nothing else refers to it.
    let dest = unsafe {
        core::slice::from_raw_parts_mut(
            kernel_phys as usize as *mut u8,
            image.memory_size() as usize,
        )
    };
    image.load_into(dest, bias).map_err(LoaderError::Elf)?;
    let entry_code = dest.get(image.entry() as usize..).unwrap_or(&[]);
    bootproto::starter::check_entry(entry_code).map_err(LoaderError::NotACpuDriver)?;
    println!(
        "loader: `{kernel_name}` ({} KiB, {} relocations) at physical {kernel_phys:#x}, running at {bias:#x}",
        image.memory_size() >> 10,
        image.relocations().count()
    );

    let mut params = BootParams::new();
    params.core_id = 0;
    params.apic_id = u32::from(cpu::cpuid::initial_apic_id());
    params.kernel_phys = kernel_phys;
    params.kernel_size = image.memory_size();
    params.params_phys = params_phys;
    params.archive_phys = archive_range.base;
    params.archive_size = archive_range.size;
    params.rsdp_phys = info.rsdp;
    params.phys_top = map.memory_top();
    params.tsc_at_start = tsc_at_start;
    params
        .set_kernel_name(kernel_name)
        .map_err(|_| LoaderError::NameTooLong)?;
    params
        .set_cmdline(info.cmdline)
        .map_err(|_| LoaderError::CmdlineTooLong)?;
    params.set_memory_map(&map);
    params.flags = bootproto::params::FIRST_CORE;
    params.tsc_at_handoff = cpu::instr::rdtsc();
    // SAFETY: the first page of `block` is ours (see above).
    let page = unsafe {
        core::slice::from_raw_parts_mut(
            params_phys as usize as *mut u8,
            bootproto::params::PARAMS_PAGE,
        )
    };
    page.fill(0);
    params.encode(page);

    // SAFETY: the image is loaded and relocated for `bias`, and its
    // boot-parameter page is filled; the loader's page tables map both.
    unsafe { handoff::enter_kernel(bias + image.entry(), phys_to_virt(params_phys)) }
}

/// Why the loader could not start a kernel.
enum LoaderError {
    Pvh(pvh::PvhError),
    NoArchive,
    ArchiveMisaligned(u64),
    Archive(bootarchive::ArchiveError),
    NoKernel,
    Elf(elfload::ElfError),
    NotPie,
    NotACpuDriver(bootproto::starter::StarterError),
    Placement(placement::PlacementError),
    NameTooLong,
    CmdlineTooLong,
}

impl core::fmt::Display for LoaderError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Pvh(e) => write!(f, "{e}"),
            Self::NoArchive => f.write_str("no boot archive (pass one with -initrd)"),
            Self::ArchiveMisaligned(at) => write!(f, "boot archive at {at:#x} is not page-aligned"),
            Self::Archive(e) => write!(f, "boot archive: {e}"),
            Self::NoKernel => f.write_str("the boot archive has no module of that name"),
            Self::Elf(e) => write!(f, "kernel image: {e}"),
            Self::NotPie => f.write_str("kernel image is not a static PIE linked at 0"),
            Self::NotACpuDriver(e) => write!(f, "kernel image: {e}"),
            Self::Placement(e) => write!(f, "{e}"),
            Self::NameTooLong => f.write_str("kernel name too long"),
            Self::CmdlineTooLong => f.write_str("command line too long for the boot parameters"),
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("loader: panic: {info}");
    exit_qemu(ExitCode::Failure);
    cpu::instr::halt_forever()
}
