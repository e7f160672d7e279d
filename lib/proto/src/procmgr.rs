//! The process manager's protocol, which the boot driver speaks too: text
//! in a shared page. A client gives the server a 4 KiB frame once
//! ([`Request::Connect`], with the frame), which both map; a command says
//! how many bytes of the page hold its text, the reply how many hold the
//! answer, and how many more are still to come: an answer longer than the
//! page comes in pieces, each fetched with [`Request::More`] (the server
//! keeps the rest of its last answer to each client until then). Init serves the shell's commands (`help`, `ps`, `run`, `kill`,
//! `mem`, `caps`); the boot driver serves init's `corectrl` commands.

use crate::{Header, ProtoError, SysError, Words, read_reply, reply, unused};

/// Operation: the client's shared page (the frame comes with it; no reply).
pub const CONNECT: u64 = 0x5001;
/// Operation: run the command in the shared page.
pub const COMMAND: u64 = 0x5002;
/// Operation: the next piece of the last answer.
pub const MORE: u64 = 0x5003;
/// Operation: wait until the server has started up (the boot driver: its
/// startup configuration has run).
pub const READY: u64 = 0x5010;
/// The status word of a command that ran but failed.
const FAILED: u64 = u64::MAX;

/// A request to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `[CONNECT, 0, 0, 0]` + frame.
    Connect,
    /// `[COMMAND, text length, 0, 0]`.
    Command {
        /// Bytes of the shared page holding the command.
        len: u64,
    },
    /// `[READY, 0, 0, 0]`.
    Ready,
    /// `[MORE, 0, 0, 0]`: answered like a command, with the next piece.
    More,
}

impl Request {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Connect => [CONNECT, 0, 0, 0],
            Self::Command { len } => [COMMAND, len, 0, 0],
            Self::Ready => [READY, 0, 0, 0],
            Self::More => [MORE, 0, 0, 0],
        }
    }

    /// The request in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        match words[0] {
            CONNECT => unused(CONNECT, &words[1..]).map(|()| Self::Connect),
            COMMAND => unused(COMMAND, &words[2..]).map(|()| Self::Command { len: words[1] }),
            READY => unused(READY, &words[1..]).map(|()| Self::Ready),
            MORE => unused(MORE, &words[1..]).map(|()| Self::More),
            other => Err(ProtoError::Unknown(other)),
        }
    }
}

/// What a command answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// Whether the command ran but failed (the text says why).
    pub failed: bool,
    /// Bytes of the shared page holding the answer (this piece of it).
    pub len: u32,
    /// Bytes of the answer still to come after this piece.
    pub rest: u32,
    /// The program a `run` started (0: none).
    pub child: u64,
}

impl Answer {
    fn lengths(&self) -> u64 {
        u64::from(self.len) | (u64::from(self.rest) << 32)
    }
}

/// A reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// To [`Request::Command`].
    Command(Result<Answer, SysError>),
    /// To [`Request::Ready`].
    Ready(Result<(), SysError>),
}

impl Reply {
    /// The message words.
    pub fn to_words(&self) -> Words {
        match *self {
            Self::Command(Ok(a)) => [
                Header::reply(COMMAND),
                if a.failed { FAILED } else { 0 },
                a.lengths(),
                a.child,
            ],
            Self::Command(Err(e)) => reply(COMMAND, Err(e)),
            Self::Ready(result) => reply(READY, result.map(|()| [0, 0])),
        }
    }

    /// The reply in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        match crate::reply_op(words[0]) {
            Some(COMMAND) if words[1] == FAILED => Ok(Self::Command(Ok(Answer {
                failed: true,
                len: words[2] as u32,
                rest: (words[2] >> 32) as u32,
                child: words[3],
            }))),
            Some(COMMAND) => Ok(Self::Command(read_reply(COMMAND, words)?.map(
                |[lengths, child]| Answer {
                    failed: false,
                    len: lengths as u32,
                    rest: (lengths >> 32) as u32,
                    child,
                },
            ))),
            Some(READY) => Ok(Self::Ready(crate::read_empty_reply(READY, words)?)),
            _ => Err(ProtoError::Unknown(words[0])),
        }
    }
}
