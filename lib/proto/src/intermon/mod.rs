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

mod reply;
mod request;

pub use reply::{Found, Granted, Pong, Reply};
pub use request::{CapDesc, Request};

use crate::text::Chunk;
use crate::{Header, ProtoError, REPLY_BIT, read_status, unused};

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
