//! The message protocols of the system's services. Every request is an LMP
//! message of four words whose first word is the operation; requests that
//! expect an answer are sent with [`crate::lmp::call`] (which attaches an
//! endpoint for the reply) and answered with [`crate::lmp::reply`].
//!
//! Text travels in a *shared page*: a 4 KiB frame the client gives the
//! server once (`CONNECT`), which both map; a request says how many bytes of
//! it hold the request text, a reply how many hold the answer.

/// Process manager (init), reached through the task slot
/// `PARENT_ENDPOINT` of every program init starts.
pub mod procmgr {
    /// `[CONNECT, 0, 0, 0]` + frame: the client's shared page. Reply `[REPLY, status]`.
    pub const CONNECT: u64 = 0x5001;
    /// `[COMMAND, text_len, 0, 0]`: run the shell command in the shared page
    /// (`help`, `ps`, `run NAME [ARGS]`, `kill ID`, `mem`, `caps ID`).
    /// Reply `[REPLY, status, answer_len, child_id]`, the answer text in the
    /// shared page.
    pub const COMMAND: u64 = 0x5002;
    /// First word of every reply.
    pub const REPLY: u64 = 0x5003;
}

/// Memory server.
pub mod memserv {
    pub use crate::memserv::{MEM_REPLY, MEM_REQUEST};
    /// `[STATS, 0, 0, 0]`: reply `[MEM_REPLY, 0, free_bytes, total_bytes]`.
    pub const STATS: u64 = 0x3e32;
}

/// Serial driver, reached through the task slot `SERIAL_ENDPOINT`.
pub mod serial {
    /// `[WRITE | len << 16, bytes 0-7, bytes 8-15, bytes 16-23]`: write up to
    /// 24 bytes (no reply).
    pub const WRITE: u64 = 0x7001;
    /// `[LISTEN, 0, 0, 0]` + endpoint: send typed input to that endpoint as
    /// `INPUT` messages (replaces the previous listener). No reply.
    pub const LISTEN: u64 = 0x7002;
    /// `[INPUT | len << 16, bytes 0-7, bytes 8-15, bytes 16-23]`: typed bytes.
    pub const INPUT: u64 = 0x7003;

    /// Packs up to 24 bytes into three words.
    pub fn pack(bytes: &[u8]) -> [u64; 3] {
        let mut words = [0u64; 3];
        for (i, &b) in bytes.iter().take(24).enumerate() {
            words[i / 8] |= u64::from(b) << ((i % 8) * 8);
        }
        words
    }

    /// Unpacks `len` (at most 24) bytes from three words.
    pub fn unpack(words: &[u64], len: usize, out: &mut [u8; 24]) -> usize {
        let len = len.min(24);
        for (i, b) in out.iter_mut().take(len).enumerate() {
            *b = (words.get(i / 8).copied().unwrap_or(0) >> ((i % 8) * 8)) as u8;
        }
        len
    }
}
