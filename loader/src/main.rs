//! Corefish's first boot stage, for the first core only.
//!
//! QEMU (`-kernel`) or GRUB (multiboot2, from the ISO, under BIOS or UEFI)
//! loads this small, non-relocatable ELF at 1 MiB and enters it in 32-bit
//! mode ([`entry`]: the Xen PVH note or the multiboot2 header). The loader
//! then, in 64-bit mode:
//! 1. reads the PVH start info ([`pvh`]) or the multiboot2 boot information
//!    ([`multiboot`]) into one boot description: memory map, boot archive
//!    (`-initrd`, or GRUB's first module), command line, RSDP, framebuffer;
//!    draws on the framebuffer from then on ([`console`]); refuses a
//!    local APIC the firmware left in x2APIC mode;
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
//! Any error is printed on every console and ends the boot (QEMU exits
//! with status 35 through `isa-debug-exit`; on other machines the core
//! halts).

#![no_std]
#![deny(clippy::unwrap_used)]
#![no_main]

use baremetal as _;

mod console;
mod entry;
mod handoff;
mod multiboot;
mod placement;
mod pvh;

use bootinfo::{BootDescription, RSDP_BYTES, Rsdp};

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

/// The copy of the RSDP a multiboot2 boot information carries; its address
/// is what the kernels get (the loader's memory is never freed).
static RSDP_COPY: spin::Mutex<[u8; RSDP_BYTES]> = spin::Mutex::new([0; RSDP_BYTES]);

/// The local APIC's x2APIC-mode bit in `IA32_APIC_BASE`.
const APIC_BASE_X2APIC: u64 = 1 << 10;

/// Called by the entry stub in 64-bit mode. `protocol` is 0 for PVH, or
/// what GRUB left in `eax` for multiboot2.
pub extern "C" fn loader_main(start_info: u32, tsc_at_start: u64, protocol: u32) -> ! {
    match run(start_info, tsc_at_start, protocol) {
        Ok(never) => match never {},
        Err(message) => {
            println!("loader: error: {message}");
            exit_qemu(ExitCode::Failure);
            cpu::instr::halt_forever()
        }
    }
}

/// Reads how the machine started the loader, and starts drawing on its
/// screen if it has one.
fn describe(start_info: u32, protocol: u32) -> Result<BootDescription, LoaderError> {
    let info = match protocol {
        0 => pvh::read(start_info).map_err(LoaderError::Pvh)?,
        magic => match multiboot::read(magic, start_info) {
            Ok(info) => info,
            Err(refused) => {
                // Say why on the screen too, if the tags got as far as it.
                if let Some(framebuffer) = refused.screen {
                    let _ = console::attach_screen(framebuffer);
                }
                return Err(LoaderError::Multiboot2(refused.error));
            }
        },
    };
    match info.framebuffer {
        Some(Ok(framebuffer)) => {
            if let Err(e) = console::attach_screen(framebuffer) {
                println!("loader: no screen: {e}");
            }
        }
        Some(Err(why)) => println!("loader: no screen: {why}"),
        None => {}
    }
    Ok(info)
}

/// The RSDP's physical address for the kernels (0: let them search).
fn rsdp_phys(rsdp: Rsdp) -> u64 {
    match rsdp {
        Rsdp::Unknown => 0,
        Rsdp::At(at) => at,
        Rsdp::Copy { bytes, len } => {
            let mut copy = RSDP_COPY.lock();
            copy[..len].copy_from_slice(&bytes[..len]);
            core::ptr::from_ref::<[u8; RSDP_BYTES]>(&copy) as u64
        }
    }
}

fn run(
    start_info: u32,
    tsc_at_start: u64,
    protocol: u32,
) -> Result<core::convert::Infallible, LoaderError> {
    console::init();
    let info = describe(start_info, protocol)?;
    let cmdline = Cmdline::new(info.cmdline());
    let kernel_name = cmdline.get("kernel").unwrap_or(DEFAULT_KERNEL);
    println!(
        "Corefish loader {}: starting `{kernel_name}` (entered through {})",
        env!("CARGO_PKG_VERSION"),
        info.firmware.name()
    );
    // SAFETY: reading IA32_APIC_BASE has no side effect; every x86_64 core
    // with a local APIC has it.
    let apic_base = unsafe { cpu::msr::rdmsr(cpu::msr::IA32_APIC_BASE) };
    if apic_base & APIC_BASE_X2APIC != 0 {
        return Err(LoaderError::X2Apic);
    }

    let archive_range = info.archive.ok_or(LoaderError::NoArchive)?;
    if archive_range.base % FRAME_SIZE != 0 {
        return Err(LoaderError::ArchiveMisaligned(archive_range.base));
    }
    let archive =
        bootarchive::Archive::parse(module_bytes(archive_range)?).map_err(LoaderError::Archive)?;
    let module = archive.get(kernel_name).ok_or(LoaderError::NoKernel)?;
    let image = elfload::ElfImage::parse(module.data).map_err(LoaderError::Elf)?;
    if !image.is_relocatable() || image.vaddr_range().0 != 0 {
        return Err(LoaderError::NotPie);
    }

    let loader = PhysRange::from_bounds(
        (&raw const __loader_start) as u64,
        (&raw const __loader_end) as u64,
    );
    let mut map = placement::build_map(info.regions(), loader, Some(archive_range))
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
    params.rsdp_phys = rsdp_phys(info.rsdp);
    params.screen_phys = console::screen_phys();
    params.phys_top = map.memory_top();
    params.tsc_at_start = tsc_at_start;
    params
        .set_kernel_name(kernel_name)
        .map_err(|_| LoaderError::NameTooLong)?;
    params
        .set_cmdline(info.cmdline())
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

/// The bytes of a module (the boot archive), which must lie in the
/// identity-mapped low 4 GiB.
fn module_bytes(range: PhysRange) -> Result<&'static [u8], LoaderError> {
    if !entry::identity_mapped(range.base, range.size) {
        return Err(LoaderError::ArchiveOutOfReach);
    }
    // SAFETY: the range is below 4 GiB (checked), so identity-mapped; the
    // module's memory is marked BootArchive in the memory map, so nothing
    // writes it.
    Ok(unsafe {
        core::slice::from_raw_parts(range.base as usize as *const u8, range.size as usize)
    })
}

/// Why the loader could not start a kernel.
enum LoaderError {
    Pvh(pvh::PvhError),
    Multiboot2(bootinfo::multiboot2::Multiboot2Error),
    X2Apic,
    NoArchive,
    ArchiveOutOfReach,
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
            Self::Multiboot2(e) => write!(f, "{e}"),
            Self::X2Apic => f.write_str(
                "the firmware left the local APIC in x2APIC mode, which Corefish does not drive yet; \
                 turn x2APIC off in the firmware setup",
            ),
            Self::NoArchive => f.write_str(
                "no boot archive (pass one with -initrd, or as the first multiboot2 module)",
            ),
            Self::ArchiveOutOfReach => f.write_str("boot archive above 4 GiB"),
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
