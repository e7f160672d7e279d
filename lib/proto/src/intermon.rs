//! What monitors say to each other over their UMP channels (a star: every
//! monitor has one channel, to the hub, which routes between them).
//!
//! A monitor's first message on its channel is its [`Message::Hello`].
//! Every other message is *routed*: its second word names the sending and
//! the receiving OSNode ([`Route`]; the hub overwrites the sender with the
//! OSNode behind the channel it came in on, so no monitor can speak for
//! another), the third the sender's request number. Each request is
//! answered with a [`Reply`] to the same request number; text (a name, a
//! command line) goes ahead of its request in [`Request::Text`] messages.

use crate::text::Chunk;
use crate::{Header, ProtoError, REPLY_BIT, SysError, read_status, unused};

/// A UMP message: seven words.
pub type Payload = [u64; 7];

/// Operation: a monitor's first message (not routed).
pub const HELLO: u64 = 0x6d01;
/// Operation: are you there?
pub const PING: u64 = 0x6d40;
/// Operation: text for the next request.
pub const TEXT: u64 = 0x6d41;
/// Operation: record a name (the hub).
pub const REGISTER: u64 = 0x6d42;
/// Operation: find a name (the hub).
pub const LOOKUP: u64 = 0x6d43;
/// Operation: give the exporter of a handle one end of a new channel.
pub const BIND: u64 = 0x6d44;
/// Operation: give the exporter of a handle a capability.
pub const DELIVER: u64 = 0x6d45;
/// Operation: revoke the import of a capability.
pub const UNIMPORT: u64 = 0x6d46;
/// Operation: start a program (text: `name args`).
pub const SPAWN: u64 = 0x6d47;
/// Operation: park a stopped OSNode on this monitor's core.
pub const ATTACH: u64 = 0x6d48;
/// Operation: take a parked OSNode off this monitor's core.
pub const DETACH: u64 = 0x6d49;
/// Operation: forget a name (the hub): its exporter ended.
pub const UNREGISTER: u64 = 0x6d4a;
/// Operation: hand the sender a chunk of the machine's RAM (the hub).
pub const GRANT: u64 = 0x6d4b;
/// Operation: take back a chunk of RAM the hub handed the sender.
pub const RETURN: u64 = 0x6d4c;
/// Operation: has the receiver's program `id` ended, and how.
pub const STATUS: u64 = 0x6d4d;

/// Every operation between monitors: the hello, text, and the requests
/// (whose replies carry the same operations).
pub const OPERATIONS: [u64; 15] = [
    HELLO, TEXT, PING, REGISTER, UNREGISTER, LOOKUP, BIND, DELIVER, UNIMPORT, SPAWN, ATTACH,
    DETACH, GRANT, RETURN, STATUS,
];

/// Text of one message: 32 bytes in four words.
pub type Text = Chunk<32>;

/// Who sends a routed message to whom. OSNode ids are below 2^32 (the
/// OSNode table has far fewer entries): each takes half of the route word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The sending OSNode.
    pub src: u64,
    /// The receiving OSNode.
    pub dst: u64,
}

impl Route {
    fn word(self) -> u64 {
        debug_assert!(self.src >> 32 == 0 && self.dst >> 32 == 0);
        (self.src << 32) | (self.dst & 0xffff_ffff)
    }

    fn read(word: u64) -> Self {
        Self {
            src: word >> 32,
            dst: word & 0xffff_ffff,
        }
    }
}

/// A capability as it travels: type, rights, and the memory it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapDesc {
    /// Its object type (`caps::ObjType` as a byte).
    pub ty: u8,
    /// Its rights (`caps::Rights` bits).
    pub rights: u8,
    /// Its base address.
    pub base: u64,
    /// Its size.
    pub size: u64,
}

impl CapDesc {
    /// `type | rights << 8`, as `KERNEL_CAP_IMPORT` takes it.
    pub fn type_and_rights(&self) -> u64 {
        u64::from(self.ty) | (u64::from(self.rights) << 8)
    }

    fn words(&self) -> [u64; 3] {
        [self.type_and_rights(), self.base, self.size]
    }

    fn read(op: u64, w: &[u64]) -> Result<Self, ProtoError> {
        if w[0] >> 16 != 0 {
            return Err(ProtoError::Malformed(op));
        }
        Ok(Self {
            ty: w[0] as u8,
            rights: (w[0] >> 8) as u8,
            base: w[1],
            size: w[2],
        })
    }
}

/// A request of one monitor to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Text for the next request.
    Text(Text),
    /// Are you there? (also carries back how busy the monitor is).
    Ping,
    /// Record the name in the text as served by `handle` on the sender.
    Register {
        /// The exporter's handle.
        handle: u64,
    },
    /// Where is the name in the text served?
    Lookup,
    /// Forget the sender's name served by `handle` (its exporter ended).
    Unregister {
        /// The exporter's handle.
        handle: u64,
    },
    /// Give the exporter of `handle` one end of a channel in `frame`.
    Bind {
        /// The exporter's handle.
        handle: u64,
        /// The channel frame.
        frame: CapDesc,
    },
    /// Give the exporter of `handle` a copy of `cap`.
    Deliver {
        /// The exporter's handle.
        handle: u64,
        /// The capability.
        cap: CapDesc,
    },
    /// Revoke this OSNode's import of `cap` (its owner revokes it).
    Unimport {
        /// The capability.
        cap: CapDesc,
    },
    /// Start the program in the text.
    Spawn,
    /// Park the stopped OSNode `osnode`, whose KCB `kcb` describes, here
    /// (the receiver imports the KCB capability and attaches through it).
    Attach {
        /// Its OSNode.
        osnode: u64,
        /// The KCB capability.
        kcb: CapDesc,
    },
    /// Take the parked OSNode `osnode` off this core.
    Detach {
        /// The OSNode.
        osnode: u64,
    },
    /// Hand the sender at least `bytes` of the machine's RAM, to become
    /// its own (`KERNEL_CAP_IMPORT` with `IMPORT_ADOPT`).
    Grant {
        /// How much it needs.
        bytes: u64,
    },
    /// Take back the chunk `[base, base + size)` the hub handed the sender
    /// (which holds nothing of it any more).
    Return {
        /// Its base.
        base: u64,
        /// Its size.
        size: u64,
    },
    /// Has program `id` (of the receiver's) ended, and how?
    Status {
        /// Its id.
        id: u64,
    },
}

impl Request {
    /// Its operation.
    pub fn op(&self) -> u64 {
        match self {
            Self::Text(_) => TEXT,
            Self::Ping => PING,
            Self::Register { .. } => REGISTER,
            Self::Lookup => LOOKUP,
            Self::Unregister { .. } => UNREGISTER,
            Self::Bind { .. } => BIND,
            Self::Deliver { .. } => DELIVER,
            Self::Unimport { .. } => UNIMPORT,
            Self::Spawn => SPAWN,
            Self::Attach { .. } => ATTACH,
            Self::Detach { .. } => DETACH,
            Self::Grant { .. } => GRANT,
            Self::Return { .. } => RETURN,
            Self::Status { .. } => STATUS,
        }
    }

    /// The header and the four argument words.
    fn words(&self) -> (u64, [u64; 4]) {
        let mut args = [0; 4];
        match *self {
            Self::Text(text) => {
                text.pack(&mut args);
                return (Header::text(TEXT, text.len()), args);
            }
            Self::Register { handle } | Self::Unregister { handle } => args[0] = handle,
            Self::Bind { handle, frame: cap } | Self::Deliver { handle, cap } => {
                args[0] = handle;
                args[1..].copy_from_slice(&cap.words());
            }
            Self::Unimport { cap } => args[..3].copy_from_slice(&cap.words()),
            Self::Attach { osnode, kcb } => {
                args[0] = osnode;
                args[1..].copy_from_slice(&kcb.words());
            }
            Self::Detach { osnode } => args[0] = osnode,
            Self::Grant { bytes } => args[0] = bytes,
            Self::Status { id } => args[0] = id,
            Self::Return { base, size } => {
                args[0] = base;
                args[1] = size;
            }
            Self::Ping | Self::Lookup | Self::Spawn => {}
        }
        (self.op(), args)
    }

    fn read(h: Header, a: &[u64]) -> Result<Self, ProtoError> {
        if h.len != 0 && h.op != TEXT {
            return Err(ProtoError::Malformed(h.op));
        }
        let from = |n: usize, request| unused(h.op, &a[n..]).map(|()| request);
        match h.op {
            TEXT => Text::unpack(TEXT, a, h.len).map(Self::Text),
            PING => from(0, Self::Ping),
            REGISTER => from(1, Self::Register { handle: a[0] }),
            LOOKUP => from(0, Self::Lookup),
            UNREGISTER => from(1, Self::Unregister { handle: a[0] }),
            BIND => CapDesc::read(BIND, &a[1..]).map(|frame| Self::Bind {
                handle: a[0],
                frame,
            }),
            DELIVER => {
                CapDesc::read(DELIVER, &a[1..]).map(|cap| Self::Deliver { handle: a[0], cap })
            }
            UNIMPORT => {
                unused(UNIMPORT, &a[3..])?;
                CapDesc::read(UNIMPORT, a).map(|cap| Self::Unimport { cap })
            }
            SPAWN => from(0, Self::Spawn),
            ATTACH => CapDesc::read(ATTACH, &a[1..]).map(|kcb| Self::Attach { osnode: a[0], kcb }),
            DETACH => from(1, Self::Detach { osnode: a[0] }),
            GRANT => from(1, Self::Grant { bytes: a[0] }),
            RETURN => from(
                2,
                Self::Return {
                    base: a[0],
                    size: a[1],
                },
            ),
            STATUS => from(1, Self::Status { id: a[0] }),
            _ => Err(ProtoError::Unknown(h.op)),
        }
    }
}

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
    fn words(&self) -> (u64, [u64; 3]) {
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

    fn read(op: u64, status: Result<(), SysError>, v: [u64; 3]) -> Result<Self, ProtoError> {
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

/// A message between monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// `[HELLO, core, OSNode, TSC when sent, 0, 0, 0]`: a new monitor's
    /// first message to the hub.
    Hello {
        /// Its core.
        core: u64,
        /// Its OSNode.
        osnode: u64,
        /// The TSC when it said hello.
        tsc: u64,
    },
    /// `[op, route, request number, 4 argument words]`.
    Request {
        /// Who to whom.
        route: Route,
        /// The sender's request number.
        req: u64,
        /// What.
        request: Request,
    },
    /// `[op | REPLY_BIT, route, request number, status, 3 value words]`.
    Reply {
        /// Who to whom.
        route: Route,
        /// The request's number.
        req: u64,
        /// The answer.
        reply: Reply,
    },
}

impl Message {
    /// The payload.
    pub fn to_payload(&self) -> Payload {
        match *self {
            Self::Hello { core, osnode, tsc } => [HELLO, core, osnode, tsc, 0, 0, 0],
            Self::Request {
                route,
                req,
                request,
            } => {
                let (header, a) = request.words();
                [header, route.word(), req, a[0], a[1], a[2], a[3]]
            }
            Self::Reply { route, req, reply } => {
                let (status, v) = reply.words();
                [
                    reply.op() | REPLY_BIT,
                    route.word(),
                    req,
                    status,
                    v[0],
                    v[1],
                    v[2],
                ]
            }
        }
    }

    /// The message in `p`.
    pub fn from_payload(p: Payload) -> Result<Self, ProtoError> {
        let h = Header::read(p[0])?;
        if h.op == HELLO && !h.reply && h.len == 0 {
            unused(HELLO, &p[4..])?;
            return Ok(Self::Hello {
                core: p[1],
                osnode: p[2],
                tsc: p[3],
            });
        }
        let (route, req) = (Route::read(p[1]), p[2]);
        if h.reply {
            if h.len != 0 {
                return Err(ProtoError::Malformed(h.op));
            }
            let status = read_status(h.op, p[3])?;
            let reply = Reply::read(h.op, status, [p[4], p[5], p[6]])?;
            return Ok(Self::Reply { route, req, reply });
        }
        let request = Request::read(h, &p[3..])?;
        Ok(Self::Request {
            route,
            req,
            request,
        })
    }

    /// The header, route and request number of the routed message in `p`,
    /// read without decoding the rest (`None` for a hello or a header no
    /// message has): enough to pass a message on, or to refuse one that
    /// does not decode.
    pub fn envelope(p: &Payload) -> Option<(Header, Route, u64)> {
        let h = Header::read(p[0]).ok()?;
        (h.op != HELLO).then(|| (h, Route::read(p[1]), p[2]))
    }

    /// The routed message in `p` as sent by `src` (what the hub vouches
    /// for); a hello is left as it is.
    pub fn stamped(mut p: Payload, src: u64) -> Payload {
        if let Some((_, route, _)) = Self::envelope(&p) {
            p[1] = Route { src, ..route }.word();
        }
        p
    }

    /// Its route (none for a hello).
    pub fn route(&self) -> Option<Route> {
        match *self {
            Self::Request { route, .. } | Self::Reply { route, .. } => Some(route),
            Self::Hello { .. } => None,
        }
    }
}
