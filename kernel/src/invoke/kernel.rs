//! Invocations of the Kernel and IPI capabilities, for the boot driver:
//! what the kernel knows of the machine, and INIT/STARTUP to other cores.

use abi::error::SysError;

use super::{Invocation, Results};
use crate::arch::apic;
use crate::{machine, platform, system};

/// KERNEL_INFO.
pub fn info(_inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let cores = platform::get().map_or(0, |p| p.enabled_cores().count() as u64);
    Ok([
        m.tsc_hz,
        m.apic_timer_hz,
        m.phys_top,
        m.rsdp,
        system::phys(),
        cores,
    ])
}

/// KERNEL_CORE(a0 = core index).
pub fn core(inv: &mut Invocation) -> Result<Results, SysError> {
    let platform = platform::get().ok_or(SysError::DispatcherNotReady)?;
    let index = usize::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let core = platform
        .enabled_cores()
        .nth(index)
        .ok_or(SysError::BadArgument)?;
    let mine = u64::from(core.apic_id == apic::id());
    Ok([
        u64::from(core.apic_id),
        u64::from(core.enabled),
        mine,
        0,
        0,
        0,
    ])
}

/// KERNEL_MEMORY_REGION(a0 = index).
pub fn memory_region(inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let index = usize::try_from(inv.args[0]).map_err(|_| SysError::BadArgument)?;
    let region = m
        .memory_map
        .regions()
        .get(index)
        .ok_or(SysError::BadArgument)?;
    Ok([
        region.base,
        region.size,
        u64::from(region.raw_kind),
        0,
        0,
        0,
    ])
}

/// KERNEL_VERSION: the name and version, then the time slice of this
/// OSNode's dispatchers under this kernel.
pub fn version(_inv: &mut Invocation) -> Result<Results, SysError> {
    let m = machine::get().ok_or(SysError::DispatcherNotReady)?;
    let mut words = [0u64; 6];
    for (i, chunk) in m.version.as_bytes().chunks(8).take(4).enumerate() {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        words[i] = u64::from_le_bytes(bytes);
    }
    if let Some(kcb) = crate::osnode::current() {
        words[4] = crate::dispatch::time_slice(
            crate::arch::objects::KernelMemory::new()
                .kcb(kcb)
                .quantum_ns,
        );
    }
    Ok(words)
}

/// The APIC id of a core that exists and is not this one.
fn other_core(apic_id: u64) -> Result<u32, SysError> {
    let platform = platform::get().ok_or(SysError::DispatcherNotReady)?;
    let apic_id = u32::try_from(apic_id).map_err(|_| SysError::BadArgument)?;
    if apic_id == apic::id() || !platform.enabled_cores().any(|c| c.apic_id == apic_id) {
        return Err(SysError::BadArgument);
    }
    Ok(apic_id)
}

/// IPI_INIT(a0 = APIC id).
pub fn ipi_init(inv: &mut Invocation) -> Result<Results, SysError> {
    apic::send_init(other_core(inv.args[0])?);
    Ok([0; 6])
}

/// IPI_STARTUP(a0 = APIC id, a1 = vector: the start page below 1 MiB).
pub fn ipi_startup(inv: &mut Invocation) -> Result<Results, SysError> {
    let target = other_core(inv.args[0])?;
    // Page 0 holds the real-mode interrupt table; 0xa0 and up is not RAM.
    let vector = u8::try_from(inv.args[1])
        .ok()
        .filter(|v| (1..0xa0).contains(v))
        .ok_or(SysError::BadArgument)?;
    apic::send_startup(target, vector);
    Ok([0; 6])
}
