//! Services asked for what only their owners may have: init's commands,
//! the console's input, all the memory, every name.

use alloc::string::String;
use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::procmgr::{Reply, Request};
use corefish::proto::serial::Message as Serial;
use corefish::{SysError, lmp, memserv, monitor, println, sys, vspace};

use crate::{Verdict, broken, call_within, discard, refused, succeeded};

/// `command-kill`: commands the shell would give init: `kill 1` (the
/// memory server) and `corectrl stop 2` (which init passes to the boot
/// driver; a system service's `kill` is refused for another reason too).
/// Only init's refusal `NotAllowed` counts as refused.
pub fn command_kill() -> Verdict {
    let init = Cap::<kind::EndPoint>::at(task::PARENT_ENDPOINT);
    let Ok((page, mut shared)) = vspace::map_writable(4096) else {
        return broken!("no page");
    };
    if let Err(e) = lmp::send(init, Request::Connect.to_words(), Some(page)) {
        return broken!("connect: {e}");
    }
    for command in ["kill 1", "corectrl stop 2"] {
        shared.bytes_mut()[..command.len()].copy_from_slice(command.as_bytes());
        let ask = Request::Command {
            len: command.len() as u64,
        };
        match call_within(init.cptr(), ask.to_words(), 10_000_000_000) {
            Ok(Some(m)) => match Reply::from_words(m.words) {
                Ok(Reply::Command(Err(SysError::NotAllowed))) => {}
                Ok(Reply::Command(Ok(answer))) => {
                    let len = (answer.len as usize).min(4096);
                    let text = String::from_utf8_lossy(&shared.bytes()[..len]);
                    return succeeded!("init ran `{command}`: {}", text.trim());
                }
                other => return broken!("init answered `{command}` with {other:?}"),
            },
            Ok(None) => return broken!("init did not answer `{command}`"),
            Err(e) => return broken!("{e}"),
        }
    }
    refused!("init: not allowed to the sender (`kill 1`, `corectrl stop 2`)")
}

/// How long `listen` waits for typed input (the test types a line).
const LISTEN_NS: u64 = 8_000_000_000;
/// The ring `listen` takes the console's input on.
const LISTEN_RING: usize = 3;

/// `listen`: asks the serial driver for the console's input.
pub fn listen() -> Verdict {
    let Ok(ours) = lmp::endpoint_to_self(LISTEN_RING) else {
        return broken!("no endpoint");
    };
    let serial = Cap::<kind::EndPoint>::at(task::SERIAL_ENDPOINT);
    if let Err(e) = lmp::send(serial, Serial::Listen.to_words(), Some(ours.cptr())) {
        return refused!("LISTEN: {e}");
    }
    println!("attack listen: waiting for typed input");
    let deadline = sys::time_ns() + LISTEN_NS;
    while let Some((_, m)) = lmp::recv_any(&[LISTEN_RING], deadline) {
        if let Some(cap) = m.cap {
            discard(cap);
        }
        match Serial::from_words(m.words) {
            Ok(Serial::Input(text)) => {
                return succeeded!("took the console's input: {:?}", text.as_bytes());
            }
            Ok(Serial::Listening(Ok(()))) => {
                return succeeded!("the serial driver made it the console's listener");
            }
            Ok(Serial::Listening(Err(SysError::NotAllowed))) => {
                return refused!("the serial driver: not allowed to the sender");
            }
            Ok(other) => return broken!("the serial driver said {other:?}"),
            Err(_) => {}
        }
    }
    broken!("no input came, and no answer")
}

/// Largest piece asked for at a time.
const PIECE: u64 = 16 << 20;

/// `memory`: asks the memory server for RAM until it refuses.
pub fn memory() -> Verdict {
    let before = memserv::stats().map(|s| s.free).unwrap_or(0);
    let mut taken = 0u64;
    let mut piece = PIECE;
    let why = loop {
        match memserv::request_below(piece, 0) {
            Ok(_) => taken += piece,
            Err(SysError::OutOfBounds) if piece > 4096 => piece /= 2,
            Err(e) => break e,
        }
    };
    let left = memserv::stats().map(|s| s.free).unwrap_or(0);
    let what = alloc::format!(
        "took {} KiB of the server's {} KiB; {} KiB left; then: {why}",
        taken >> 10,
        before >> 10,
        left >> 10
    );
    if left < 4 << 20 {
        succeeded!("{what}")
    } else {
        refused!("{what}")
    }
}

/// How many names `name-squat` tries.
const SQUAT: usize = 1000;

/// `name-squat`: exports names until the monitor refuses.
pub fn name_squat() -> Verdict {
    let tag = sys::tsc() & 0xffff;
    for i in 0..SQUAT {
        if let Err(e) = monitor::export(&alloc::format!("squat-{tag}-{i}"), 2) {
            return refused!("name {} refused: {e}", i + 1);
        }
    }
    succeeded!("registered {SQUAT} names")
}
