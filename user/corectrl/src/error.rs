//! Why a boot was refused or failed. A refused boot changes nothing; a
//! failed one leaves the core off and gives its memory back.

use alloc::string::String;
use corefish::SysError;

/// A boot that did not happen.
#[derive(Debug)]
pub enum BootError {
    /// There is no core with that id.
    NoSuchCore {
        /// The id asked for.
        core: u32,
        /// How many cores there are.
        cores: usize,
    },
    /// The core runs an OSNode already.
    CoreRunning {
        /// The core.
        core: u32,
        /// The KCB it runs.
        kcb: u64,
    },
    /// There is no KCB with that id.
    NoSuchKcb(u64),
    /// The KCB runs on a core already.
    KcbRunning {
        /// The KCB.
        kcb: u64,
        /// Where it runs.
        core: u32,
    },
    /// The boot archive has no module of that name.
    NoImage(String),
    /// The module is not a CPU driver this boot driver can start.
    BadImage(String, String),
    /// No memory for the kernel, its KCB or its channel.
    NoMemory(SysError),
    /// A capability operation failed.
    Sys(&'static str, SysError),
    /// The core did not start executing after INIT and STARTUP.
    NoStart(u32),
    /// The core started but its kernel did not report in time.
    NoAck(u32),
    /// The kernel refused the KCB (it says why on the console).
    Refused(u32),
    /// The kernel runs but the OSNode's monitor did not say hello.
    MonitorSilent(u32),
    /// The core runs nothing (it is off or stopped).
    NotRunning(u32),
    /// The KCB is parked on a host core.
    KcbParked {
        /// The KCB.
        kcb: u64,
        /// Its host.
        host: u32,
    },
    /// The KCB is not parked.
    NotParked(u64),
    /// A core cannot host its own KCB.
    ParkOnItself(u32),
    /// The core runs the boot driver itself.
    StopSelf(u32),
    /// The core did not acknowledge a stop in time.
    NoStop(u32),
    /// Every OSNode id is in use.
    TooManyOsNodes,
    /// The start cannot be planned (trampoline or memory map rules).
    Plan(bootproto::starter::StarterError),
    /// The boot archive has no program of that name (or it is no program).
    NoProgram(String),
    /// A program and its arguments longer than the boot parameters hold.
    ProgramTooLong(usize),
    /// A real-time run did not end in time; the core was stopped.
    RtTimeout(u32, u64),
    /// Other OSNodes are parked on the core (they would stop with it).
    HostsParked(u32),
    /// The real-time kernel runs one program (`corectrl rt`), not an OSNode.
    RealTimeOnly,
    /// The kernel cannot run the KCB's layout.
    KcbLayout {
        /// The KCB.
        kcb: u64,
        /// Its layout.
        layout: u32,
        /// The kernel (image or version).
        kernel: String,
        /// The oldest layout the kernel runs.
        oldest: u32,
        /// The newest.
        newest: u32,
    },
    /// A move stopped the OSNode (KCB id) but could not start it elsewhere.
    MoveFailed(u64, alloc::boxed::Box<BootError>),
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoSuchCore { core, cores } => write!(
                f,
                "there is no core {core}: this machine has cores 0 to {}",
                cores.saturating_sub(1)
            ),
            Self::CoreRunning { core, kcb } => {
                write!(f, "core {core} is running already (KCB {kcb})")
            }
            Self::NoSuchKcb(id) => write!(f, "there is no KCB {id}"),
            Self::KcbRunning { kcb, core } => {
                write!(f, "KCB {kcb} is running already, on core {core}")
            }
            Self::NoImage(name) => write!(f, "the boot archive has no kernel image `{name}`"),
            Self::BadImage(name, why) => write!(f, "kernel image `{name}`: {why}"),
            Self::NoMemory(e) => write!(f, "no memory for the new kernel: {e}"),
            Self::Sys(what, e) => write!(f, "{what}: {e}"),
            Self::NoStart(core) => {
                write!(f, "core {core} did not start (no answer to INIT/STARTUP)")
            }
            Self::NoAck(core) => write!(
                f,
                "core {core} started but its kernel did not report in time"
            ),
            Self::Refused(core) => write!(
                f,
                "core {core}'s kernel refused the KCB (see its message above)"
            ),
            Self::MonitorSilent(core) => {
                write!(
                    f,
                    "core {core}'s kernel runs but its monitor did not answer"
                )
            }
            Self::TooManyOsNodes => f.write_str("no OSNode id left"),
            Self::NotRunning(core) => write!(f, "core {core} is not running"),
            Self::KcbParked { kcb, host } => {
                write!(f, "KCB {kcb} is parked on core {host}; unpark it")
            }
            Self::NotParked(kcb) => write!(f, "KCB {kcb} is not parked"),
            Self::ParkOnItself(core) => write!(f, "core {core} cannot be parked on itself"),
            Self::StopSelf(core) => {
                write!(
                    f,
                    "core {core} runs the boot driver itself; it cannot stop its own core"
                )
            }
            Self::NoStop(core) => write!(f, "core {core} did not stop in time"),
            Self::Plan(e) => write!(f, "{e}"),
            Self::NoProgram(name) => write!(f, "the boot archive has no program `{name}`"),
            Self::ProgramTooLong(len) => write!(
                f,
                "a program and its arguments may take {} bytes, not {len}",
                bootproto::params::PROGRAM_CAPACITY - 1
            ),
            Self::RealTimeOnly => f.write_str(
                "cpudriver-rt runs one program, not an OSNode: use `corectrl rt <core> <program>`",
            ),
            Self::HostsParked(core) => write!(
                f,
                "other OSNodes are parked on core {core}; unpark them first"
            ),
            Self::KcbLayout {
                kcb,
                layout,
                kernel,
                oldest,
                newest,
            } => write!(
                f,
                "KCB {kcb} has layout {layout}, but {kernel} runs KCB layouts {oldest} to {newest}"
            ),
            Self::MoveFailed(kcb, why) => {
                write!(f, "{why}; KCB {kcb} is stopped (give it to a core)")
            }
            Self::RtTimeout(core, secs) => write!(
                f,
                "the program on core {core} did not end within {secs} s; the core was stopped"
            ),
        }
    }
}
