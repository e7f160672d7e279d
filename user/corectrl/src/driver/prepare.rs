//! What a start needs besides the running core: the image loaded and
//! relocated below 4 GiB (into fresh memory, or a kept block of the same
//! image: [`crate::image`], [`crate::pool`]), RAM of the
//! kernel's own ([`KERNEL_RAM`] with a new KCB for a monitor, [`PROGRAM_KERNEL_RAM`] for a
//! real-time program, [`RESUME_RAM`] to resume
//! one), a new KCB with a channel frame for its monitor, retyped from the
//! boot driver's RAM, and the boot parameters (the memory map marks all
//! RAM but the kernel's own as assigned). Nothing is left behind if any of
//! it fails.

use bootctl::{CoreId, KcbId};
use bootproto::PhysRange;
use bootproto::params::BootParams;
use corefish::cap::{Cap, kind};
use corefish::channel::CHANNEL_BYTES;
use corefish::sys;
use corefish::{CPtr, ObjType, SysError, memserv, ram};

use super::{Installed, Mechanism, OsNodeMemory, discard};
use crate::error::BootError;
use crate::image::Loaded;
use crate::text::{self, Homes};

/// RAM each new kernel gets for itself and its OSNode: its page tables,
/// the monitor's boot region (CSpace, image, stack) and the monitor's own
/// RAM to start with. Everything else, for the monitor and its programs,
/// comes on demand from the memory server through the hub (the monitor's
/// chunks), so a core costs this plus its kernel image.
pub const KERNEL_RAM: u64 = 1536 << 10;
/// RAM of a real-time core's kernel, whose one program has no monitor to
/// ask for more: all it uses, given up front (and back with the core).
pub const PROGRAM_KERNEL_RAM: u64 = 8 << 20;
/// Scratch RAM for a kernel that resumes a KCB (its own page tables).
pub const RESUME_RAM: u64 = 1 << 20;

/// The KCB a kernel is started for.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A new one, made here, for OSNode `osnode`.
    New {
        /// The id it gets.
        osnode: KcbId,
    },
    /// An existing one that ran before.
    Resume {
        /// Its id.
        osnode: KcbId,
        /// Its physical address.
        phys: u64,
    },
}

/// A new KCB made for a start: its capability and address, and its
/// monitor's channel frame.
pub struct NewKcb {
    cap: CPtr,
    phys: u64,
    channel: CPtr,
    channel_phys: u64,
}

/// What one start made besides the image: the kernel's own RAM and, for a
/// new KCB, the KCB.
pub struct Prepared {
    /// The OSNode id.
    pub osnode: KcbId,
    own_ram: CPtr,
    new: Option<NewKcb>,
}

impl Prepared {
    /// The channel frame of the new KCB's monitor (none to resume a KCB).
    pub fn channel(&self) -> Option<CPtr> {
        self.new.as_ref().map(|n| n.channel)
    }

    /// Gives back what a failed start made.
    pub fn discard(self) {
        let _ = memserv::free(self.own_ram);
        if let Some(new) = self.new {
            discard(new.cap);
            discard(new.channel);
        }
    }

    /// What stays with the core once its kernel runs, and, for a new KCB,
    /// what stays with the KCB (its address and memory).
    pub fn keep(self, block: Loaded) -> (Installed, Option<(u64, OsNodeMemory)>) {
        match self.new {
            Some(new) => (
                Installed {
                    block,
                    scratch: None,
                },
                Some((
                    new.phys,
                    OsNodeMemory {
                        kcb: new.cap,
                        _ram: self.own_ram,
                        _channel: new.channel,
                    },
                )),
            ),
            None => (
                Installed {
                    block,
                    scratch: Some(self.own_ram),
                },
                None,
            ),
        }
    }
}

impl Mechanism {
    /// Gives back the kept blocks and the homes no kernel runs (memory is
    /// short); whether there were any.
    fn release_kept(&mut self) -> bool {
        // Kept blocks hold their homes: they go first.
        let blocks = self.pool.release();
        self.homes.release_unused() || blocks
    }

    /// Loads `kernel` (on its shared text) and prepares everything else
    /// a start of `core` with it needs (`program`: a new OSNode's first
    /// program and its arguments; empty for the monitor); nothing is left
    /// behind if this fails.
    pub fn load_and_prepare(
        &mut self,
        core: CoreId,
        apic: u32,
        kernel: &str,
        target: Target,
        program: &str,
    ) -> Result<(Loaded, Prepared), BootError> {
        let file =
            corefish::modules::get(kernel).ok_or_else(|| BootError::NoImage(kernel.into()))?;
        let kept = self.pool.take(kernel);
        let load = |homes: &mut Homes, kept| text::load(homes, kept, kernel, file);
        let mut loaded = match load(&mut self.homes, kept) {
            // The kept blocks and the unused homes go back, and it is tried
            // again.
            Err(BootError::NoMemory(_)) if self.release_kept() => load(&mut self.homes, None)?,
            other => other?,
        };
        let prepared = match prepare(target, program.is_empty()) {
            Ok(prepared) => prepared,
            Err(e) => {
                loaded.free();
                return Err(e);
            }
        };
        match self.params(core, apic, kernel, &loaded, &prepared, target, program) {
            Ok(params) => {
                let page = loaded.params_page();
                page.fill(0);
                params.encode(page);
                if let Some(apic) = self.my_apic() {
                    loaded.set_doorbell(apic);
                }
                Ok((loaded, prepared))
            }
            Err(e) => {
                loaded.free();
                prepared.discard();
                Err(e)
            }
        }
    }

    /// The boot parameters of a start.
    #[allow(clippy::too_many_arguments)]
    fn params(
        &self,
        core: CoreId,
        apic: u32,
        kernel: &str,
        loaded: &Loaded,
        prepared: &Prepared,
        target: Target,
        program: &str,
    ) -> Result<BootParams, BootError> {
        let own = Cap::<kind::Ram>::at(prepared.own_ram)
            .identify()
            .map_err(|e| BootError::Sys("kernel RAM", e))?;
        let archive = Cap::<kind::Frame>::at(corefish::abi::cspace::task::BOOT_ARCHIVE)
            .identify()
            .map_err(|e| BootError::Sys("boot archive", e))?;
        let m = &self.machine;
        let mut p = BootParams::new();
        p.core_id = core;
        p.apic_id = apic;
        p.kernel_phys = loaded.image_phys();
        p.kernel_size = loaded.image_size;
        if let Some((offset, phys)) = loaded.data() {
            p.data_offset = offset;
            p.data_phys = phys;
        }
        p.params_phys = loaded.phys;
        p.archive_phys = archive.base;
        p.archive_size = archive.size;
        p.rsdp_phys = m.rsdp;
        p.phys_top = m.phys_top;
        p.tsc_hz = m.tsc_hz;
        p.apic_timer_hz = m.apic_timer_hz;
        p.osnode_id = prepared.osnode;
        p.system_phys = m.system_phys;
        if let Some((phys, size)) = self.trace_ring(core, kernel) {
            p.trace_phys = phys;
            p.trace_size = size;
        }
        match (target, &prepared.new) {
            (Target::Resume { phys, .. }, _) => p.kcb_phys = phys,
            (Target::New { .. }, Some(new)) => {
                p.kcb_phys = new.phys;
                p.channel_phys = new.channel_phys;
                p.channel_size = CHANNEL_BYTES;
            }
            (Target::New { .. }, None) => return Err(BootError::Sys("KCB", SysError::SlotEmpty)),
        }
        p.set_kernel_name(kernel)
            .map_err(|_| BootError::BadImage(kernel.into(), "name too long".into()))?;
        p.set_program(program)
            .map_err(|_| BootError::ProgramTooLong(program.len()))?;
        let map = bootproto::starter::map_for_new_kernel(
            &m.boot_map,
            PhysRange::new(own.base, own.size),
            PhysRange::new(loaded.phys, loaded.size),
        )
        .map_err(BootError::Plan)?;
        p.set_memory_map(&map);
        p.tsc_at_handoff = sys::tsc();
        Ok(p)
    }
}

/// The kernel's own RAM and, for a new KCB, the KCB and its monitor's
/// channel frame, from the boot driver's RAM; nothing is left behind if
/// this fails. `monitor`: the new KCB's first program is the monitor
/// (else a program that gets all its memory now).
fn prepare(target: Target, monitor: bool) -> Result<Prepared, BootError> {
    let (osnode, own_size) = match target {
        Target::New { osnode } if monitor => (osnode, KERNEL_RAM),
        Target::New { osnode } => (osnode, PROGRAM_KERNEL_RAM),
        Target::Resume { osnode, .. } => (osnode, RESUME_RAM),
    };
    let own_ram = memserv::request_below(own_size, 0).map_err(BootError::NoMemory)?;
    let mut prepared = Prepared {
        osnode,
        own_ram,
        new: None,
    };
    if let Target::New { .. } = target {
        match new_kcb() {
            Ok(new) => prepared.new = Some(new),
            Err(e) => {
                prepared.discard();
                return Err(e);
            }
        }
    }
    Ok(prepared)
}

/// A new KCB and its monitor's channel frame.
fn new_kcb() -> Result<NewKcb, BootError> {
    let cap = ram::alloc(ObjType::KernelControlBlock, corefish::caps::KCB_SIZE)
        .map_err(BootError::NoMemory)?;
    let phys = match Cap::<kind::Any>::at(cap).identify() {
        Ok(id) => id.base,
        Err(e) => {
            discard(cap);
            return Err(BootError::Sys("KCB", e));
        }
    };
    let channel = match ram::alloc(ObjType::Frame, CHANNEL_BYTES) {
        Ok(channel) => channel,
        Err(e) => {
            discard(cap);
            return Err(BootError::NoMemory(e));
        }
    };
    match Cap::<kind::Any>::at(channel).identify() {
        Ok(id) => Ok(NewKcb {
            cap,
            phys,
            channel,
            channel_phys: id.base,
        }),
        Err(e) => {
            discard(cap);
            discard(channel);
            Err(BootError::Sys("channel", e))
        }
    }
}
