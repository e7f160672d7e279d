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

/// The monitors: the hub (the first OSNode's monitor, started by init) and
/// one monitor per other OSNode, each connected to the hub by a UMP channel
/// whose frame the boot driver made (`corefish::channel`).
pub mod monitor {
    /// UMP, monitor to hub, its first message: `[HELLO, core id, OSNode
    /// id, TSC when sent, ..]`.
    pub const HELLO: u64 = 0x6d01;
    /// UMP, either way: `[PING, sequence, TSC when sent, ..]`; answered
    /// with `[PONG, the same words]`.
    pub const PING: u64 = 0x6d02;
    /// The answer to [`PING`].
    pub const PONG: u64 = 0x6d03;

    /// LMP, boot driver to hub: `[FRAME, core id, 0, 0]` with the channel
    /// frame of a core being booted (no reply; an [`ADD`] follows).
    pub const FRAME: u64 = 0x6d0f;
    /// LMP, boot driver to hub: `[ADD, core id, OSNode id, timeout ms]`, after
    /// the core's [`FRAME`]. The hub takes side A of the channel and
    /// waits for the new monitor's [`HELLO`]; reply `[REPLY, status, TSC
    /// of the hello, 0]` (status: 0, [`NO_ANSWER`], or a `SysError` code).
    pub const ADD: u64 = 0x6d10;
    /// Status of an [`ADD`] whose monitor did not say hello in time.
    pub const NO_ANSWER: u64 = u64::MAX;
    /// LMP, boot driver to hub: `[STATUS, core id, 0, 0]`: pings that core's
    /// monitor. Reply `[REPLY, 0 or NO_ANSWER, round trip ns of the ping,
    /// times that monitor woke from blocking before its backstop, that is,
    /// by a notification or a message]`.
    pub const STATUS: u64 = 0x6d11;
    /// LMP, boot driver to hub: `[MOVED, OSNode id, core id or u64::MAX, 0]`
    /// (no reply): the OSNode now runs on that core (resumed there), or on
    /// none (stopped). The hub routes by core with this.
    pub const MOVED: u64 = 0x6d12;
    /// LMP, boot driver to hub: `[PARK, host core, KCB physical address,
    /// OSNode id]`: the monitor on the host core parks that stopped OSNode
    /// there (`KERNEL_KCB_ATTACH`). Reply `[REPLY, status, 0, 0]`.
    pub const PARK: u64 = 0x6d13;
    /// LMP, boot driver to hub: `[UNPARK, host core, OSNode id, 0]`: the
    /// monitor on the host core takes that OSNode off its ring
    /// (`KERNEL_KCB_DETACH`). Reply `[REPLY, status, 0, 0]`.
    pub const UNPARK: u64 = 0x6d14;
    /// First word of the hub's LMP replies.
    pub const REPLY: u64 = 0x6d1f;
}

/// The boot driver, `corectrl`, which speaks the same text protocol as the
/// process manager: [`procmgr::CONNECT`] once with a shared page, then
/// [`procmgr::COMMAND`] with a command line (`bootcmd` syntax), answered
/// with [`procmgr::REPLY`] and text.
pub mod corectrl {
    pub use super::procmgr::{COMMAND, CONNECT, REPLY};
    /// `[READY, 0, 0, 0]`: answered with `[REPLY, 0, 0, 0]` once the boot
    /// driver has run its startup configuration (init waits for this before
    /// it starts the shell).
    pub const READY: u64 = 0x5010;
}
