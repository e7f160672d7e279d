//! `update`: a core's kernel changed under its running OSNode, checked,
//! and rolled back when the new kernel fails the check (docs/design.md,
//! *Updates that roll back*).
//!
//! The check: within `--check-ms` of the start, the new kernel must
//! acknowledge that it runs the KCB, and the OSNode's monitor must answer
//! a ping, which needs the new kernel to take interrupts and schedule. A
//! kernel that refuses the KCB, takes a fatal fault (it says so in its
//! boot-parameter page), hangs, or whose monitor stays silent fails it;
//! the core then goes back to the image that ran the KCB before, with the
//! same KCB, and its programs carry on from where the stop left them.
//!
//! * Another core ([`Driver::update`]): stop, boot the new kernel, probe;
//!   on a failure the new kernel is taken off the core (stopped if it still
//!   answers a stop, else INIT) and the previous image boots the KCB. A
//!   kernel that faulted where its OSNode was changing leaves it as the
//!   fault found it: that KCB is not resumed, and the command says so.
//! * The boot driver's own core ([`Driver::update_self`]), which it cannot
//!   stop: the new kernel comes in place (KERNEL_REPLACE) with a fallback,
//!   the previous image loaded and prepared to resume the same KCB here,
//!   named in the new kernel's parameters. A new kernel that faults with
//!   the OSNode intact jumps there itself; the probe sleeps past a timer
//!   interrupt before it asks the hub, so a kernel that faults at its first
//!   interrupt is caught within the check. One that runs but whose hub does
//!   not answer is replaced by the fallback the way it came. Once the check
//!   passes, the fallback is taken back and its memory freed.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use bootcmd::KcbChoice;
use bootctl::recovery::RolledBack;
use bootctl::report::Updated;
use bootctl::{CoreId, KcbId, Kernel, Started};
use bootproto::params::{ACK_FAULTED, ACK_RUNNING, FaultReport};
use corefish::abi::invoke as op;
use corefish::lmp;
use corefish::proto::hub;
use corefish::sys::{self, invoke};

use super::movement::acknowledged;
use super::prepare::Target;
use super::{Driver, Mechanism, kernel_image};
use crate::error::BootError;
use crate::image::Loaded;
use crate::trampoline;

/// How long the probe's first ping waits for the monitor before the boot
/// driver looks at the new kernel's acknowledgement again (a kernel that
/// faulted says so there); each further ping waits twice as long, up to
/// [`PING_WINDOW_MAX_MS`].
const PING_WINDOW_MS: u64 = 10;
/// The longest one ping of the probe waits.
const PING_WINDOW_MAX_MS: u64 = 160;
/// How often the probe looks whether the new kernel has handled an
/// interrupt (sleeping meanwhile: on the boot driver's own core, the sleep
/// itself brings a timer interrupt).
const PROBE_POLL_NS: u64 = 1_000_000;

/// Why a new kernel failed its check.
enum Failure {
    /// It refused the KCB.
    Refused,
    /// It did not acknowledge within the check (ms).
    NoAck(u64),
    /// It took a fatal fault.
    Fault(FaultReport),
    /// The OSNode's monitor did not answer within the check (ms).
    Silent(u64),
    /// The kernel handled no interrupt within the check (ms).
    Deaf(u64),
    /// The start failed otherwise.
    Start(BootError),
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Refused => f.write_str("it refused the KCB"),
            Self::NoAck(ms) => write!(f, "no acknowledgement within {ms} ms"),
            Self::Fault(fault) => write!(f, "kernel fault: {fault}"),
            Self::Silent(ms) => write!(f, "its monitor did not answer within {ms} ms"),
            Self::Deaf(ms) => write!(f, "it handled no interrupt within {ms} ms"),
            Self::Start(e) => write!(f, "{e}"),
        }
    }
}

impl Failure {
    /// The failure of a start that did not get to the probe.
    fn of_start(e: BootError, check_ms: u64) -> Self {
        match e {
            BootError::KernelRefused(_) => Self::Refused,
            BootError::NoAck(_) => Self::NoAck(check_ms),
            BootError::KernelFault(_, fault) => Self::Fault(fault),
            other => Self::Start(other),
        }
    }

    /// Whether the KCB is as a stop leaves it (it can be resumed).
    fn left_intact(&self) -> bool {
        !matches!(self, Self::Fault(fault) if !fault.osnodes_intact())
    }
}

/// The fault the kernel started from `block` reported, if it did.
fn fault_of(block: &Loaded) -> Option<FaultReport> {
    block
        .ack()
        .filter(|ack| ack.stage == ACK_FAULTED)
        .map(|ack| ack.fault)
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
            return self.update_self(core, kernel, check_ms);
        }
        let halt = self.stop(core)?;
        let kcb = halt.report.kcb;
        let previous = self.table.kcb(kcb)?.image.clone();
        let check_ns = check_ms.saturating_mul(1_000_000);
        let deadline = sys::time_ns().saturating_add(check_ns);
        let failure = match self.boot_within(core, kernel, KcbChoice::Existing(kcb), check_ns) {
            Ok(booted) => match self.probe(core, kcb, check_ms, deadline) {
                Ok(()) => {
                    // Downtime: from the old kernel's halt to the new one
                    // running the KCB.
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
                Err(failure) => {
                    self.take_back(core, &failure)?;
                    failure
                }
            },
            Err(e) => Failure::of_start(e, check_ms),
        };
        self.roll_back(core, kernel, kcb, &previous, failure)
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
            if answered {
                sys::sleep_until(sys::time_ns() + PROBE_POLL_NS);
                continue;
            }
            let ping = hub::Request::Status {
                core: u64::from(core),
                within_ms: left_ms.min(window_ms),
            };
            answered = matches!(self.mech.ask_hub(ping), Ok(hub::Reply::Status(Ok(_))));
            window_ms = (window_ms * 2).min(PING_WINDOW_MAX_MS);
        }
    }

    /// Takes a kernel that failed its check off core `core`: a stop if it
    /// did not fault (and still answers one), else INIT. The core is off
    /// and its KCB stopped afterwards.
    fn take_back(&mut self, core: CoreId, failure: &Failure) -> Result<(), BootError> {
        if !matches!(failure, Failure::Fault(_)) && self.stop(core).is_ok() {
            return Ok(());
        }
        self.force_off(core).map(|_| ())
    }

    /// After `image` failed its check (`failure`) on core `core`, which is
    /// off with KCB `kcb` stopped: boots `previous` with the KCB.
    fn roll_back(
        &mut self,
        core: CoreId,
        image: &str,
        kcb: KcbId,
        previous: &str,
        failure: Failure,
    ) -> Result<Updated, BootError> {
        let why = format!("{failure}");
        let not_resumed = |outcome: String| BootError::NotRolledBack {
            core,
            image: image.into(),
            why: why.clone(),
            kcb,
            outcome,
        };
        if !failure.left_intact() {
            return Err(not_resumed(String::from(
                "the fault struck while its kernel was changing the OSNode, so it is not resumed",
            )));
        }
        let seen = sys::tsc();
        match self.boot(core, previous, KcbChoice::Existing(kcb)) {
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

    /// Updates the kernel of the boot driver's own core in place, with the
    /// kernel it ran before as the fallback (see the module documentation).
    /// The pause is that of the invocation.
    pub fn update_self(
        &mut self,
        core: CoreId,
        kernel: &str,
        check_ms: u64,
    ) -> Result<Updated, BootError> {
        let t0 = sys::tsc();
        let previous = self.table.kcb(0)?.image.clone();
        let deadline = sys::time_ns().saturating_add(check_ms.saturating_mul(1_000_000));
        let mech = &mut self.mech;
        let (old, outcome) = self
            .table
            .replace(core, |table, plan| -> Result<_, BootError> {
                let apic = table.core(core)?.apic;
                let target = Target::Resume {
                    osnode: 0,
                    phys: plan.phys,
                };
                let (mut loaded, prepared) =
                    mech.load_and_prepare(core, apic, kernel, target, "")?;
                let (fallback, fallback_prepared) =
                    match mech.load_and_prepare(core, apic, &previous, target, "") {
                        Ok(done) => done,
                        Err(e) => {
                            loaded.free();
                            prepared.discard();
                            return Err(e);
                        }
                    };
                loaded.set_fallback(&fallback);
                // Another core's kernel starts the fallback if the new kernel
                // never takes the KCB (none runs: nothing can).
                let watched = watcher(table, core).map(|(apic, osnode)| {
                    mech.arm_watch(apic, osnode, &loaded, &fallback, deadline)
                });
                let asked = sys::tsc();
                // The old kernel switches to the new one's starting tables
                // as it jumps (its code stays where it is).
                if let Err(e) = replace_with(mech, &loaded) {
                    mech.disarm_watch();
                    loaded.free();
                    prepared.discard();
                    fallback.free();
                    fallback_prepared.discard();
                    return Err(BootError::Sys("replace", e));
                }
                let back = sys::tsc();
                // Running again means the new kernel (or already the
                // fallback) resumed OSNode 0.
                let verdict = mech.check_in_place(core, &loaded, &fallback, check_ms, deadline);
                if watched.is_some() {
                    mech.disarm_watch();
                }
                let (runs, why, failed_ns) = match verdict {
                    Ok(()) => {
                        loaded.clear_fallback();
                        fallback.free();
                        fallback_prepared.discard();
                        let (version, kcb_layout) = acknowledged(&loaded);
                        let (installed, _) = prepared.keep(loaded);
                        let report = Updated {
                            core,
                            kernel: version.clone(),
                            kcb: 0,
                            paused_ns: mech.ns(back - asked),
                            stop_ns: 0,
                            boot_ns: mech.ns(sys::tsc() - t0),
                        };
                        let started = started(version, kernel, kcb_layout, installed);
                        return Ok((started, Ok(report)));
                    }
                    Err((why, since_ns)) => (fallback, why, since_ns),
                };
                // The fallback runs the KCB: the new kernel is gone.
                loaded.free();
                prepared.discard();
                let (version, kcb_layout) = acknowledged(&runs);
                let running = runs.ack().map_or(0, |a| a.tsc_running);
                let report = RolledBack {
                    core,
                    image: kernel.into(),
                    why: format!("{why}"),
                    previous: previous.clone(),
                    kcb: 0,
                    rollback_ns: mech.ns(running).saturating_sub(failed_ns),
                };
                let (installed, _) = fallback_prepared.keep(runs);
                let started = started(version, &previous, kcb_layout, installed);
                Ok((started, Err(BootError::RolledBack(report))))
            })?;
        self.retire(old);
        outcome
    }
}

/// A core whose kernel can watch the boot driver's own core `core` while
/// it is updated in place (`bootproto::system::WATCH`): another running
/// core (its APIC id and OSNode, to notify it).
fn watcher(
    table: &bootctl::Table<super::Installed, super::OsNodeMemory>,
    core: CoreId,
) -> Option<(u32, KcbId)> {
    table
        .cores()
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != core as usize)
        .find_map(|(_, c)| Some((c.apic, c.kcb()?)))
}

/// What the table records of a kernel that now runs the boot driver's KCB.
fn started(
    version: String,
    image: &str,
    kcb_layout: u32,
    installed: super::Installed,
) -> Started<super::Installed> {
    Started {
        kernel: Kernel {
            version,
            layouts: installed.block.info,
        },
        image: String::from(image),
        kcb_layout,
        installed,
    }
}

/// KERNEL_REPLACE with the kernel in `loaded`, on its starting tables.
fn replace_with(mech: &Mechanism, loaded: &Loaded) -> Result<(), corefish::SysError> {
    invoke(
        mech.kernel,
        op::KERNEL_REPLACE,
        [loaded.phys, loaded.entry, loaded.tables_phys, 0],
    )
    .map(|_| ())
}

impl Mechanism {
    /// Arms the rescue watch over this core (its kernel about to be
    /// replaced by `new`) for the kernel on the core with APIC id
    /// `watcher` (running OSNode `osnode`): if `new` has not taken its KCB
    /// by `deadline_ns`, that kernel starts `fallback` here through the
    /// trampoline, which is prepared for it now.
    fn arm_watch(
        &mut self,
        watcher: u32,
        osnode: KcbId,
        new: &Loaded,
        fallback: &Loaded,
        deadline_ns: u64,
    ) {
        use bootproto::system::{
            WATCH_ARMED, WATCH_DEADLINE_HI, WATCH_DEADLINE_LO, WATCH_ENTRY, WATCH_KERNEL,
            WATCH_STATE, WATCH_TARGET, WATCH_WATCHER,
        };
        self.trampoline.prepare(fallback);
        let me = self.my_apic().unwrap_or(0);
        for (offset, value) in [
            (WATCH_TARGET, me + 1),
            (WATCH_WATCHER, watcher + 1),
            (WATCH_DEADLINE_LO, deadline_ns as u32),
            (WATCH_DEADLINE_HI, (deadline_ns >> 32) as u32),
            (WATCH_ENTRY, trampoline::PAGE as u32),
            // Below 4 GiB, as every kernel block.
            (WATCH_KERNEL, new.phys as u32),
            (WATCH_STATE, WATCH_ARMED),
        ] {
            self.system_word(offset).store(value, Ordering::Release);
        }
        let _ = invoke(self.ipi, op::IPI_NOTIFY, [osnode, 0, 0, 0]);
    }

    /// Takes the rescue watch back, whatever became of it.
    fn disarm_watch(&mut self) {
        use bootproto::system::{WATCH_IDLE, WATCH_KERNEL, WATCH_STATE};
        self.system_word(WATCH_STATE)
            .store(WATCH_IDLE, Ordering::Release);
        self.system_word(WATCH_KERNEL).store(0, Ordering::Release);
    }

    /// The check of the kernel in `new` after it replaced this core's in
    /// place, with `fallback` as its fallback: `Ok` if it passes; else why
    /// it failed and since when (system time, ns), once the fallback runs
    /// the KCB (the new kernel jumped there after a fault, the rescue watch
    /// started it because the new kernel never took the KCB, or it is
    /// replaced by it here).
    fn check_in_place(
        &self,
        core: CoreId,
        new: &Loaded,
        fallback: &Loaded,
        check_ms: u64,
        deadline: u64,
    ) -> Result<(), (Failure, u64)> {
        let fell_back = || {
            fallback.ack().filter(|a| a.stage == ACK_RUNNING)?;
            Some(match new.ack().filter(|a| a.stage == ACK_FAULTED) {
                Some(faulted) => (Failure::Fault(faulted.fault), self.ns(faulted.tsc_stopped)),
                None => (Failure::NoAck(check_ms), deadline),
            })
        };
        // The hub runs on this core: it answers a status request about its
        // own core at once (it has no channel to itself).
        let ping = hub::Request::Status {
            core: u64::from(core),
            within_ms: 1,
        };
        let mut answered = false;
        let failure = loop {
            if let Some(fell) = fell_back() {
                return Err(fell);
            }
            if answered && new.interrupts_handled() > 0 {
                return Ok(());
            }
            if sys::time_ns() >= deadline {
                break match answered {
                    true => Failure::Deaf(check_ms),
                    false => Failure::Silent(check_ms),
                };
            }
            if answered {
                // A timer interrupt comes while this sleeps.
                sys::sleep_until(sys::time_ns() + PROBE_POLL_NS);
                continue;
            }
            answered = matches!(
                lmp::call_within(self.hub, ping.to_words(), deadline)
                    .ok()
                    .and_then(|r| hub::Reply::from_words(r.words).ok()),
                Some(hub::Reply::Status(_))
            );
        };
        // The new kernel runs, but failed the check: the fallback comes
        // the way the new kernel came.
        let since = sys::time_ns();
        match replace_with(self, fallback) {
            Ok(()) => Err((failure, since)),
            // The new kernel refused to go: it stays.
            Err(e) => {
                corefish::println!(
                    "corectrl: the new kernel failed its check ({failure}), and going back failed ({e}); it stays"
                );
                Ok(())
            }
        }
    }
}
