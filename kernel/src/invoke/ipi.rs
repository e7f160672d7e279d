//! Invocations of the IPI capability, for the boot driver and the
//! monitors: stopping, starting and handing over other cores, notifications
//! to OSNodes, and faults on request (for the tests of the recovery).

use abi::error::SysError;

use super::{Invocation, Results};
use crate::arch::apic;
use crate::{platform, system};

/// IPI_STOP(a0 = APIC id).
pub fn ipi_stop(inv: &mut Invocation) -> Result<Results, SysError> {
    apic::send_fixed(other_core(inv.args[0])?, crate::arch::vectors::STOP as u8);
    Ok([0; 6])
}

/// IPI_FAULT(a0 = APIC id, a1 = 0, 1 or 2): that core's kernel takes a
/// page fault in ring 0 on purpose, (1) halts with interrupts off, or (2)
/// faults where its objects may be half changed (`crate::selftest`).
pub fn ipi_fault(inv: &mut Invocation) -> Result<Results, SysError> {
    use crate::arch::vectors::{FAULT_CHANGING_REQUEST, FAULT_REQUEST, HANG_REQUEST};
    let target = other_core(inv.args[0])?;
    let vector = match inv.args[1] {
        0 => FAULT_REQUEST,
        1 => HANG_REQUEST,
        2 => FAULT_CHANGING_REQUEST,
        _ => return Err(SysError::BadArgument),
    };
    apic::send_fixed(target, vector as u8);
    Ok([0; 6])
}

/// IPI_NMI(a0 = APIC id).
pub fn ipi_nmi(inv: &mut Invocation) -> Result<Results, SysError> {
    apic::send_nmi(other_core(inv.args[0])?);
    Ok([0; 6])
}

/// IPI_HANDOVER(a0 = APIC id, a1 = STARTUP vector): does not return to the
/// caller on this core.
pub fn ipi_handover(
    inv: &mut Invocation,
    current: crate::dispatch::Current,
) -> Result<Results, SysError> {
    let target = other_core(inv.args[0])?;
    let vector = startup_vector(inv.args[1])?;
    prepare_init(target, u64::from(vector) << 12)?;
    crate::dispatch::handover(inv.mem, current, target, vector)
}

/// A STARTUP vector: page 0 holds the real-mode interrupt table; 0xa0 and
/// up is not RAM.
fn startup_vector(arg: u64) -> Result<u8, SysError> {
    u8::try_from(arg)
        .ok()
        .filter(|v| (1..0xa0).contains(v))
        .ok_or(SysError::BadArgument)
}

/// IPI_NOTIFY(a0 = OSNode id): through the OSNode table in the system page.
pub fn ipi_notify(inv: &mut Invocation) -> Result<Results, SysError> {
    let target = system::core_of(inv.args[0]).ok_or(SysError::DispatcherNotReady)?;
    if target == apic::id() {
        // The target may be any OSNode of this core's ring (one parked
        // here, or the caller's own): all of them look.
        crate::dispatch::wake_notified_all(inv.mem);
    } else {
        apic::send_fixed(target, crate::arch::vectors::NOTIFY as u8);
    }
    Ok([0; 6])
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

/// IPI_INIT(a0 = APIC id, a1 = real-mode entry for the bootstrap core, 0
/// for none).
pub fn ipi_init(inv: &mut Invocation) -> Result<Results, SysError> {
    let target = other_core(inv.args[0])?;
    prepare_init(target, inv.args[1])?;
    apic::send_init(target);
    Ok([0; 6])
}

/// Before INIT to `target`: if it is the bootstrap core, which INIT sends
/// through the firmware instead of to wait-for-STARTUP, points the
/// firmware's warm-reset vector at the physical real-mode address `entry`
/// (see `arch::warm_reset`). `BadArgument`, changing nothing, if `entry`
/// is neither 0 nor a usable address, or is 0 for the bootstrap core (INIT
/// would reboot the machine).
fn prepare_init(target: u32, entry: u64) -> Result<(), SysError> {
    use crate::arch::warm_reset::{END, LOWEST, point_at};
    if entry != 0 && !(LOWEST..END).contains(&entry) {
        return Err(SysError::BadArgument);
    }
    if system::bootstrap_apic() == Some(target) {
        if entry == 0 {
            return Err(SysError::BadArgument);
        }
        point_at(entry);
    }
    Ok(())
}

/// IPI_STARTUP(a0 = APIC id, a1 = vector: the start page below 1 MiB).
pub fn ipi_startup(inv: &mut Invocation) -> Result<Results, SysError> {
    let target = other_core(inv.args[0])?;
    apic::send_startup(target, startup_vector(inv.args[1])?);
    Ok([0; 6])
}
