//! Booting this kernel on its core, in order: the boot parameters, logging,
//! the frame allocator and the direct map, the interrupt controllers, the
//! clocks (measured by the first core, passed to the others), the system
//! page, ACPI, the boot archive, the first core's timer check and banner,
//! an optional self-test; then the OSNode (the first one, a new one with
//! its monitor, or one resumed as it was), acknowledged to the starter,
//! and the scheduler.
//!
//! The descriptor tables and the `syscall` entry are set up by the entry
//! itself (`arch::entry`), before any of this.

use bootarchive::Archive;
use bootproto::params::{ACK_ENTERED, ACK_REFUSED, ACK_RUNNING, BootAck, BootParams, FIRST_CORE};
use log::{LevelFilter, info, warn};

use crate::arch::objects::{KernelMemory, SystemPage};
use crate::arch::params::{EntryParams, ParamsPage};
use crate::{
    VERSION, arch, banner, bootstrap, dispatch, fatal, identity, kprintln, logger, machine, memory,
    platform, selftest, system, time, timer,
};

/// How long the PIT calibration window lasts.
const CALIBRATION_MS: u64 = 20;
/// How long the boot-time timer check waits.
const TIMER_CHECK_MS: u64 = 10;

/// Boots this kernel with the parameters in `page` (entered at TSC
/// `tsc_at_entry`) and runs its OSNode.
pub fn boot(mem: &mut KernelMemory, page: ParamsPage, tsc_at_entry: u64) -> ! {
    page.mark_entered(tsc_at_entry);
    let params = page.read();
    if let Err(e) = params.validate() {
        kprintln!(
            "cpudriver: unusable boot parameters at {:p}: {e}",
            page.address()
        );
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
    crate::checks::configure(cmdline);
    let (nx, smep, smap) = arch::features::init();
    let direct_top = direct_map(&params);
    let first = params.flags & FIRST_CORE != 0;
    if first {
        arch::pic::disable();
    }
    arch::apic::init();
    let rates = clocks(&params, first);
    let system_phys = system_page(mem, &params, first);
    crate::screen::attach(&params, first);
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
    let platform = describe_machine(&params, &rates, first);
    crate::trace::init(&params);
    let archive = match params.archive().map(Archive::parse) {
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            warn!("boot archive unreadable: {e}");
            None
        }
        None => {
            warn!("the boot archive's range is not marked as one in the memory map");
            None
        }
    };
    if first {
        let waited = timer::one_shot_check(mem, TIMER_CHECK_MS);
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
        fault.provoke();
    }
    run_osnode(mem, page, &params, archive, system_phys, tsc_at_entry)
}

/// The frame allocator over this kernel's RAM and its own page tables (the
/// direct map); returns where the direct map ends.
fn direct_map(params: &BootParams) -> u64 {
    if let Err(e) = memory::init(&params.memory_map()) {
        kprintln!("cpudriver: memory map unusable: {e}");
        fatal::stop_core("bad memory map");
    }
    let moved = match own_data(params) {
        Ok(moved) => moved,
        Err(why) => {
            kprintln!("cpudriver: {why}");
            fatal::stop_core("bad boot parameters");
        }
    };
    match arch::paging::init(&params.memory_map(), params.phys_top, moved) {
        Ok((_, top)) => top,
        Err(e) => {
            kprintln!("cpudriver: cannot build the direct map: {e:?}");
            fatal::stop_core("no page tables");
        }
    }
}

/// This kernel's own copy of its image's writable part, if the boot
/// parameters say it has one: it must stand for exactly that part of this
/// image (the starter read the same ELF file).
fn own_data(params: &BootParams) -> Result<Option<cpu::direct::Moved>, &'static str> {
    let Some((window, to)) = params
        .data_range()
        .map_err(|_| "the writable part is misplaced")?
    else {
        return Ok(None);
    };
    let data = arch::data_range();
    let base = bootproto::layout::DIRECT_MAP_BASE;
    if window.base + base != data.start || window.base + window.size + base != data.end {
        return Err("the boot parameters' writable part is not this image's");
    }
    // The copy is the kernel's own memory, never RAM it would hand out.
    let copy = bootproto::PhysRange::new(to, window.size);
    if !params
        .memory_map()
        .lies_in(copy, bootproto::memmap::MemoryKind::KernelImage)
    {
        return Err("the copy of the writable part is not in the kernel's own block");
    }
    Ok(Some(cpu::direct::Moved {
        from: window.base,
        size: window.size,
        to,
    }))
}

/// The TSC and APIC timer rates: measured by the first core (the PIT is one
/// device for the whole machine), passed by the boot driver to the others.
fn clocks(params: &BootParams, first: bool) -> arch::pit::Rates {
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
    rates
}

/// The system page: made (zeroed) by the first core, named by the boot
/// driver for the others. Returns its physical address (0: none).
fn system_page(mem: &mut KernelMemory, params: &EntryParams, first: bool) -> u64 {
    let page = if first {
        SystemPage::make(mem)
    } else {
        params.system_page()
    };
    if let Some(page) = page {
        system::set(page);
    }
    if arch::apic::is_bootstrap() {
        system::set_bootstrap_apic(arch::apic::id());
    }
    system::phys()
}

/// What ACPI says of the machine (the first core masks every IOAPIC
/// line), and what the kernel tells the boot driver about it.
fn describe_machine(
    params: &BootParams,
    rates: &arch::pit::Rates,
    first: bool,
) -> &'static platform::Platform {
    let found = match arch::acpi::discover(params.rsdp_phys) {
        Ok(p) => p,
        Err(e) => {
            kprintln!("cpudriver: cannot describe the machine: {e}");
            fatal::stop_core("no ACPI");
        }
    };
    if first {
        arch::irq::mask_all(&found);
    }
    let platform = platform::set(found);
    machine::set(machine::Machine {
        tsc_hz: rates.tsc_hz,
        apic_timer_hz: rates.apic_timer_hz,
        phys_top: params.phys_top,
        rsdp: params.rsdp_phys,
        memory_map: params.memory_map(),
        version: banner::version_text(params),
    });
    platform
}

/// Runs the OSNode the parameters name (making the first one on the first
/// core), tells the starter, and schedules; or tells the starter why not
/// and idles.
fn run_osnode(
    mem: &mut KernelMemory,
    page: ParamsPage,
    params: &BootParams,
    archive: Option<Archive<'_>>,
    system_phys: u64,
    tsc_at_entry: u64,
) -> ! {
    let first = params.flags & FIRST_CORE != 0;
    let mut ack = BootAck {
        stage: ACK_ENTERED,
        tsc_entered: tsc_at_entry,
        tsc_initialised: cpu::instr::rdtsc(),
        ..BootAck::default()
    };
    let version = banner::version_text(params);
    let n = version.len().min(ack.version.len() - 1);
    ack.version[..n].copy_from_slice(&version.as_bytes()[..n]);
    // The deliberately hanging kernel stops here, before its KCB.
    selftest::before_osnode();
    if !crate::watch::claim_start(params.params_phys) {
        // The rescue watch gave up on this kernel: the fallback kernel is
        // on its way to this core and resumes the KCB.
        crate::console::flush();
        cpu::instr::halt_forever();
    }
    dispatch::recover::changing();
    let started = match archive {
        Some(archive) if first => bootstrap::first_osnode(mem, params, &archive, system_phys),
        Some(archive) => bootstrap::run_osnode(mem, params, &archive),
        None => Err(bootstrap::BootstrapError::NoArchive),
    };
    match started {
        Ok(kcb) => {
            if !first {
                let (id, resumes) = {
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
            ack.kcb_layout = u64::from(osnode::kcb::KCB_VERSION);
            page.acknowledge(&ack);
            crate::node::set_current(kcb);
            dispatch::schedule(mem)
        }
        Err(e) => {
            // The report first: the boot driver stops this core (INIT) as
            // soon as it sees the refusal, which would cut the line short
            // and leave the console lock taken.
            log::error!("core {}: cannot run an OSNode: {e}", params.core_id);
            info!("core {} idle", params.core_id);
            crate::console::flush();
            ack.stage = ACK_REFUSED;
            page.acknowledge(&ack);
        }
    }
    loop {
        crate::console::flush();
        arch::wait_for_interrupt(mem);
    }
}
