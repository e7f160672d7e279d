//! The messages monitors exchange over UMP. Every message but the first
//! hello is *routed*: word 1 names the sending and the receiving OSNode,
//! word 2 the sender's request number; requests are answered with the same
//! operation plus [`REPLY_BIT`], word 3 the status (0 or a `SysError` code).
//! Text (names, command lines) travels ahead of a request in [`TEXT`]
//! messages of up to 32 bytes each.
//!
//! | op | to | args (words 3-6) | reply values |
//! |---|---|---|---|
//! | [`HELLO`] | hub, first message | core, OSNode, TSC (words 1-3) | |
//! | [`PING`] | any | TSC | |
//! | [`REGISTER`] | hub | handle; text = name | |
//! | [`LOOKUP`] | hub | text = name | OSNode, handle |
//! | [`BIND`] | exporter | handle, type \| rights << 8, base, size | binding id |
//! | [`DELIVER`] | exporter | handle, type \| rights << 8, base, size | |
//! | [`UNIMPORT`] | importer | type, base, size | |
//! | [`SPAWN`] | any | text = `name args` | program id |
//! | [`ATTACH`] | host | KCB address, OSNode id | |
//! | [`DETACH`] | host | OSNode id | |

use corefish::channel::Payload;

/// First message of a monitor on its channel to the hub (not routed):
/// `[HELLO, core id, OSNode id, TSC, ..]`.
pub const HELLO: u64 = 0x6d01;
/// Are you there?
pub const PING: u64 = 0x6d40;
/// Text for the next request: `[TEXT | len << 32, route, request, 4 words]`.
pub const TEXT: u64 = 0x6d41;
/// Record a name (hub).
pub const REGISTER: u64 = 0x6d42;
/// Find a name (hub).
pub const LOOKUP: u64 = 0x6d43;
/// Give the exporter of a handle one end of a new channel.
pub const BIND: u64 = 0x6d44;
/// Give the exporter of a handle a capability.
pub const DELIVER: u64 = 0x6d45;
/// Revoke the import of a capability.
pub const UNIMPORT: u64 = 0x6d46;
/// Start a program.
pub const SPAWN: u64 = 0x6d47;
/// Park a stopped OSNode on this monitor's core: KCB address, OSNode id.
pub const ATTACH: u64 = 0x6d48;
/// Take a parked OSNode off this monitor's core: OSNode id.
pub const DETACH: u64 = 0x6d49;
/// Added to a request's operation in its reply.
pub const REPLY_BIT: u64 = 1 << 20;
/// Status of a request whose destination has no channel.
pub const NO_ROUTE: u64 = corefish::SysError::DispatcherNotReady as u64;

/// The operation of a message (without the text length).
pub fn op(m: &Payload) -> u64 {
    m[0] & 0xf_ffff
}

/// Whether a message is a reply.
pub fn is_reply(m: &Payload) -> bool {
    m[0] & REPLY_BIT != 0
}

/// The route word.
pub fn route(src: u64, dst: u64) -> u64 {
    (src << 32) | (dst & 0xffff_ffff)
}

/// The sending OSNode.
pub fn src(m: &Payload) -> u64 {
    m[1] >> 32
}

/// The receiving OSNode.
pub fn dst(m: &Payload) -> u64 {
    m[1] & 0xffff_ffff
}

/// A request.
pub fn request(op: u64, src: u64, dst: u64, req: u64, args: [u64; 4]) -> Payload {
    [op, route(src, dst), req, args[0], args[1], args[2], args[3]]
}

/// The reply to `m` (sent by `me`).
pub fn reply(m: &Payload, me: u64, status: u64, values: [u64; 3]) -> Payload {
    [
        op(m) | REPLY_BIT,
        route(me, src(m)),
        m[2],
        status,
        values[0],
        values[1],
        values[2],
    ]
}

/// The text messages carrying `text` for request `req`.
pub fn text(src: u64, dst: u64, req: u64, text: &[u8]) -> impl Iterator<Item = Payload> + '_ {
    text.chunks(32).map(move |chunk| {
        let mut words = [0u64; 4];
        for (i, b) in chunk.iter().enumerate() {
            words[i / 8] |= u64::from(*b) << ((i % 8) * 8);
        }
        let mut m = request(TEXT, src, dst, req, words);
        m[0] |= (chunk.len() as u64) << 32;
        m
    })
}

/// The bytes of a text message.
pub fn text_bytes(m: &Payload, out: &mut alloc::vec::Vec<u8>) {
    let len = ((m[0] >> 32) as usize).min(32);
    for i in 0..len {
        out.push((m[3 + i / 8] >> ((i % 8) * 8)) as u8);
    }
}
