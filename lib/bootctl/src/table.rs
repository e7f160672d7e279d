//! The table: every core and every KCB the boot driver knows, each in
//! exactly one state, and the checks that read it.
//!
//! A core is [`Off`](CoreState::Off) or [`Running`](CoreState::Running) a
//! KCB under a kernel; a KCB is [`Running`](KcbState::Running) on a core,
//! [`Stopped`](KcbState::Stopped) (intact in memory, run nowhere) or
//! [`Parked`](KcbState::Parked) on a host core that multiplexes it with
//! its own. The two sides always agree: a core runs KCB `k` exactly when
//! `k` runs on that core ([`Table::check_invariants`] says so, and the
//! model test checks it after every transition). A KCB is recorded once a
//! kernel has run it; until then it exists only in a boot plan.
//!
//! Besides the states, the table holds what keeps memory allocated, as
//! opaque values the boot driver chooses: for each core the memory of the
//! kernel last started there (`I`), for each KCB the memory its OSNode was
//! made from (`M`). A stopped core keeps its kernel's memory: the halted
//! core may still execute that kernel's code (`hlt`, or its interrupt
//! entry, for a core taken while idle) until an INIT, so the memory is
//! only handed back when another kernel is installed on the core (the
//! transitions return it).

use alloc::string::String;
use alloc::vec::Vec;

use bootproto::starter::CpuDriverInfo;

use crate::{CoreId, KcbId, Refused};

/// Most OSNodes (KCBs) the machine can have: the size of the OSNode table
/// in the system page.
pub const MAX_KCBS: usize = bootproto::system::OSNODES;

/// A kernel running on a core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// Its `name version`, as it reported it.
    pub version: String,
    /// The KCB layouts it runs (from its entry preamble).
    pub layouts: CpuDriverInfo,
}

/// What a core is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreState {
    /// Not started, stopped, or its last boot failed.
    Off,
    /// Running a kernel and an OSNode.
    Running {
        /// The KCB it runs.
        kcb: KcbId,
        /// The kernel.
        kernel: Kernel,
    },
}

/// A core as the boot driver knows it.
#[derive(Debug)]
pub struct Core<I> {
    /// Its local APIC id.
    pub apic: u32,
    /// What it is doing.
    pub state: CoreState,
    /// The memory of the kernel last started on it (kept after a stop).
    pub(crate) installed: Option<I>,
}

impl<I> Core<I> {
    /// The KCB it runs, if it runs one.
    pub fn kcb(&self) -> Option<KcbId> {
        match self.state {
            CoreState::Running { kcb, .. } => Some(kcb),
            CoreState::Off => None,
        }
    }

    /// Its kernel, if it runs one.
    pub fn kernel(&self) -> Option<&Kernel> {
        match &self.state {
            CoreState::Running { kernel, .. } => Some(kernel),
            CoreState::Off => None,
        }
    }

    /// Whether it runs a kernel.
    pub fn is_running(&self) -> bool {
        self.kcb().is_some()
    }

    /// The memory of the kernel last started on it, if the boot driver
    /// started one (the first core's kernel was started by the loader).
    pub fn installed(&self) -> Option<&I> {
        self.installed.as_ref()
    }
}

/// Where a KCB is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcbState {
    /// Running on a core.
    Running {
        /// The core.
        core: CoreId,
    },
    /// Intact in memory, running nowhere.
    Stopped,
    /// Multiplexed by a running host core with the host's own KCB.
    Parked {
        /// The host.
        host: CoreId,
    },
}

/// A KCB as the boot driver knows it.
#[derive(Debug)]
pub struct Kcb<M> {
    /// The OSNode id.
    pub id: KcbId,
    /// Its physical address.
    pub phys: u64,
    /// The kernel image that runs it next (the one that ran it last, or one
    /// that can run the layout a host converted it to).
    pub image: String,
    /// Its layout, as the last kernel that ran it reported it.
    pub layout: u32,
    /// Where it is.
    pub state: KcbState,
    /// Stopped where its kernel may have left it half changed (a fault or
    /// a hang in the middle of a change): no kernel is given it again.
    pub damaged: bool,
    /// What keeps its OSNode's memory allocated (none for the first
    /// OSNode's, which init holds). Held, never used, as long as the KCB
    /// is recorded.
    pub(crate) memory: Option<M>,
}

impl<M> Kcb<M> {
    /// Refuses to hand this KCB to `kernel` (described by `info`) if that
    /// kernel cannot run its layout (a layout of 0 is not known: allowed).
    pub fn runs_under(&self, kernel: &str, info: CpuDriverInfo) -> Result<(), Refused> {
        if self.layout == 0 || info.runs_kcb_layout(self.layout) {
            return Ok(());
        }
        Err(Refused::KcbLayout {
            kcb: self.id,
            layout: self.layout,
            kernel: kernel.into(),
            oldest: info.kcb_oldest,
            newest: info.kcb_newest,
        })
    }

    /// The memory its OSNode was made from, if the boot driver made it.
    pub fn memory(&self) -> Option<&M> {
        self.memory.as_ref()
    }
}

/// The first OSNode: the boot driver's own, started by the loader.
#[derive(Debug, Clone)]
pub struct FirstOsNode {
    /// The core it runs on.
    pub core: CoreId,
    /// Its KCB's physical address.
    pub phys: u64,
    /// That KCB's layout.
    pub layout: u32,
    /// The kernel running it.
    pub kernel: Kernel,
    /// That kernel's image name.
    pub image: String,
}

/// Every core and every KCB. `I`: a started kernel's memory; `M`: a made
/// OSNode's memory.
#[derive(Debug)]
pub struct Table<I, M> {
    pub(crate) cores: Vec<Core<I>>,
    pub(crate) kcbs: Vec<Kcb<M>>,
}

impl<I, M> Table<I, M> {
    /// The table of a machine whose cores have the APIC ids `apics` (by
    /// core id), with the first OSNode (KCB 0) running.
    pub fn new(apics: impl IntoIterator<Item = u32>, first: FirstOsNode) -> Self {
        let cores = apics
            .into_iter()
            .enumerate()
            .map(|(id, apic)| Core {
                apic,
                state: if id as CoreId == first.core {
                    CoreState::Running {
                        kcb: 0,
                        kernel: first.kernel.clone(),
                    }
                } else {
                    CoreState::Off
                },
                installed: None,
            })
            .collect();
        Self {
            cores,
            kcbs: alloc::vec![Kcb {
                id: 0,
                phys: first.phys,
                image: first.image,
                layout: first.layout,
                state: KcbState::Running { core: first.core },
                damaged: false,
                memory: None,
            }],
        }
    }

    /// Every core, by id.
    pub fn cores(&self) -> &[Core<I>] {
        &self.cores
    }

    /// Every KCB, in the order they were made.
    pub fn kcbs(&self) -> &[Kcb<M>] {
        &self.kcbs
    }

    /// Core `core`.
    pub fn core(&self, core: CoreId) -> Result<&Core<I>, Refused> {
        self.cores.get(core as usize).ok_or(Refused::NoSuchCore {
            core,
            cores: self.cores.len(),
        })
    }

    /// KCB `id`.
    pub fn kcb(&self, id: KcbId) -> Result<&Kcb<M>, Refused> {
        self.kcbs
            .iter()
            .find(|k| k.id == id)
            .ok_or(Refused::NoSuchKcb(id))
    }

    pub(crate) fn kcb_mut(&mut self, id: KcbId) -> Result<&mut Kcb<M>, Refused> {
        self.kcbs
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(Refused::NoSuchKcb(id))
    }

    /// The core running the boot driver's own OSNode (KCB 0).
    pub fn my_core(&self) -> CoreId {
        self.cores
            .iter()
            .position(|c| c.kcb() == Some(0))
            .unwrap_or(0) as CoreId
    }

    /// Core `core`, if it exists and runs nothing.
    pub fn off_core(&self, core: CoreId) -> Result<&Core<I>, Refused> {
        let c = self.core(core)?;
        match c.state {
            CoreState::Off => Ok(c),
            CoreState::Running { kcb, .. } => Err(Refused::CoreRunning { core, kcb }),
        }
    }

    /// Core `core`, if it exists and runs a kernel: the core, its KCB and
    /// its kernel.
    pub fn running_core(&self, core: CoreId) -> Result<(&Core<I>, KcbId, &Kernel), Refused> {
        let c = self.core(core)?;
        match &c.state {
            CoreState::Running { kcb, kernel } => Ok((c, *kcb, kernel)),
            CoreState::Off => Err(Refused::NotRunning(core)),
        }
    }

    /// Core `core`, if it runs an OSNode and not the boot driver's own (so
    /// that it can be stopped): the core and its KCB.
    pub fn stoppable(&self, core: CoreId) -> Result<(&Core<I>, KcbId), Refused> {
        let (c, kcb, _) = self.running_core(core)?;
        if core == self.my_core() {
            return Err(Refused::StopSelf(core));
        }
        Ok((c, kcb))
    }

    /// The KCBs parked on `core`.
    pub fn parked_on(&self, core: CoreId) -> Vec<KcbId> {
        self.kcbs
            .iter()
            .filter(|k| k.state == KcbState::Parked { host: core })
            .map(|k| k.id)
            .collect()
    }

    /// The APIC id of the core that runs OSNode `kcb` (its own core, or the
    /// host it is parked on): what the system page's OSNode table must say
    /// for it, so that notifications reach it.
    pub fn route(&self, kcb: KcbId) -> Option<u32> {
        match self.kcb(kcb).ok()?.state {
            KcbState::Running { core } | KcbState::Parked { host: core } => {
                self.cores.get(core as usize).map(|c| c.apic)
            }
            KcbState::Stopped => None,
        }
    }

    /// The id a new OSNode gets, while the OSNode table has room.
    pub fn next_id(&self) -> Result<KcbId, Refused> {
        if self.kcbs.len() >= MAX_KCBS {
            return Err(Refused::TooManyOsNodes);
        }
        Ok(self.unused_id())
    }

    /// An id no recorded KCB has (for a throw-away KCB that is never
    /// recorded, such as a real-time kernel's).
    pub fn unused_id(&self) -> KcbId {
        self.kcbs.iter().map(|k| k.id).max().map_or(0, |m| m + 1)
    }

    /// Whether the two sides agree: every running core's KCB runs on that
    /// core and no other, every running KCB's core runs it, every host of a
    /// parked KCB runs, and KCB 0 runs (the boot driver runs in it). The
    /// transitions keep this; tests check it.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, core) in self.cores.iter().enumerate() {
            if let Some(kcb) = core.kcb() {
                let k = self
                    .kcb(kcb)
                    .map_err(|e| alloc::format!("core {id}: {e}"))?;
                if k.state != (KcbState::Running { core: id as CoreId }) {
                    return Err(alloc::format!(
                        "core {id} runs KCB {kcb}, which is {:?}",
                        k.state
                    ));
                }
            }
        }
        for k in &self.kcbs {
            match k.state {
                KcbState::Running { core } => {
                    if self.cores.get(core as usize).and_then(Core::kcb) != Some(k.id) {
                        return Err(alloc::format!(
                            "KCB {} runs on core {core}, which does not run it",
                            k.id
                        ));
                    }
                }
                KcbState::Parked { host } => {
                    if !self.cores.get(host as usize).is_some_and(Core::is_running) {
                        return Err(alloc::format!(
                            "KCB {} is parked on core {host}, which is off",
                            k.id
                        ));
                    }
                }
                KcbState::Stopped => {}
            }
            if self.kcbs.iter().filter(|o| o.id == k.id).count() != 1 {
                return Err(alloc::format!("KCB {} is recorded twice", k.id));
            }
        }
        match self.kcb(0).map(|k| k.state) {
            Ok(KcbState::Running { .. }) => Ok(()),
            other => Err(alloc::format!("KCB 0 (the boot driver's) is {other:?}")),
        }
    }
}
