//! `stop`, `park` and `unpark`: halting a core with its KCB intact, and
//! multiplexing a stopped KCB on another core.

use bootctl::report::{Parked, Stopped, Unparked};
use bootctl::{CoreId, KcbId, KcbState};
use bootproto::params::{ACK_FAULTED, ACK_STOPPED};
use corefish::SysError;
use corefish::abi::invoke as op;
use corefish::proto::hub;
use corefish::sys::{self, invoke};

use super::{Driver, OsNodeMemory, image_runs, ipi_counts};
use crate::error::BootError;

/// How long a core may take to stop.
const STOP_TIMEOUT_NS: u64 = 2_000_000_000;

/// A stop, and the TSC of the halt.
pub struct Halt {
    /// What the boot driver reports.
    pub report: Stopped,
    /// When the kernel halted.
    pub tsc: u64,
}

impl Driver {
    /// Stops core `core`: a core whose kernel idles is taken as it is (its
    /// OSNodes are left stopped, `bootproto::ack::IDLE_OFFSET`); otherwise
    /// an IPI makes its kernel save the running dispatcher and halt. The
    /// KCB stays as it is, stopped (and so do the KCBs parked on the core).
    /// Times the request to the kernel's last instruction (TSC stamps), or
    /// to the taking, and counts the cores it disturbed.
    pub fn stop(&mut self, core: CoreId) -> Result<Halt, BootError> {
        let mech = &mut self.mech;
        let (halt, parked_here) = self
            .table
            .stop(core, |table, plan| -> Result<_, BootError> {
                let block = &table
                    .core(core)?
                    .installed()
                    .ok_or(BootError::Refused(bootctl::Refused::NotRunning(core)))?
                    .block;
                let before = ipi_counts(table);
                // The boot driver may have moved since the start.
                if let Some(apic) = mech.my_apic() {
                    block.set_doorbell(apic);
                }
                let requested = sys::tsc();
                // An idle kernel is taken as it is; a busy one is asked.
                let (stopped_at, in_kernel) = if block.take_idle() {
                    (sys::tsc(), None)
                } else {
                    invoke(mech.ipi, op::IPI_STOP, [u64::from(plan.apic), 0, 0, 0])
                        .map_err(|e| BootError::Sys("IPI", e))?;
                    let ack = block
                        .await_ack(sys::time_ns() + STOP_TIMEOUT_NS, |ack| {
                            matches!(ack.stage, ACK_STOPPED | ACK_FAULTED).then_some(ack)
                        })
                        .ok_or(BootError::NoStop(core))?;
                    // A kernel that faulted stops nothing: the watchdog
                    // recovers its OSNode (`super::recovery`).
                    if ack.stage == ACK_FAULTED {
                        return Err(BootError::KernelFault(core, ack.fault));
                    }
                    let in_kernel = ack.tsc_stopped.saturating_sub(ack.tsc_stop_entered);
                    (ack.tsc_stopped, Some(mech.ns(in_kernel)))
                };
                let saw = sys::tsc();
                if in_kernel.is_some() {
                    // The kernel halted on the OSNode's page tables: INIT
                    // before the OSNode can run anywhere else. With no
                    // real-mode address, the kernel refuses it for the
                    // bootstrap core (the firmware would take it), whose
                    // kernel halted on its own tables instead.
                    let _ = invoke(mech.ipi, op::IPI_INIT, [u64::from(plan.apic), 0, 0, 0]);
                }
                let me = table.my_core() as usize;
                // Cores other than this one and the stopped one whose kernels
                // received an IPI meanwhile.
                let disturbed = before
                    .iter()
                    .zip(ipi_counts(table))
                    .enumerate()
                    .filter(|&(i, (was, now))| {
                        i != core as usize && i != me && was.zip(now).is_some_and(|(a, b)| b > a)
                    })
                    .count() as u32;
                let report = Stopped {
                    core,
                    kcb: plan.kcb,
                    halted_ns: mech.ns(stopped_at.saturating_sub(requested)),
                    in_kernel_ns: in_kernel,
                    seen_ns: mech.ns(saw - requested),
                    // The boot driver's core, and the stopped one if it was
                    // interrupted.
                    cores_involved: 1 + u32::from(in_kernel.is_some()) + disturbed,
                };
                Ok((
                    Halt {
                        report,
                        tsc: stopped_at,
                    },
                    plan.parked_here.clone(),
                ))
            })?;
        for id in core::iter::once(halt.report.kcb).chain(parked_here) {
            self.mech.sync_route(&self.table, id);
        }
        self.mech.tell_hub(halt.report.kcb, None);
        Ok(halt)
    }

    /// Stops core `core` and parks its KCB on the running core `host`,
    /// which multiplexes it with its own. Everything is checked before the
    /// core stops.
    pub fn park(&mut self, core: CoreId, host: CoreId) -> Result<Parked, BootError> {
        self.table.check_park(core, host)?;
        let halt = self.stop(core)?;
        let kcb = halt.report.kcb;
        let mech = &mut self.mech;
        let attach_ns = self.table.park(
            kcb,
            host,
            image_runs,
            |table, plan| -> Result<_, BootError> {
                // The host's kernel attaches it only if the table says so.
                mech.set_route(kcb, Some(plan.host_apic));
                let asked = sys::tsc();
                // The host's kernel reaches the KCB only through its
                // capability, which goes ahead of the request.
                let kcb_cap = table
                    .kcb(kcb)?
                    .memory()
                    .map(OsNodeMemory::kcb)
                    .ok_or(BootError::Sys("park", SysError::SlotEmpty))?;
                let request = hub::Request::Park {
                    host: u64::from(host),
                    osnode: kcb,
                };
                let attached = match mech
                    .tell_hub_with(hub::Request::Kcb { osnode: kcb }, kcb_cap)
                    .and_then(|()| mech.ask_hub(request))
                {
                    Ok(hub::Reply::Park(result)) => result.map_err(|e| BootError::Sys("park", e)),
                    Ok(_) => Err(BootError::Sys("hub", SysError::InvalidOperation)),
                    Err(e) => Err(e),
                };
                if let Err(e) = attached {
                    mech.sync_route(table, kcb);
                    return Err(e);
                }
                Ok(mech.ns(sys::tsc() - asked))
            },
        )?;
        Ok(Parked {
            core,
            host,
            kcb,
            stop_ns: halt.report.halted_ns,
            attach_ns,
        })
    }

    /// Takes the parked KCB `kcb` off its host (it is then stopped).
    pub fn unpark_only(&mut self, kcb: KcbId) -> Result<(), BootError> {
        let mech = &mut self.mech;
        self.table.unpark(kcb, |_, plan| -> Result<_, BootError> {
            let request = hub::Request::Unpark {
                host: u64::from(plan.host),
                osnode: kcb,
            };
            match mech.ask_hub(request)? {
                hub::Reply::Unpark(result) => result.map_err(|e| BootError::Sys("unpark", e)),
                _ => Err(BootError::Sys("hub", SysError::InvalidOperation)),
            }
        })?;
        self.mech.sync_route(&self.table, kcb);
        Ok(())
    }

    /// Takes the parked KCB `kcb` off its host and boots core `core` with it.
    pub fn unpark(&mut self, kcb: KcbId, core: CoreId) -> Result<Unparked, BootError> {
        if !matches!(self.table.kcb(kcb)?.state, KcbState::Parked { .. }) {
            return Err(bootctl::Refused::NotParked(kcb).into());
        }
        let given = self.give(kcb, core)?;
        Ok(Unparked {
            kcb,
            core,
            kernel: given.kernel,
            boot_ns: given.boot_ns,
        })
    }
}
