//! The system's message protocols, as types.
//!
//! Every message between programs is a few words: an LMP message has four
//! ([`Words`]), a UMP message between monitors seven
//! ([`intermon::Payload`]). Each protocol here defines its messages as
//! Rust types with `to_words` and `from_words`, so that no sender or
//! receiver reads `words[i]`: decoding checks the operation and every
//! field and returns a [`ProtoError`] for anything unknown or malformed,
//! never panics.
//!
//! The first word of every message (the *header*) holds the operation in
//! its low 16 bits, [`REPLY_BIT`] in a reply (whose operation is the
//! request's), and for a piece of text its length from bit 32. Operations
//! are distinct across all protocols, so one inbox can take several.
//!
//! | protocol | between | module |
//! |---|---|---|
//! | process manager | shell and init, init and the boot driver (text in a shared page) | [`procmgr`] |
//! | memory | a program and the memory server (or its monitor) | [`memserv`] |
//! | serial | programs and the serial driver | [`serial`] |
//! | hub | the boot driver and the hub (the first OSNode's monitor) | [`hub`] |
//! | monitor | a program and its OSNode's monitor | [`monitor`] |
//! | inter-monitor | monitors, over UMP through the hub | [`intermon`] |
//! | kernel | the kernel to a program (a child's end, an interrupt) | [`kernel`] |
//!
//! Who sent a message is not in it: it is the badge of the endpoint it
//! came through ([`badge`]).

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod badge;
pub mod ending;
pub mod hub;
pub mod intermon;
pub mod kernel;
pub mod memserv;
pub mod monitor;
pub mod procmgr;
pub mod serial;
pub mod text;

pub use abi::error::SysError;

/// Every operation of the protocols that travel over LMP (a program's
/// endpoint to a service can carry any of them), for tests and fuzzing.
pub const LMP_OPERATIONS: [u64; 34] = [
    procmgr::CONNECT,
    procmgr::COMMAND,
    procmgr::READY,
    procmgr::MORE,
    memserv::ALLOC,
    memserv::STATS,
    memserv::FREE,
    memserv::RELEASE,
    memserv::QUOTA,
    memserv::ADMIT,
    serial::WRITE,
    serial::LISTEN,
    serial::INPUT,
    hub::FRAME,
    hub::KCB,
    hub::ADD,
    hub::STATUS,
    hub::MOVED,
    hub::PARK,
    hub::UNPARK,
    monitor::TEXT,
    monitor::CAP,
    monitor::EXPORT,
    monitor::CONNECT,
    monitor::SEND_CAP,
    monitor::REVOKE,
    monitor::SPAWN,
    monitor::ENDED,
    monitor::STATUS,
    monitor::BOUND,
    monitor::CAP_ARRIVED,
    kernel::EXIT,
    kernel::INTERRUPT,
    kernel::MISSED,
];

/// The payload of an LMP message.
pub type Words = [u64; 4];

/// Set in the header of a reply (whose operation is the request's).
pub const REPLY_BIT: u64 = 1 << 20;
/// Where a text length sits in a header.
const LEN_SHIFT: u32 = 32;

/// Why words are not a message of a protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoError {
    /// The header names no message of this protocol (the operation).
    Unknown(u64),
    /// The operation is known but a field is not valid for it.
    Malformed(u64),
}

impl ProtoError {
    /// Whether the words are of another protocol (rather than a bad
    /// message of this one).
    pub fn is_unknown(self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl core::fmt::Display for ProtoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unknown(header) => write!(f, "unknown message {header:#x}"),
            Self::Malformed(op) => write!(f, "malformed message {op:#x}"),
        }
    }
}

/// A header: the operation, whether it is a reply, a text length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The operation.
    pub op: u64,
    /// Whether this is a reply to a request with that operation.
    pub reply: bool,
    /// A text length (0 where the message has none).
    pub len: usize,
}

impl Header {
    /// A request's header.
    pub const fn request(op: u64) -> u64 {
        op
    }

    /// The header of the reply to a request with operation `op`.
    pub const fn reply(op: u64) -> u64 {
        op | REPLY_BIT
    }

    /// The header of a piece of text of `len` bytes.
    pub const fn text(op: u64, len: usize) -> u64 {
        op | ((len as u64) << LEN_SHIFT)
    }

    /// Reads a header word; bits that no header uses make it malformed.
    pub fn read(word: u64) -> Result<Self, ProtoError> {
        let op = word & 0xffff;
        let len = (word >> LEN_SHIFT) as usize;
        let unused = word & !(0xffff | REPLY_BIT | (0xff << LEN_SHIFT));
        if unused != 0 {
            return Err(ProtoError::Unknown(word));
        }
        Ok(Self {
            op,
            reply: word & REPLY_BIT != 0,
            len,
        })
    }
}

/// A reply's status word: 0, or a [`SysError`] code.
pub fn status_word(result: Result<(), SysError>) -> u64 {
    result.err().map_or(0, |e| e as u64)
}

/// The result a status word says; a code that is no [`SysError`] makes the
/// message malformed.
pub fn read_status(op: u64, word: u64) -> Result<Result<(), SysError>, ProtoError> {
    if word == 0 {
        return Ok(Ok(()));
    }
    SysError::ALL
        .into_iter()
        .find(|e| *e as u64 == word)
        .map(Err)
        .ok_or(ProtoError::Malformed(op))
}

/// The reply to a request with operation `op`: its result's values, or
/// the error (`[op | REPLY_BIT, status, value, value]`). A server answers a
/// request it does not know with `reply(op, Err(InvalidOperation))`.
pub fn reply(op: u64, result: Result<[u64; 2], SysError>) -> Words {
    match result {
        Ok([a, b]) => [Header::reply(op), 0, a, b],
        Err(e) => [Header::reply(op), e as u64, 0, 0],
    }
}

/// The refusal of a request that a server cannot read (unknown to it, or
/// malformed), whose first word is `header`: a reply to its operation with
/// `error`, which the client's decoder reads as that error.
pub fn refusal(header: u64, error: SysError) -> Words {
    reply(header & 0xffff, Err(error))
}

/// The result in the reply `words`, if they answer a request with
/// operation `op` ([`reply`]'s inverse).
pub fn read_reply(op: u64, words: Words) -> Result<Result<[u64; 2], SysError>, ProtoError> {
    if words[0] != Header::reply(op) {
        return Err(ProtoError::Unknown(words[0]));
    }
    match read_status(op, words[1])? {
        Ok(()) => Ok(Ok([words[2], words[3]])),
        Err(e) => unused(op, &words[2..]).map(|()| Err(e)),
    }
}

/// The result in the reply `words` to a request with operation `op` whose
/// success carries no values.
pub fn read_empty_reply(op: u64, words: Words) -> Result<Result<(), SysError>, ProtoError> {
    let result = read_reply(op, words)?;
    if let Ok(values) = result {
        unused(op, &values)?;
    }
    Ok(result.map(|_| ()))
}

/// The operation of a reply's header (`None`: not a reply).
pub fn reply_op(header: u64) -> Option<u64> {
    Header::read(header)
        .ok()
        .filter(|h| h.reply && h.len == 0)
        .map(|h| h.op)
}

/// Fails with [`ProtoError::Malformed`] unless every one of `words` is 0
/// (the unused words of a message).
fn unused(op: u64, words: &[u64]) -> Result<(), ProtoError> {
    if words.iter().all(|&w| w == 0) {
        Ok(())
    } else {
        Err(ProtoError::Malformed(op))
    }
}
