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

/// RAM `strand` takes and sends away: far more than the tests' slack.
const STRANDED: u64 = 24 << 20;
/// How long the receiver `strand` starts on core 1 keeps running.
const RECEIVER_NS: u64 = 60_000_000_000;

/// `strand`: takes RAM from the memory server, makes a frame of it, sends
/// the frame to a program of its own on core 1 (which keeps running) and
/// ends. Before the fix the copy on core 1 kept the memory server from
/// taking the RAM back, for good; the test checks that it comes back.
pub fn strand() -> Verdict {
    let name = alloc::format!("strand-{}", sys::tsc() & 0xffff);
    if let Err(e) = monitor::spawn_on(1, &alloc::format!("attack strand-receiver {name}")) {
        return broken!("no receiver on core 1: {e}");
    }
    let ram = match memserv::request_below(STRANDED, 0) {
        Ok(ram) => ram,
        Err(e) => return broken!("no RAM: {e}"),
    };
    let Ok(frame) = corefish::slots::alloc() else {
        return broken!("no slot");
    };
    let made = Cap::<kind::Ram>::at(ram).retype(
        corefish::ObjType::Frame,
        0,
        STRANDED / 2,
        1,
        corefish::SlotRef::Slot(frame),
    );
    if let Err(e) = made {
        return broken!("no frame: {e}");
    }
    let sent = monitor::connect_when_exported(&name, sys::time_ns() + 30_000_000_000)
        .and_then(|_| monitor::send_cap(&name, frame));
    match sent {
        Ok(()) => refused!(
            "sent a frame of {} MiB of its memory to core 1 and ends: it must come back",
            STRANDED >> 21
        ),
        Err(e) => broken!("could not send: {e}"),
    }
}

/// The receiver of `strand`, on core 1: exports `name`, takes a
/// capability, keeps running a while.
pub fn strand_receiver(name: Option<&str>) -> i32 {
    let Some(name) = name else { return 2 };
    if monitor::export(name, 2).is_err() {
        return 1;
    }
    let deadline = sys::time_ns() + RECEIVER_NS;
    let got = monitor::receive_cap(2, deadline).is_some();
    println!(
        "attack strand-receiver: {}",
        if got { "holds a frame" } else { "got nothing" }
    );
    while sys::time_ns() < deadline {
        sys::sleep_until(deadline);
    }
    0
}
