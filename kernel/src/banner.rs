//! The boot banner: what this kernel is and what it found. The lines are
//! meant for people and for tests, which match their fixed prefixes.
//!
//! ```text
//! Corefish 0.1.0: CPU driver `cpudriver` on core 0 (APIC 0)
//! cores: 4 (APIC ids 0 1 2 3)
//! ioapics: 1 (id 0 at 0xfec00000, GSI 0-23)
//! memory: 511 MiB usable (523520 KiB), physical top 0x20000000
//! boot archive: 1 module(s): cpudriver (139264 bytes)
//! clock: TSC 2400.000 MHz, APIC timer 62.500 MHz
//! boot: 152.3 ms since reset, 5.1 ms in this kernel
//! ```

use bootproto::memmap::MemoryKind;
use bootproto::params::BootParams;

use crate::platform::Platform;
use crate::{kprint, kprintln};

/// Everything the banner reports.
pub struct Report<'a> {
    /// The boot parameters.
    pub params: &'a BootParams,
    /// What ACPI described.
    pub platform: &'a Platform,
    /// Modules of the boot archive, if it was readable.
    pub archive: Option<bootarchive::Archive<'a>>,
    /// Measured rates.
    pub rates: crate::arch::pit::Rates,
    /// Time-stamp counter when the kernel was entered.
    pub tsc_at_entry: u64,
}

/// `name version` of this kernel, e.g. `cpudriver 0.1.0`.
pub fn version_text(params: &BootParams) -> arrayvec::ArrayString<32> {
    let mut text = arrayvec::ArrayString::new();
    let _ = core::fmt::Write::write_fmt(
        &mut text,
        format_args!("{} {}", params.kernel_name().unwrap_or("?"), crate::VERSION),
    );
    text
}

/// Prints the banner.
pub fn print(r: &Report<'_>) {
    let core = crate::identity::this_core();
    let name = r.params.kernel_name().unwrap_or("?");
    kprintln!(
        "Corefish {}: CPU driver `{name}` on core {} (APIC {})",
        crate::VERSION,
        core.core_id,
        core.apic_id
    );

    let cores = r.platform.enabled_cores().count();
    kprint!("cores: {cores} (APIC ids");
    for c in r.platform.enabled_cores() {
        kprint!(" {}", c.apic_id);
    }
    match r.platform.disabled_cores() {
        0 => kprintln!(")"),
        n => kprintln!("; {n} more present but disabled)"),
    }

    kprint!("ioapics: {}", r.platform.ioapics().len());
    for io in r.platform.ioapics() {
        kprint!(
            " (id {} at {:#x}, GSI base {})",
            io.id,
            io.phys,
            io.gsi_base
        );
    }
    kprintln!();

    let map = &r.params.memory_map();
    let usable = map.total(MemoryKind::Ram)
        + map.total(MemoryKind::LowMemory)
        + map.total(MemoryKind::Loader)
        + map.total(MemoryKind::BootArchive)
        + map.total(MemoryKind::KernelImage);
    kprintln!(
        "memory: {} MiB usable ({} KiB), {} KiB free for this kernel, physical top {:#x}",
        usable >> 20,
        usable >> 10,
        crate::memory::free_bytes() >> 10,
        map.memory_top()
    );

    match &r.archive {
        Some(archive) => {
            kprint!("boot archive: {} module(s):", archive.len());
            for m in archive.modules() {
                kprint!(" {} ({} bytes)", m.name, m.data.len());
            }
            kprintln!();
        }
        None => kprintln!("boot archive: none"),
    }

    kprintln!(
        "clock: TSC {}.{:03} MHz, APIC timer {}.{:03} MHz",
        r.rates.tsc_hz / 1_000_000,
        r.rates.tsc_hz / 1000 % 1000,
        r.rates.apic_timer_hz / 1_000_000,
        r.rates.apic_timer_hz / 1000 % 1000
    );

    let now = cpu::instr::rdtsc();
    let since_reset = crate::time::ticks_to_ns(now);
    let in_kernel = crate::time::ticks_to_ns(now.wrapping_sub(r.tsc_at_entry));
    kprintln!(
        "boot: {}.{} ms since reset, {}.{} ms in this kernel",
        since_reset / 1_000_000,
        since_reset / 100_000 % 10,
        in_kernel / 1_000_000,
        in_kernel / 100_000 % 10
    );
}
