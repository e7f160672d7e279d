//! `umpmesh INDEX PEERS COUNT`: one of PEERS programs (one per core, INDEX
//! 0 to PEERS-1) that bind to each other by name and exchange COUNT
//! messages each way over every UMP channel.
//!
//! Program `i` exports `mesh<i>`, connects to every `mesh<j>` with `j > i`
//! (retrying until that name exists) and accepts a binding from every
//! program with a smaller index. The connecting side first sends its index.
//! Then, on all channels at once, each side sends COUNT messages: sequence
//! number, sender, four words derived from both and a checksum; the
//! receiver checks that every message arrives once, in order and intact.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;
use corefish::channel::{Channel, Payload};
use corefish::{monitor, println, sys};

corefish::entry!(main);

/// The ring bindings arrive on.
const RING: usize = 2;
/// How long the whole exchange may take.
const DEADLINE_NS: u64 = 300_000_000_000;
/// The first message on a channel: `[INTRODUCE, index, ..]`.
const INTRODUCE: u64 = 0x6e01;

/// One channel and how far each direction got.
struct Peer {
    index: u64,
    channel: Channel,
    sent: u64,
    received: u64,
}

fn message(seq: u64, from: u64, to: u64) -> Payload {
    let mut m = [seq, from, 0, 0, 0, 0, 0];
    for (k, word) in m.iter_mut().enumerate().take(6).skip(2) {
        *word = seq
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(k as u32 * 7)
            ^ (to << 48)
            ^ (from << 56);
    }
    m[6] = m[..6].iter().fold(0xcbf2_9ce4_8422_2325, |h, w| {
        (h ^ w).wrapping_mul(0x100_0000_01b3)
    });
    m
}

fn main() -> i32 {
    let words: Vec<u64> = corefish::args()
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [me, peers, count] = words[..] else {
        println!("usage: umpmesh INDEX PEERS COUNT");
        return 2;
    };
    let start = sys::time_ns();
    match run(me, peers, count) {
        Ok((exchange_ns, received)) => {
            println!(
                "umpmesh: {me} on core {}: {} peers, {count} messages each way with each, all in order and intact ({received} received and checked, {} ms in all, {} ms exchanging)",
                corefish::core_id(),
                peers - 1,
                (sys::time_ns() - start) / 1_000_000,
                exchange_ns / 1_000_000
            );
            0
        }
        Err(why) => {
            println!(
                "umpmesh: {me} on core {}: FAILED: {why}",
                corefish::core_id()
            );
            1
        }
    }
}

/// Binds and exchanges; returns how long the exchange took and how many
/// messages arrived and were checked, from all peers.
fn run(me: u64, peers: u64, count: u64) -> Result<(u64, u64), alloc::string::String> {
    let deadline = sys::time_ns() + DEADLINE_NS;
    monitor::export(&format!("mesh{me}"), RING).map_err(|e| format!("export: {e}"))?;
    let mut links = Vec::new();
    for other in me + 1..peers {
        let name = format!("mesh{other}");
        let mut channel = monitor::connect_when_exported(&name, deadline)
            .map_err(|e| format!("connect to {name}: {e}"))?;
        channel
            .send(&[INTRODUCE, me, 0, 0, 0, 0, 0], deadline)
            .map_err(|e| format!("introduce to {other}: {e}"))?;
        links.push(Peer {
            index: other,
            channel,
            sent: 0,
            received: 0,
        });
    }
    for _ in 0..me {
        let mut channel = monitor::accept(RING, deadline).ok_or("no binding in time")?;
        let hello = channel.recv(deadline).ok_or("no introduction")?;
        if hello[0] != INTRODUCE || hello[1] >= me {
            return Err(format!("bad introduction {hello:x?}"));
        }
        links.push(Peer {
            index: hello[1],
            channel,
            sent: 0,
            received: 0,
        });
    }
    let start = sys::time_ns();
    exchange(me, &mut links, count, deadline)?;
    let received = links.iter().map(|p| p.received).sum();
    Ok((sys::time_ns() - start, received))
}

fn exchange(
    me: u64,
    links: &mut [Peer],
    count: u64,
    deadline: u64,
) -> Result<(), alloc::string::String> {
    let mut waiting = corefish::channel::Waiting::new(deadline);
    loop {
        let mut progress = false;
        let mut done = true;
        for p in links.iter_mut() {
            while p.sent < count && p.channel.try_send(&message(p.sent, me, p.index)).is_ok() {
                p.sent += 1;
                progress = true;
            }
            while let Some(m) = p.channel.try_recv() {
                let expected = message(p.received, p.index, me);
                if m != expected {
                    return Err(format!(
                        "from {}: message {} is {m:x?}, expected {expected:x?}",
                        p.index, p.received
                    ));
                }
                p.received += 1;
                progress = true;
                if p.received > count {
                    return Err(format!("from {}: more than {count} messages", p.index));
                }
            }
            done &= p.sent == count && p.received == count;
        }
        if done {
            return Ok(());
        }
        if progress {
            waiting.reset();
        } else if !waiting.pause() {
            let state: Vec<_> = links
                .iter()
                .map(|p| (p.index, p.sent, p.received))
                .collect();
            return Err(format!("timed out: (peer, sent, received) {state:?}"));
        }
    }
}
