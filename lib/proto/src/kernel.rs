//! What the kernel sends to programs (operations from `abi::dispatcher`):
//! the end of a dispatcher, to its exit endpoint, and an interrupt, to the
//! endpoint its vector is routed to. When such a notice does not fit in its
//! ring, the kernel marks the ring instead, and the runtime reads that mark
//! as a [`Missed`] message.

use abi::dispatcher::{EXIT_KIND_EXITED, EXIT_KIND_FAULTED};
pub use abi::dispatcher::{EXIT_MESSAGE as EXIT, IRQ_MESSAGE as INTERRUPT};

use crate::{Header, ProtoError, Words, unused};

/// How a dispatcher ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// By its own EXIT; the code is its exit code.
    Exited,
    /// Killed by the kernel; the code is the exception vector (or a
    /// kernel's reason code above 251).
    Faulted,
}

/// `[EXIT, kind, dispatcher id, code]`: a dispatcher ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// How.
    pub kind: ExitKind,
    /// The dispatcher's id in its OSNode.
    pub id: u64,
    /// Its exit code or exception vector.
    pub code: u64,
}

impl Exit {
    /// The message words.
    pub fn to_words(&self) -> Words {
        let kind = match self.kind {
            ExitKind::Exited => EXIT_KIND_EXITED,
            ExitKind::Faulted => EXIT_KIND_FAULTED,
        };
        [EXIT, kind, self.id, self.code]
    }

    /// The message in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        let h = Header::read(words[0])?;
        if h.op != EXIT || h.reply || h.len != 0 {
            return Err(ProtoError::Unknown(words[0]));
        }
        let kind = match words[1] {
            EXIT_KIND_EXITED => ExitKind::Exited,
            EXIT_KIND_FAULTED => ExitKind::Faulted,
            _ => return Err(ProtoError::Malformed(EXIT)),
        };
        Ok(Self {
            kind,
            id: words[2],
            code: words[3],
        })
    }
}

/// `[INTERRUPT, vector, 0, 0]`: an interrupt arrived on a routed vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupt {
    /// The vector.
    pub vector: u8,
}

impl Interrupt {
    /// The message words.
    pub fn to_words(&self) -> Words {
        [INTERRUPT, u64::from(self.vector), 0, 0]
    }

    /// The message in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        if words[0] != INTERRUPT {
            return Err(ProtoError::Unknown(words[0]));
        }
        unused(INTERRUPT, &words[2..])?;
        let vector = u8::try_from(words[1]).map_err(|_| ProtoError::Malformed(INTERRUPT))?;
        Ok(Self { vector })
    }
}

/// Operation of [`Missed`].
pub const MISSED: u64 = 0xe418;

/// `[MISSED, 0, 0, 0]`: notices to this ring (children's ends,
/// interrupts) did not fit while it was full; nothing is lost, the receiver
/// reads what happened from the objects (its children's status, its
/// device). Made by the runtime from the dispatcher frame's `missed` word,
/// after the messages that did fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missed;

impl Missed {
    /// The message words.
    pub fn to_words(&self) -> Words {
        [MISSED, 0, 0, 0]
    }

    /// The message in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        if words[0] != MISSED {
            return Err(ProtoError::Unknown(words[0]));
        }
        unused(MISSED, &words[1..]).map(|()| Self)
    }
}
