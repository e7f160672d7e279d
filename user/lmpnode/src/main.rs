//! `lmpnode INDEX`: one node of `lmpring` (protocol there): checks each
//! token's round, hop and checksum, increments the shared counter, and
//! passes token and frame on.

#![no_std]
#![no_main]

use corefish::abi::cspace::{CPtr, root};
use corefish::cap::{Cap, kind};
use corefish::{lmp, println, vspace};

corefish::entry!(main);

const NODES: u64 = 10;
const ROUNDS: u64 = 20;
const SETUP: u64 = 0x6c01;
const TOKEN: u64 = 0x6c02;
const DONE: u64 = 0x6c03;
const STOP: u64 = 0x6c04;
const COORDINATOR_SLOT: u32 = 40;

fn checksum(round: u64, hop: u64) -> u64 {
    (round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hop.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
        .rotate_left(17)
}

fn main() -> i32 {
    let index: u64 = corefish::args().trim().parse().unwrap_or(u64::MAX);
    let coordinator = Cap::<kind::EndPoint>::at(CPtr::new(root::TASK, COORDINATOR_SLOT));
    let mut next: Option<Cap<kind::EndPoint>> = None;
    let mut counter: Option<(CPtr, vspace::Mapping)> = None;
    let mut expected_round = 0;
    loop {
        let message = lmp::recv(lmp::INBOX);
        match message.words[0] {
            SETUP => next = message.cap.map(Cap::at),
            TOKEN => {
                let [_, round, hop, check] = message.words;
                if round != expected_round || hop % NODES != index || check != checksum(round, hop)
                {
                    println!(
                        "lmpnode {index}: bad token round {round} hop {hop} (expected round {expected_round})"
                    );
                    return 2;
                }
                expected_round += 1;
                let Some(cap) = message.cap else {
                    println!("lmpnode {index}: token without its frame");
                    return 3;
                };
                // Keep the first copy of the frame mapped; later copies are not needed.
                if counter.is_none() {
                    match vspace::map(cap, 4096, corefish::abi::invoke::MAP_WRITE) {
                        Ok(m) => counter = Some((cap, m)),
                        Err(e) => {
                            println!("lmpnode {index}: cannot map the frame: {e}");
                            return 4;
                        }
                    }
                } else {
                    let _ = Cap::<kind::Any>::at(cap).delete();
                    corefish::slots::free(cap);
                }
                let Some((frame, mapping)) = counter.as_mut() else {
                    return 5;
                };
                let bytes = mapping.bytes_mut();
                let value = u64::from_le_bytes([
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                ]) + 1;
                bytes[..8].copy_from_slice(&value.to_le_bytes());
                let hop = hop + 1;
                let sent = if hop == NODES * ROUNDS {
                    lmp::send(coordinator, [DONE, value, hop, 0], None)
                } else {
                    match next {
                        Some(to) => lmp::send(
                            to,
                            [TOKEN, hop / NODES, hop, checksum(hop / NODES, hop)],
                            Some(*frame),
                        ),
                        None => {
                            println!("lmpnode {index}: token before setup");
                            return 6;
                        }
                    }
                };
                if let Err(e) = sent {
                    println!("lmpnode {index}: send failed: {e}");
                    return 7;
                }
            }
            STOP => {
                if index + 1 < NODES
                    && let Some(to) = next
                {
                    let _ = lmp::send(to, [STOP, 0, 0, 0], None);
                }
                return 0;
            }
            other => {
                println!("lmpnode {index}: unexpected message {other:#x}");
                return 8;
            }
        }
    }
}
