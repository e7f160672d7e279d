//! The memory protocol: a program asks the memory server (or, on an OSNode
//! the boot driver started, its monitor) for RAM, which comes with the
//! reply as a RAM capability of exactly that size.

use crate::{ProtoError, SysError, Words, read_reply, reply, unused};

/// Operation: RAM, `[ALLOC, bytes, limit, 0]` (`limit`: 0, or an address
/// the RAM must end at or below).
pub const ALLOC: u64 = 0x3e30;
/// Operation: how much RAM is left.
pub const STATS: u64 = 0x3e32;

/// A request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// RAM of `bytes`, ending at or below `limit` unless it is 0.
    Alloc {
        /// How much.
        bytes: u64,
        /// Where it must end (0: anywhere).
        limit: u64,
    },
    /// The free and total RAM.
    Stats,
}

impl Request {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Alloc { bytes, limit } => [ALLOC, bytes, limit, 0],
            Self::Stats => [STATS, 0, 0, 0],
        }
    }

    /// The request in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        match words[0] {
            ALLOC => unused(ALLOC, &words[3..]).map(|()| Self::Alloc {
                bytes: words[1],
                limit: words[2],
            }),
            STATS => unused(STATS, &words[1..]).map(|()| Self::Stats),
            other => Err(ProtoError::Unknown(other)),
        }
    }
}

/// Free and total RAM, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Not handed out yet.
    pub free: u64,
    /// In all.
    pub total: u64,
}

/// A reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// To [`Request::Alloc`]: the RAM capability comes with it.
    Alloc(Result<(), SysError>),
    /// To [`Request::Stats`].
    Stats(Result<Stats, SysError>),
}

impl Reply {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Alloc(result) => reply(ALLOC, result.map(|()| [0, 0])),
            Self::Stats(result) => reply(STATS, result.map(|s| [s.free, s.total])),
        }
    }

    /// The reply in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        match crate::reply_op(words[0]) {
            Some(ALLOC) => Ok(Self::Alloc(crate::read_empty_reply(ALLOC, words)?)),
            Some(STATS) => Ok(Self::Stats(
                read_reply(STATS, words)?.map(|[free, total]| Stats { free, total }),
            )),
            _ => Err(ProtoError::Unknown(words[0])),
        }
    }
}
