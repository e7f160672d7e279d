//! The transitions of the table: each one checks the state, lets the boot
//! driver do the work on the machine (`go`), and only if that succeeds
//! commits the new state. A refusal or a failure of `go` leaves the table
//! as it was; `go` sees the table (read-only) while it works.
//!
//! | transition | before | after |
//! |---|---|---|
//! | [`boot_new`](Table::boot_new) | core off | core runs a new KCB |
//! | [`boot_stopped`](Table::boot_stopped) | core off, KCB stopped | core runs the KCB |
//! | [`stop`](Table::stop) | core runs a KCB, not the boot driver's | core off; its KCB and those parked on it stopped |
//! | [`park`](Table::park) | KCB stopped, host running | KCB parked on the host |
//! | [`unpark`](Table::unpark) | KCB parked | KCB stopped |
//! | [`replace`](Table::replace) | the boot driver's core, hosting nothing | the same, under a new kernel |
//! | [`hand_over`](Table::hand_over) | the boot driver's core running, target off | the boot driver's KCB on the target, the old core off |
//!
//! The boot driver's commands are sequences of these: `update` is stop then
//! boot_stopped (or replace on its own core), `give` is (unpark then)
//! boot_stopped, `park` is stop then park, `move` is stop then
//! boot_stopped (or hand_over), `rt` is park, a run outside the table, then
//! unpark and boot_stopped.

use alloc::string::String;
use alloc::vec::Vec;

use crate::table::{Core, CoreState, Kcb, KcbState, Kernel, Table};
use crate::{CoreId, KcbId, Refused};

/// A kernel the boot driver started (or switched to) for a KCB.
#[derive(Debug)]
pub struct Started<I> {
    /// The kernel, as it reported itself.
    pub kernel: Kernel,
    /// Its image name (what runs the KCB next time).
    pub image: String,
    /// The KCB's layout as the kernel reported it (after any conversion).
    pub kcb_layout: u32,
    /// The kernel's memory, now held for the core.
    pub installed: I,
}

/// A new KCB, made by the boot driver for [`Table::boot_new`].
#[derive(Debug)]
pub struct Made<M> {
    /// Its physical address.
    pub phys: u64,
    /// The memory its OSNode is made from.
    pub memory: M,
}

/// A boot of a core with a new KCB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// The core.
    pub core: CoreId,
    /// Its APIC id.
    pub apic: u32,
    /// The id the new OSNode gets.
    pub kcb: KcbId,
}

/// A boot of a core with a stopped KCB (resumed as it was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePlan {
    /// The core.
    pub core: CoreId,
    /// Its APIC id.
    pub apic: u32,
    /// The KCB.
    pub kcb: KcbId,
    /// Its physical address.
    pub phys: u64,
    /// Its layout (0: not known).
    pub layout: u32,
}

/// A stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopPlan {
    /// The core.
    pub core: CoreId,
    /// Its APIC id.
    pub apic: u32,
    /// The KCB it runs.
    pub kcb: KcbId,
    /// The KCBs parked on it, which stop with it.
    pub parked_here: Vec<KcbId>,
}

/// A park of a stopped KCB on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkPlan {
    /// The KCB.
    pub kcb: KcbId,
    /// Its physical address.
    pub phys: u64,
    /// The host core.
    pub host: CoreId,
    /// The host's APIC id.
    pub host_apic: u32,
}

/// An unpark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnparkPlan {
    /// The KCB.
    pub kcb: KcbId,
    /// The core it is parked on.
    pub host: CoreId,
}

/// A kernel replaced in place on the boot driver's own core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacePlan {
    /// The core.
    pub core: CoreId,
    /// The boot driver's KCB's physical address.
    pub phys: u64,
}

/// The boot driver's OSNode handed over to another core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOverPlan {
    /// The boot driver's core.
    pub from: CoreId,
    /// Its APIC id.
    pub from_apic: u32,
    /// The core that takes over.
    pub to: CoreId,
    /// Its APIC id.
    pub to_apic: u32,
    /// The boot driver's KCB's physical address.
    pub phys: u64,
    /// The image that runs it.
    pub image: String,
    /// The KCBs parked on the old core, which stop with it.
    pub parked_here: Vec<KcbId>,
}

impl<I, M> Table<I, M> {
    /// Boots the off core `core` with a new KCB. `go` starts it and makes
    /// the KCB; returns the memory of the kernel the core ran before, to be
    /// handed back, and what `go` returned.
    pub fn boot_new<T, E: From<Refused>>(
        &mut self,
        core: CoreId,
        go: impl FnOnce(&Self, &NewPlan) -> Result<(Started<I>, Made<M>, T), E>,
    ) -> Result<(Option<I>, T), E> {
        let apic = self.off_core(core)?.apic;
        let plan = NewPlan {
            core,
            apic,
            kcb: self.next_id()?,
        };
        let (started, made, extra) = go(self, &plan)?;
        self.kcbs.push(Kcb {
            id: plan.kcb,
            phys: made.phys,
            image: started.image.clone(),
            layout: started.kcb_layout,
            state: KcbState::Stopped,
            damaged: false,
            memory: Some(made.memory),
        });
        Ok((self.run_on(core, plan.kcb, started), extra))
    }

    /// The checks of [`boot_stopped`](Self::boot_stopped), alone.
    pub fn plan_resume(&self, core: CoreId, kcb: KcbId) -> Result<ResumePlan, Refused> {
        let apic = self.off_core(core)?.apic;
        let k = self.kcb(kcb)?;
        if k.damaged {
            return Err(Refused::KcbDamaged(kcb));
        }
        match k.state {
            KcbState::Stopped => Ok(ResumePlan {
                core,
                apic,
                kcb,
                phys: k.phys,
                layout: k.layout,
            }),
            KcbState::Running { core } => Err(Refused::KcbRunning { kcb, core }),
            KcbState::Parked { host } => Err(Refused::KcbParked { kcb, host }),
        }
    }

    /// Boots the off core `core` with the stopped KCB `kcb`. `go` starts it;
    /// returns the memory of the kernel the core ran before and what `go`
    /// returned.
    pub fn boot_stopped<T, E: From<Refused>>(
        &mut self,
        core: CoreId,
        kcb: KcbId,
        go: impl FnOnce(&Self, &ResumePlan) -> Result<(Started<I>, T), E>,
    ) -> Result<(Option<I>, T), E> {
        let plan = self.plan_resume(core, kcb)?;
        let (started, extra) = go(self, &plan)?;
        Ok((self.run_on(core, kcb, started), extra))
    }

    /// Stops core `core`: `go` makes its kernel halt. Its KCB, and every
    /// KCB parked on it, is stopped afterwards; the core keeps its kernel's
    /// memory (the halted core is still in that kernel's code).
    pub fn stop<T, E: From<Refused>>(
        &mut self,
        core: CoreId,
        go: impl FnOnce(&Self, &StopPlan) -> Result<T, E>,
    ) -> Result<T, E> {
        let (c, kcb) = self.stoppable(core)?;
        let plan = StopPlan {
            core,
            apic: c.apic,
            kcb,
            parked_here: self.parked_on(core),
        };
        let extra = go(self, &plan)?;
        self.cores[core as usize].state = CoreState::Off;
        for id in core::iter::once(kcb).chain(plan.parked_here) {
            if let Ok(k) = self.kcb_mut(id) {
                k.state = KcbState::Stopped;
            }
        }
        Ok(extra)
    }

    /// The checks a park of core `core`'s KCB on `host` makes before the
    /// core is stopped: the host runs, is another core, and its kernel runs
    /// the KCB's layout.
    pub fn check_park(&self, core: CoreId, host: CoreId) -> Result<(), Refused> {
        let (_, _, host_kernel) = self.running_core(host)?;
        if host == core {
            return Err(Refused::ParkOnItself(core));
        }
        if let Some(kcb) = self.cores.get(core as usize).and_then(Core::kcb) {
            self.kcb(kcb)?
                .runs_under(&host_kernel.version, host_kernel.layouts)?;
        }
        Ok(())
    }

    /// Parks the stopped KCB `kcb` on the running core `host`, whose kernel
    /// must run its layout: `go` has the host attach it. The host's kernel converts the KCB to its own
    /// layout; if the image that ran the KCB cannot run that layout
    /// (`image_runs(image, layout)` says), the KCB comes back under the
    /// host's image.
    pub fn park<T, E: From<Refused>>(
        &mut self,
        kcb: KcbId,
        host: CoreId,
        image_runs: impl Fn(&str, u32) -> bool,
        go: impl FnOnce(&Self, &ParkPlan) -> Result<T, E>,
    ) -> Result<T, E> {
        let (h, host_kcb, host_kernel) = self.running_core(host)?;
        let (host_apic, host_newest) = (h.apic, host_kernel.layouts.kcb_newest);
        let k = self.kcb(kcb)?;
        if k.damaged {
            return Err(Refused::KcbDamaged(kcb).into());
        }
        match k.state {
            KcbState::Stopped => {}
            KcbState::Running { core } => return Err(Refused::KcbRunning { kcb, core }.into()),
            KcbState::Parked { host } => return Err(Refused::KcbParked { kcb, host }.into()),
        }
        k.runs_under(&host_kernel.version, host_kernel.layouts)?;
        let host_image = self.kcb(host_kcb)?.image.clone();
        let plan = ParkPlan {
            kcb,
            phys: k.phys,
            host,
            host_apic,
        };
        let extra = go(self, &plan)?;
        let k = self.kcb_mut(kcb)?;
        k.state = KcbState::Parked { host };
        k.layout = host_newest;
        if !image_runs(&k.image, k.layout) {
            k.image = host_image;
        }
        Ok(extra)
    }

    /// Takes the parked KCB `kcb` off its host (`go` has the host detach
    /// it); it is stopped afterwards.
    pub fn unpark<T, E: From<Refused>>(
        &mut self,
        kcb: KcbId,
        go: impl FnOnce(&Self, &UnparkPlan) -> Result<T, E>,
    ) -> Result<T, E> {
        let KcbState::Parked { host } = self.kcb(kcb)?.state else {
            return Err(Refused::NotParked(kcb).into());
        };
        let extra = go(self, &UnparkPlan { kcb, host })?;
        self.kcb_mut(kcb)?.state = KcbState::Stopped;
        Ok(extra)
    }

    /// Replaces the kernel of the boot driver's own core `core` in place
    /// (`go` switches to the new one); refused while other KCBs are parked
    /// there. Returns the memory of the kernel the core ran before.
    pub fn replace<T, E: From<Refused>>(
        &mut self,
        core: CoreId,
        go: impl FnOnce(&Self, &ReplacePlan) -> Result<(Started<I>, T), E>,
    ) -> Result<(Option<I>, T), E> {
        let (_, kcb, _) = self.running_core(core)?;
        if kcb != 0 {
            return Err(Refused::CoreRunning { core, kcb }.into());
        }
        if !self.parked_on(core).is_empty() {
            return Err(Refused::HostsParked(core).into());
        }
        let plan = ReplacePlan {
            core,
            phys: self.kcb(0)?.phys,
        };
        let (started, extra) = go(self, &plan)?;
        self.cores[core as usize].state = CoreState::Off;
        Ok((self.run_on(core, 0, started), extra))
    }

    /// Hands the boot driver's OSNode over from its core `from` to the off
    /// core `to` (`go` does it; the boot driver carries on on `to`). The
    /// KCBs parked on `from` stop with it; `from` keeps its kernel's
    /// memory. Returns the memory of the kernel `to` ran before.
    pub fn hand_over<T, E: From<Refused>>(
        &mut self,
        from: CoreId,
        to: CoreId,
        go: impl FnOnce(&Self, &HandOverPlan) -> Result<(Started<I>, T), E>,
    ) -> Result<(Option<I>, T), E> {
        let (f, kcb, _) = self.running_core(from)?;
        if kcb != 0 {
            return Err(Refused::CoreRunning { core: from, kcb }.into());
        }
        let from_apic = f.apic;
        let to_apic = self.off_core(to)?.apic;
        let k = self.kcb(0)?;
        let plan = HandOverPlan {
            from,
            from_apic,
            to,
            to_apic,
            phys: k.phys,
            image: k.image.clone(),
            parked_here: self.parked_on(from),
        };
        let (started, extra) = go(self, &plan)?;
        self.cores[from as usize].state = CoreState::Off;
        for &id in &plan.parked_here {
            if let Ok(k) = self.kcb_mut(id) {
                k.state = KcbState::Stopped;
            }
        }
        Ok((self.run_on(to, 0, started), extra))
    }

    /// Marks the stopped KCB `kcb` as damaged: its kernel failed where it
    /// may have left it half changed, so no kernel is given it again (boot,
    /// give, park refuse it).
    pub fn mark_damaged(&mut self, kcb: KcbId) -> Result<(), Refused> {
        let k = self.kcb_mut(kcb)?;
        match k.state {
            KcbState::Stopped => {
                k.damaged = true;
                Ok(())
            }
            KcbState::Running { core } => Err(Refused::KcbRunning { kcb, core }),
            KcbState::Parked { host } => Err(Refused::KcbParked { kcb, host }),
        }
    }

    /// Commits `kcb` running on the off core `core` under `started`: the
    /// one place a kernel is installed on a core. Returns the memory of the
    /// kernel the core ran before.
    fn run_on(&mut self, core: CoreId, kcb: KcbId, started: Started<I>) -> Option<I> {
        if let Ok(k) = self.kcb_mut(kcb) {
            k.state = KcbState::Running { core };
            k.image = started.image;
            k.layout = started.kcb_layout;
        }
        let c = &mut self.cores[core as usize];
        c.state = CoreState::Running {
            kcb,
            kernel: started.kernel,
        };
        c.installed.replace(started.installed)
    }
}
