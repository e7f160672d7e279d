//! Talking to the monitor of this program's OSNode (task slot
//! `MONITOR_ENDPOINT`): names, channels and capabilities across OSNodes,
//! and starting programs on other cores.
//!
//! * [`export`] a name: binding requests and capabilities sent to it then
//!   arrive on one of this program's rings;
//! * [`connect`] to a name: a UMP channel ([`crate::channel`]) to the
//!   program that exported it, on whichever OSNode it runs; that program
//!   gets the other end with [`accept`];
//! * [`send_cap`] a capability (RAM, frame, device frame) to a name: the
//!   receiver gets a copy ([`receive_cap`]); ownership stays with this
//!   OSNode, and revoking the capability here revokes the copies there
//!   ([`revoke_remote_copies`], which `Cap::revoke` calls when the kernel
//!   answers `RemoteCopies`);
//! * [`spawn_on`] a core: a program from the boot archive, started by that
//!   core's monitor.
//!
//! # Protocol (LMP, program to monitor)
//! Text (names, command lines) goes ahead of a request in [`TEXT`]
//! messages of up to 24 bytes; a capability for the request goes ahead in a
//! [`CAP`] message. The request itself is a call; the reply is `[REPLY,
//! status, value, 0]`, status 0 or a `SysError` code.

use abi::cspace::{CPtr, task};
use abi::error::SysError;

use crate::cap::{Cap, kind};
use crate::channel::{Channel, Side};
use crate::lmp::{self, Message};
use crate::proto::serial;
use crate::slots;

/// `[TEXT | len << 16, bytes 0-7, 8-15, 16-23]`: text for the next request.
pub const TEXT: u64 = 0x6d20;
/// `[CAP, 0, 0, 0]` + capability: the capability for the next request.
pub const CAP: u64 = 0x6d21;
/// Call, text = name, capability = an endpoint for deliveries.
pub const EXPORT: u64 = 0x6d22;
/// Call, text = name; reply value = binding id, with the channel frame.
pub const CONNECT: u64 = 0x6d23;
/// Call, text = name, capability = what to send.
pub const SEND_CAP: u64 = 0x6d24;
/// Call, capability = a capability about to be revoked: the monitor revokes
/// the copies on other OSNodes of it and of everything inside it.
pub const REVOKE: u64 = 0x6d25;
/// Call `[SPAWN, core, 0, 0]`, text = `name args`; reply value = the
/// program's id on that core.
pub const SPAWN: u64 = 0x6d26;
/// First word of the monitor's replies.
pub const REPLY: u64 = 0x6d2f;
/// Delivery to an exporter: `[BOUND, binding id, 0, 0]` + channel frame
/// (the exporter takes side B).
pub const BOUND: u64 = 0x6d30;
/// Delivery to an exporter: `[CAP_ARRIVED, 0, 0, 0]` + the capability.
pub const CAP_ARRIVED: u64 = 0x6d31;
/// Longest name.
pub const NAME_MAX: usize = 32;

fn monitor() -> Result<Cap<kind::EndPoint>, SysError> {
    let ep = Cap::<kind::EndPoint>::at(task::MONITOR_ENDPOINT);
    ep.identify()
        .map(|_| ep)
        .map_err(|_| SysError::DispatcherNotReady)
}

/// Sends text, a capability, then the request; returns the reply.
fn request(op: u64, word: u64, text: &[u8], cap: Option<CPtr>) -> Result<Message, SysError> {
    let ep = monitor()?;
    for chunk in text.chunks(24) {
        let [a, b, c] = serial::pack(chunk);
        lmp::send(ep, [TEXT | ((chunk.len() as u64) << 16), a, b, c], None)?;
    }
    if let Some(cap) = cap {
        lmp::send(ep, [CAP, 0, 0, 0], Some(cap))?;
    }
    let reply = lmp::call(ep, [op, word, 0, 0])?;
    if reply.words[0] != REPLY {
        return Err(SysError::InvalidOperation);
    }
    SysError::from_code(reply.words[1]).map(|()| reply)
}

fn check_name(name: &str) -> Result<&[u8], SysError> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(SysError::BadArgument);
    }
    Ok(name.as_bytes())
}

/// Exports `name`: bindings and capabilities sent to it arrive on `ring`.
pub fn export(name: &str, ring: usize) -> Result<(), SysError> {
    let name = check_name(name)?;
    // Deliveries carry capabilities: the ring needs a slot for them.
    lmp::arm(ring)?;
    let endpoint = lmp::endpoint_to_self(ring)?;
    let result = request(EXPORT, 0, name, Some(endpoint.cptr()));
    let _ = endpoint.delete();
    slots::free(endpoint.cptr());
    result.map(|_| ())
}

/// A channel to the program that exported `name` (this end is side A).
pub fn connect(name: &str) -> Result<Channel, SysError> {
    let reply = request(CONNECT, 0, check_name(name)?, None)?;
    let frame = reply.cap.ok_or(SysError::NoReceiveSlot)?;
    Channel::open(frame, Side::A)
}

/// [`connect`], retrying (every 5 ms) while `name` is not exported yet,
/// until `deadline_ns`.
pub fn connect_when_exported(name: &str, deadline_ns: u64) -> Result<Channel, SysError> {
    loop {
        match connect(name) {
            Err(SysError::SlotEmpty) if crate::sys::time_ns() < deadline_ns => {
                crate::sys::sleep_until(crate::sys::time_ns() + 5_000_000)
            }
            other => return other,
        }
    }
}

/// Waits on `ring` (the exported one) until `deadline_ns` (0: forever) for
/// the next binding; returns its channel (side B).
pub fn accept(ring: usize, deadline_ns: u64) -> Option<Channel> {
    loop {
        let (_, message) = lmp::recv_any(&[ring], deadline_ns)?;
        match (message.words[0], message.cap) {
            (BOUND, Some(frame)) => return Channel::open(frame, Side::B).ok(),
            (_, Some(cap)) => {
                let _ = Cap::<kind::Any>::at(cap).delete();
                slots::free(cap);
            }
            _ => {}
        }
    }
}

/// Waits on `ring` until `deadline_ns` (0: forever) for a capability sent
/// to this program's name; returns its slot.
pub fn receive_cap(ring: usize, deadline_ns: u64) -> Option<CPtr> {
    loop {
        let (_, message) = lmp::recv_any(&[ring], deadline_ns)?;
        if let (CAP_ARRIVED, Some(cap)) = (message.words[0], message.cap) {
            return Some(cap);
        }
    }
}

/// Sends (a copy of) the capability at `cap` to the program that exported
/// `name`.
pub fn send_cap(name: &str, cap: CPtr) -> Result<(), SysError> {
    request(SEND_CAP, 0, check_name(name)?, Some(cap)).map(|_| ())
}

/// Has the monitor revoke every copy on other OSNodes of the capability at
/// `cap` and of what lies inside it (before a revoke here).
pub fn revoke_remote_copies(cap: CPtr) -> Result<(), SysError> {
    request(REVOKE, 0, &[], Some(cap)).map(|_| ())
}

/// Starts `command` (`name args`) on core `core`; returns its id there.
pub fn spawn_on(core: u64, command: &str) -> Result<u64, SysError> {
    if command.is_empty() || command.len() > 512 {
        return Err(SysError::BadArgument);
    }
    request(SPAWN, core, command.as_bytes(), None).map(|reply| reply.words[2])
}
