//! The answers to requests between monitors (`Reply`) and the values they
//! carry.

use super::{
    ATTACH, BIND, DELIVER, DETACH, GRANT, LOOKUP, PING, REGISTER, RETURN, SPAWN, STATUS, UNIMPORT,
    UNREGISTER,
};
use crate::{ProtoError, SysError, unused};

/// A monitor's answer to a ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pong {
    /// Its TSC when it answered.
    pub tsc: u64,
    /// How often it woke from blocking before its backstop.
    pub woken: u64,
}

/// Where a name is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The OSNode of its exporter.
    pub osnode: u64,
    /// The exporter's handle there.
    pub handle: u64,
}

/// A chunk of RAM the hub handed a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granted {
    /// Its base.
    pub base: u64,
    /// Its size.
    pub size: u64,
    /// The most RAM one program may hold (the memory server's rule, the
    /// same on every OSNode).
    pub quota: u64,
}

/// The answer to a [`Request`] (text gets none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// To [`Request::Ping`].
    Ping(Result<Pong, SysError>),
    /// To [`Request::Register`].
    Register(Result<(), SysError>),
    /// To [`Request::Lookup`].
    Lookup(Result<Found, SysError>),
    /// To [`Request::Unregister`].
    Unregister(Result<(), SysError>),
    /// To [`Request::Bind`]: the binding id.
    Bind(Result<u64, SysError>),
    /// To [`Request::Deliver`].
    Deliver(Result<(), SysError>),
    /// To [`Request::Unimport`].
    Unimport(Result<(), SysError>),
    /// To [`Request::Spawn`]: the program's id.
    Spawn(Result<u64, SysError>),
    /// To [`Request::Attach`].
    Attach(Result<(), SysError>),
    /// To [`Request::Detach`].
    Detach(Result<(), SysError>),
    /// To [`Request::Grant`].
    Grant(Result<Granted, SysError>),
    /// To [`Request::Return`].
    Return(Result<(), SysError>),
    /// To [`Request::Status`]: `None` while it runs.
    Status(Result<Option<crate::ending::Ending>, SysError>),
}

impl Reply {
    /// The refusal of a request with operation `op` (`None` for text, which
    /// gets no reply, and unknown operations).
    pub fn refusal(op: u64, error: SysError) -> Option<Self> {
        Self::read(op, Err(error), [0; 3]).ok()
    }

    /// The operation of the request it answers.
    pub fn op(&self) -> u64 {
        match self {
            Self::Ping(_) => PING,
            Self::Register(_) => REGISTER,
            Self::Lookup(_) => LOOKUP,
            Self::Unregister(_) => UNREGISTER,
            Self::Bind(_) => BIND,
            Self::Deliver(_) => DELIVER,
            Self::Unimport(_) => UNIMPORT,
            Self::Spawn(_) => SPAWN,
            Self::Attach(_) => ATTACH,
            Self::Detach(_) => DETACH,
            Self::Grant(_) => GRANT,
            Self::Return(_) => RETURN,
            Self::Status(_) => STATUS,
        }
    }

    /// The status and values words.
    pub(super) fn words(&self) -> (u64, [u64; 3]) {
        fn split<T>(
            r: &Result<T, SysError>,
            values: impl FnOnce(&T) -> [u64; 3],
        ) -> (u64, [u64; 3]) {
            match r {
                Ok(v) => (0, values(v)),
                Err(e) => (*e as u64, [0; 3]),
            }
        }
        let none = |_: &()| [0; 3];
        let one = |v: &u64| [*v, 0, 0];
        match self {
            Self::Ping(r) => split(r, |p| [p.tsc, p.woken, 0]),
            Self::Lookup(r) => split(r, |f| [f.osnode, f.handle, 0]),
            Self::Grant(r) => split(r, |g| [g.base, g.size, g.quota]),
            Self::Status(r) => split(r, |s| {
                let [a, b] = crate::monitor::status_words(*s);
                [a, b, 0]
            }),
            Self::Bind(r) | Self::Spawn(r) => split(r, one),
            Self::Register(r)
            | Self::Unregister(r)
            | Self::Deliver(r)
            | Self::Unimport(r)
            | Self::Attach(r)
            | Self::Detach(r)
            | Self::Return(r) => split(r, none),
        }
    }

    pub(super) fn read(
        op: u64,
        status: Result<(), SysError>,
        v: [u64; 3],
    ) -> Result<Self, ProtoError> {
        let used = match op {
            GRANT => 3,
            PING | LOOKUP | STATUS => 2,
            BIND | SPAWN => 1,
            REGISTER | UNREGISTER | DELIVER | UNIMPORT | ATTACH | DETACH | RETURN => 0,
            _ => return Err(ProtoError::Unknown(op)),
        };
        // A refusal carries no values.
        let used = if status.is_err() { 0 } else { used };
        unused(op, &v[used..])?;
        let empty = || status;
        let one = || status.map(|()| v[0]);
        Ok(match op {
            PING => Self::Ping(status.map(|()| Pong {
                tsc: v[0],
                woken: v[1],
            })),
            LOOKUP => Self::Lookup(status.map(|()| Found {
                osnode: v[0],
                handle: v[1],
            })),
            BIND => Self::Bind(one()),
            SPAWN => Self::Spawn(one()),
            REGISTER => Self::Register(empty()),
            UNREGISTER => Self::Unregister(empty()),
            DELIVER => Self::Deliver(empty()),
            UNIMPORT => Self::Unimport(empty()),
            ATTACH => Self::Attach(empty()),
            GRANT => Self::Grant(status.map(|()| Granted {
                base: v[0],
                size: v[1],
                quota: v[2],
            })),
            RETURN => Self::Return(empty()),
            STATUS => Self::Status(match status {
                Ok(()) => Ok(crate::monitor::read_status_words(STATUS, [v[0], v[1]])?),
                Err(e) => Err(e),
            }),
            _ => Self::Detach(empty()),
        })
    }
}
