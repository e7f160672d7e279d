//! `lmpring`: ten programs pass a token around a ring, each message
//! carrying a sequence number, a checksum and a capability (a frame holding
//! a counter every node increments). The coordinator checks that the
//! counter saw every hop, that every node ended cleanly, and prints
//! `lmpring: ok ...` (or `lmpring: FAILED ...`).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, root};
use corefish::cap::{Cap, kind};
use corefish::proto::kernel::{Exit, ExitKind};
use corefish::spawn::{Spec, spawn};
use corefish::{Rights, lmp, modules, println, vspace};

corefish::entry!(main);

/// Programs in the ring.
pub const NODES: u64 = 10;
/// Times the token goes around.
pub const ROUNDS: u64 = 20;
/// `[SETUP, index, 0, 0]` + endpoint to the next node.
pub const SETUP: u64 = 0x6c01;
/// `[TOKEN, round, hop, checksum]` + the counter frame.
pub const TOKEN: u64 = 0x6c02;
/// `[DONE, counter, hops, 0]` to the coordinator.
pub const DONE: u64 = 0x6c03;
/// `[STOP, 0, 0, 0]`: forward and end.
pub const STOP: u64 = 0x6c04;
/// Task slot of the endpoint to the coordinator.
pub const COORDINATOR_SLOT: u32 = 40;

/// The checksum a token carries.
pub fn checksum(round: u64, hop: u64) -> u64 {
    (round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hop.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
        .rotate_left(17)
}

fn main() -> i32 {
    match run() {
        Ok(summary) => {
            println!("lmpring: ok: {summary}");
            0
        }
        Err(reason) => {
            println!("lmpring: FAILED: {reason}");
            1
        }
    }
}

fn run() -> Result<alloc::string::String, alloc::string::String> {
    let image = modules::get("lmpnode").ok_or("no lmpnode image (is the boot archive given?)")?;
    let me = lmp::endpoint_to_self(lmp::INBOX).map_err(|e| format!("endpoint: {e}"))?;
    let mut children = Vec::new();
    for i in 0..NODES {
        let to_me = corefish::slots::alloc().map_err(|e| format!("{e}"))?;
        me.mint_to(to_me, Rights::ALL, i + 1)
            .map_err(|e| format!("mint: {e}"))?;
        let args = format!("{i}");
        let gifts = [(
            CPtr::new(root::TASK, COORDINATOR_SLOT),
            to_me,
            Rights::ALL,
            0,
        )];
        let spec = Spec {
            name: "lmpnode",
            image,
            args: &args,
            ram_bytes: 1 << 20,
            caps: &gifts,
            exit_endpoint: Some(to_me),
            from: None,
        };
        let child = spawn(&spec).map_err(|e| format!("spawn node {i}: {e}"))?;
        children.push(child);
    }
    for (i, child) in children.iter().enumerate() {
        let next = children[(i + 1) % NODES as usize].endpoint();
        lmp::send(child.endpoint(), [SETUP, i as u64, 0, 0], Some(next.cptr()))
            .map_err(|e| format!("setup {i}: {e}"))?;
    }
    let (frame, counter) = vspace::map_writable(4096).map_err(|e| format!("frame: {e}"))?;
    lmp::send(
        children[0].endpoint(),
        [TOKEN, 0, 0, checksum(0, 0)],
        Some(frame),
    )
    .map_err(|e| format!("token: {e}"))?;
    let mut exited = 0;
    let mut done = None;
    while exited < NODES {
        let message = lmp::recv(lmp::INBOX);
        match (message.words, Exit::from_words(message.words)) {
            (_, Ok(exit)) if exit.kind == ExitKind::Exited && exit.code == 0 => exited += 1,
            (_, Ok(exit)) => {
                return Err(format!(
                    "node {} ended: {:?} code {}",
                    message.badge - 1,
                    exit.kind,
                    exit.code
                ));
            }
            ([DONE, value, hops, _], _) => {
                done = Some((value, hops));
                lmp::send(children[0].endpoint(), [STOP, 0, 0, 0], None)
                    .map_err(|e| format!("stop: {e}"))?;
            }
            ([other, ..], _) => return Err(format!("unexpected message {other:#x}")),
        }
        if let Some(cap) = message.cap {
            let _ = Cap::<kind::Any>::at(cap).delete();
        }
    }
    let (reported, hops) = done.ok_or("the ring never finished")?;
    let mut word = [0u8; 8];
    word.copy_from_slice(&counter.bytes()[..8]);
    let value = u64::from_le_bytes(word);
    let expected = NODES * ROUNDS;
    if value != expected || reported != expected || hops != expected {
        return Err(format!(
            "counter {value}, reported {reported}, hops {hops}, expected {expected}"
        ));
    }
    for child in children {
        child.kill().map_err(|e| format!("cleanup: {e}"))?;
    }
    Ok(format!(
        "{NODES} programs, {hops} messages each with a capability, counter {value}"
    ))
}
