//! LMP messaging for programs: sending to endpoints, receiving from this
//! dispatcher's rings, and calls (a request carrying an endpoint for the
//! reply, then waiting for the reply).
//!
//! Rings: 0 is the program's inbox (requests, exit notifications of
//! children, interrupts), 1 receives replies to [`call`]. Every ring the
//! runtime reads has a receive slot armed, so a capability sent with a
//! message always has somewhere to go; taking the message re-arms it.

use abi::cspace::{CPtr, SlotRef, task};
use abi::dispatcher::{MESSAGE_HAS_CAP, RECEIVE_SLOT_VALID};
use abi::error::SysError;
use abi::invoke;
use spin::Mutex;

use crate::cap::{Cap, kind};
use crate::{frame, slots, sys};

/// The inbox ring.
pub const INBOX: usize = 0;
/// The ring replies to calls arrive on.
pub const REPLIES: usize = 1;
/// How many times a send to a full ring, or with a capability to a ring
/// whose receive slot is not set up yet, is retried (yielding in between).
const FULL_RETRIES: u32 = 100_000;

/// A received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// The badge of the endpoint it was sent through.
    pub badge: u64,
    /// The payload.
    pub words: [u64; 4],
    /// Where the capability that came with it is, if any.
    pub cap: Option<CPtr>,
}

/// The slot a spawner arms for the inbox before the program runs: the
/// first slot of the receive CNode.
pub const FIRST_RECEIVE_SLOT: CPtr = CPtr::new(abi::cspace::root::RECEIVE, 0);

/// The slot armed for each ring, plus one (0: none). Init's inbox is not
/// armed by a spawner, but `arm` notices (the frame's slot is not valid).
static ARMED: Mutex<[u32; abi::dispatcher::ENDPOINTS]> =
    Mutex::new([FIRST_RECEIVE_SLOT.0 + 1, 0, 0, 0, 0, 0, 0, 0]);
/// An endpoint to this dispatcher's reply ring (0 until made).
static REPLY_ENDPOINT: Mutex<u32> = Mutex::new(0);

/// Makes sure a capability sent to `ring` has an empty slot to land in.
pub fn arm(ring: usize) -> Result<(), SysError> {
    let mut armed = ARMED.lock();
    // Armed, or holding a capability not taken yet (the kernel clears the
    // frame's slot when it stores one; `try_recv` re-arms after taking it).
    if armed[ring] != 0 {
        return Ok(());
    }
    let slot = slots::alloc()?;
    armed[ring] = slot.0 + 1;
    frame::set_receive_slot(ring, SlotRef::Slot(slot).pack() | RECEIVE_SLOT_VALID);
    Ok(())
}

/// Sets up the inbox at program start: a program its spawner started has
/// the inbox armed with [`FIRST_RECEIVE_SLOT`] already; init arms it here.
pub fn init() {
    if frame::receive_slot(INBOX) & RECEIVE_SLOT_VALID == 0 && frame::counters(INBOX).0 == 0 {
        frame::set_receive_slot(
            INBOX,
            SlotRef::Slot(FIRST_RECEIVE_SLOT).pack() | RECEIVE_SLOT_VALID,
        );
    }
}

/// Sends `words` (and the capability at `cap`) through `endpoint`, retrying
/// while the receiver's ring is full.
pub fn send(
    endpoint: Cap<kind::EndPoint>,
    words: [u64; 4],
    cap: Option<CPtr>,
) -> Result<(), SysError> {
    for _ in 0..FULL_RETRIES {
        match try_send(endpoint, words, cap) {
            Err(SysError::EndpointFull | SysError::NoReceiveSlot) => sys::yield_now(),
            other => return other,
        }
    }
    Err(SysError::EndpointFull)
}

/// [`send`], retrying while the receiver cannot take it until
/// `deadline_ns` (0: as `send`) rather than a number of times.
fn send_until(
    endpoint: Cap<kind::EndPoint>,
    words: [u64; 4],
    cap: Option<CPtr>,
    deadline_ns: u64,
) -> Result<(), SysError> {
    if deadline_ns == 0 {
        return send(endpoint, words, cap);
    }
    // Yields first, then sleeps: a receiver busy for long (a boot driver
    // booting many cores before it reads its inbox) is waited for by time,
    // not by a number of tries that a fast core uses up early.
    let mut waiting = crate::channel::Waiting::new(deadline_ns);
    loop {
        match try_send(endpoint, words, cap) {
            Err(SysError::EndpointFull | SysError::NoReceiveSlot) if waiting.pause() => {}
            Err(SysError::EndpointFull | SysError::NoReceiveSlot) => {
                return Err(SysError::TimedOut);
            }
            other => return other,
        }
    }
}

/// Sends `words` (and the capability at `cap`) through `endpoint` once:
/// `EndpointFull` or `NoReceiveSlot` if the receiver cannot take it now.
pub fn try_send(
    endpoint: Cap<kind::EndPoint>,
    words: [u64; 4],
    cap: Option<CPtr>,
) -> Result<(), SysError> {
    let op = cap.map_or(invoke::SEND, |c| invoke::send_with_cap(c.0));
    sys::invoke(endpoint.cptr(), op, words).map(|_| ())
}

/// The badge of the [`proto::kernel::Missed`] messages the runtime makes:
/// a word no spawner mints, so that a program cannot send one to a
/// service (it could badge only its own endpoint so, and send to itself).
pub const MISSED_BADGE: u64 = u64::MAX;

/// Takes the next message of `ring`: first a [`proto::kernel::Missed`]
/// message (badge [`MISSED_BADGE`]) if kernel notices to the ring were
/// missed (it was full: no sender can postpone this by keeping the ring
/// busy), then what waits in the ring, if anything.
pub fn try_recv(ring: usize) -> Option<Message> {
    if frame::take_missed(ring) {
        return Some(Message {
            badge: MISSED_BADGE,
            words: proto::kernel::Missed.to_words(),
            cap: None,
        });
    }
    let raw = frame::pop(ring)?;
    let cap = if raw.flags & MESSAGE_HAS_CAP != 0 {
        let mut armed = ARMED.lock();
        let slot = armed[ring].checked_sub(1).map(CPtr);
        armed[ring] = 0;
        drop(armed);
        let _ = arm(ring);
        slot
    } else {
        None
    };
    Some(Message {
        badge: raw.badge,
        words: raw.words,
        cap,
    })
}

/// Waits for the next message of `ring`.
pub fn recv(ring: usize) -> Message {
    let _ = arm(ring);
    loop {
        if let Some(message) = try_recv(ring) {
            return message;
        }
        sys::wait_rings(0, 1 << ring);
    }
}

/// Waits for a message on any of `rings` until `deadline_ns` (0: forever).
pub fn recv_any(rings: &[usize], deadline_ns: u64) -> Option<(usize, Message)> {
    for &ring in rings {
        let _ = arm(ring);
    }
    loop {
        for &ring in rings {
            if let Some(message) = try_recv(ring) {
                return Some((ring, message));
            }
        }
        let mask = rings.iter().fold(0, |m, &r| m | (1u64 << r));
        if sys::wait_rings(deadline_ns, mask) && deadline_ns != 0 && sys::time_ns() >= deadline_ns {
            return None;
        }
    }
}

/// An endpoint to this dispatcher's own ring `ring`, in a fresh slot.
pub fn endpoint_to_self(ring: usize) -> Result<Cap<kind::EndPoint>, SysError> {
    let slot = slots::alloc()?;
    sys::invoke(
        task::DISPATCHER,
        invoke::DISPATCHER_CREATE_ENDPOINT,
        [ring as u64, SlotRef::Slot(slot).pack(), 0, 0],
    )?;
    Ok(Cap::at(slot))
}

/// The reply endpoint of this dispatcher (made on first use), unbadged.
fn reply_endpoint() -> Result<CPtr, SysError> {
    let mut ep = REPLY_ENDPOINT.lock();
    if *ep == 0 {
        *ep = endpoint_to_self(REPLIES)?.cptr().0 + 1;
    }
    Ok(CPtr(*ep - 1))
}

/// Badges of the reply endpoints [`call_within`] hands out, one per call.
static NEXT_CALL: Mutex<u64> = Mutex::new(1);

/// Takes the next message of the reply ring that answers the call whose
/// reply endpoint has badge `badge`, waiting until `deadline_ns` (0:
/// forever). Replies to earlier calls that gave up waiting are dropped.
fn reply_to(badge: u64, deadline_ns: u64) -> Option<Message> {
    loop {
        let (_, message) = recv_any(&[REPLIES], deadline_ns)?;
        if message.badge == badge {
            return Some(message);
        }
        if let Some(cap) = message.cap {
            let _ = Cap::<kind::Any>::at(cap).delete();
            slots::free(cap);
        }
    }
}

/// Sends a request with an endpoint for the reply, and waits for the reply.
pub fn call(server: Cap<kind::EndPoint>, words: [u64; 4]) -> Result<Message, SysError> {
    call_within(server, words, 0)
}

/// [`call`], waiting for the reply only until `deadline_ns` (0: for ever;
/// [`SysError::TimedOut`] then). The server gets an endpoint for the reply
/// badged for this call alone (never the unbadged one, from which it could
/// mint any badge), so that only its reply to this call is taken for it: a
/// reply that comes too late, to an earlier call, is dropped.
pub fn call_within(
    server: Cap<kind::EndPoint>,
    words: [u64; 4],
    deadline_ns: u64,
) -> Result<Message, SysError> {
    let badge = {
        let mut next = NEXT_CALL.lock();
        *next += 1;
        *next
    };
    let unbadged = reply_endpoint()?;
    let reply = slots::alloc()?;
    let sent = Cap::<kind::EndPoint>::at(unbadged)
        .mint_to(reply, caps::Rights::ALL, badge)
        .and_then(|_| arm(REPLIES))
        .and_then(|()| send_until(server, words, Some(reply), deadline_ns));
    let _ = Cap::<kind::Any>::at(reply).delete();
    slots::free(reply);
    sent?;
    reply_to(badge, deadline_ns).ok_or(SysError::TimedOut)
}

/// How many times a reply that cannot be delivered now is retried: a
/// client whose reply ring stays full (or its slot unarmed) does not hold
/// up a server for long.
const REPLY_RETRIES: u32 = 64;

/// Replies to a request received with a reply endpoint, then deletes that
/// endpoint and frees its slot. A server never waits long for a client:
/// a reply the client cannot take after [`REPLY_RETRIES`] tries is dropped
/// (`EndpointFull`/`NoReceiveSlot`), the client's own doing.
pub fn reply(request: &Message, words: [u64; 4], cap: Option<CPtr>) -> Result<(), SysError> {
    let to = request.cap.ok_or(SysError::SlotEmpty)?;
    let mut result = try_send(Cap::at(to), words, cap);
    for _ in 0..REPLY_RETRIES {
        if !matches!(
            result,
            Err(SysError::EndpointFull | SysError::NoReceiveSlot)
        ) {
            break;
        }
        sys::yield_now();
        result = try_send(Cap::at(to), words, cap);
    }
    let _ = Cap::<kind::Any>::at(to).delete();
    slots::free(to);
    result
}
