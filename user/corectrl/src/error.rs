//! Why a command was refused or failed: the table refused it
//! ([`Refused`], decided before anything changes), or the work on the
//! machine failed (the boot driver then stops the core it was starting
//! and gives its memory back, and the table is as it was).

use alloc::boxed::Box;
use alloc::string::String;
use bootctl::Refused;
use corefish::SysError;

/// A command that did not happen, or did not finish.
#[derive(Debug)]
pub enum BootError {
    /// The state of the cores and KCBs does not allow it.
    Refused(Refused),
    /// The boot archive has no module of that name.
    NoImage(String),
    /// The module is not a CPU driver this boot driver can start.
    BadImage(String, String),
    /// The real-time kernel runs one program (`corectrl rt`), not an OSNode.
    RealTimeOnly,
    /// The boot archive has no program of that name (or it is no program).
    NoProgram(String),
    /// A program and its arguments longer than the boot parameters hold.
    ProgramTooLong(usize),
    /// No memory for the kernel, its KCB or its channel.
    NoMemory(SysError),
    /// A capability operation or a request to the hub failed.
    Sys(&'static str, SysError),
    /// The start cannot be planned (trampoline or memory map rules).
    Plan(bootproto::starter::StarterError),
    /// The core did not start executing after INIT and STARTUP.
    NoStart(u32),
    /// The core started but its kernel did not report in time; what it
    /// left of the KCB.
    NoAck(u32, Unacknowledged),
    /// The kernel refused the KCB (it says why on the console).
    KernelRefused(u32),
    /// The kernel took a fatal fault before it ran the KCB.
    KernelFault(u32, bootproto::params::FaultReport),
    /// A kernel asked to fault (`corectrl fault`) did not report it in time.
    NoFault(u32),
    /// `corectrl fault` on the boot driver's own core, which nothing would
    /// recover.
    FaultOwnCore(u32),
    /// `trace on` for a core traced already.
    Traced(u32),
    /// `trace off` or `dump` for a core not traced (or never).
    NotTraced(u32),
    /// The ring cannot be read.
    TraceRing(String),
    /// `trace on`'s kernel runs but did not take the ring (a tracing
    /// build logs why); the core went back to the image it ran before
    /// (named).
    RingNotTaken(u32, String),
    /// The kernel runs but the OSNode's monitor did not say hello.
    MonitorSilent(u32),
    /// The core did not acknowledge a stop in time.
    NoStop(u32),
    /// A real-time run did not end in time; the core was stopped.
    RtTimeout(u32, u64),
    /// A move stopped the OSNode (KCB id) but could not start it elsewhere.
    MoveFailed(u64, Box<BootError>),
    /// An update's new kernel failed its check; the core runs the KCB
    /// under the kernel it ran before again (the report says all).
    RolledBack(bootctl::recovery::RolledBack),
    /// An update's new kernel failed its check, and the KCB was not
    /// resumed under the kernel before: the core is off, the KCB stopped.
    NotRolledBack {
        /// The core.
        core: u32,
        /// The image that failed.
        image: String,
        /// Why it failed.
        why: String,
        /// The KCB.
        kcb: u64,
        /// Why the KCB was not resumed.
        outcome: String,
    },
}

/// How a kernel asked to stop with an NMI (`Mechanism::nmi_stop`) stopped.
#[derive(Debug, Clone, Copy)]
pub enum NmiStop {
    /// As on a stop request (it idled, or ran a program: only slow), its
    /// OSNodes intact.
    Stopped,
    /// As after a fault: where it was, and whether its OSNodes are intact.
    Faulted(bootproto::params::FaultReport),
}

impl NmiStop {
    /// Whether its OSNodes are intact.
    pub fn intact(&self) -> bool {
        match self {
            Self::Stopped => true,
            Self::Faulted(fault) => fault.osnodes_intact(),
        }
    }
}

/// What a kernel that never acknowledged left of its KCB.
#[derive(Debug, Clone, Copy)]
pub enum Unacknowledged {
    /// It never entered its main: it touched nothing.
    NotEntered,
    /// Asked to stop by an NMI, it did (and said whether it left its
    /// OSNodes intact).
    Stopped(NmiStop),
    /// It did not even answer the NMI: nothing says what it touched.
    Dead,
    /// It never claimed its start on the boot driver's own core: the
    /// rescue watch took the core back (it touched nothing).
    Rescued,
}

impl Unacknowledged {
    /// Whether its KCB is as it was given (it can be resumed).
    pub fn kcb_intact(&self) -> bool {
        match self {
            Self::NotEntered | Self::Rescued => true,
            Self::Stopped(stop) => stop.intact(),
            Self::Dead => false,
        }
    }
}

impl core::fmt::Display for Unacknowledged {
    /// Text to append to "did not report in time".
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotEntered => f.write_str(" (it never entered its main)"),
            Self::Stopped(NmiStop::Faulted(fault)) => {
                write!(f, "; stopped by NMI at RIP {:#x}", fault.rip)
            }
            Self::Stopped(NmiStop::Stopped) => f.write_str("; stopped by NMI"),
            Self::Dead => f.write_str(", nor to an NMI"),
            Self::Rescued => f.write_str("; the rescue watch took the core back"),
        }
    }
}

impl BootError {
    /// Whether a failed start left the KCB as it was given (a kernel that
    /// faulted or hung where it may have been changing it did not).
    pub fn left_kcb_intact(&self) -> bool {
        match self {
            Self::KernelFault(_, fault) => fault.osnodes_intact(),
            Self::NoAck(_, state) => state.kcb_intact(),
            _ => true,
        }
    }
}

impl From<Refused> for BootError {
    fn from(r: Refused) -> Self {
        Self::Refused(r)
    }
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Refused(r) => write!(f, "{r}"),
            Self::NoImage(name) => write!(f, "the boot archive has no kernel image `{name}`"),
            Self::BadImage(name, why) => write!(f, "kernel image `{name}`: {why}"),
            Self::RealTimeOnly => f.write_str(
                "cpudriver-rt runs one program, not an OSNode: use `corectrl rt <core> <program>`",
            ),
            Self::NoProgram(name) => write!(f, "the boot archive has no program `{name}`"),
            Self::ProgramTooLong(len) => write!(
                f,
                "a program and its arguments may take {} bytes, not {len}",
                bootproto::params::PROGRAM_CAPACITY - 1
            ),
            Self::NoMemory(e) => write!(f, "no memory for the new kernel: {e}"),
            Self::Sys(what, e) => write!(f, "{what}: {e}"),
            Self::Plan(e) => write!(f, "{e}"),
            Self::NoStart(core) => {
                write!(f, "core {core} did not start (no answer to INIT/STARTUP)")
            }
            Self::NoAck(core, state) => write!(
                f,
                "core {core} started but its kernel did not report in time{state}"
            ),
            Self::KernelRefused(core) => write!(
                f,
                "core {core}'s kernel refused the KCB (see its message above)"
            ),
            Self::MonitorSilent(core) => write!(
                f,
                "core {core}'s kernel runs but its monitor did not answer"
            ),
            Self::NoStop(core) => write!(f, "core {core} did not stop in time"),
            Self::RtTimeout(core, secs) => write!(
                f,
                "the program on core {core} did not end within {secs} s; the core was stopped"
            ),
            Self::MoveFailed(kcb, why) => {
                write!(f, "{why}; KCB {kcb} is stopped (give it to a core)")
            }
            Self::KernelFault(core, fault) => {
                write!(f, "core {core}'s kernel took a fatal fault: {fault}")
            }
            Self::RolledBack(report) => write!(f, "{report}"),
            Self::Traced(core) => write!(f, "core {core} is traced already"),
            Self::NotTraced(core) => write!(f, "core {core} is not traced (`trace {core} on`)"),
            Self::TraceRing(why) => write!(f, "the trace ring: {why}"),
            Self::RingNotTaken(core, previous) => write!(
                f,
                "the tracing kernel did not take its ring (a tracing build logs why); core {core} runs {previous} again"
            ),
            Self::FaultOwnCore(core) => write!(
                f,
                "core {core} runs the boot driver, which could not recover its own core"
            ),
            Self::NoFault(core) => write!(
                f,
                "core {core}'s kernel did not report the fault it was asked to take"
            ),
            Self::NotRolledBack {
                core,
                image,
                why,
                kcb,
                outcome,
            } => write!(
                f,
                "{image} failed its check ({why}); core {core} is off and KCB {kcb} stopped: {outcome}"
            ),
        }
    }
}
