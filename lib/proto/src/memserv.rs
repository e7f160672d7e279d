//! The memory protocol: a program asks the memory server (or, for a
//! program a monitor started, that monitor) for RAM, which comes with the
//! reply as a RAM capability of exactly that size, and gives it back when
//! done. The server serves the programs its owner admitted (`Admit`, before
//! the program starts); each may hold RAM up to its quota; what it still
//! holds when it ends goes back when its spawner says so (`Release`), and
//! its badge is served no more. Admissions, quotas and releases are the
//! spawner's: only an unbadged endpoint (init's) may ask them.

use crate::{ProtoError, SysError, Words, read_empty_reply, read_reply, reply, unused};

/// The most RAM one program may hold unless its spawner sets another
/// quota: a quarter of the memory server's RAM (the same rule on every
/// OSNode: monitors lend within it too).
pub const fn default_quota(total: u64) -> u64 {
    total / 4
}

/// Operation: RAM, `[ALLOC, bytes, limit, 0]` (`limit`: 0, or an address
/// the RAM must end at or below).
pub const ALLOC: u64 = 0x3e30;
/// Operation: how much RAM is left.
pub const STATS: u64 = 0x3e32;
/// Operation: RAM given back, `[FREE, 0, 0, 0]` + the RAM capability
/// (what was made of it goes too).
pub const FREE: u64 = 0x3e33;
/// Operation: a program ended, `[RELEASE, badge, 0, 0]`: everything it
/// held goes back (the spawner only).
pub const RELEASE: u64 = 0x3e34;
/// Operation: the most RAM a program may hold, `[QUOTA, badge, bytes, 0]`
/// (the spawner only; admits the program if it was not).
pub const QUOTA: u64 = 0x3e35;
/// Operation: a program about to start may be served, `[ADMIT, badge, 0,
/// 0]`, with the server's default quota (the spawner only).
pub const ADMIT: u64 = 0x3e36;

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
    /// The RAM capability that comes with this goes back.
    Free,
    /// The program whose endpoint has badge `client` ended.
    Release {
        /// Its badge.
        client: u64,
    },
    /// The program whose endpoint has badge `client` may be served, with
    /// the default quota.
    Admit {
        /// Its badge.
        client: u64,
    },
    /// The program whose endpoint has badge `client` may hold at most
    /// `bytes`.
    Quota {
        /// Its badge.
        client: u64,
        /// How much.
        bytes: u64,
    },
}

impl Request {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Alloc { bytes, limit } => [ALLOC, bytes, limit, 0],
            Self::Stats => [STATS, 0, 0, 0],
            Self::Free => [FREE, 0, 0, 0],
            Self::Release { client } => [RELEASE, client, 0, 0],
            Self::Admit { client } => [ADMIT, client, 0, 0],
            Self::Quota { client, bytes } => [QUOTA, client, bytes, 0],
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
            FREE => unused(FREE, &words[1..]).map(|()| Self::Free),
            RELEASE => unused(RELEASE, &words[2..]).map(|()| Self::Release { client: words[1] }),
            ADMIT => unused(ADMIT, &words[2..]).map(|()| Self::Admit { client: words[1] }),
            QUOTA => unused(QUOTA, &words[3..]).map(|()| Self::Quota {
                client: words[1],
                bytes: words[2],
            }),
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
    /// To [`Request::Free`].
    Free(Result<(), SysError>),
    /// To [`Request::Release`]: how many bytes went back.
    Release(Result<u64, SysError>),
    /// To [`Request::Quota`].
    Quota(Result<(), SysError>),
    /// To [`Request::Admit`].
    Admit(Result<(), SysError>),
}

impl Reply {
    /// The message words.
    pub fn to_words(&self) -> Words {
        let empty = |op, r: Result<(), SysError>| reply(op, r.map(|()| [0, 0]));
        match *self {
            Self::Alloc(result) => empty(ALLOC, result),
            Self::Stats(result) => reply(STATS, result.map(|s| [s.free, s.total])),
            Self::Free(result) => empty(FREE, result),
            Self::Release(result) => reply(RELEASE, result.map(|bytes| [bytes, 0])),
            Self::Quota(result) => empty(QUOTA, result),
            Self::Admit(result) => empty(ADMIT, result),
        }
    }

    /// The reply in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        match crate::reply_op(words[0]) {
            Some(ALLOC) => Ok(Self::Alloc(read_empty_reply(ALLOC, words)?)),
            Some(STATS) => Ok(Self::Stats(
                read_reply(STATS, words)?.map(|[free, total]| Stats { free, total }),
            )),
            Some(FREE) => Ok(Self::Free(read_empty_reply(FREE, words)?)),
            Some(RELEASE) => {
                let result = read_reply(RELEASE, words)?;
                if let Ok([_, rest]) = result {
                    unused(RELEASE, &[rest])?;
                }
                Ok(Self::Release(result.map(|[bytes, _]| bytes)))
            }
            Some(QUOTA) => Ok(Self::Quota(read_empty_reply(QUOTA, words)?)),
            Some(ADMIT) => Ok(Self::Admit(read_empty_reply(ADMIT, words)?)),
            _ => Err(ProtoError::Unknown(words[0])),
        }
    }
}
