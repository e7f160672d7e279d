//! Why the table refuses an operation. A refusal is decided before anything
//! changes (in the table or on the machine), so it never needs undoing.

use alloc::string::String;

use crate::{CoreId, KcbId};

/// An operation the state of the cores and KCBs does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// There is no core with that id.
    NoSuchCore {
        /// The id asked for.
        core: CoreId,
        /// How many cores there are.
        cores: usize,
    },
    /// The core runs an OSNode already.
    CoreRunning {
        /// The core.
        core: CoreId,
        /// The KCB it runs.
        kcb: KcbId,
    },
    /// The core runs nothing (it is off or stopped).
    NotRunning(CoreId),
    /// The core runs the boot driver itself, which cannot stop its own core.
    StopSelf(CoreId),
    /// There is no KCB with that id.
    NoSuchKcb(KcbId),
    /// The KCB runs on a core already.
    KcbRunning {
        /// The KCB.
        kcb: KcbId,
        /// Where it runs.
        core: CoreId,
    },
    /// The KCB is parked on a host core.
    KcbParked {
        /// The KCB.
        kcb: KcbId,
        /// Its host.
        host: CoreId,
    },
    /// The KCB is not parked.
    NotParked(KcbId),
    /// A core cannot host its own KCB.
    ParkOnItself(CoreId),
    /// Other OSNodes are parked on the core (they would stop with it).
    HostsParked(CoreId),
    /// Every OSNode id is in use.
    TooManyOsNodes,
    /// The KCB's kernel failed where it may have left it half changed.
    KcbDamaged(KcbId),
    /// The kernel cannot run the KCB's layout (it would refuse it, leaving
    /// the OSNode stopped).
    KcbLayout {
        /// The KCB.
        kcb: KcbId,
        /// Its layout.
        layout: u32,
        /// The kernel (image name or version).
        kernel: String,
        /// The oldest layout the kernel runs.
        oldest: u32,
        /// The newest.
        newest: u32,
    },
}

impl core::fmt::Display for Refused {
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
            Self::NotRunning(core) => write!(f, "core {core} is not running"),
            Self::StopSelf(core) => write!(
                f,
                "core {core} runs the boot driver itself; it cannot stop its own core"
            ),
            Self::NoSuchKcb(id) => write!(f, "there is no KCB {id}"),
            Self::KcbRunning { kcb, core } => {
                write!(f, "KCB {kcb} is running already, on core {core}")
            }
            Self::KcbParked { kcb, host } => {
                write!(f, "KCB {kcb} is parked on core {host}; unpark it")
            }
            Self::NotParked(kcb) => write!(f, "KCB {kcb} is not parked"),
            Self::ParkOnItself(core) => write!(f, "core {core} cannot be parked on itself"),
            Self::HostsParked(core) => write!(
                f,
                "other OSNodes are parked on core {core}; unpark them first"
            ),
            Self::TooManyOsNodes => f.write_str("no OSNode id left"),
            Self::KcbDamaged(kcb) => write!(
                f,
                "KCB {kcb} may be damaged (its kernel failed in the middle of a change); no kernel is given it"
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
        }
    }
}
