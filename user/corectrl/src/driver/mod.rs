//! The boot driver: the table of cores and KCBs (`bootctl`, where every
//! check and state change is) and the mechanism that acts on the machine
//! ([`prepare`], [`launch`]). Each command reads "check in the table, do the work on
//! the machine, commit the transition": [`boot`] (boot, give),
//! [`update`] (update, checked and rolled back, on another core and in
//! place on the boot driver's own), [`halt`] (stop, park, unpark),
//! [`movement`] (move), [`realtime`] (rt); [`recovery`] (the watchdog,
//! kernels that failed on their own, `fault`); [`trace`] (the tracing
//! kernel and its ring).

mod boot;
mod halt;
mod launch;
mod movement;
mod prepare;
mod realtime;
mod recovery;
mod trace;
mod update;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use bootctl::list::Liveness;
use bootctl::{CoreId, FirstOsNode, KcbId, Kernel, Table};
use bootproto::starter::CpuDriverInfo;
use bootproto::system::{OSNODE_TABLE, OSNODES};
use corefish::cap::{Cap, kind};
use corefish::proto::hub;
use corefish::vspace::Mapping;
use corefish::{CPtr, lmp, slots, sys};

use crate::error::BootError;
use crate::image::{self, Loaded};
use crate::machine::Machine;
use crate::pool::ImagePool;
use crate::trampoline::Trampoline;

pub use boot::boot_cores;
pub use realtime::RT_KERNEL;
pub use recovery::WATCH_PERIOD_NS;

/// The memory of a kernel the boot driver started on a core: its image
/// block (with the boot-parameter page, mapped for acknowledgements) and,
/// when it resumed a KCB, its scratch RAM (its own page tables; a new
/// KCB's kernel uses the OSNode's RAM).
pub struct Installed {
    block: Loaded,
    scratch: Option<CPtr>,
}

impl Installed {
    /// Gives it all back but the kernel's block, which `pool` keeps for the
    /// next start of its image (the core must not run this kernel any more).
    fn retire(self, pool: &mut ImagePool) {
        pool.keep(self.block);
        if let Some(ram) = self.scratch {
            let _ = corefish::memserv::free(ram);
        }
    }
}

/// The memory an OSNode the boot driver made stands on: its KCB, the RAM
/// its kernel got when it was made (the OSNode's objects live in it) and
/// the frame of its monitor's channel. Held, never used, as long as the
/// KCB is recorded.
pub struct OsNodeMemory {
    pub(super) kcb: CPtr,
    pub(super) _ram: CPtr,
    pub(super) _channel: CPtr,
}

impl OsNodeMemory {
    /// The KCB capability (what the hub needs to park the OSNode).
    pub fn kcb(&self) -> CPtr {
        self.kcb
    }
}

/// Longest the boot driver waits for the hub's answer beyond what a
/// request asks the hub to wait for: a hub that does not answer by then
/// fails the command, rather than hanging the boot driver (and the console
/// behind it).
const HUB_PATIENCE_NS: u64 = 10_000_000_000;

/// The machine-side means of the boot driver.
pub struct Mechanism {
    /// What the kernel told about the machine.
    pub machine: Machine,
    kernel: CPtr,
    ipi: CPtr,
    hub: Cap<kind::EndPoint>,
    trampoline: Trampoline,
    vector: u8,
    system: Mapping,
    /// Blocks of kernels no core runs any more, for reuse.
    pool: ImagePool,
    /// The shared text of every image started so far.
    homes: crate::text::Homes,
    /// What the watchdog last saw of each kernel.
    watchdog: recovery::Watchdog,
    /// The tracing kernels' rings, by core.
    rings: trace::Rings,
}

/// What the boot driver is made from.
pub struct Resources {
    /// The Kernel capability.
    pub kernel: CPtr,
    /// The IPI capability.
    pub ipi: CPtr,
    /// An endpoint to the hub.
    pub hub: CPtr,
    /// The prepared trampoline and its STARTUP vector.
    pub trampoline: (Trampoline, u8),
    /// The system page, mapped writable.
    pub system: Mapping,
}

/// The boot driver.
pub struct Driver {
    /// Every core and KCB.
    pub table: Table<Installed, OsNodeMemory>,
    /// The machine-side means.
    pub mech: Mechanism,
}

impl Driver {
    /// The driver of `machine`: the core it runs on runs OSNode 0.
    pub fn new(machine: Machine, r: Resources) -> Self {
        let first = FirstOsNode {
            core: machine.cores.iter().position(|c| c.is_mine).unwrap_or(0) as CoreId,
            phys: machine.first_kcb,
            layout: machine.first_kcb_layout,
            kernel: Kernel {
                version: machine.version.clone(),
                layouts: machine.first_kernel,
            },
            image: String::from(bootcmd::DEFAULT_KERNEL),
        };
        let table = Table::new(machine.cores.iter().map(|c| c.apic), first);
        Self {
            table,
            mech: Mechanism {
                machine,
                kernel: r.kernel,
                ipi: r.ipi,
                hub: Cap::at(r.hub),
                trampoline: r.trampoline.0,
                vector: r.trampoline.1,
                system: r.system,
                pool: ImagePool::default(),
                homes: crate::text::Homes::default(),
                watchdog: recovery::Watchdog::default(),
                rings: trace::Rings::default(),
            },
        }
    }

    /// Hands back the memory of a kernel that no core runs any more (its
    /// block goes to the pool).
    fn retire(&mut self, old: Option<Installed>) {
        if let Some(old) = old {
            old.retire(&mut self.mech.pool);
        }
    }

    /// What `corectrl list` shows of a running core beyond the table.
    pub fn liveness(&self, core: CoreId) -> Liveness {
        // The hub is the boot driver's own monitor: nothing to ask.
        let hub = self.table.core(core).ok().and_then(|c| c.kcb()) == Some(0);
        Liveness {
            monitor: if hub {
                None
            } else {
                self.mech.monitor_status(core)
            },
            ipis: ipis_received(&self.table, core),
        }
    }
}

/// IPIs received so far by the kernel running core `core`, if the boot
/// driver started it (it counts them in its boot-parameter page).
fn ipis_received(table: &Table<Installed, OsNodeMemory>, core: CoreId) -> Option<u64> {
    let c = table.core(core).ok()?;
    c.installed()
        .filter(|_| c.is_running())
        .map(|i| i.block.ipis_received())
}

/// [`ipis_received`] for every core.
fn ipi_counts(table: &Table<Installed, OsNodeMemory>) -> Vec<Option<u64>> {
    (0..table.cores().len() as CoreId)
        .map(|core| ipis_received(table, core))
        .collect()
}

/// Whether the kernel image `image` of the boot archive runs KCB layout
/// `layout`.
fn image_runs(image: &str, layout: u32) -> bool {
    corefish::modules::get(image)
        .and_then(|file| image::check(image, file).ok())
        .is_some_and(|(_, info)| info.runs_kcb_layout(layout))
}

/// The kernel image `kernel` of the boot archive, if it is one this boot
/// driver starts for an OSNode: what its preamble says about it.
fn kernel_image(kernel: &str) -> Result<CpuDriverInfo, BootError> {
    if kernel == RT_KERNEL {
        return Err(BootError::RealTimeOnly);
    }
    let file = corefish::modules::get(kernel).ok_or_else(|| BootError::NoImage(kernel.into()))?;
    Ok(image::check(kernel, file)?.1)
}

/// Deletes a capability the boot driver holds and frees its slot.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

impl Mechanism {
    /// TSC ticks as nanoseconds.
    pub fn ns(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1_000_000_000 / u128::from(self.machine.tsc_hz.max(1))) as u64
    }

    /// The 32-bit word at `offset` of the system page (an offset that
    /// `bootproto::system` fixes, inside the page): kernels read and write
    /// it concurrently, so it is accessed atomically.
    fn system_word(&self, offset: usize) -> &AtomicU32 {
        assert!(offset.is_multiple_of(4) && offset + 4 <= bootproto::system::USED);
        let at = self.system.vaddr + offset as u64;
        // SAFETY: the word lies in the mapped system page (checked above),
        // 4-byte aligned, and every side accesses it atomically.
        unsafe { AtomicU32::from_ptr(at as *mut u32) }
    }

    /// Points OSNode `id`'s entry of the system page's OSNode table at the
    /// core with APIC id `apic` (or at none): where notifications for it go,
    /// and what a kernel asked to run it checks.
    fn set_route(&mut self, id: KcbId, apic: Option<u32>) {
        let Some(index) = usize::try_from(id).ok().filter(|&i| i < OSNODES) else {
            return;
        };
        self.system_word(OSNODE_TABLE + index * 4)
            .store(apic.map_or(0, |a| a + 1), Ordering::Release);
    }

    /// Makes OSNode `id`'s entry say what the table says (after a
    /// transition, or to undo what a failed one wrote ahead).
    fn sync_route(&mut self, table: &Table<Installed, OsNodeMemory>, id: KcbId) {
        self.set_route(id, table.route(id));
    }

    /// Tells the hub where OSNode `kcb` runs now (it routes by core).
    fn tell_hub(&self, kcb: KcbId, core: Option<CoreId>) {
        let moved = hub::Request::Moved {
            osnode: kcb,
            core: core.map(u64::from),
        };
        if let Err(e) = lmp::send(self.hub, moved.to_words(), None) {
            corefish::println!("corectrl: cannot tell the hub where OSNode {kcb} runs: {e}");
        }
    }

    /// Sends the hub `request` with the capability `cap` (no reply).
    fn tell_hub_with(&self, request: hub::Request, cap: CPtr) -> Result<(), BootError> {
        lmp::send(self.hub, request.to_words(), Some(cap)).map_err(|e| BootError::Sys("hub", e))
    }

    /// Asks the hub; its reply, if it comes within [`HUB_PATIENCE_NS`]
    /// (beyond the wait the request itself asks of the hub).
    fn ask_hub(&self, request: hub::Request) -> Result<hub::Reply, BootError> {
        let waits_ms = match request {
            hub::Request::Add { timeout_ms, .. } => timeout_ms,
            _ => 0,
        };
        let deadline = sys::time_ns()
            .saturating_add(waits_ms.saturating_mul(1_000_000))
            .saturating_add(HUB_PATIENCE_NS);
        let reply = lmp::call_within(self.hub, request.to_words(), deadline)
            .map_err(|e| BootError::Sys("hub", e))?;
        hub::Reply::from_words(reply.words)
            .map_err(|_| BootError::Sys("hub", corefish::SysError::InvalidOperation))
    }

    /// The state of core `core`'s monitor, if it answers a ping: the round
    /// trip in ns, and how often it woke from blocking before its backstop
    /// (notifications and messages).
    pub fn monitor_status(&self, core: CoreId) -> Option<(u64, u64)> {
        match self.ask_hub(hub::Request::Status {
            core: u64::from(core),
            within_ms: 0,
        }) {
            Ok(hub::Reply::Status(Ok(alive))) => Some((alive.rtt_ns, alive.woken)),
            _ => None,
        }
    }
}
