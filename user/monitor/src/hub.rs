//! The hub: the first OSNode's monitor. The boot driver gives it each new
//! OSNode's channel ([`ADD`]); the hub waits for that monitor's hello and
//! then keeps the channel, answering pings and reporting on request
//! ([`STATUS`]).
//!
//! It waits for LMP requests on its inbox and polls the channels in
//! between, sleeping longer the longer nothing happens (up to
//! `corefish::channel::MAX_BACKOFF_NS`).

use alloc::vec::Vec;
use corefish::abi::error::SysError;
use corefish::channel::{Channel, Payload, Side};
use corefish::lmp::{self, Message};
use corefish::proto::monitor::{ADD, FRAME, HELLO, NO_ANSWER, PING, PONG, REPLY, STATUS};
use corefish::{CPtr, println, slots, sys};

/// Longest time the hub waits for a ping's answer.
const PING_TIMEOUT_NS: u64 = 1_000_000_000;

/// A connected OSNode.
struct Peer {
    core: u64,
    channel: Channel,
}

/// The hub's state.
#[derive(Default)]
struct Hub {
    peers: Vec<Peer>,
    /// Channel frames received ahead of their [`ADD`], by core.
    frames: Vec<(u64, CPtr)>,
}

/// Runs the hub (never returns).
pub fn run() -> i32 {
    let mut hub = Hub::default();
    let mut backoff_ns = 20_000;
    loop {
        let mut progress = false;
        for peer in &mut hub.peers {
            while let Some(message) = peer.channel.try_recv() {
                progress = true;
                answer(peer, &message);
            }
        }
        if let Some(request) = lmp::try_recv(lmp::INBOX) {
            progress = true;
            hub.handle(&request);
        }
        if progress {
            backoff_ns = 20_000;
        } else {
            sys::wait_rings(sys::time_ns() + backoff_ns, 1 << lmp::INBOX);
            backoff_ns = (backoff_ns * 2).min(corefish::channel::MAX_BACKOFF_NS);
        }
    }
}

/// A message from a peer outside a request.
fn answer(peer: &mut Peer, message: &Payload) {
    match message[0] {
        PING => {
            let mut pong = *message;
            pong[0] = PONG;
            let _ = peer.channel.send(&pong, 0);
        }
        PONG => {} // a late answer to a ping that timed out
        other => println!(
            "monitor: unknown message {other:#x} from core {}",
            peer.core
        ),
    }
}

impl Hub {
    fn handle(&mut self, request: &Message) {
        let words = match request.words[0] {
            FRAME => {
                if let Some(frame) = request.cap {
                    self.frames.push((request.words[1], frame));
                }
                return;
            }
            ADD => self.add(request),
            STATUS => status(&mut self.peers, request.words[1]),
            _ => [REPLY, SysError::InvalidOperation as u64, 0, 0],
        };
        if let Err(e) = lmp::reply(request, words, None) {
            println!("monitor: cannot answer the boot driver: {e}");
        }
    }

    /// Takes a new OSNode's channel, whose frame came ahead in a
    /// [`FRAME`] message, and waits for its monitor's hello.
    fn add(&mut self, request: &Message) -> [u64; 4] {
        let core = request.words[1];
        let Some(at) = self.frames.iter().position(|&(c, _)| c == core) else {
            return [REPLY, SysError::SlotEmpty as u64, 0, 0];
        };
        let (_, frame) = self.frames.swap_remove(at);
        let words = connect(&mut self.peers, frame, request.words);
        if words[1] != 0 {
            // A failed core's frame goes back to the boot driver's care.
            let _ = corefish::cap::Cap::<corefish::cap::kind::Any>::at(frame).delete();
            slots::free(frame);
        }
        words
    }
}

/// Opens the channel in `frame` and waits for the hello of core `core`.
fn connect(peers: &mut Vec<Peer>, frame: CPtr, request: [u64; 4]) -> [u64; 4] {
    let [_, core, _osnode, timeout_ms] = request;
    let mut channel = match Channel::open(frame, Side::A) {
        Ok(c) => c,
        Err(e) => return [REPLY, e as u64, 0, 0],
    };
    let deadline = sys::time_ns() + timeout_ms.saturating_mul(1_000_000);
    let Some(hello) = channel.recv(deadline) else {
        return [REPLY, NO_ANSWER, 0, 0];
    };
    if hello[0] != HELLO || hello[1] != core {
        println!(
            "monitor: core {core}'s channel said {:#x} from core {} instead of hello",
            hello[0], hello[1]
        );
        return [REPLY, SysError::BadArgument as u64, 0, 0];
    }
    peers.retain(|p| p.core != core);
    peers.push(Peer { core, channel });
    [REPLY, 0, hello[3], 0]
}

/// Pings core `core`'s monitor and waits for the answer.
fn status(peers: &mut [Peer], core: u64) -> [u64; 4] {
    let Some(peer) = peers.iter_mut().find(|p| p.core == core) else {
        return [REPLY, 0, 0, 0];
    };
    let sent = sys::time_ns();
    let ping = [PING, sent, sys::tsc(), 0, 0, 0, 0];
    if peer.channel.send(&ping, sent + PING_TIMEOUT_NS).is_err() {
        return [REPLY, 0, 0, 0];
    }
    while let Some(message) = peer.channel.recv(sent + PING_TIMEOUT_NS) {
        if message[0] == PONG && message[1] == sent {
            return [REPLY, 0, 1, sys::time_ns() - sent];
        }
        answer(peer, &message);
    }
    [REPLY, 0, 0, 0]
}
