//! `update`: a core's kernel changed under its running OSNode, checked,
//! and rolled back when the new kernel fails the check (docs/design.md,
//! *Updates that roll back*).
//!
//! The check: within `--check-ms` of its start, the new kernel must
//! acknowledge that it runs the KCB; then, within `--check-ms` more, it
//! must handle an interrupt (it is sent a notification for that) and the
//! OSNode's monitor must answer a ping through the hub. A kernel that
//! refuses the KCB, takes a fatal fault (it says so in its boot-parameter
//! page), hangs, or whose monitor or interrupts stay silent fails it; the
//! core then goes back to the image that ran the KCB before, with the same
//! KCB, and its programs carry on from where the stop left them.
//!
//! Another core ([`Driver::update`]): stop, boot the new kernel, probe. On
//! a failure the new kernel is taken off the core: stopped if it still
//! answers a stop, else stopped with an NMI (on which it reports where it
//! was), then INIT. The previous image then boots the KCB, if the failed
//! kernel left it intact: a kernel that faulted or hung where it may have
//! been changing the OSNode leaves it as it was, and that KCB is marked
//! damaged (no kernel is given it again) and the command says so. The boot
//! driver's own core is updated in place ([`in_place`]).

mod in_place;

use alloc::format;
use alloc::string::String;

use bootcmd::KcbChoice;
use bootctl::recovery::RolledBack;
use bootctl::report::Updated;
use bootctl::{CoreId, KcbId};
use bootproto::params::FaultReport;
use corefish::abi::invoke as op;
use corefish::proto::hub;
use corefish::sys::{self, invoke};

use super::{Driver, kernel_image};
use crate::error::{BootError, Unacknowledged};
use crate::image::Loaded;

/// How long the probe's first ping waits for the monitor before the boot
/// driver looks at the new kernel's acknowledgement again (a kernel that
/// faulted says so there); each further ping waits twice as long, up to
/// [`PING_WINDOW_MAX_MS`].
const PING_WINDOW_MS: u64 = 10;
/// The longest one ping of the probe waits.
const PING_WINDOW_MAX_MS: u64 = 160;
/// How often the probe looks again (sleeping meanwhile: on the boot
/// driver's own core, the sleep itself brings a timer interrupt).
const PROBE_POLL_NS: u64 = 1_000_000;

/// Why a new kernel failed its check.
pub(super) enum Failure {
    /// It refused the KCB (unchanged).
    Refused,
    /// It did not acknowledge within the check (ms); what it left.
    NoAck(u64, Unacknowledged),
    /// It took a fatal fault.
    Fault(FaultReport),
    /// The OSNode's monitor did not answer within the check (ms).
    Silent(u64),
    /// The kernel handled no interrupt within the check (ms).
    Deaf(u64),
    /// The start failed otherwise, before the kernel ran anything.
    Start(BootError),
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Refused => f.write_str("it refused the KCB"),
            Self::NoAck(ms, state) => write!(f, "no acknowledgement within {ms} ms{state}"),
            Self::Fault(fault) => write!(f, "kernel fault: {fault}"),
            Self::Silent(ms) => write!(f, "its monitor did not answer within {ms} ms"),
            Self::Deaf(ms) => write!(f, "it handled no interrupt within {ms} ms"),
            Self::Start(e) => write!(f, "{e}"),
        }
    }
}

impl Failure {
    /// The failure of a start that did not get to the probe.
    pub(super) fn of_start(e: BootError, check_ms: u64) -> Self {
        match e {
            BootError::KernelRefused(_) => Self::Refused,
            BootError::NoAck(_, state) => Self::NoAck(check_ms, state),
            BootError::KernelFault(_, fault) => Self::Fault(fault),
            other => Self::Start(other),
        }
    }

    /// Whether the KCB is as it was given, after a failed start (the core
    /// is off again).
    pub(super) fn start_left_intact(&self) -> bool {
        match self {
            Self::NoAck(_, state) => state.kcb_intact(),
            Self::Fault(fault) => fault.osnodes_intact(),
            _ => true,
        }
    }
}

/// The fault the kernel started from `block` reported, if it did.
fn fault_of(block: &Loaded) -> Option<FaultReport> {
    block.ack()?.faulted()
}

impl Driver {
    /// Stops core `core` and boots it again with `kernel` and the same KCB
    /// (in place, for the boot driver's own core), then checks the new
    /// kernel within `check_ms`; rolls back if it fails. The image is
    /// checked first: a bad one changes nothing.
    pub fn update(
        &mut self,
        core: CoreId,
        kernel: &str,
        check_ms: u64,
    ) -> Result<Updated, BootError> {
        let info = kernel_image(kernel)?;
        if let Some(kcb) = self.table.cores().get(core as usize).and_then(|c| c.kcb()) {
            self.table.kcb(kcb)?.runs_under(kernel, info)?;
        }
        if core == self.table.my_core() {
            return self.update_self(core, kernel, info, check_ms);
        }
        let halt = self.stop(core)?;
        let kcb = halt.report.kcb;
        let previous = self.table.kcb(kcb)?.image.clone();
        let check_ns = check_ms.saturating_mul(1_000_000);
        let (failure, intact) =
            match self.boot_within(core, kernel, KcbChoice::Existing(kcb), check_ns) {
                Ok(booted) => {
                    let deadline = sys::time_ns().saturating_add(check_ns);
                    match self.probe(core, kcb, check_ms, deadline) {
                        Ok(()) => {
                            // Downtime: from the old kernel's halt to the new
                            // one running the KCB.
                            let running = self.running_since(core);
                            return Ok(Updated {
                                core,
                                kernel: booted.kernel,
                                kcb,
                                paused_ns: self.mech.ns(running.saturating_sub(halt.tsc)),
                                stop_ns: halt.report.halted_ns,
                                boot_ns: booted.phases.total_ns,
                            });
                        }
                        Err(failure) => self.take_back(core, failure)?,
                    }
                }
                Err(e) => {
                    let failure = Failure::of_start(e, check_ms);
                    let intact = failure.start_left_intact();
                    (failure, intact)
                }
            };
        self.roll_back(core, kernel, kcb, &previous, failure, intact)
    }

    /// When the kernel on `core` acknowledged that it runs its KCB (TSC).
    pub(super) fn running_since(&self, core: CoreId) -> u64 {
        self.table
            .core(core)
            .ok()
            .and_then(|c| c.installed())
            .and_then(|i| i.block.ack())
            .map_or(0, |a| a.tsc_running)
    }

    /// The check of a kernel that runs core `core`'s KCB `kcb`: by
    /// `deadline`, it has handled an interrupt (it is sent a notification
    /// for that) and the OSNode's monitor has answered a ping through the
    /// hub, and it has not faulted.
    fn probe(&self, core: CoreId, kcb: KcbId, check_ms: u64, deadline: u64) -> Result<(), Failure> {
        let block = || {
            self.table
                .core(core)
                .ok()
                .and_then(|c| c.installed())
                .map(|i| &i.block)
        };
        let took_interrupt = || block().is_some_and(|b| b.interrupts_handled() > 0);
        let _ = invoke(self.mech.ipi, op::IPI_NOTIFY, [kcb, 0, 0, 0]);
        let mut answered = false;
        let mut window_ms = PING_WINDOW_MS;
        loop {
            if let Some(f) = block().and_then(fault_of) {
                return Err(Failure::Fault(f));
            }
            if answered && took_interrupt() {
                return Ok(());
            }
            let left_ms = deadline.saturating_sub(sys::time_ns()).div_ceil(1_000_000);
            if left_ms == 0 {
                return Err(match answered {
                    true => Failure::Deaf(check_ms),
                    false => Failure::Silent(check_ms),
                });
            }
            if !answered {
                let ping = hub::Request::Status {
                    core: u64::from(core),
                    within_ms: left_ms.min(window_ms),
                };
                answered = matches!(self.mech.ask_hub(ping), Ok(hub::Reply::Status(Ok(_))));
                window_ms = (window_ms * 2).min(PING_WINDOW_MAX_MS);
            }
            if !answered || !took_interrupt() {
                // A refusal can come at once: never a busy loop.
                sys::sleep_until(sys::time_ns() + PROBE_POLL_NS);
            }
        }
    }

    /// Takes a kernel that failed its check (`failure`, after it ran the
    /// KCB) off core `core`: a stop if it did not fault and still answers
    /// one, else an NMI (it reports where it was) and INIT. The core is off
    /// and its KCB stopped afterwards; returns the failure as it stands
    /// now, and whether the KCB is intact.
    fn take_back(&mut self, core: CoreId, failure: Failure) -> Result<(Failure, bool), BootError> {
        let failure = match failure {
            Failure::Fault(fault) => {
                self.force_off(core)?;
                return Ok((Failure::Fault(fault), fault.osnodes_intact()));
            }
            other => other,
        };
        match self.stop(core) {
            Ok(_) => return Ok((failure, true)),
            Err(BootError::KernelFault(_, fault)) => {
                self.force_off(core)?;
                return Ok((Failure::Fault(fault), fault.osnodes_intact()));
            }
            Err(_) => {}
        }
        // It did not stop in time (or refused): as it is if it has stopped
        // or faulted since, else with an NMI, then INIT.
        let stopped = self
            .table
            .core(core)
            .ok()
            .and_then(|c| self.mech.nmi_stop(c.apic, &c.installed()?.block));
        self.force_off(core)?;
        Ok((failure, stopped.is_some_and(|s| s.intact())))
    }

    /// After `image` failed its check (`failure`) on core `core`, which is
    /// off with KCB `kcb` stopped: boots `previous` with the KCB if the
    /// failed kernel left it `intact`, else marks it damaged.
    fn roll_back(
        &mut self,
        core: CoreId,
        image: &str,
        kcb: KcbId,
        previous: &str,
        failure: Failure,
        intact: bool,
    ) -> Result<Updated, BootError> {
        let why = format!("{failure}");
        let not_resumed = |outcome: String| BootError::NotRolledBack {
            core,
            image: image.into(),
            why: why.clone(),
            kcb,
            outcome,
        };
        if !intact {
            let _ = self.table.mark_damaged(kcb);
            return Err(not_resumed(String::from(
                "its kernel may have left it half changed, so it is not resumed (marked damaged)",
            )));
        }
        let seen = sys::tsc();
        match self.boot(core, previous, KcbChoice::Existing(kcb)) {
            // The previous kernel failed as it took the KCB over.
            Err(e) if !e.left_kcb_intact() => {
                let _ = self.table.mark_damaged(kcb);
                Err(not_resumed(format!(
                    "going back to {previous} failed too, where it may have left the KCB half changed: {e}; marked damaged"
                )))
            }
            Ok(_) => {
                let running = self.running_since(core);
                Err(BootError::RolledBack(RolledBack {
                    core,
                    image: image.into(),
                    why,
                    previous: previous.into(),
                    kcb,
                    rollback_ns: self.mech.ns(running.saturating_sub(seen)),
                }))
            }
            Err(e) => Err(not_resumed(format!(
                "going back to {previous} failed too: {e}"
            ))),
        }
    }
}
