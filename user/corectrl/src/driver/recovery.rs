//! Kernels that fail on their own, and the OSNodes they ran: the boot
//! driver's watchdog ([`Driver::watch`]), the recovery ([`Driver::recover`])
//! and `corectrl fault`, which makes a kernel fail on purpose to test it
//! (docs/design.md, *Kernel faults recovered*).
//!
//! A kernel that takes a fatal fault says so in its boot-parameter page
//! (`ACK_FAULTED`) and rings the boot driver's doorbell, which wakes the
//! boot driver. One that stops answering is found by the watchdog: each
//! kernel counts the interrupts it handles in its page; one whose count has
//! not moved for [`QUIET_NS`] is sent a notification, and one that has not
//! handled it [`ANSWER_NS`] later is taken to have stopped answering. The
//! watchdog looks whenever the boot driver waits for a command, at least
//! every [`WATCH_PERIOD_NS`]. A kernel that stopped answering is stopped
//! with an NMI (with interrupts off, only an NMI or INIT reaches it): asked
//! for in its boot-parameter page, its NMI handler reports where it was and
//! stops the core as after a fault, leaving its OSNode intact where it can.
//!
//! The recovery takes the core back (INIT), then, if the kernel left its
//! OSNode intact (it says so after a fault or the NMI; a kernel that did
//! not even stop on the NMI says nothing, and its KCB is left stopped as it
//! is, since it may be half changed), boots a fresh
//! kernel of the image that ran the KCB with that KCB on the same core,
//! or, if that fails too, on one free core. A KCB the fresh kernel refuses
//! (its layout check fails: damaged) is reported and left stopped; the
//! rest of the machine carries on either way. The boot driver's own core
//! is not watched from here (it is this program's core).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use bootcmd::{FaultKind, KcbChoice};
use bootctl::recovery::{NotRecovered, Recovered};
use bootctl::{CoreId, KcbId};
use bootproto::params::{ACK_STOPPED, FaultReport};
use corefish::abi::invoke as op;
use corefish::sys::{self, invoke};

use super::Driver;
use crate::error::{BootError, NmiStop};
use crate::trampoline;

/// How often the watchdog looks at least (the boot driver also looks
/// whenever a kernel's fault report wakes it).
pub const WATCH_PERIOD_NS: u64 = 250_000_000;
/// How long a kernel may handle no interrupt before it is sent one.
const QUIET_NS: u64 = 1_000_000_000;
/// How long a kernel has to handle that notification.
const ANSWER_NS: u64 = 2_000_000_000;
/// How long `corectrl fault` waits for the kernel's fault report.
const FAULT_TIMEOUT_NS: u64 = 2_000_000_000;

/// Why a kernel is taken off its core.
#[derive(Debug, Clone, Copy)]
pub enum Cause {
    /// It reported a fatal fault.
    Fault(FaultReport),
    /// It handled no interrupt for this long (ms), a notification included;
    /// then it stopped (as it was, or on the NMI), or did not even do that.
    Hung(u64, Option<NmiStop>),
}

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Fault(fault) => write!(f, "kernel fault ({fault})"),
            Self::Hung(ms, Some(NmiStop::Faulted(stop))) => write!(
                f,
                "kernel stopped answering (no interrupt handled for {ms} ms; stopped by NMI at RIP {:#x})",
                stop.rip
            ),
            Self::Hung(ms, Some(NmiStop::Stopped)) => write!(
                f,
                "kernel stopped answering (no interrupt handled for {ms} ms; then stopped cleanly)"
            ),
            Self::Hung(ms, None) => write!(
                f,
                "kernel stopped answering (no interrupt handled for {ms} ms, nor the NMI)"
            ),
        }
    }
}

impl Cause {
    /// Whether the KCB can be resumed after it: the kernel said it left
    /// its OSNodes intact.
    fn left_intact(&self) -> bool {
        match self {
            Self::Fault(fault) => fault.osnodes_intact(),
            Self::Hung(_, Some(stop)) => stop.intact(),
            // Nothing says where it stopped: the KCB may be half changed.
            Self::Hung(_, None) => false,
        }
    }
}

/// What the watchdog last saw of one core's kernel.
#[derive(Debug, Clone, Copy)]
struct Look {
    /// The kernel's boot-parameter page (a new kernel starts afresh).
    block: u64,
    /// Its count of interrupts handled.
    interrupts: u64,
    /// Since when that count has not moved (ns).
    quiet_since: u64,
    /// When it was sent a notification, if it was.
    pinged: Option<u64>,
}

/// The watchdog's memory: a look per core.
#[derive(Default)]
pub struct Watchdog {
    looks: Vec<Option<Look>>,
}

impl Driver {
    /// Looks at every kernel the boot driver started: recovers the OSNode
    /// of one that faulted or stopped answering. Returns the reports.
    pub fn watch(&mut self) -> Vec<String> {
        let cores = self.table.cores().len();
        self.mech.watchdog.looks.resize(cores, None);
        let me = self.table.my_core();
        let mut reports = Vec::new();
        for core in (0..cores as CoreId).filter(|&c| c != me) {
            let seen = self.table.core(core).ok().and_then(|c| {
                let kcb = c.kcb()?;
                let block = &c.installed()?.block;
                let ack = block.ack().map_or(0, |a| a.stage);
                let fault = block.ack().and_then(|a| a.faulted());
                Some((kcb, block.phys, block.interrupts_handled(), fault, ack))
            });
            let Some((kcb, block, interrupts, fault, ack)) = seen else {
                self.mech.watchdog.looks[core as usize] = None;
                continue;
            };
            if let Some(fault) = fault {
                reports.push(self.recover(core, Cause::Fault(fault)));
                continue;
            }
            if ack == ACK_STOPPED {
                // A stop request that timed out was obeyed late: the core
                // is taken as stopped.
                reports.push(match self.force_off(core) {
                    Ok(_) => format!(
                        "core {core}: its kernel stopped after its stop request had timed out; the core is off and KCB {kcb} stopped"
                    ),
                    Err(e) => format!("core {core}: its kernel stopped late, but: {e}"),
                });
                continue;
            }
            let now = sys::time_ns();
            let look = &mut self.mech.watchdog.looks[core as usize];
            match look {
                Some(l) if l.block == block && l.interrupts == interrupts => match l.pinged {
                    None if now - l.quiet_since >= QUIET_NS
                        // A notification that could not be sent (the OSNode
                        // table names no core for it) proves nothing.
                        && invoke(self.mech.ipi, op::IPI_NOTIFY, [kcb, 0, 0, 0]).is_ok() =>
                    {
                        l.pinged = Some(now);
                    }
                    Some(at) if now - at >= ANSWER_NS => {
                        let ms = (now - l.quiet_since) / 1_000_000;
                        let stopped = self.stop_by_nmi(core);
                        reports.push(self.recover(core, Cause::Hung(ms, stopped)));
                    }
                    _ => {}
                },
                _ => {
                    *look = Some(Look {
                        block,
                        interrupts,
                        quiet_since: now,
                        pinged: None,
                    });
                }
            }
        }
        reports
    }

    /// Stops the kernel of core `core`, which stopped answering, with an
    /// NMI; what it reported, if it did.
    fn stop_by_nmi(&mut self, core: CoreId) -> Option<NmiStop> {
        let c = self.table.core(core).ok()?;
        self.mech.nmi_stop(c.apic, &c.installed()?.block)
    }

    /// `corectrl fault <core> [--hang|--mid-change]`: makes the core's
    /// kernel take a page fault in ring 0 (IPI_FAULT; where objects may be
    /// half changed, for `MidChange`), then recovers its OSNode; the report.
    /// With `Hang`, the kernel stops answering instead, and the watchdog is
    /// left to find it.
    pub fn fault(&mut self, core: CoreId, kind: FaultKind) -> Result<String, BootError> {
        if core == self.table.my_core() {
            return Err(BootError::FaultOwnCore(core));
        }
        let (c, _) = self.table.stoppable(core)?;
        let apic = c.apic;
        let block = &c
            .installed()
            .ok_or(BootError::Refused(bootctl::Refused::NotRunning(core)))?
            .block;
        if let Some(me) = self.mech.my_apic() {
            block.set_doorbell(me);
        }
        let how = match kind {
            FaultKind::Fault => 0,
            FaultKind::Hang => 1,
            FaultKind::MidChange => 2,
        };
        invoke(self.mech.ipi, op::IPI_FAULT, [u64::from(apic), how, 0, 0])
            .map_err(|e| BootError::Sys("IPI", e))?;
        if kind == FaultKind::Hang {
            return Ok(format!(
                "core {core}: its kernel no longer answers, as asked; the watchdog takes it from here"
            ));
        }
        let fault = block
            .await_ack(sys::time_ns() + FAULT_TIMEOUT_NS, |a| a.faulted())
            .ok_or(BootError::NoFault(core))?;
        Ok(self.recover(core, Cause::Fault(fault)))
    }

    /// Takes core `core` back from a kernel that failed (`cause`) and
    /// resumes its OSNode under a fresh kernel of the image that ran it:
    /// on the same core, or if that fails, on one free core. The report
    /// (and a line for each KCB that was parked there and stopped with it).
    pub fn recover(&mut self, core: CoreId, cause: Cause) -> String {
        let seen = sys::tsc();
        let cause_text = format!("{cause}");
        let Some(kcb) = self.table.core(core).ok().and_then(|c| c.kcb()) else {
            return format!("core {core}: {cause_text}; it ran no KCB");
        };
        let not = |why: String| {
            NotRecovered {
                core,
                cause: cause_text.clone(),
                kcb,
                why,
            }
            .to_string()
        };
        let image = match self.table.kcb(kcb) {
            Ok(k) => k.image.clone(),
            Err(e) => return not(format!("{e}")),
        };
        let parked = match self.force_off(core) {
            Ok(parked) => parked,
            Err(e) => return not(format!("the core could not be taken back: {e}")),
        };
        let also = parked
            .iter()
            .map(|id| format!("\ncore {core}: KCB {id} was parked there and is stopped"))
            .collect::<String>();
        if !cause.left_intact() {
            // The KCBs parked there were in the same kernel's hands.
            for &id in core::iter::once(&kcb).chain(&parked) {
                let _ = self.table.mark_damaged(id);
            }
            return not(format!(
                "its kernel may have left it half changed; KCB {kcb} is stopped and marked damaged"
            )) + &also;
        }
        let spare = (0..self.table.cores().len() as CoreId)
            .find(|&c| c != core && self.table.off_core(c).is_ok());
        let mut failed = None;
        for target in core::iter::once(core).chain(spare) {
            match self.boot(target, &image, KcbChoice::Existing(kcb)) {
                Ok(_) => {
                    let running = self.running_since(target);
                    let report = Recovered {
                        core,
                        cause: cause_text,
                        kcb,
                        on: target,
                        image,
                        recovery_ns: self.mech.ns(running.saturating_sub(seen)),
                    };
                    return format!("{report}{also}");
                }
                Err(BootError::KernelRefused(_)) => {
                    let _ = self.table.mark_damaged(kcb);
                    return not(format!(
                        "its KCB is damaged: the fresh kernel refused it (see its message above); KCB {kcb} is stopped and marked damaged"
                    )) + &also;
                }
                // The fresh kernel failed where it may have been changing
                // the KCB: no other kernel is given it.
                Err(e) if !e.left_kcb_intact() => {
                    let _ = self.table.mark_damaged(kcb);
                    return not(format!(
                        "the fresh kernel failed too, where it may have left it half changed ({e}); KCB {kcb} is stopped and marked damaged"
                    )) + &also;
                }
                Err(e) => failed = Some(e),
            }
        }
        let why = failed.map_or_else(|| String::from("no core to run it"), |e| format!("{e}"));
        not(format!("{why}; KCB {kcb} is stopped")) + &also
    }

    /// Takes core `core` back from a kernel that failed: INIT stops it
    /// wherever it is (halted after its fault, or not answering). The core
    /// is off and its KCB stopped afterwards, and so are the KCBs parked
    /// there (returned).
    pub(super) fn force_off(&mut self, core: CoreId) -> Result<Vec<KcbId>, BootError> {
        let ipi = self.mech.ipi;
        let (kcb, parked) = self.table.stop(core, |_, plan| -> Result<_, BootError> {
            invoke(
                ipi,
                op::IPI_INIT,
                [u64::from(plan.apic), trampoline::HALT, 0, 0],
            )
            .map_err(|e| BootError::Sys("IPI", e))?;
            Ok((plan.kcb, plan.parked_here.clone()))
        })?;
        for &id in core::iter::once(&kcb).chain(&parked) {
            self.mech.sync_route(&self.table, id);
            self.mech.tell_hub(id, None);
        }
        Ok(parked)
    }
}
