//! The Corefish CPU driver: the kernel that runs on one core.
//!
//! Every core runs its own copy of this image, loaded and relocated by a
//! starter (the PVH loader on the first core; the user-level boot driver on
//! the others, in later issues). A CPU driver owns nothing that must outlive
//! it (DESIGN.md): its image copy, its stacks, descriptor tables and page
//! tables are per-boot scratch; OS state lives in capability memory reached
//! from the KCB (from the next issue on).
//!
//! It runs with interrupts disabled in ring 0 (DESIGN.md rule 4) and is
//! event-driven. In this first issue the events are the local APIC timer
//! and CPU exceptions; after booting it reports what it found and idles.
//!
//! Boot order (see [`kernel_main`]): boot parameters, descriptor tables,
//! frame allocator, direct map, interrupt controllers, clock calibration,
//! logging, ACPI, timer check, banner, optional self-test, idle.

#![no_std]
#![deny(clippy::unwrap_used)]
#![no_main]

// Links memcpy and friends, which the prebuilt `core` needs.
use baremetal as _;

mod arch;
mod banner;
mod bootstrap;
mod console;
mod cspace;
mod dispatch;
mod fatal;
mod identity;
mod interrupt;
mod invoke;
mod kill;
mod lmp;
mod logger;
mod machine;
mod memory;
mod objects;
mod osnode;
mod platform;
mod realtime;
mod selftest;
mod syscall;
mod system;
mod time;
mod timer;
mod usermem;
mod vspace;

use bootproto::params::{ACK_ENTERED, ACK_REFUSED, ACK_RUNNING, BootAck, BootParams, FIRST_CORE};
use log::{LevelFilter, info, warn};

/// This kernel's version (the `v2` build differs visibly: its scheduling
/// quantum is shorter; the `kcb1` build is the previous release's KCB
/// layout; the `rt` build is the real-time kernel).
pub const VERSION: &str = if cfg!(feature = "v2") {
    concat!(env!("CARGO_PKG_VERSION"), "-v2")
} else if cfg!(feature = "kcb1") {
    concat!(env!("CARGO_PKG_VERSION"), "-kcb1")
} else if cfg!(feature = "rt") {
    concat!(env!("CARGO_PKG_VERSION"), "-rt")
} else {
    env!("CARGO_PKG_VERSION")
};

/// How long the PIT calibration window lasts.
const CALIBRATION_MS: u64 = 20;
/// How long the boot-time timer check waits.
const TIMER_CHECK_MS: u64 = 10;

/// The kernel proper, entered from [`arch::entry::_start`] with the boot
/// parameters' address.
pub extern "C" fn kernel_main(params_ptr: *const BootParams) -> ! {
    let tsc_at_entry = cpu::instr::rdtsc();
    cpu::regs::enable_sse();
    let params = arch::entry::read_boot_params(params_ptr);
    arch::entry::remember_params(params_ptr);
    if let Err(e) = params.validate() {
        kprintln!("cpudriver: unusable boot parameters at {params_ptr:p}: {e}");
        fatal::stop_core("bad boot parameters");
    }
    identity::set(identity::CoreIdentity {
        core_id: params.core_id,
        apic_id: params.apic_id,
    });
    let cmdline = params
        .cmdline()
        .unwrap_or(bootproto::cmdline::Cmdline::new(""));
    // Time stamps read 0 until the clock is calibrated below.
    logger::init(
        cmdline
            .get("log")
            .and_then(logger::parse_level)
            .unwrap_or(LevelFilter::Info),
    );
    fatal::configure(cmdline);

    arch::gdt::init();
    arch::idt::init();
    arch::syscall::init();
    let (nx, smep, smap) = arch::features::init();
    if let Err(e) = memory::init(&params.memory_map) {
        kprintln!("cpudriver: memory map unusable: {e}");
        fatal::stop_core("bad memory map");
    }
    let (_pml4, direct_top) = match arch::paging::init(&params.memory_map, params.phys_top) {
        Ok(done) => done,
        Err(e) => {
            kprintln!("cpudriver: cannot build the direct map: {e:?}");
            fatal::stop_core("no page tables");
        }
    };
    let first = params.flags & FIRST_CORE != 0;
    if first {
        arch::pic::disable();
    }
    arch::apic::init();
    // Only the first core measures the clocks (the PIT is one device for the
    // whole machine); the boot driver passes the rates to the others.
    let rates = if first || params.tsc_hz == 0 || params.apic_timer_hz == 0 {
        let mut measured = arch::pit::calibrate(CALIBRATION_MS);
        if params.tsc_hz != 0 {
            measured.tsc_hz = params.tsc_hz;
        }
        measured
    } else {
        arch::pit::Rates {
            tsc_hz: params.tsc_hz,
            apic_timer_hz: params.apic_timer_hz,
        }
    };
    time::set_tsc_hz(rates.tsc_hz);
    time::set_apic_timer_hz(rates.apic_timer_hz);
    let system_phys = if first {
        memory::alloc_low_frame().unwrap_or(0)
    } else {
        params.system_phys
    };
    if first && system_phys != 0 {
        arch::objects::KernelMemory::new().zero(system_phys, 4096);
    }
    system::set(system_phys);
    if arch::apic::is_bootstrap() {
        system::set_bootstrap_apic(arch::apic::id());
    }
    info!(
        "kernel `{}` {VERSION} at {:#x}, direct map up to {direct_top:#x}",
        params.kernel_name().unwrap_or("?"),
        identity::image_base()
    );
    log::debug!("protection: NX {nx}, SMEP {smep}, SMAP {smap}");
    if arch::apic::id() != params.apic_id {
        warn!(
            "running on APIC {} but started as APIC {}",
            arch::apic::id(),
            params.apic_id
        );
    }

    let platform = match arch::acpi::discover(params.rsdp_phys) {
        Ok(p) => p,
        Err(e) => {
            kprintln!("cpudriver: cannot describe the machine: {e}");
            fatal::stop_core("no ACPI");
        }
    };
    if first {
        for io in platform.ioapics() {
            // SAFETY: the address comes from the MADT and lies in the low
            // 4 GiB, which the direct map covers uncached where no memory is.
            let ioapic = unsafe { arch::ioapic::IoApic::at(io.phys) };
            ioapic.mask_all();
        }
    }
    let platform = platform::set(platform);
    machine::set(machine::Machine {
        tsc_hz: rates.tsc_hz,
        apic_timer_hz: rates.apic_timer_hz,
        phys_top: params.phys_top,
        rsdp: params.rsdp_phys,
        memory_map: params.memory_map,
        version: banner::version_text(&params),
    });

    // SAFETY: the archive's memory is never written (the loader marked it
    // BootArchive; boot drivers pass the same range) and is direct-mapped.
    let archive_bytes =
        unsafe { arch::phys_bytes(params.archive_phys, params.archive_size as usize) };
    let archive = match bootarchive::Archive::parse(archive_bytes) {
        Ok(a) => Some(a),
        Err(e) => {
            warn!("boot archive unreadable: {e}");
            None
        }
    };
    if first {
        let waited = timer::one_shot_check(TIMER_CHECK_MS);
        info!(
            "timer: {TIMER_CHECK_MS} ms one-shot interrupt arrived after {}.{:03} ms",
            waited / 1_000_000,
            waited / 1000 % 1000
        );
        banner::print(&banner::Report {
            params: &params,
            platform,
            archive,
            rates,
            tsc_at_entry,
        });
    }

    if let Some(fault) = selftest::requested(cmdline) {
        info!("selftest: provoking {fault}");
        arch::provoke_fault(fault);
    }
    let mut ack = BootAck {
        stage: ACK_ENTERED,
        tsc_entered: tsc_at_entry,
        tsc_initialised: cpu::instr::rdtsc(),
        ..BootAck::default()
    };
    let version = banner::version_text(&params);
    let n = version.len().min(ack.version.len() - 1);
    ack.version[..n].copy_from_slice(&version.as_bytes()[..n]);
    let started = match archive {
        Some(archive) if first => bootstrap::first_osnode(&params, &archive, system_phys),
        Some(archive) => bootstrap::run_osnode(&params, &archive),
        None => Err(bootstrap::BootstrapError::NoArchive),
    };
    match started {
        Ok(kcb) => {
            if !first {
                let (id, resumes) = {
                    let mut mem = arch::objects::KernelMemory::new();
                    let k = mem.kcb(kcb);
                    (k.id, k.resumes().unwrap_or(0))
                };
                let (core, apic) = (params.core_id, params.apic_id);
                if resumes > 0 {
                    info!(
                        "core {core} (APIC {apic}) runs OSNode {id} under `{version}`, resume {resumes}"
                    );
                } else {
                    info!("core {core} (APIC {apic}) runs OSNode {id} under `{version}`");
                }
            }
            ack.stage = ACK_RUNNING;
            ack.tsc_running = cpu::instr::rdtsc();
            ack.kcb_layout = u64::from(::osnode::kcb::KCB_VERSION);
            arch::entry::write_ack(params_ptr, &ack);
            osnode::set_current(kcb);
            dispatch::schedule()
        }
        Err(e) => {
            // The report first: the boot driver stops this core (INIT) as
            // soon as it sees the refusal, which would cut the line short
            // and leave the console lock taken.
            log::error!("core {}: cannot run an OSNode: {e}", params.core_id);
            info!("core {} idle", params.core_id);
            ack.stage = ACK_REFUSED;
            arch::entry::write_ack(params_ptr, &ack);
        }
    }
    loop {
        // SAFETY: the IDT handles every vector; no red zone is in use.
        unsafe { cpu::instr::wait_for_interrupt() };
    }
}
