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
//!   OSNode, and revoking the capability here ([`revoke`]) revokes the
//!   copies there first;
//! * [`spawn_on`] a core: a program from the boot archive, started by that
//!   core's monitor.
//!
//! The messages are `proto::monitor`'s: text and a capability for a
//! request go ahead of it, the request itself is a call.

use abi::cspace::{CPtr, task};
use abi::error::SysError;
use proto::monitor::{Delivery, NAME_MAX, Reply, Request, Text};

use crate::cap::{Cap, kind};
use crate::channel::{Channel, Side};
use crate::lmp;
use crate::slots;

fn monitor() -> Result<Cap<kind::EndPoint>, SysError> {
    let ep = Cap::<kind::EndPoint>::at(task::MONITOR_ENDPOINT);
    ep.identify()
        .map(|_| ep)
        .map_err(|_| SysError::DispatcherNotReady)
}

/// Sends text, a capability, then the request; returns the reply and the
/// capability that came with it.
fn request(
    request: Request,
    text: &[u8],
    cap: Option<CPtr>,
) -> Result<(Reply, Option<CPtr>), SysError> {
    let ep = monitor()?;
    for chunk in Text::split(text) {
        lmp::send(ep, Request::Text(chunk).to_words(), None)?;
    }
    if let Some(cap) = cap {
        lmp::send(ep, Request::Cap.to_words(), Some(cap))?;
    }
    let reply = lmp::call(ep, request.to_words())?;
    let answer = Reply::from_words(reply.words).map_err(|_| SysError::InvalidOperation)?;
    Ok((answer, reply.cap))
}

/// A reply of the wrong kind.
fn unexpected<T>(_: Reply) -> Result<T, SysError> {
    Err(SysError::InvalidOperation)
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
    let result = request(Request::Export, name, Some(endpoint.cptr()));
    let _ = endpoint.delete();
    slots::free(endpoint.cptr());
    match result?.0 {
        Reply::Export(result) => result,
        other => unexpected(other),
    }
}

/// A channel to the program that exported `name` (this end is side A).
pub fn connect(name: &str) -> Result<Channel, SysError> {
    match request(Request::Connect, check_name(name)?, None)? {
        (Reply::Connect(Ok(_)), Some(frame)) => Channel::open(frame, Side::A),
        (Reply::Connect(Ok(_)), None) => Err(SysError::NoReceiveSlot),
        (Reply::Connect(Err(e)), _) => Err(e),
        (other, _) => unexpected(other),
    }
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
        match (Delivery::from_words(message.words), message.cap) {
            (Ok(Delivery::Bound { .. }), Some(frame)) => {
                return Channel::open(frame, Side::B).ok();
            }
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
        match (Delivery::from_words(message.words), message.cap) {
            (Ok(Delivery::CapArrived), Some(cap)) => return Some(cap),
            (_, Some(other)) => {
                let _ = Cap::<kind::Any>::at(other).delete();
                slots::free(other);
            }
            _ => {}
        }
    }
}

/// Sends (a copy of) the capability at `cap` to the program that exported
/// `name`.
pub fn send_cap(name: &str, cap: CPtr) -> Result<(), SysError> {
    match request(Request::SendCap, check_name(name)?, Some(cap))?.0 {
        Reply::SendCap(result) => result,
        other => unexpected(other),
    }
}

/// Revokes `cap` everywhere: every copy and descendant on this OSNode,
/// and, when the kernel says some have copies on other OSNodes, those
/// first (the kernel marks their anchors as asked to go, on the authority
/// of this original; then the monitor revokes them).
pub fn revoke<K>(cap: Cap<K>) -> Result<(), SysError> {
    match cap.revoke() {
        Err(SysError::RemoteCopies) => {
            cap.prepare_revoke()?;
            revoke_remote_copies(cap.cptr())?;
            cap.revoke()
        }
        other => other,
    }
}

/// Has the monitor revoke the copies on other OSNodes of the capability at
/// `cap` and of what lies inside it, as far as their anchors were marked
/// by [`Cap::prepare_revoke`] (before a revoke here).
pub fn revoke_remote_copies(cap: CPtr) -> Result<(), SysError> {
    match request(Request::Revoke, &[], Some(cap))?.0 {
        Reply::Revoke(result) => result,
        other => unexpected(other),
    }
}

/// Starts `command` (`name args`) on core `core`; returns its id there.
pub fn spawn_on(core: u64, command: &str) -> Result<u64, SysError> {
    if command.is_empty() || command.len() > 512 {
        return Err(SysError::BadArgument);
    }
    match request(Request::Spawn { core }, command.as_bytes(), None)?.0 {
        Reply::Spawn(result) => result,
        other => unexpected(other),
    }
}

/// How program `id` started on core `core` (what [`spawn_on`] answered)
/// is: `None` while it runs; `BadArgument` if that core's monitor does not
/// know it (any more: it remembers the last 64 that ended).
pub fn status(core: u64, id: u64) -> Result<Option<proto::ending::Ending>, SysError> {
    match request(Request::Status { core, id }, &[], None)?.0 {
        Reply::Status(result) => result,
        other => unexpected(other),
    }
}

/// Tells the monitor that the program whose endpoint to it has badge
/// `badge` ended, so that its names go (its spawner only, through an
/// unbadged endpoint: anyone else's is ignored).
pub fn ended(badge: u64) -> Result<(), SysError> {
    lmp::send(monitor()?, Request::Ended { badge }.to_words(), None)
}
