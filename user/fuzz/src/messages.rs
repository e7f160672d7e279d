//! `fuzz messages COUNT`: random messages to the services every program
//! can reach (init, the memory server, the serial driver, the hub), as
//! sends, some with a capability, or as calls that wait for an answer a
//! short while. Most carry a known operation of some protocol (any
//! service's: they share inboxes) with random fields, some noise. The
//! services must refuse what is not theirs to give and keep serving: after
//! the storm they still answer.

use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::{Header, serial};
use corefish::{CPtr, SysError, lmp, sys};

use crate::rng::Rng;
use crate::sandbox::Sandbox;

/// How long a call waits for its answer (most messages are not the
/// service's, and a service answers only what it serves).
const PATIENCE_NS: u64 = 5_000_000;

/// What came of the messages.
#[derive(Default)]
pub struct Tally {
    /// Sent (as sends or calls).
    pub sent: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls answered with a refusal.
    pub refused: u64,
    /// Calls not answered in time.
    pub unanswered: u64,
    /// Messages the service's ring did not take (full).
    pub bounced: u64,
}

/// The header word of a random message: a known operation (as a request,
/// a reply, or with a text length), or noise.
fn header(rng: &mut Rng) -> u64 {
    if rng.chance(10) {
        return rng.next();
    }
    let op = rng.pick(&corefish::proto::LMP_OPERATIONS);
    match rng.below(4) {
        0 => Header::reply(op),
        1 => Header::text(op, rng.below(40) as usize),
        _ => op,
    }
}

/// A word that is printable text (the serial driver writes it to the
/// console: the console stays readable).
fn printable(rng: &mut Rng) -> u64 {
    u64::from_le_bytes(core::array::from_fn(|_| 0x20 + rng.below(0x5f) as u8))
}

/// Sends one random message to one of the services; counts the outcome.
pub fn one(rng: &mut Rng, sandbox: &Sandbox, tally: &mut Tally) {
    let to = rng.pick(&[
        task::PARENT_ENDPOINT,
        task::MEMORY_ENDPOINT,
        task::SERIAL_ENDPOINT,
        task::MONITOR_ENDPOINT,
    ]);
    let first = header(rng);
    let text = Header::read(first).is_ok_and(|h| h.op == serial::WRITE || h.len > 0);
    let mut words = [first, 0, 0, 0];
    for w in &mut words[1..] {
        *w = match rng.below(4) {
            _ if text => printable(rng),
            0 => 0,
            1 => rng.below(64),
            2 => u64::from(sandbox.slot(rng.below(32) as u32).0),
            _ => rng.next(),
        };
    }
    let server = Cap::<kind::EndPoint>::at(to);
    tally.sent += 1;
    if rng.chance(40) {
        match lmp::call_within(server, words, sys::time_ns() + PATIENCE_NS) {
            Ok(reply) => {
                tally.answered += 1;
                if corefish::proto::read_reply(reply.words[0] & 0xffff, reply.words)
                    .is_ok_and(|r| r.is_err())
                {
                    tally.refused += 1;
                }
                if let Some(cap) = reply.cap {
                    discard(cap);
                }
            }
            Err(SysError::TimedOut) => tally.unanswered += 1,
            Err(_) => tally.bounced += 1,
        }
    } else {
        let cap: Option<CPtr> = rng.chance(30).then(|| sandbox.slot(rng.below(32) as u32));
        if lmp::try_send(server, words, cap).is_err() {
            tally.bounced += 1;
        }
    }
}

/// Deletes a capability that came with a reply.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    corefish::slots::free(cap);
}

/// After the storm: the services still answer.
pub fn services_answer() -> Result<(), &'static str> {
    corefish::memserv::stats().map_err(|_| "the memory server does not answer")?;
    match corefish::monitor::connect("no such name, after fuzzing") {
        Err(SysError::SlotEmpty) => Ok(()),
        _ => Err("the monitor does not answer a lookup"),
    }
}
