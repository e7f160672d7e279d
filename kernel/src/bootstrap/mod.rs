//! Making an OSNode run on this core at boot: the machine's first OSNode
//! (its KCB and `init`, with capabilities to everything else), a new
//! OSNode whose KCB the boot driver made (its `monitor`, or the one program
//! of a real-time core), or a KCB that ran before, resumed as it was.
//!
//! Building is the one place the CPU driver makes objects itself
//! (docs/design.md, rule 6: user space creates objects only by retype;
//! someone has to make the first ones). It does so the way a spawner would, through
//! the same capability operations ([`builder`]): one RAM capability for a
//! boot region is created, every object of the OSNode is retyped from it
//! into its final slot ([`program`], [`dispatcher`]), and the temporary RAM
//! capability is
//! deleted again, so the objects stand on their own in the mapping
//! database; then the first program gets its resources ([`grants`]).
//!
//! The first program's CSpace (`abi::cspace`): root slot 0 the task CNode
//! (its own CNodes, dispatcher, frame, VSpace root, an endpoint to itself),
//! 1 the receive CNode, 3 the resources (Kernel, IRQ table, all I/O ports,
//! IPI, its KCB, the boot archive read-only), 4 one RAM capability per
//! free RAM region, 5 physical-address capabilities for device memory, 6
//! its page tables, image, stack and their mapping records.

mod builder;
mod cspace;
mod dispatcher;
mod grants;
mod program;

use bootproto::params::BootParams;
use osnode::PAddr;
use osnode::kcb::{KCB_MAGIC, KCB_STARTED, KcbError};

use crate::arch::objects::KernelMemory;
use crate::node::{self, Arrival};

/// Why an OSNode could not be run.
#[derive(Debug)]
pub enum BootstrapError {
    /// The first program's module is not in the boot archive (its name,
    /// cut to 32 bytes).
    NoProgram(arrayvec::ArrayString<32>),
    /// The boot parameters' first program is not readable text.
    BadProgram,
    /// A real-time kernel was given a KCB that ran before.
    RealTimeResume,
    /// There is no boot archive.
    NoArchive,
    /// The boot parameters name no KCB.
    NoKcb,
    /// The KCB cannot be run by this kernel.
    BadKcb(KcbError),
    /// The KCB runs on another core (the APIC id).
    KcbRunning(u32),
    /// The program's image is invalid.
    BadImage(elfload::ElfError),
    /// Not enough memory.
    NoMemory,
    /// A capability operation failed (a kernel bug).
    Caps(&'static str, caps::CapError),
    /// A mapping failed (a kernel bug).
    Map(&'static str, abi::error::SysError),
    /// An object is not where the plan put it (a kernel bug).
    Layout(&'static str),
}

impl core::fmt::Display for BootstrapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoProgram(name) => write!(f, "the boot archive has no `{name}` program"),
            Self::BadProgram => {
                f.write_str("the first program named in the boot parameters is not text")
            }
            Self::RealTimeResume => f.write_str(
                "a real-time kernel runs one new program, not an OSNode that ran before",
            ),
            Self::NoArchive => f.write_str("no boot archive"),
            Self::NoKcb => f.write_str("no KCB to run"),
            Self::BadKcb(e) => write!(f, "{e}"),
            Self::KcbRunning(apic) => {
                write!(f, "the KCB runs on the core with APIC id {apic} already")
            }
            Self::BadImage(e) => write!(f, "program image: {e}"),
            Self::NoMemory => f.write_str("not enough memory for the OSNode"),
            Self::Caps(what, e) => write!(f, "{what}: {e}"),
            Self::Map(what, e) => write!(f, "{what}: {e}"),
            Self::Layout(what) => write!(f, "{what} not where planned"),
        }
    }
}

/// Which OSNode is being made.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The machine's first: its KCB is made here; its first program is
    /// `init`, with every resource of the machine.
    First {
        /// The system page (given to init for the boot driver).
        system_phys: u64,
    },
    /// A later core's: its KCB was made by the boot driver; its first
    /// program is `monitor` (or the program the boot driver named), with
    /// the memory the boot driver gave.
    Monitor,
}

/// Builds the first OSNode with init; returns its KCB.
pub fn first_osnode(
    mem: &mut KernelMemory,
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
    system_phys: u64,
) -> Result<PAddr, BootstrapError> {
    let kcb = program::build(mem, params, archive, Role::First { system_phys })?;
    crate::system::set_core_of(0, params.apic_id);
    Ok(kcb)
}

/// Runs the KCB a boot driver gave this core: a fresh one gets its first
/// program; one that ran before (on any core, under any kernel) resumes as
/// it was.
pub fn run_osnode(
    mem: &mut KernelMemory,
    params: &BootParams,
    archive: &bootarchive::Archive<'_>,
) -> Result<PAddr, BootstrapError> {
    let kcb = params.kcb_phys;
    if kcb == 0 {
        return Err(BootstrapError::NoKcb);
    }
    let (id, started) = {
        let k = mem.kcb(kcb);
        if k.magic != KCB_MAGIC {
            return Err(BootstrapError::BadKcb(KcbError::BadMagic));
        }
        (k.id, k.flags & KCB_STARTED != 0)
    };
    if !started {
        return program::build(mem, params, archive, Role::Monitor);
    }
    if cfg!(feature = "rt") {
        // A real-time kernel runs one fresh program, not an OSNode.
        return Err(BootstrapError::RealTimeResume);
    }
    if let Some(apic) = crate::system::core_of(id).filter(|&a| a != params.apic_id) {
        return Err(BootstrapError::KcbRunning(apic));
    }
    node::take_over(mem, kcb, Arrival::Boot).map_err(BootstrapError::BadKcb)?;
    Ok(kcb)
}
