//! The boot driver's state (every core and every KCB it knows) and the
//! boot sequence.
//!
//! Booting core `c` with kernel image `k` and a KCB:
//! 1. *checks*: the core exists and runs nothing; an existing KCB exists
//!    and runs nowhere; the image is in the boot archive. Nothing has
//!    changed if any check fails.
//! 2. *load*: the image is loaded and relocated into fresh memory below
//!    4 GiB ([`crate::image`]); the kernel gets [`KERNEL_RAM`] of RAM of its
//!    own; a new KCB is retyped from the boot driver's RAM, with a channel
//!    frame for its monitor; the boot parameters are written (the memory
//!    map marks all RAM but the kernel's own as assigned); the OSNode table
//!    in the system page names the core.
//! 3. *start*: the trampoline is prepared, INIT and STARTUP are sent (a
//!    second STARTUP only if the core has not arrived within
//!    [`SECOND_STARTUP_AFTER_NS`]; QEMU and current processors need no delay
//!    after INIT, so none is made), and the boot driver waits for the core
//!    to arrive in the trampoline and for the kernel's acknowledgement.
//! 4. *monitor*: for a new KCB, the hub (the first OSNode's monitor) gets
//!    the channel frame and waits for the new monitor's hello.
//!
//! A failure after the start sends INIT again (the core stops wherever it
//! was) and gives the kernel's memory back; the core is left off.

mod realtime;

use realtime::RT_KERNEL;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use bootcmd::KcbChoice;
use bootproto::PhysRange;
use bootproto::layout::phys_to_virt;
use bootproto::params::{ACK_FINISHED, ACK_REFUSED, ACK_RUNNING, ACK_STOPPED, BootParams};
use bootproto::starter::CpuDriverInfo;
use bootproto::system::{OSNODE_TABLE, OSNODES};
use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::channel::CHANNEL_BYTES;
use corefish::proto::monitor;
use corefish::sys::{self, invoke};
use corefish::vspace::Mapping;
use corefish::{CPtr, ObjType, lmp, memserv, ram, slots};

use crate::error::BootError;
use crate::image::{self, Loaded};
use crate::machine::Machine;
use crate::trampoline::{self, Trampoline};

/// RAM each new kernel gets for itself and its OSNode (its page tables,
/// the monitor, and what the monitor hands out).
pub const KERNEL_RAM: u64 = 8 << 20;
/// Scratch RAM for a kernel that resumes a KCB (its own page tables).
pub const RESUME_RAM: u64 = 1 << 20;
/// How long a core may take to stop.
const STOP_TIMEOUT_NS: u64 = 2_000_000_000;
/// When a core that has not arrived in the trampoline gets a second STARTUP.
pub const SECOND_STARTUP_AFTER_NS: u64 = 10_000_000;
/// How long a core may take to arrive in the trampoline.
const ARRIVAL_TIMEOUT_NS: u64 = 500_000_000;
/// How long a kernel may take from the trampoline to running its OSNode.
const ACK_TIMEOUT_NS: u64 = 5_000_000_000;
/// How long a new monitor may take to say hello.
const MONITOR_TIMEOUT_MS: u64 = 5_000;

/// What a core is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreState {
    /// Not started (or its last boot failed).
    Off,
    /// Running a kernel and an OSNode.
    Running,
}

/// A core as the boot driver knows it.
pub struct Core {
    /// Its local APIC id.
    pub apic: u32,
    /// What it is doing.
    pub state: CoreState,
    /// `name version` of its kernel.
    pub kernel: String,
    /// The KCB it runs.
    pub kcb: Option<u64>,
    /// Its kernel's image block (with the boot-parameter page, mapped for
    /// acknowledgements), held for it while it runs or until it boots again.
    block: Option<Loaded>,
    /// Scratch RAM of its kernel when it resumed a KCB (the kernel's own
    /// page tables; a new KCB's kernel uses the OSNode's RAM).
    scratch: Vec<CPtr>,
    /// The KCB layouts its running kernel runs.
    layouts: Option<CpuDriverInfo>,
}

/// A KCB as the boot driver knows it.
pub struct Kcb {
    /// The OSNode id.
    pub id: u64,
    /// Its capability (none for the first OSNode's, which init holds). It
    /// keeps the KCB's memory allocated; nothing invokes it yet.
    #[allow(dead_code)]
    pub cap: Option<CPtr>,
    /// Its physical address (0: not known).
    pub phys: u64,
    /// The core running it.
    pub core: Option<u32>,
    /// The kernel image that ran it last.
    pub image: String,
    /// The core it is parked on (multiplexed with that core's own KCB).
    pub host: Option<u32>,
    /// Its layout, as the last kernel that ran it reported (0: not known).
    pub layout: u32,
    /// The RAM its kernel got when the OSNode was made: the OSNode's objects
    /// live in it, so it is held (never used) as long as the KCB exists.
    #[allow(dead_code)]
    memory: Vec<CPtr>,
}

/// How long each phase of a boot took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Loading and relocating the image, KCB and parameters.
    pub load_ns: u64,
    /// From INIT/STARTUP to the core's first instruction.
    pub start_ns: u64,
    /// From the first instruction to the kernel running its OSNode.
    pub kernel_ns: u64,
    /// From then to the monitor's hello (0 for a resumed KCB).
    pub monitor_ns: u64,
    /// The whole boot, as the boot driver saw it.
    pub total_ns: u64,
}

/// A finished park.
pub struct Parked {
    /// The KCB now parked.
    pub kcb: u64,
    /// Stopping its core.
    pub stop_ns: u64,
    /// Attaching it to the host (through the hub and the host's monitor).
    pub attach_ns: u64,
}

/// A finished stop.
pub struct Stopped {
    /// The KCB the core ran (now stopped).
    pub kcb: u64,
    /// From the request to the kernel's halt.
    pub halted_ns: u64,
    /// From the request to the boot driver seeing the acknowledgement.
    pub seen_ns: u64,
    /// TSC of the halt.
    stopped_tsc: u64,
    /// Cores that took part: the boot driver's, the stopped one, and any
    /// other whose kernel received an IPI between the request and the
    /// acknowledgement (none, by design).
    pub cores_involved: u32,
}

/// A finished boot.
pub struct Booted {
    /// The core.
    pub core: u32,
    /// Its kernel's `name version`.
    pub kernel: String,
    /// The KCB it runs.
    pub kcb: u64,
    /// Whether the KCB was new.
    pub fresh: bool,
    /// Timings.
    pub phases: Phases,
}

/// The boot driver.
pub struct Driver {
    /// The machine.
    pub machine: Machine,
    kernel: CPtr,
    ipi: CPtr,
    hub: Cap<kind::EndPoint>,
    trampoline: Trampoline,
    vector: u8,
    system: Mapping,
    /// Every core, by id.
    pub cores: Vec<Core>,
    /// Every KCB, by creation.
    pub kcbs: Vec<Kcb>,
}

/// What the driver is made from.
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

impl Driver {
    /// The driver of `machine`: the core it runs on runs OSNode 0.
    pub fn new(machine: Machine, r: Resources) -> Self {
        let (first_kcb, first_layout) = (machine.first_kcb, machine.first_kcb_layout);
        let cores: Vec<Core> = machine
            .cores
            .iter()
            .map(|c| Core {
                apic: c.apic,
                state: if c.is_mine {
                    CoreState::Running
                } else {
                    CoreState::Off
                },
                kernel: if c.is_mine {
                    machine.version.clone()
                } else {
                    String::new()
                },
                kcb: c.is_mine.then_some(0),
                block: None,
                scratch: Vec::new(),
                layouts: c.is_mine.then_some(machine.first_kernel),
            })
            .collect();
        let first = cores.iter().position(|c| c.kcb == Some(0)).unwrap_or(0) as u32;
        Self {
            machine,
            kernel: r.kernel,
            ipi: r.ipi,
            hub: Cap::at(r.hub),
            trampoline: r.trampoline.0,
            vector: r.trampoline.1,
            system: r.system,
            cores,
            kcbs: alloc::vec![Kcb {
                id: 0,
                cap: None,
                phys: first_kcb,
                core: Some(first),
                image: String::from(bootcmd::DEFAULT_KERNEL),
                host: None,
                layout: first_layout,
                memory: Vec::new(),
            }],
        }
    }

    fn ns(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1_000_000_000 / u128::from(self.machine.tsc_hz.max(1))) as u64
    }

    /// Writes OSNode `id`'s entry of the system page's OSNode table.
    fn set_table(&mut self, id: u64, apic: Option<u32>) {
        let Some(index) = usize::try_from(id).ok().filter(|&i| i < OSNODES) else {
            return;
        };
        let at = self.system.vaddr + (OSNODE_TABLE + index * 4) as u64;
        // SAFETY: the entry lies in the mapped system page (OSNODE_TABLE +
        // OSNODES * 4 <= 4096), 4-byte aligned; kernels read it concurrently,
        // so it is written atomically.
        let entry = unsafe { AtomicU32::from_ptr(at as *mut u32) };
        entry.store(apic.map_or(0, |a| a + 1), Ordering::Release);
    }

    /// Boots core `core` with kernel image `kernel` and the chosen KCB.
    pub fn boot(
        &mut self,
        core: u32,
        kernel: &str,
        choice: KcbChoice,
    ) -> Result<Booted, BootError> {
        let t0 = sys::tsc();
        let cores = self.cores.len();
        let c = self
            .cores
            .get(core as usize)
            .ok_or(BootError::NoSuchCore { core, cores })?;
        if c.state == CoreState::Running {
            return Err(BootError::CoreRunning {
                core,
                kcb: c.kcb.unwrap_or(0),
            });
        }
        let apic = c.apic;
        let existing = match choice {
            KcbChoice::New => None,
            KcbChoice::Existing(id) => {
                let k = self
                    .kcbs
                    .iter()
                    .find(|k| k.id == id)
                    .ok_or(BootError::NoSuchKcb(id))?;
                if let Some(running_on) = k.core {
                    return Err(BootError::KcbRunning {
                        kcb: id,
                        core: running_on,
                    });
                }
                if let Some(host) = k.host {
                    return Err(BootError::KcbParked { kcb: id, host });
                }
                Some((k.id, k.phys))
            }
        };
        if existing.is_none() && self.kcbs.len() >= OSNODES {
            return Err(BootError::TooManyOsNodes);
        }
        if kernel == RT_KERNEL {
            return Err(BootError::RealTimeOnly);
        }
        let file =
            corefish::modules::get(kernel).ok_or_else(|| BootError::NoImage(kernel.into()))?;
        if let Some((id, _)) = existing {
            self.check_layout(id, kernel, image::check(kernel, file)?.1)?;
        }
        let (loaded, mut plan) = self.load_and_plan(core, kernel, existing, "")?;
        self.set_table(plan.osnode, Some(apic));
        let t_loaded = sys::tsc();

        let started = self.start(apic, &loaded).and_then(|arrived| {
            let ack = self.wait_ack(core, &loaded)?;
            Ok((arrived, ack))
        });
        let (arrived, ack) = match started {
            Ok(done) => done,
            Err(e) => {
                self.undo(apic, loaded, plan);
                return Err(e);
            }
        };
        let version = ack.version_text().into();
        let hello = match plan.channel {
            Some(frame) => match self.meet_monitor(core, plan.osnode, frame) {
                Ok(tsc) => tsc,
                Err(e) => {
                    self.undo(apic, loaded, plan);
                    return Err(e);
                }
            },
            None => ack.tsc_running,
        };
        let t_end = sys::tsc();
        let fresh = plan.channel.is_some();
        let kcb = plan.osnode;
        // The kernel's memory stays the boot driver's to hold for it; what the
        // core's previous (stopped) kernel had goes now.
        let c = &mut self.cores[core as usize];
        c.state = CoreState::Running;
        c.kernel = version;
        c.kcb = Some(kcb);
        c.layouts = Some(loaded.info);
        if let Some(old) = c.block.replace(loaded) {
            old.free();
        }
        for old in c.scratch.drain(..) {
            discard(old);
        }
        plan.channel = None;
        let own = plan.own_ram.take();
        let layout = ack.kcb_layout as u32;
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == kcb) {
            k.core = Some(core);
            k.image = kernel.into();
            k.layout = layout;
            c.scratch.extend(own);
            self.tell_hub(kcb, Some(core));
        } else {
            self.kcbs.push(Kcb {
                id: kcb,
                cap: plan.kcb_cap.take(),
                phys: plan.kcb_phys,
                core: Some(core),
                image: kernel.into(),
                host: None,
                layout,
                memory: own.into_iter().collect(),
            });
        }
        let phases = Phases {
            load_ns: self.ns(t_loaded - t0),
            start_ns: self.ns(arrived.saturating_sub(t_loaded)),
            kernel_ns: self.ns(ack.tsc_running.saturating_sub(arrived)),
            monitor_ns: self.ns(hello.saturating_sub(ack.tsc_running)),
            total_ns: self.ns(t_end - t0),
        };
        Ok(Booted {
            core,
            kernel: self.cores[core as usize].kernel.clone(),
            kcb,
            fresh,
            phases,
        })
    }

    /// Loads `kernel` and plans a start of `core` with it (see `plan`);
    /// nothing is left behind if either fails.
    fn load_and_plan(
        &mut self,
        core: u32,
        kernel: &str,
        existing: Option<(u64, u64)>,
        program: &str,
    ) -> Result<(Loaded, Plan), BootError> {
        let file =
            corefish::modules::get(kernel).ok_or_else(|| BootError::NoImage(kernel.into()))?;
        let mut loaded = image::load(kernel, file)?;
        match self.plan(core, kernel, &mut loaded, existing, program) {
            Ok(plan) => Ok((loaded, plan)),
            Err(e) => {
                loaded.free();
                Err(e)
            }
        }
    }

    /// Core `core`, if it runs an OSNode and not the boot driver's own (so
    /// that it can be stopped).
    fn stoppable(&self, core: u32) -> Result<&Core, BootError> {
        let cores = self.cores.len();
        let c = self
            .cores
            .get(core as usize)
            .ok_or(BootError::NoSuchCore { core, cores })?;
        if c.state != CoreState::Running {
            return Err(BootError::NotRunning(core));
        }
        if core == self.my_core() {
            return Err(BootError::StopSelf(core));
        }
        Ok(c)
    }

    /// Step 2 after the image: the kernel's RAM, the KCB, the channel, the
    /// boot parameters (`program`: a fresh OSNode's first program and its
    /// arguments; empty for the monitor).
    fn plan(
        &mut self,
        core: u32,
        kernel: &str,
        loaded: &mut Loaded,
        existing: Option<(u64, u64)>,
        program: &str,
    ) -> Result<Plan, BootError> {
        let mut plan = Plan {
            own_ram: Some(
                memserv::request_below(
                    if existing.is_some() {
                        RESUME_RAM
                    } else {
                        KERNEL_RAM
                    },
                    0,
                )
                .map_err(BootError::NoMemory)?,
            ),
            ..Plan::default()
        };
        let result = self.fill_plan(core, kernel, loaded, existing, program, &mut plan);
        if let Err(e) = result {
            plan.discard();
            return Err(e);
        }
        Ok(plan)
    }

    fn fill_plan(
        &mut self,
        core: u32,
        kernel: &str,
        loaded: &mut Loaded,
        existing: Option<(u64, u64)>,
        program: &str,
        plan: &mut Plan,
    ) -> Result<(), BootError> {
        let own_ram = plan
            .own_ram
            .ok_or(BootError::NoMemory(corefish::SysError::SlotEmpty))?;
        let own = Cap::<kind::Ram>::at(own_ram)
            .identify()
            .map_err(|e| BootError::Sys("kernel RAM", e))?;
        match existing {
            Some((id, phys)) => {
                plan.osnode = id;
                plan.kcb_phys = phys;
            }
            None => {
                let cap = ram::alloc(ObjType::KernelControlBlock, caps_kcb_size())
                    .map_err(BootError::NoMemory)?;
                plan.kcb_cap = Some(cap);
                plan.kcb_phys = Cap::<kind::Any>::at(cap)
                    .identify()
                    .map_err(|e| BootError::Sys("KCB", e))?
                    .base;
                plan.osnode = self.kcbs.iter().map(|k| k.id).max().unwrap_or(0) + 1;
                let frame =
                    ram::alloc(ObjType::Frame, CHANNEL_BYTES).map_err(BootError::NoMemory)?;
                plan.channel = Some(frame);
                plan.channel_phys = Cap::<kind::Any>::at(frame)
                    .identify()
                    .map_err(|e| BootError::Sys("channel", e))?
                    .base;
            }
        }
        let m = &self.machine;
        let mut p = BootParams::new();
        p.core_id = core;
        p.apic_id = self.cores[core as usize].apic;
        p.kernel_phys = loaded.image_phys();
        p.kernel_size = loaded.image_size;
        p.params_phys = loaded.phys;
        let archive = Cap::<kind::Frame>::at(corefish::abi::cspace::task::BOOT_ARCHIVE)
            .identify()
            .map_err(|e| BootError::Sys("boot archive", e))?;
        p.archive_phys = archive.base;
        p.archive_size = archive.size;
        p.rsdp_phys = m.rsdp;
        p.phys_top = m.phys_top;
        p.tsc_hz = m.tsc_hz;
        p.apic_timer_hz = m.apic_timer_hz;
        p.kcb_phys = plan.kcb_phys;
        p.osnode_id = plan.osnode;
        p.system_phys = m.system_phys;
        if plan.channel.is_some() {
            p.channel_phys = plan.channel_phys;
            p.channel_size = CHANNEL_BYTES;
        }
        p.set_kernel_name(kernel)
            .map_err(|_| BootError::BadImage(kernel.into(), "name too long".into()))?;
        p.set_program(program)
            .map_err(|_| BootError::ProgramTooLong(program.len()))?;
        p.memory_map = bootproto::starter::map_for_new_kernel(
            &m.boot_map,
            PhysRange::new(own.base, own.size),
            PhysRange::new(loaded.phys, loaded.size),
        )
        .map_err(BootError::Plan)?;
        p.tsc_at_handoff = sys::tsc();
        let page = loaded.params_page();
        page.fill(0);
        p.encode(page);
        Ok(())
    }

    /// Step 3: INIT, STARTUP (twice if needed); returns the TSC at arrival.
    fn start(&mut self, apic: u32, loaded: &Loaded) -> Result<u64, BootError> {
        self.trampoline
            .prepare(loaded.entry, phys_to_virt(loaded.phys));
        let apic_word = u64::from(apic);
        let ipi = |operation, arg| {
            invoke(self.ipi, operation, [apic_word, arg, 0, 0])
                .map_err(|e| BootError::Sys("IPI", e))
        };
        // The bootstrap core goes to the trampoline straight from INIT.
        ipi(op::IPI_INIT, trampoline::PAGE)?;
        ipi(op::IPI_STARTUP, u64::from(self.vector))?;
        let sent = sys::time_ns();
        let mut second = false;
        loop {
            if let Some(tsc) = self.trampoline.arrived() {
                return Ok(tsc);
            }
            let waited = sys::time_ns() - sent;
            if !second && waited >= SECOND_STARTUP_AFTER_NS {
                ipi(op::IPI_STARTUP, u64::from(self.vector))?;
                second = true;
            }
            if waited >= ARRIVAL_TIMEOUT_NS {
                return Err(BootError::NoStart(apic));
            }
            core::hint::spin_loop();
        }
    }

    /// Step 3, end: the kernel's acknowledgement.
    fn wait_ack(
        &self,
        core: u32,
        loaded: &Loaded,
    ) -> Result<bootproto::params::BootAck, BootError> {
        let deadline = sys::time_ns() + ACK_TIMEOUT_NS;
        let mut waiting = corefish::channel::Waiting::new(deadline);
        loop {
            match loaded.ack() {
                // A real-time kernel's program may end before the first look.
                Some(ack) if ack.stage == ACK_RUNNING || ack.stage == ACK_FINISHED => {
                    return Ok(ack);
                }
                Some(ack) if ack.stage == ACK_REFUSED => return Err(BootError::Refused(core)),
                _ => {}
            }
            if !waiting.pause() {
                return Err(BootError::NoAck(core));
            }
        }
    }

    /// Step 4: the hub takes the channel and waits for the monitor's hello;
    /// returns the hello's TSC.
    fn meet_monitor(&mut self, core: u32, osnode: u64, frame: CPtr) -> Result<u64, BootError> {
        let core_word = u64::from(core);
        lmp::send(self.hub, [monitor::FRAME, core_word, 0, 0], Some(frame))
            .map_err(|e| BootError::Sys("hub", e))?;
        let reply = lmp::call(
            self.hub,
            [monitor::ADD, core_word, osnode, MONITOR_TIMEOUT_MS],
        )
        .map_err(|e| BootError::Sys("hub", e))?;
        match reply.words {
            [monitor::REPLY, 0, hello, _] => Ok(hello),
            _ => Err(BootError::MonitorSilent(core)),
        }
    }

    /// Stops core `core`: an IPI makes its kernel save the running dispatcher
    /// and halt; the KCB stays as it is, stopped. Returns the KCB and the
    /// time from the request to the kernel's last instruction (TSC stamps).
    pub fn stop(&mut self, core: u32) -> Result<Stopped, BootError> {
        let c = self.stoppable(core)?;
        let (apic, kcb) = (c.apic, c.kcb.unwrap_or(0));
        let block = c.block.as_ref().ok_or(BootError::NotRunning(core))?;
        let before = self.ipi_counts();
        let requested = sys::tsc();
        invoke(self.ipi, op::IPI_STOP, [u64::from(apic), 0, 0, 0])
            .map_err(|e| BootError::Sys("IPI", e))?;
        let mut waiting = corefish::channel::Waiting::new(sys::time_ns() + STOP_TIMEOUT_NS);
        let stopped_at = loop {
            match block.ack() {
                Some(ack) if ack.stage == ACK_STOPPED => break ack.tsc_stopped,
                _ if waiting.pause() => {}
                _ => return Err(BootError::NoStop(core)),
            }
        };
        let saw = sys::tsc();
        let me = self.my_core() as usize;
        let disturbed = before
            .iter()
            .zip(self.ipi_counts())
            .enumerate()
            .filter(|&(i, (was, now))| {
                i != core as usize && i != me && was.zip(now).is_some_and(|(a, b)| b > a)
            })
            .count() as u32;
        self.set_table(kcb, None);
        self.tell_hub(kcb, None);
        let c = &mut self.cores[core as usize];
        c.state = CoreState::Off;
        c.kernel.clear();
        c.kcb = None;
        c.layouts = None;
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == kcb) {
            k.core = None;
        }
        self.forget_parked_on(core);
        Ok(Stopped {
            kcb,
            halted_ns: self.ns(stopped_at.saturating_sub(requested)),
            seen_ns: self.ns(saw - requested),
            stopped_tsc: stopped_at,
            cores_involved: 2 + disturbed,
        })
    }

    /// Stops core `core` and boots it again with `kernel` and the same KCB.
    /// The image is checked first: a bad one changes nothing.
    pub fn update(&mut self, core: u32, kernel: &str) -> Result<(Stopped, Booted, u64), BootError> {
        if kernel == RT_KERNEL {
            return Err(BootError::RealTimeOnly);
        }
        let file =
            corefish::modules::get(kernel).ok_or_else(|| BootError::NoImage(kernel.into()))?;
        let info = image::check(kernel, file)?.1;
        if let Some(kcb) = self.cores.get(core as usize).and_then(|c| c.kcb) {
            self.check_layout(kcb, kernel, info)?;
        }
        if core == self.my_core() && self.cores[core as usize].state == CoreState::Running {
            return self.update_self(core, kernel);
        }
        let stopped = self.stop(core)?;
        let booted = self.boot(core, kernel, KcbChoice::Existing(stopped.kcb))?;
        // Downtime: from the old kernel's halt to the new one running the KCB.
        let running = self.cores[core as usize]
            .block
            .as_ref()
            .and_then(Loaded::ack)
            .map_or(0, |a| a.tsc_running);
        let downtime = self.ns(running.saturating_sub(stopped.stopped_tsc));
        Ok((stopped, booted, downtime))
    }

    /// Updates the kernel of the boot driver's own core in place: the new
    /// kernel is loaded and its parameters written here, then the old one
    /// stops the KCB and jumps to it (KERNEL_REPLACE), and this continues
    /// under the new kernel. The pause is that of the invocation.
    fn update_self(
        &mut self,
        core: u32,
        kernel: &str,
    ) -> Result<(Stopped, Booted, u64), BootError> {
        if self.kcbs.iter().any(|k| k.host == Some(core)) {
            return Err(BootError::HostsParked(core));
        }
        let t0 = sys::tsc();
        let phys = self.machine.first_kcb;
        let (loaded, mut plan) = self.load_and_plan(core, kernel, Some((0, phys)), "")?;
        let asked = sys::tsc();
        if let Err(e) = invoke(
            self.kernel,
            op::KERNEL_REPLACE,
            [loaded.phys, loaded.entry, 0, 0],
        ) {
            loaded.free();
            plan.discard();
            return Err(BootError::Sys("replace", e));
        }
        let back = sys::tsc();
        // Running again means the new kernel resumed OSNode 0.
        let ack = loaded.ack().unwrap_or_default();
        let info = loaded.info;
        let c = &mut self.cores[core as usize];
        c.kernel = ack.version_text().into();
        c.layouts = Some(info);
        if let Some(old) = c.block.replace(loaded) {
            old.free();
        }
        for old in c.scratch.drain(..) {
            discard(old);
        }
        c.scratch.extend(plan.own_ram.take());
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == 0) {
            k.image = kernel.into();
            k.layout = ack.kcb_layout as u32;
        }
        let paused = self.ns(back - asked);
        let stopped = Stopped {
            kcb: 0,
            halted_ns: 0,
            seen_ns: 0,
            stopped_tsc: asked,
            cores_involved: 1,
        };
        let booted = Booted {
            core,
            kernel: self.cores[core as usize].kernel.clone(),
            kcb: 0,
            fresh: false,
            phases: Phases {
                load_ns: self.ns(asked - t0),
                start_ns: 0,
                kernel_ns: paused,
                monitor_ns: 0,
                total_ns: self.ns(back - t0),
            },
        };
        Ok((stopped, booted, paused))
    }

    /// Boots core `core` with the stopped (or parked: it is taken off its
    /// host first) KCB `kcb`, under the image that ran it last: the OSNode
    /// moves there.
    pub fn give(&mut self, kcb: u64, core: u32) -> Result<Booted, BootError> {
        let k = self
            .kcbs
            .iter()
            .find(|k| k.id == kcb)
            .ok_or(BootError::NoSuchKcb(kcb))?;
        let (image, host) = (k.image.clone(), k.host);
        let file =
            corefish::modules::get(&image).ok_or_else(|| BootError::NoImage(image.clone()))?;
        self.check_layout(kcb, &image, image::check(&image, file)?.1)?;
        if host.is_some() {
            // Check the target before the KCB leaves its host.
            let cores = self.cores.len();
            let c = self
                .cores
                .get(core as usize)
                .ok_or(BootError::NoSuchCore { core, cores })?;
            if c.state == CoreState::Running {
                return Err(BootError::CoreRunning {
                    core,
                    kcb: c.kcb.unwrap_or(0),
                });
            }
            self.unpark_only(kcb)?;
        }
        self.boot(core, &image, KcbChoice::Existing(kcb))
    }

    /// Stops core `core` and parks its KCB on the running core `host`,
    /// which multiplexes it with its own.
    pub fn park(&mut self, core: u32, host: u32) -> Result<Parked, BootError> {
        let cores = self.cores.len();
        let h = self
            .cores
            .get(host as usize)
            .ok_or(BootError::NoSuchCore { core: host, cores })?;
        if h.state != CoreState::Running {
            return Err(BootError::NotRunning(host));
        }
        if host == core {
            return Err(BootError::ParkOnItself(core));
        }
        let host_apic = h.apic;
        if let (Some(info), Some(kcb)) =
            (h.layouts, self.cores.get(core as usize).and_then(|c| c.kcb))
        {
            let host_kernel = h.kernel.clone();
            self.check_layout(kcb, &host_kernel, info)?;
        }
        let stopped = self.stop(core)?;
        let kcb = stopped.kcb;
        let phys = self.kcbs.iter().find(|k| k.id == kcb).map_or(0, |k| k.phys);
        self.set_table(kcb, Some(host_apic));
        let asked = sys::tsc();
        let reply = lmp::call(self.hub, [monitor::PARK, u64::from(host), phys, kcb])
            .map_err(|e| BootError::Sys("hub", e))
            .and_then(|r| {
                corefish::SysError::from_code(r.words[1]).map_err(|e| BootError::Sys("park", e))
            });
        if let Err(e) = reply {
            self.set_table(kcb, None);
            return Err(e);
        }
        let attach_ns = self.ns(sys::tsc() - asked);
        // The host's kernel converted the KCB to its own layout; if the
        // image that ran it before cannot run that, it comes back under the
        // host's.
        let host_info = self.cores[host as usize].layouts;
        let host_image = self
            .kcbs
            .iter()
            .find(|k| k.core == Some(host))
            .map(|k| k.image.clone());
        let image_runs = |image: &str, layout: u32| {
            corefish::modules::get(image)
                .and_then(|file| image::check(image, file).ok())
                .is_some_and(|(_, info)| info.runs_kcb_layout(layout))
        };
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == kcb) {
            k.host = Some(host);
            if let Some(info) = host_info {
                k.layout = k.layout.max(info.kcb_newest);
                if !image_runs(&k.image, k.layout)
                    && let Some(image) = host_image
                {
                    k.image = image;
                }
            }
        }
        Ok(Parked {
            kcb,
            stop_ns: stopped.halted_ns,
            attach_ns,
        })
    }

    /// Takes the parked KCB `kcb` off its host (it is then stopped).
    fn unpark_only(&mut self, kcb: u64) -> Result<(), BootError> {
        let k = self
            .kcbs
            .iter()
            .find(|k| k.id == kcb)
            .ok_or(BootError::NoSuchKcb(kcb))?;
        let host = k.host.ok_or(BootError::NotParked(kcb))?;
        let reply = lmp::call(self.hub, [monitor::UNPARK, u64::from(host), kcb, 0])
            .map_err(|e| BootError::Sys("hub", e))?;
        corefish::SysError::from_code(reply.words[1]).map_err(|e| BootError::Sys("unpark", e))?;
        self.set_table(kcb, None);
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == kcb) {
            k.host = None;
        }
        Ok(())
    }

    /// Takes the parked KCB `kcb` off its host and boots core `core` with it.
    pub fn unpark(&mut self, kcb: u64, core: u32) -> Result<Booted, BootError> {
        let k = self
            .kcbs
            .iter()
            .find(|k| k.id == kcb)
            .ok_or(BootError::NoSuchKcb(kcb))?;
        if k.host.is_none() {
            return Err(BootError::NotParked(kcb));
        }
        self.give(kcb, core)
    }

    /// IPIs received so far by each core's kernel, for running cores the
    /// boot driver started (by core index).
    fn ipi_counts(&self) -> Vec<Option<u64>> {
        (0..self.cores.len())
            .map(|i| self.ipis_received(i))
            .collect()
    }

    /// IPIs received so far by the kernel running core `core`, if the boot
    /// driver started it (it counts them in its boot-parameter page).
    pub fn ipis_received(&self, core: usize) -> Option<u64> {
        let c = self.cores.get(core)?;
        c.block
            .as_ref()
            .filter(|_| c.state == CoreState::Running)
            .map(Loaded::ipis_received)
    }

    /// Refuses, before anything changes, to hand KCB `kcb` to `kernel`
    /// (described by `info`) if that kernel cannot run the KCB's layout (it
    /// would refuse it, leaving the OSNode stopped).
    fn check_layout(&self, kcb: u64, kernel: &str, info: CpuDriverInfo) -> Result<(), BootError> {
        let layout = self
            .kcbs
            .iter()
            .find(|k| k.id == kcb)
            .map_or(0, |k| k.layout);
        if layout == 0 || info.runs_kcb_layout(layout) {
            return Ok(());
        }
        Err(BootError::KcbLayout {
            kcb,
            layout,
            kernel: kernel.into(),
            oldest: info.kcb_oldest,
            newest: info.kcb_newest,
        })
    }

    /// OSNodes parked on `core` stopped with it: they run nowhere now.
    fn forget_parked_on(&mut self, core: u32) {
        let parked: Vec<u64> = self
            .kcbs
            .iter()
            .filter(|k| k.host == Some(core))
            .map(|k| k.id)
            .collect();
        for id in parked {
            self.set_table(id, None);
            if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == id) {
                k.host = None;
            }
        }
    }

    /// The core running the boot driver's own OSNode (OSNode 0).
    pub fn my_core(&self) -> u32 {
        self.cores
            .iter()
            .position(|c| c.kcb == Some(0))
            .unwrap_or(0) as u32
    }

    /// Moves the OSNode running on core `from` to core `to` (which must be
    /// off): stop and give, or, for the boot driver's own OSNode, a
    /// handover: everything is prepared here, then this core's kernel stops
    /// the OSNode and starts `to` itself (IPI_HANDOVER), and the boot driver
    /// carries on there.
    pub fn move_osnode(&mut self, from: u32, to: u32) -> Result<Booted, BootError> {
        let cores = self.cores.len();
        if from as usize >= cores {
            return Err(BootError::NoSuchCore { core: from, cores });
        }
        let t = self
            .cores
            .get(to as usize)
            .ok_or(BootError::NoSuchCore { core: to, cores })?;
        if t.state == CoreState::Running {
            return Err(BootError::CoreRunning {
                core: to,
                kcb: t.kcb.unwrap_or(0),
            });
        }
        if from != self.my_core() {
            let stopped = self.stop(from)?;
            return self
                .give(stopped.kcb, to)
                .map_err(|e| BootError::MoveFailed(stopped.kcb, alloc::boxed::Box::new(e)));
        }
        let t0 = sys::tsc();
        let image = self
            .kcbs
            .iter()
            .find(|k| k.id == 0)
            .map_or(String::from(bootcmd::DEFAULT_KERNEL), |k| k.image.clone());
        let first = Some((0, self.machine.first_kcb));
        let (loaded, mut plan) = self.load_and_plan(to, &image, first, "")?;
        let (to_apic, from_apic) = (self.cores[to as usize].apic, self.cores[from as usize].apic);
        self.set_table(0, Some(to_apic));
        self.trampoline
            .prepare(loaded.entry, phys_to_virt(loaded.phys));
        let t_loaded = sys::tsc();
        // This returns on core `to`, under its new kernel.
        if let Err(e) = invoke(
            self.ipi,
            op::IPI_HANDOVER,
            [u64::from(to_apic), u64::from(self.vector), 0, 0],
        ) {
            self.set_table(0, Some(from_apic));
            loaded.free();
            plan.discard();
            return Err(BootError::Sys("handover", e));
        }
        // Running here at all means the new kernel resumed OSNode 0, so its
        // acknowledgement is there: the records follow whatever happens.
        let ack = loaded.ack().unwrap_or_default();
        let arrived = self.trampoline.arrived().unwrap_or(t_loaded);
        self.forget_parked_on(from);
        let old = &mut self.cores[from as usize];
        old.state = CoreState::Off;
        old.kernel.clear();
        old.kcb = None;
        old.layouts = None;
        let c = &mut self.cores[to as usize];
        c.state = CoreState::Running;
        c.kernel = ack.version_text().into();
        c.kcb = Some(0);
        c.layouts = Some(loaded.info);
        if let Some(old) = c.block.replace(loaded) {
            old.free();
        }
        // The scratch RAM of the kernel that ran here before goes.
        for old in c.scratch.drain(..) {
            discard(old);
        }
        c.scratch.extend(plan.own_ram.take());
        if let Some(k) = self.kcbs.iter_mut().find(|k| k.id == 0) {
            k.core = Some(to);
        }
        let phases = Phases {
            load_ns: self.ns(t_loaded - t0),
            start_ns: self.ns(arrived.saturating_sub(t_loaded)),
            kernel_ns: self.ns(ack.tsc_running.saturating_sub(arrived)),
            monitor_ns: 0,
            total_ns: self.ns(sys::tsc() - t0),
        };
        Ok(Booted {
            core: to,
            kernel: self.cores[to as usize].kernel.clone(),
            kcb: 0,
            fresh: false,
            phases,
        })
    }

    /// Tells the hub where OSNode `kcb` runs now (it routes by core).
    fn tell_hub(&self, kcb: u64, core: Option<u32>) {
        let core = core.map_or(u64::MAX, u64::from);
        if let Err(e) = lmp::send(self.hub, [monitor::MOVED, kcb, core, 0], None) {
            corefish::println!("corectrl: cannot tell the hub where OSNode {kcb} runs: {e}");
        }
    }

    /// Stops a core whose boot failed and gives everything back.
    fn undo(&mut self, apic: u32, loaded: Loaded, plan: Plan) {
        // INIT stops the core wherever it is (it then waits for STARTUP, or
        // for the bootstrap core, halts in the trampoline page), so its
        // kernel's memory can be reused.
        let _ = invoke(
            self.ipi,
            op::IPI_INIT,
            [u64::from(apic), trampoline::HALT, 0, 0],
        );
        if plan.kcb_cap.is_some()
            || !self
                .kcbs
                .iter()
                .any(|k| k.id == plan.osnode && k.core.is_some())
        {
            self.set_table(plan.osnode, None);
        }
        loaded.free();
        plan.discard();
    }

    /// The state of core `core`'s monitor, if it answers a ping: the round
    /// trip in ns, and how often it woke from blocking before its backstop
    /// (notifications and messages).
    pub fn monitor_status(&self, core: u32) -> Option<(u64, u64)> {
        let reply = lmp::call(self.hub, [monitor::STATUS, u64::from(core), 0, 0]).ok()?;
        (reply.words[0] == monitor::REPLY && reply.words[1] == 0)
            .then_some((reply.words[2], reply.words[3]))
    }
}

/// What one boot made before the core starts.
#[derive(Default)]
struct Plan {
    own_ram: Option<CPtr>,
    kcb_cap: Option<CPtr>,
    kcb_phys: u64,
    osnode: u64,
    channel: Option<CPtr>,
    channel_phys: u64,
}

impl Plan {
    /// Gives back what a failed boot made.
    fn discard(mut self) {
        for cap in [
            self.own_ram.take(),
            self.kcb_cap.take(),
            self.channel.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = Cap::<kind::Any>::at(cap).delete();
            slots::free(cap);
        }
    }
}

/// Deletes a capability the boot driver holds and frees its slot.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

fn caps_kcb_size() -> u64 {
    corefish::caps::KCB_SIZE
}
