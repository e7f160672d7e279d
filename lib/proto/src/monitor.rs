//! A program's requests to its OSNode's monitor: names, channels and
//! capabilities across OSNodes, and starting programs on other cores; and
//! what the monitor delivers to a program that exported a name.
//!
//! Text (a name, a command line) goes ahead of a request in
//! [`Request::Text`] messages; a capability for the request goes ahead in a
//! [`Request::Cap`] message. The request itself is a call, answered with a
//! [`Reply`].

use crate::ending::Ending;
use crate::kernel::ExitKind;
use crate::text::Chunk;
use crate::{Header, ProtoError, SysError, Words, read_reply, reply, unused};

/// Operation: text for the next request.
pub const TEXT: u64 = 0x6d20;
/// Operation: the capability for the next request.
pub const CAP: u64 = 0x6d21;
/// Operation: export a name (text), deliveries to the endpoint sent ahead.
pub const EXPORT: u64 = 0x6d22;
/// Operation: a channel to the exporter of a name (text).
pub const CONNECT: u64 = 0x6d23;
/// Operation: send a copy of the capability sent ahead to the exporter of
/// a name (text).
pub const SEND_CAP: u64 = 0x6d24;
/// Operation: the capability sent ahead is about to be revoked: revoke its
/// copies on other OSNodes, and those of everything inside it.
pub const REVOKE: u64 = 0x6d25;
/// Operation: start a program (text: `name args`) on a core.
pub const SPAWN: u64 = 0x6d26;
/// Operation: a program ended, `[ENDED, badge, 0, 0]` (no reply): its
/// names and whatever it sent ahead of a request go (its spawner only,
/// through an unbadged endpoint).
pub const ENDED: u64 = 0x6d27;
/// Operation: has program `id` on core `core` ended, and how,
/// `[STATUS, core, id, 0]` (a monitor remembers the last programs that
/// ended on its OSNode).
pub const STATUS: u64 = 0x6d28;
/// Operation of a delivery: one end of a new channel.
pub const BOUND: u64 = 0x6d30;
/// Operation of a delivery: a capability sent to the exported name.
pub const CAP_ARRIVED: u64 = 0x6d31;
/// Longest name.
pub const NAME_MAX: usize = 32;

/// Text of one message: 24 bytes in three words.
pub type Text = Chunk<24>;

/// A program's message to its monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `[TEXT | len << 32, text..]`.
    Text(Text),
    /// `[CAP, 0, 0, 0]` + capability.
    Cap,
    /// `[EXPORT, 0, 0, 0]`.
    Export,
    /// `[CONNECT, 0, 0, 0]`.
    Connect,
    /// `[SEND_CAP, 0, 0, 0]`.
    SendCap,
    /// `[REVOKE, 0, 0, 0]`.
    Revoke,
    /// `[SPAWN, core, 0, 0]`.
    Spawn {
        /// The core to start it on.
        core: u64,
    },
    /// `[ENDED, badge, 0, 0]`.
    Ended {
        /// The badge of the program that ended.
        badge: u64,
    },
    /// `[STATUS, core, id, 0]`.
    Status {
        /// The core it was started on.
        core: u64,
        /// Its id there (what `Spawn` answered).
        id: u64,
    },
}

impl Request {
    /// The message words.
    pub fn to_words(&self) -> Words {
        let mut w = [0; 4];
        match *self {
            Self::Text(text) => {
                w[0] = Header::text(TEXT, text.len());
                text.pack(&mut w[1..]);
            }
            Self::Cap => w[0] = CAP,
            Self::Export => w[0] = EXPORT,
            Self::Connect => w[0] = CONNECT,
            Self::SendCap => w[0] = SEND_CAP,
            Self::Revoke => w[0] = REVOKE,
            Self::Spawn { core } => w = [SPAWN, core, 0, 0],
            Self::Ended { badge } => w = [ENDED, badge, 0, 0],
            Self::Status { core, id } => w = [STATUS, core, id, 0],
        }
        w
    }

    /// The request in `words`.
    pub fn from_words(w: Words) -> Result<Self, ProtoError> {
        let h = Header::read(w[0])?;
        if h.reply || (h.len != 0 && h.op != TEXT) {
            return Err(ProtoError::Unknown(w[0]));
        }
        let bare = |request| unused(h.op, &w[1..]).map(|()| request);
        match h.op {
            TEXT => Text::unpack(TEXT, &w[1..], h.len).map(Self::Text),
            CAP => bare(Self::Cap),
            EXPORT => bare(Self::Export),
            CONNECT => bare(Self::Connect),
            SEND_CAP => bare(Self::SendCap),
            REVOKE => bare(Self::Revoke),
            SPAWN => unused(SPAWN, &w[2..]).map(|()| Self::Spawn { core: w[1] }),
            ENDED => unused(ENDED, &w[2..]).map(|()| Self::Ended { badge: w[1] }),
            STATUS => unused(STATUS, &w[3..]).map(|()| Self::Status {
                core: w[1],
                id: w[2],
            }),
            _ => Err(ProtoError::Unknown(w[0])),
        }
    }
}

/// The monitor's reply to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// To [`Request::Export`].
    Export(Result<(), SysError>),
    /// To [`Request::Connect`]: the binding id; the channel frame comes
    /// with it (this end is side A).
    Connect(Result<u64, SysError>),
    /// To [`Request::SendCap`].
    SendCap(Result<(), SysError>),
    /// To [`Request::Revoke`].
    Revoke(Result<(), SysError>),
    /// To [`Request::Spawn`]: the program's id on that core.
    Spawn(Result<u64, SysError>),
    /// To [`Request::Status`]: `None` while it runs.
    Status(Result<Option<Ending>, SysError>),
}

/// An ending as two words: `[0, 0]` while running, else `[1 + kind, code]`.
pub fn status_words(status: Option<Ending>) -> [u64; 2] {
    match status {
        None => [0, 0],
        Some(e) => [1 + matches!(e.kind, ExitKind::Faulted) as u64, e.code],
    }
}

/// The ending in two words ([`status_words`]).
pub fn read_status_words(op: u64, w: [u64; 2]) -> Result<Option<Ending>, ProtoError> {
    let kind = match w[0] {
        0 => return unused(op, &w[1..]).map(|()| None),
        1 => ExitKind::Exited,
        2 => ExitKind::Faulted,
        _ => return Err(ProtoError::Malformed(op)),
    };
    Ok(Some(Ending { kind, code: w[1] }))
}

impl Reply {
    /// The reply to `request` that refuses it with `error` (text and a
    /// capability sent ahead get no reply of their own: `Export`'s then).
    pub fn refusal(request: Request, error: SysError) -> Self {
        match request {
            Request::Connect => Self::Connect(Err(error)),
            Request::SendCap => Self::SendCap(Err(error)),
            Request::Revoke => Self::Revoke(Err(error)),
            Request::Spawn { .. } => Self::Spawn(Err(error)),
            Request::Status { .. } => Self::Status(Err(error)),
            Request::Export | Request::Text(_) | Request::Cap | Request::Ended { .. } => {
                Self::Export(Err(error))
            }
        }
    }

    /// The message words.
    pub fn to_words(&self) -> Words {
        let empty = |op, r: Result<(), SysError>| reply(op, r.map(|()| [0, 0]));
        let value = |op, r: Result<u64, SysError>| reply(op, r.map(|v| [v, 0]));
        match *self {
            Self::Export(r) => empty(EXPORT, r),
            Self::Connect(r) => value(CONNECT, r),
            Self::SendCap(r) => empty(SEND_CAP, r),
            Self::Revoke(r) => empty(REVOKE, r),
            Self::Spawn(r) => value(SPAWN, r),
            Self::Status(r) => reply(STATUS, r.map(status_words)),
        }
    }

    /// The reply in `words`.
    pub fn from_words(w: Words) -> Result<Self, ProtoError> {
        let empty = |op| crate::read_empty_reply(op, w);
        let value = |op| -> Result<Result<u64, SysError>, ProtoError> {
            let result = read_reply(op, w)?;
            if let Ok([_, rest]) = result {
                unused(op, &[rest])?;
            }
            Ok(result.map(|[v, _]| v))
        };
        match crate::reply_op(w[0]) {
            Some(EXPORT) => Ok(Self::Export(empty(EXPORT)?)),
            Some(CONNECT) => Ok(Self::Connect(value(CONNECT)?)),
            Some(SEND_CAP) => Ok(Self::SendCap(empty(SEND_CAP)?)),
            Some(REVOKE) => Ok(Self::Revoke(empty(REVOKE)?)),
            Some(SPAWN) => Ok(Self::Spawn(value(SPAWN)?)),
            Some(STATUS) => Ok(Self::Status(match read_reply(STATUS, w)? {
                Ok(v) => Ok(read_status_words(STATUS, v)?),
                Err(e) => Err(e),
            })),
            _ => Err(ProtoError::Unknown(w[0])),
        }
    }
}

/// What the monitor delivers to the program that exported a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// `[BOUND, binding id, 0, 0]` + the channel frame (the exporter's end
    /// is side B).
    Bound {
        /// The binding.
        binding: u64,
    },
    /// `[CAP_ARRIVED, 0, 0, 0]` + a capability sent to the name.
    CapArrived,
}

impl Delivery {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Bound { binding } => [BOUND, binding, 0, 0],
            Self::CapArrived => [CAP_ARRIVED, 0, 0, 0],
        }
    }

    /// The delivery in `words`.
    pub fn from_words(w: Words) -> Result<Self, ProtoError> {
        match w[0] {
            BOUND => unused(BOUND, &w[2..]).map(|()| Self::Bound { binding: w[1] }),
            CAP_ARRIVED => unused(CAP_ARRIVED, &w[1..]).map(|()| Self::CapArrived),
            other => Err(ProtoError::Unknown(other)),
        }
    }
}
