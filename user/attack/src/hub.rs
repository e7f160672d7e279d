//! Requests only the boot driver may make of the hub, made by a program.

use alloc::string::String;
use corefish::abi::cspace::task;
use corefish::abi::invoke::MAP_WRITE;
use corefish::cap::{Cap, kind};
use corefish::channel::{CHANNEL_BYTES, Channel, Side};
use corefish::proto::hub::{HubError, Reply, Request};
use corefish::proto::intermon::Message as Ump;
use corefish::{ObjType, SysError, lmp, ram, sys, vspace};
use osnode::kcb::{KCB_STARTED, KCB_STOPPED, Kcb};

use crate::{Verdict, broken, call_within, discard, refused, succeeded};

/// How long a hub request may take before the hub counts as hung.
const PATIENCE_NS: u64 = 3_000_000_000;

/// Asks the hub `request` and reads its reply (`None`: none in time).
fn ask(request: Request) -> Result<Option<Reply>, String> {
    match call_within(task::MONITOR_ENDPOINT, request.to_words(), PATIENCE_NS) {
        Ok(Some(m)) => Reply::from_words(m.words)
            .map(Some)
            .map_err(|e| alloc::format!("an answer that is not the hub's: {e}")),
        Ok(None) => Ok(None),
        Err(e) => Err(alloc::format!("cannot send: {e}")),
    }
}

/// A KCB written into a frame of this program, 16 KiB-aligned: OSNode 0,
/// started and stopped, linked to itself.
fn forge_kcb() -> Result<(corefish::CPtr, u64), String> {
    let size = corefish::caps::KCB_SIZE;
    let frame = ram::alloc(ObjType::Frame, 2 * size).map_err(|e| alloc::format!("{e}"))?;
    let base = Cap::<kind::Frame>::at(frame)
        .identify()
        .map_err(|e| alloc::format!("{e}"))?
        .base;
    let at = base.next_multiple_of(size);
    let mut mapping = vspace::map(frame, 2 * size, MAP_WRITE).map_err(|e| alloc::format!("{e}"))?;
    let bytes = &mut mapping.bytes_mut()[(at - base) as usize..];
    let mut put = |offset: usize, value: &[u8]| {
        bytes[offset..offset + value.len()].copy_from_slice(value);
    };
    let kcb = Kcb::new(0, at);
    put(core::mem::offset_of!(Kcb, magic), &kcb.magic.to_le_bytes());
    put(
        core::mem::offset_of!(Kcb, version),
        &kcb.version.to_le_bytes(),
    );
    put(
        core::mem::offset_of!(Kcb, flags),
        &(KCB_STARTED | KCB_STOPPED).to_le_bytes(),
    );
    put(core::mem::offset_of!(Kcb, ring_next), &at.to_le_bytes());
    put(core::mem::offset_of!(Kcb, ring_prev), &at.to_le_bytes());
    Ok((frame, at))
}

/// `hub-park`: a KCB forged in a frame of this program's, then a real
/// KCB object of its own, each sent ahead of a PARK on this core; then the
/// other requests of the boot driver (UNPARK, STATUS, and MOVED, which
/// would misroute core 2's OSNode: the test runs a program there after).
/// Only the hub's refusal `NotAllowed` counts as refused.
pub fn park() -> Verdict {
    let (frame, at) = match forge_kcb() {
        Ok(forged) => forged,
        Err(e) => return broken!("could not even forge a KCB: {e}"),
    };
    let real = match ram::alloc(ObjType::KernelControlBlock, corefish::caps::KCB_SIZE) {
        Ok(kcb) => kcb,
        Err(e) => return broken!("no KCB object: {e}"),
    };
    let host = corefish::core_id();
    let mut verdict = refused!("the hub refused every request: not allowed to the sender");
    for (kcb, what) in [
        (frame, "a KCB forged in its frame"),
        (real, "its own KCB object"),
    ] {
        // The KCB goes ahead as a capability, as the boot driver sends one.
        let ahead = lmp::send(
            Cap::at(task::MONITOR_ENDPOINT),
            Request::Kcb { osnode: 0 }.to_words(),
            Some(kcb),
        );
        if let Err(e) = ahead {
            return broken!("KCB: {e}");
        }
        match ask(Request::Park { host, osnode: 0 }) {
            Ok(Some(Reply::Park(Err(SysError::NotAllowed)))) => {}
            Ok(Some(Reply::Park(Ok(())))) => {
                // Taken off again, before the frame goes with this program.
                let _ = ask(Request::Unpark { host, osnode: 0 });
                verdict = succeeded!("core {host}'s kernel parked {what} ({at:#x})");
            }
            other => {
                verdict = succeeded!("PARK of {what} was not refused as not allowed: {other:?}")
            }
        }
    }
    let _ = lmp::send(
        Cap::at(task::MONITOR_ENDPOINT),
        Request::Moved {
            osnode: 2,
            core: Some(3),
        }
        .to_words(),
        None,
    );
    for request in [
        Request::Unpark { host: 2, osnode: 2 },
        Request::Status {
            core: 2,
            within_ms: 0,
        },
    ] {
        match ask(request) {
            Ok(Some(Reply::Unpark(Err(SysError::NotAllowed))))
            | Ok(Some(Reply::Status(Err(HubError::Refused(SysError::NotAllowed))))) => {}
            other => verdict = succeeded!("{request:?} was not refused as not allowed: {other:?}"),
        }
    }
    discard(frame);
    discard(real);
    verdict
}

/// Sends the hub `frame` as the channel of core `core` (FRAME: no reply).
fn send_frame(core: u64, frame: corefish::CPtr) -> Result<(), SysError> {
    let words = Request::Frame { core }.to_words();
    lmp::send(Cap::at(task::MONITOR_ENDPOINT), words, Some(frame))
}

/// `hub-hijack`: a channel of this program's, handed to the hub as core
/// 1's monitor's.
pub fn hijack() -> Verdict {
    let frame = match ram::alloc(ObjType::Frame, CHANNEL_BYTES) {
        Ok(frame) => frame,
        Err(e) => return broken!("no frame: {e}"),
    };
    let Ok(mut channel) = Channel::open(frame, Side::B) else {
        return broken!("cannot open a channel");
    };
    let (core, osnode) = (1, 1);
    let hello = Ump::Hello {
        core,
        osnode,
        tsc: sys::tsc(),
    };
    let _ = channel.try_send(&hello.to_payload());
    if let Err(e) = send_frame(core, frame) {
        return refused!("FRAME: {e}");
    }
    let add = Request::Add {
        core,
        osnode,
        timeout_ms: 1000,
    };
    match ask(add) {
        Ok(Some(Reply::Add(Ok(_)))) => {
            succeeded!("the hub took this program's channel as core {core}'s monitor")
        }
        Ok(Some(Reply::Add(Err(HubError::Refused(SysError::NotAllowed))))) => {
            refused!("the hub: not allowed to the sender")
        }
        Ok(None) => succeeded!("the hub has not answered for 3 s"),
        other => broken!("the hub answered {other:?}"),
    }
}

/// `hub-hang`: ADD for a core that does not exist, with a timeout of
/// 10^12 ms.
pub fn hang() -> Verdict {
    let frame = match ram::alloc(ObjType::Frame, CHANNEL_BYTES) {
        Ok(frame) => frame,
        Err(e) => return broken!("no frame: {e}"),
    };
    let core = 99;
    if let Err(e) = send_frame(core, frame) {
        return refused!("FRAME: {e}");
    }
    let add = Request::Add {
        core,
        osnode: 99,
        timeout_ms: 1_000_000_000_000,
    };
    match ask(add) {
        Ok(Some(Reply::Add(Err(HubError::Refused(SysError::NotAllowed))))) => {
            refused!("the hub: not allowed to the sender")
        }
        Ok(None) => succeeded!("the hub has not answered ADD for 3 s: it waits inside it"),
        other => broken!("the hub answered {other:?}"),
    }
}
