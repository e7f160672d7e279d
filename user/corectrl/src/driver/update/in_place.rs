//! The update of the boot driver's own core, which it cannot stop: the new
//! kernel comes in place (KERNEL_REPLACE), with two things standing in for
//! the boot driver while it cannot run (docs/design.md, *Updates that roll
//! back*):
//!
//! * a *fallback*: the previous image, loaded and prepared to resume the
//!   same KCB on this core, named in the new kernel's boot parameters; a new
//!   kernel that faults with its OSNode intact jumps there itself;
//! * a *rescue watch* (`bootproto::system::WATCH`) by another running
//!   core's kernel: if the new kernel never claims its start, that kernel
//!   starts the fallback here through the trampoline.
//!
//! Back on its core under whichever kernel runs, the boot driver probes
//! (the hub answers, and the new kernel has handled an interrupt: a sleep
//! here brings a timer interrupt). If the new kernel passes, the fallback
//! is taken back (the word in its parameters cleared first, so that no
//! fault can reach the fallback after the last look) and its memory freed.
//! If it fails but runs, the fallback comes the way it came. There is no
//! fallback when the previous image cannot run the layout the new kernel
//! converts the KCB to, and no watch when no other core runs.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use bootctl::recovery::RolledBack;
use bootctl::report::Updated;
use bootctl::{CoreId, Kernel, Started, Table};
use bootproto::params::ACK_RUNNING;
use bootproto::starter::CpuDriverInfo;
use corefish::abi::invoke as op;
use corefish::lmp;
use corefish::proto::hub;
use corefish::sys::{self, invoke};

use super::super::movement::acknowledged;
use super::super::prepare::Target;
use super::super::{Driver, Installed, Mechanism, OsNodeMemory, image_runs};
use super::{Failure, PROBE_POLL_NS};
use crate::error::{BootError, Unacknowledged};
use crate::image::Loaded;
use crate::trampoline;

/// What became of an in-place update.
enum Verdict {
    /// The new kernel passed its check.
    Passed,
    /// It failed (why), and the fallback runs the KCB since (ns).
    FellBack(Failure, u64),
    /// It failed (why) but stays: there is no way back (why not).
    Kept(Failure, String),
}

impl Driver {
    /// Updates the kernel of the boot driver's own core in place to
    /// `kernel` (`info`), checked within `check_ms` (see the module
    /// documentation). The pause is that of the invocation.
    pub(super) fn update_self(
        &mut self,
        core: CoreId,
        kernel: &str,
        info: CpuDriverInfo,
        check_ms: u64,
    ) -> Result<Updated, BootError> {
        let t0 = sys::tsc();
        let previous = self.table.kcb(0)?.image.clone();
        // The new kernel converts the KCB to its newest layout.
        let can_fall_back = image_runs(&previous, info.kcb_newest);
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
                let fallback = match can_fall_back
                    .then(|| mech.load_and_prepare(core, apic, &previous, target, ""))
                {
                    Some(Err(e)) => {
                        loaded.free();
                        prepared.discard();
                        return Err(e);
                    }
                    Some(Ok(fallback)) => Some(fallback),
                    None => None,
                };
                let watched = match (&fallback, watcher(table, core), mech.my_apic()) {
                    (Some((f, _)), Some(w_apic), Some(me)) => {
                        loaded.set_fallback(f);
                        mech.arm_watch(me, w_apic, &loaded, f, check_ms);
                        true
                    }
                    (Some((f, _)), _, _) => {
                        loaded.set_fallback(f);
                        false
                    }
                    _ => false,
                };
                let asked = sys::tsc();
                // The old kernel switches to the new one's starting tables
                // as it jumps (its code stays where it is).
                if let Err(e) = replace_with(mech, &loaded) {
                    if watched {
                        mech.disarm_watch();
                    }
                    loaded.free();
                    prepared.discard();
                    if let Some((f, fp)) = fallback {
                        f.free();
                        fp.discard();
                    }
                    return Err(BootError::Sys("replace", e));
                }
                // Running again means the new kernel (or already the
                // fallback) resumed OSNode 0.
                let back = sys::tsc();
                let deadline = sys::time_ns().saturating_add(check_ms.saturating_mul(1_000_000));
                let verdict = mech.check_in_place(
                    core,
                    &loaded,
                    fallback.as_ref().map(|(f, _)| f),
                    check_ms,
                    deadline,
                    &previous,
                );
                if watched {
                    mech.disarm_watch();
                }
                let keep_new = |loaded: Loaded, prepared: super::super::prepare::Prepared| {
                    let (version, kcb_layout) = acknowledged(&loaded);
                    let (installed, _) = prepared.keep(loaded);
                    (
                        version.clone(),
                        started(version, kernel, kcb_layout, installed),
                    )
                };
                match verdict {
                    Verdict::Passed | Verdict::Kept(..) => {
                        if let Some((f, fp)) = fallback {
                            f.free();
                            fp.discard();
                        }
                        let (version, started) = keep_new(loaded, prepared);
                        let outcome = match verdict {
                            Verdict::Kept(failure, outcome) => Err(BootError::NotRolledBack {
                                core,
                                image: kernel.into(),
                                why: format!("{failure}"),
                                kcb: 0,
                                outcome,
                            }),
                            _ => Ok(Updated {
                                core,
                                kernel: version,
                                kcb: 0,
                                paused_ns: mech.ns(back - asked),
                                stop_ns: 0,
                                boot_ns: mech.ns(sys::tsc() - t0),
                            }),
                        };
                        Ok((started, outcome))
                    }
                    Verdict::FellBack(failure, failed_ns) => {
                        // The fallback runs the KCB: the new kernel is gone.
                        loaded.free();
                        prepared.discard();
                        let Some((runs, runs_prepared)) = fallback else {
                            unreachable!("only a fallback falls back");
                        };
                        let (version, kcb_layout) = acknowledged(&runs);
                        let running = runs.ack().map_or(0, |a| a.tsc_running);
                        let report = RolledBack {
                            core,
                            image: kernel.into(),
                            why: format!("{failure}"),
                            previous: previous.clone(),
                            kcb: 0,
                            rollback_ns: mech.ns(running).saturating_sub(failed_ns),
                        };
                        let (installed, _) = runs_prepared.keep(runs);
                        let started = started(version, &previous, kcb_layout, installed);
                        Ok((started, Err(BootError::RolledBack(report))))
                    }
                }
            })?;
        self.retire(old);
        outcome
    }
}

/// A core whose kernel can watch the boot driver's own core `core` while
/// it is updated in place: another running core (its APIC id).
fn watcher(table: &Table<Installed, OsNodeMemory>, core: CoreId) -> Option<u32> {
    table
        .cores()
        .iter()
        .enumerate()
        .find(|&(i, c)| i != core as usize && c.is_running())
        .map(|(_, c)| c.apic)
}

/// What the table records of a kernel that now runs the boot driver's KCB.
fn started(
    version: String,
    image: &str,
    kcb_layout: u32,
    installed: Installed,
) -> Started<Installed> {
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
    /// Leaves the rescue watch over this core (APIC id `me`; its kernel is
    /// about to be replaced by `new`) pending for the kernel on the core
    /// with APIC id `watcher`: the old kernel arms it as it jumps, with
    /// `window_ms` for `new` to claim its start, after which the watcher
    /// starts `fallback` here through the trampoline, which is prepared for
    /// it now.
    fn arm_watch(
        &mut self,
        me: u32,
        watcher: u32,
        new: &Loaded,
        fallback: &Loaded,
        window_ms: u64,
    ) {
        use bootproto::system::{
            WATCH_ENTRY, WATCH_KERNEL, WATCH_PENDING, WATCH_STATE, WATCH_TARGET, WATCH_WATCHER,
            WATCH_WINDOW,
        };
        self.trampoline.prepare(fallback);
        for (offset, value) in [
            (WATCH_TARGET, me + 1),
            (WATCH_WATCHER, watcher + 1),
            (WATCH_WINDOW, u32::try_from(window_ms).unwrap_or(u32::MAX)),
            (WATCH_ENTRY, trampoline::PAGE as u32),
            // Below 4 GiB, as every kernel block.
            (WATCH_KERNEL, new.phys as u32),
            (WATCH_STATE, WATCH_PENDING),
        ] {
            self.system_word(offset).store(value, Ordering::Release);
        }
    }

    /// Takes the rescue watch back, whatever became of it. No race with
    /// the watcher: this runs only once the new kernel has claimed its start
    /// (the watch is idle: a kernel that fails before its claim claims it
    /// as it falls back), or once the watch fired (the fallback runs), or
    /// after a refused KERNEL_REPLACE (the watch is still pending, never
    /// armed).
    fn disarm_watch(&mut self) {
        use bootproto::system::{WATCH_IDLE, WATCH_KERNEL, WATCH_STATE};
        self.system_word(WATCH_STATE)
            .store(WATCH_IDLE, Ordering::Release);
        self.system_word(WATCH_KERNEL).store(0, Ordering::Release);
    }

    /// The rescue watch's deadline, as the old kernel armed it (ns).
    fn watch_deadline(&self) -> u64 {
        use bootproto::system::{WATCH_DEADLINE_HI, WATCH_DEADLINE_LO};
        let lo = self.system_word(WATCH_DEADLINE_LO).load(Ordering::Acquire);
        let hi = self.system_word(WATCH_DEADLINE_HI).load(Ordering::Acquire);
        u64::from(hi) << 32 | u64::from(lo)
    }

    /// The check of the kernel in `new` after it replaced this core's in
    /// place, with `fallback` as its fallback (if it has one), by
    /// `deadline` (see the module documentation).
    fn check_in_place(
        &self,
        core: CoreId,
        new: &Loaded,
        fallback: Option<&Loaded>,
        check_ms: u64,
        deadline: u64,
        previous: &str,
    ) -> Verdict {
        let fell_back = || {
            fallback?.ack().filter(|a| a.stage == ACK_RUNNING)?;
            Some(
                match new.ack().and_then(|a| Some((a.faulted()?, a.tsc_stopped))) {
                    Some((fault, stopped)) => {
                        Verdict::FellBack(Failure::Fault(fault), self.ns(stopped))
                    }
                    None => Verdict::FellBack(
                        Failure::NoAck(check_ms, Unacknowledged::Rescued),
                        self.watch_deadline(),
                    ),
                },
            )
        };
        // The hub runs on this core: it answers a status request about its
        // own core at once (it has no channel to itself); any answer shows
        // that it runs.
        let ping = hub::Request::Status {
            core: u64::from(core),
            within_ms: 1,
        };
        let mut answered = false;
        let failure = loop {
            if let Some(fell) = fell_back() {
                return fell;
            }
            if answered && new.interrupts_handled() > 0 {
                // From here a fault cannot reach the fallback, which goes.
                new.clear_fallback();
                return fell_back().unwrap_or(Verdict::Passed);
            }
            if sys::time_ns() >= deadline {
                break match answered {
                    true => Failure::Deaf(check_ms),
                    false => Failure::Silent(check_ms),
                };
            }
            if !answered {
                answered = matches!(
                    lmp::call_within(self.hub, ping.to_words(), deadline)
                        .ok()
                        .and_then(|r| hub::Reply::from_words(r.words).ok()),
                    Some(hub::Reply::Status(_))
                );
            }
            if !answered || new.interrupts_handled() == 0 {
                // A timer interrupt comes while this sleeps.
                sys::sleep_until(sys::time_ns() + PROBE_POLL_NS);
            }
        };
        // The new kernel runs, but failed the check: the fallback comes the
        // way the new kernel came (which then cannot jump there itself).
        new.clear_fallback();
        if let Some(fell) = fell_back() {
            return fell;
        }
        let Some(fallback) = fallback else {
            return Verdict::Kept(
                failure,
                format!("{previous} cannot run the KCB's new layout, so the new kernel stays"),
            );
        };
        let since = sys::time_ns();
        match replace_with(self, fallback) {
            Ok(()) => Verdict::FellBack(failure, since),
            Err(e) => Verdict::Kept(
                failure,
                format!("going back to {previous} failed ({e}), so the new kernel stays"),
            ),
        }
    }
}
