//! The boot driver's requests to the hub (the first OSNode's monitor),
//! which holds the channels to every other OSNode's monitor.

use crate::{Header, ProtoError, SysError, Words, read_reply, reply, unused};

/// Operation: the channel frame of a core being booted (no reply; an
/// [`ADD`] follows).
pub const FRAME: u64 = 0x6d0f;
/// Operation: take the channel and wait for the new monitor's hello.
pub const ADD: u64 = 0x6d10;
/// Operation: ping a core's monitor.
pub const STATUS: u64 = 0x6d11;
/// Operation: an OSNode now runs on another core, or none (no reply).
pub const MOVED: u64 = 0x6d12;
/// Operation: have the monitor on a host core park a stopped OSNode there
/// (`KERNEL_KCB_ATTACH`, through the KCB capability that came ahead in a
/// [`KCB`] message).
pub const PARK: u64 = 0x6d13;
/// Operation: have the monitor on a host core take a parked OSNode off it
/// (`KERNEL_KCB_DETACH`).
pub const UNPARK: u64 = 0x6d14;
/// Operation: the KCB capability of an OSNode about to be parked (no
/// reply; a [`PARK`] follows).
pub const KCB: u64 = 0x6d15;
/// The status word of a request whose monitor did not answer in time.
const NO_ANSWER: u64 = u64::MAX;
/// The core word of [`Request::Moved`] for an OSNode that runs nowhere.
const NOWHERE: u64 = u64::MAX;

/// A request of the boot driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `[FRAME, core, 0, 0]` + the channel frame.
    Frame {
        /// The core being booted.
        core: u64,
    },
    /// `[ADD, core, OSNode, timeout ms]`, after the core's frame.
    Add {
        /// The core.
        core: u64,
        /// The OSNode its monitor runs in.
        osnode: u64,
        /// How long to wait for the hello.
        timeout_ms: u64,
    },
    /// `[STATUS, core, within ms, 0]`.
    Status {
        /// The core.
        core: u64,
        /// How long the hub waits for the monitor's answer (0: its
        /// default, as for any call to another monitor).
        within_ms: u64,
    },
    /// `[MOVED, OSNode, core or NOWHERE, 0]`: where the OSNode runs now
    /// (the hub routes by core).
    Moved {
        /// The OSNode.
        osnode: u64,
        /// Its core (none: stopped).
        core: Option<u64>,
    },
    /// `[KCB, OSNode, 0, 0]` + the OSNode's KCB capability, ahead of its
    /// PARK.
    Kcb {
        /// The OSNode.
        osnode: u64,
    },
    /// `[PARK, host core, OSNode, 0]`, after the OSNode's KCB.
    Park {
        /// The host.
        host: u64,
        /// Its OSNode id.
        osnode: u64,
    },
    /// `[UNPARK, host core, OSNode, 0]`.
    Unpark {
        /// The host.
        host: u64,
        /// The OSNode.
        osnode: u64,
    },
}

impl Request {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Frame { core } => [FRAME, core, 0, 0],
            Self::Add {
                core,
                osnode,
                timeout_ms,
            } => [ADD, core, osnode, timeout_ms],
            Self::Status { core, within_ms } => [STATUS, core, within_ms, 0],
            Self::Moved { osnode, core } => [MOVED, osnode, core.unwrap_or(NOWHERE), 0],
            Self::Kcb { osnode } => [KCB, osnode, 0, 0],
            Self::Park { host, osnode } => [PARK, host, osnode, 0],
            Self::Unpark { host, osnode } => [UNPARK, host, osnode, 0],
        }
    }

    /// The request in `words`.
    pub fn from_words(w: Words) -> Result<Self, ProtoError> {
        match w[0] {
            FRAME => unused(FRAME, &w[2..]).map(|()| Self::Frame { core: w[1] }),
            ADD => Ok(Self::Add {
                core: w[1],
                osnode: w[2],
                timeout_ms: w[3],
            }),
            STATUS => unused(STATUS, &w[3..]).map(|()| Self::Status {
                core: w[1],
                within_ms: w[2],
            }),
            MOVED => unused(MOVED, &w[3..]).map(|()| Self::Moved {
                osnode: w[1],
                core: (w[2] != NOWHERE).then_some(w[2]),
            }),
            KCB => unused(KCB, &w[2..]).map(|()| Self::Kcb { osnode: w[1] }),
            PARK => unused(PARK, &w[3..]).map(|()| Self::Park {
                host: w[1],
                osnode: w[2],
            }),
            UNPARK => unused(UNPARK, &w[3..]).map(|()| Self::Unpark {
                host: w[1],
                osnode: w[2],
            }),
            other => Err(ProtoError::Unknown(other)),
        }
    }
}

/// Why the hub could not do what a request asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubError {
    /// The monitor concerned did not answer in time.
    NoAnswer,
    /// The request failed.
    Refused(SysError),
}

/// A monitor's answer to a ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alive {
    /// The round trip, in ns.
    pub rtt_ns: u64,
    /// How often that monitor woke from blocking before its backstop (by a
    /// notification or a message).
    pub woken: u64,
}

/// The hub's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// To [`Request::Add`]: the TSC of the hello.
    Add(Result<u64, HubError>),
    /// To [`Request::Status`].
    Status(Result<Alive, HubError>),
    /// To [`Request::Park`].
    Park(Result<(), SysError>),
    /// To [`Request::Unpark`].
    Unpark(Result<(), SysError>),
}

impl Reply {
    /// The message words.
    pub fn to_words(&self) -> Words {
        let hub = |op, result: Result<[u64; 2], HubError>| match result {
            Ok(values) => reply(op, Ok(values)),
            Err(HubError::Refused(e)) => reply(op, Err(e)),
            Err(HubError::NoAnswer) => [Header::reply(op), NO_ANSWER, 0, 0],
        };
        match *self {
            Self::Add(result) => hub(ADD, result.map(|tsc| [tsc, 0])),
            Self::Status(result) => hub(STATUS, result.map(|a| [a.rtt_ns, a.woken])),
            Self::Park(result) => reply(PARK, result.map(|()| [0, 0])),
            Self::Unpark(result) => reply(UNPARK, result.map(|()| [0, 0])),
        }
    }

    /// The reply in `words`.
    pub fn from_words(w: Words) -> Result<Self, ProtoError> {
        let hub = |op| -> Result<Result<[u64; 2], HubError>, ProtoError> {
            if w[1] == NO_ANSWER {
                return unused(op, &w[2..]).map(|()| Err(HubError::NoAnswer));
            }
            Ok(read_reply(op, w)?.map_err(HubError::Refused))
        };
        match crate::reply_op(w[0]) {
            Some(ADD) => {
                let result = hub(ADD)?;
                if let Ok([_, rest]) = result {
                    unused(ADD, &[rest])?;
                }
                Ok(Self::Add(result.map(|[tsc, _]| tsc)))
            }
            Some(STATUS) => Ok(Self::Status(
                hub(STATUS)?.map(|[rtt_ns, woken]| Alive { rtt_ns, woken }),
            )),
            Some(PARK) => Ok(Self::Park(crate::read_empty_reply(PARK, w)?)),
            Some(UNPARK) => Ok(Self::Unpark(crate::read_empty_reply(UNPARK, w)?)),
            _ => Err(ProtoError::Unknown(w[0])),
        }
    }
}
