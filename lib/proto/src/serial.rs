//! The serial driver's protocol: text to write, and the typed input it
//! passes to whoever listens.

use crate::text::Chunk;
use crate::{Header, ProtoError, SysError, Words, read_empty_reply, reply, unused};

/// Operation: write text (no reply).
pub const WRITE: u64 = 0x7001;
/// Operation: send typed input to the endpoint that comes with this
/// (replacing the previous listener); the answer ([`Message::Listening`])
/// goes to that endpoint. Only the shell's endpoint may.
pub const LISTEN: u64 = 0x7002;
/// Operation: typed input, to the listener.
pub const INPUT: u64 = 0x7003;

/// Text of one message: 24 bytes in three words.
pub type Text = Chunk<24>;

/// A message of the serial protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// `[WRITE | len << 32, text..]`.
    Write(Text),
    /// `[LISTEN, 0, 0, 0]` + endpoint.
    Listen,
    /// `[LISTEN | REPLY_BIT, status, 0, 0]`, to the endpoint that came
    /// with a LISTEN: whether it is the listener now.
    Listening(Result<(), SysError>),
    /// `[INPUT | len << 32, text..]`.
    Input(Text),
}

impl Message {
    /// The message words.
    pub fn to_words(&self) -> Words {
        let mut words = [0; 4];
        match self {
            Self::Write(text) | Self::Input(text) => {
                let op = if matches!(self, Self::Write(_)) {
                    WRITE
                } else {
                    INPUT
                };
                words[0] = Header::text(op, text.len());
                text.pack(&mut words[1..]);
            }
            Self::Listen => words[0] = LISTEN,
            Self::Listening(result) => words = reply(LISTEN, result.map(|()| [0, 0])),
        }
        words
    }

    /// The message in `words`.
    pub fn from_words(words: Words) -> Result<Self, ProtoError> {
        let h = Header::read(words[0])?;
        if h.reply {
            return match h.op {
                LISTEN => read_empty_reply(LISTEN, words).map(Self::Listening),
                _ => Err(ProtoError::Unknown(words[0])),
            };
        }
        match h.op {
            WRITE => Text::unpack(WRITE, &words[1..], h.len).map(Self::Write),
            INPUT => Text::unpack(INPUT, &words[1..], h.len).map(Self::Input),
            LISTEN if h.len == 0 => unused(LISTEN, &words[1..]).map(|()| Self::Listen),
            LISTEN => Err(ProtoError::Malformed(LISTEN)),
            _ => Err(ProtoError::Unknown(words[0])),
        }
    }
}
