//! Requests only the boot driver may make of the hub, made by a program.

use alloc::string::String;
use corefish::abi::cspace::task;
use corefish::abi::invoke::MAP_WRITE;
use corefish::cap::{Cap, kind};
use corefish::channel::{CHANNEL_BYTES, Channel, Side};
use corefish::proto::hub::{Reply, Request};
use corefish::proto::intermon::Message as Ump;
use corefish::{ObjType, lmp, ram, sys, vspace};
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

/// `hub-park`: a KCB forged in a frame of this program's, parked on this
/// core by the hub.
pub fn park() -> Verdict {
    let (frame, at) = match forge_kcb() {
        Ok(forged) => forged,
        Err(e) => return broken!("could not even forge a KCB: {e}"),
    };
    let host = corefish::core_id();
    // The KCB goes ahead as a capability, as the boot driver sends one.
    let ahead = lmp::send(
        Cap::at(task::MONITOR_ENDPOINT),
        Request::Kcb { osnode: 0 }.to_words(),
        Some(frame),
    );
    if let Err(e) = ahead {
        return refused!("KCB: {e}");
    }
    let verdict = match ask(Request::Park { host, osnode: 0 }) {
        Ok(Some(Reply::Park(Ok(())))) => {
            // Taken off again, before this frame goes with this program.
            let _ = ask(Request::Unpark { host, osnode: 0 });
            succeeded!("core {host}'s kernel took a KCB forged at {at:#x} into its ring")
        }
        Ok(Some(Reply::Park(Err(e)))) => refused!("the hub: {e}"),
        Ok(Some(other)) => refused!("the hub answered {other:?}"),
        Ok(None) => succeeded!("the hub has not answered for 3 s"),
        Err(e) => refused!("{e}"),
    };
    discard(frame);
    verdict
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
    let sent = lmp::send(
        Cap::at(task::MONITOR_ENDPOINT),
        Request::Frame { core }.to_words(),
        Some(frame),
    );
    if let Err(e) = sent {
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
        Ok(Some(Reply::Add(Err(e)))) => refused!("the hub: {e:?}"),
        Ok(Some(other)) => refused!("the hub answered {other:?}"),
        Ok(None) => succeeded!("the hub has not answered for 3 s"),
        Err(e) => refused!("{e}"),
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
    let sent = lmp::send(
        Cap::at(task::MONITOR_ENDPOINT),
        Request::Frame { core }.to_words(),
        Some(frame),
    );
    if let Err(e) = sent {
        return refused!("FRAME: {e}");
    }
    let add = Request::Add {
        core,
        osnode: 99,
        timeout_ms: 1_000_000_000_000,
    };
    match ask(add) {
        Ok(Some(Reply::Add(Err(e)))) => refused!("the hub: {e:?}"),
        Ok(Some(other)) => refused!("the hub answered {other:?}"),
        Ok(None) => succeeded!("the hub has not answered ADD for 3 s: it waits inside it"),
        Err(e) => refused!("{e}"),
    }
}
