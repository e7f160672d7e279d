//! Capabilities used beyond their rights: revoking copies a program was
//! given (which would delete the giver's), and rights that grow.

use corefish::abi::cspace::task;
use corefish::abi::invoke::MAP_WRITE;
use corefish::cap::{Cap, kind};
use corefish::{ObjType, Rights, SysError, monitor, println, ram, slots, sys};

use crate::{Verdict, broken, discard, refused, succeeded};

/// `revoke-archive`: the read-only copy of the boot archive every program
/// gets, revoked (which deletes every other copy, init's too).
pub fn revoke_archive() -> Verdict {
    let archive = Cap::<kind::Frame>::at(task::BOOT_ARCHIVE);
    let rights = archive.identify().map(|id| id.rights);
    match archive.revoke() {
        Ok(()) => succeeded!("revoked its {rights:?} copy of the boot archive, and with it init's"),
        Err(SysError::NotOriginal) => refused!("{}", SysError::NotOriginal),
        Err(e) => broken!("{e}"),
    }
}

/// `revoke-endpoint`: the copy of the memory server's endpoint every
/// program gets, revoked (every program's and init's copy go with it).
pub fn revoke_endpoint() -> Verdict {
    match Cap::<kind::EndPoint>::at(task::MEMORY_ENDPOINT).revoke() {
        Ok(()) => succeeded!("revoked the memory server's endpoint for everyone"),
        Err(SysError::NotOriginal) => refused!("{}", SysError::NotOriginal),
        Err(e) => broken!("{e}"),
    }
}

/// `rights-retype`: RAM restricted to reading and writing, retyped into a
/// frame; the frame must not be executable or grantable.
pub fn rights_retype() -> Verdict {
    let ram = match ram::alloc_ram(8192) {
        Ok(ram) => ram,
        Err(e) => return broken!("no RAM: {e}"),
    };
    let Ok(restricted) = slots::alloc() else {
        return broken!("no slot");
    };
    if let Err(e) = Cap::<kind::Ram>::at(ram).mint_to(restricted, Rights::READ | Rights::WRITE, 0) {
        return broken!("mint: {e}");
    }
    let Ok(frame) = slots::alloc() else {
        return broken!("no slot");
    };
    let made = Cap::<kind::Ram>::at(restricted).retype(
        ObjType::Frame,
        0,
        4096,
        1,
        corefish::SlotRef::Slot(frame),
    );
    let verdict = match made.and_then(|()| Cap::<kind::Frame>::at(frame).identify()) {
        Ok(id) if id.rights.intersects(Rights::EXECUTE | Rights::GRANT) => {
            succeeded!("RW-- RAM became a {:?} frame", id.rights)
        }
        Ok(id) => refused!("the frame has {:?}", id.rights),
        Err(e) => refused!("retype: {e}"),
    };
    discard(frame);
    discard(restricted);
    discard(ram);
    verdict
}

/// How long the two halves of `rights-import` wait for each other.
const PEER_PATIENCE_NS: u64 = 20_000_000_000;
/// The ring the peer's deliveries arrive on.
const PEER_RING: usize = 3;

/// `rights-import`: sends a program on core 1 a frame it may write, then a
/// read-only copy of the same frame; the second must arrive read-only. The
/// peer prints the verdict.
pub fn rights_import() -> i32 {
    match send_to_peer() {
        Ok(()) => {
            println!("attack rights-import: sent both frames; the peer on core 1 judges");
            0
        }
        Err(e) => {
            println!("attack rights-import: could not run ({e})");
            1
        }
    }
}

fn send_to_peer() -> Result<(), alloc::string::String> {
    let name = alloc::format!("attack-peer-{}", sys::tsc() & 0xffff_ffff);
    if let Err(e) = monitor::spawn_on(1, &alloc::format!("attack rights-import-peer {name}")) {
        return Err(alloc::format!("cannot start the peer on core 1: {e}"));
    }
    let frame = match ram::alloc(ObjType::Frame, 4096) {
        Ok(frame) => frame,
        Err(e) => return Err(alloc::format!("no frame: {e}")),
    };
    let deadline = sys::time_ns() + PEER_PATIENCE_NS;
    loop {
        match monitor::send_cap(&name, frame) {
            Err(SysError::SlotEmpty) if sys::time_ns() < deadline => {
                sys::sleep_until(sys::time_ns() + 10_000_000);
            }
            Ok(()) => break,
            Err(e) => return Err(alloc::format!("sending the writable frame: {e}")),
        }
    }
    let Ok(read_only) = slots::alloc() else {
        return Err("no slot".into());
    };
    if let Err(e) = Cap::<kind::Frame>::at(frame).mint_to(read_only, Rights::READ, 0) {
        return Err(alloc::format!("mint: {e}"));
    }
    if let Err(e) = monitor::send_cap(&name, read_only) {
        return Err(alloc::format!("sending the read-only frame: {e}"));
    }
    // The peer judges; its verdict line is this mode's.
    sys::sleep_until(sys::time_ns() + 2_000_000_000);
    let _ = monitor::revoke(Cap::<kind::Frame>::at(frame));
    discard(read_only);
    discard(frame);
    Ok(())
}

/// The peer of `rights-import`: exports `name`, takes a frame it may write,
/// then one that must be read-only.
pub fn rights_import_peer(name: Option<&str>) -> i32 {
    let Some(name) = name else {
        println!("usage: attack rights-import-peer NAME");
        return 2;
    };
    if let Err(e) = monitor::export(name, PEER_RING) {
        println!("attack rights-import: could not run (the peer cannot export {name}: {e})");
        return 1;
    }
    let deadline = sys::time_ns() + PEER_PATIENCE_NS;
    let Some(first) = monitor::receive_cap(PEER_RING, deadline) else {
        println!("attack rights-import: could not run (no frame came)");
        return 1;
    };
    // The first copy is dropped: it does not hold the second up.
    discard(first);
    let Some(second) = monitor::receive_cap(PEER_RING, deadline) else {
        println!("attack rights-import: could not run (no read-only frame came)");
        return 1;
    };
    let rights = Cap::<kind::Frame>::at(second)
        .identify()
        .map(|id| id.rights);
    let mapped = corefish::vspace::map(second, 4096, MAP_WRITE);
    match (rights, mapped) {
        (_, Ok(_)) => println!(
            "attack rights-import: succeeded (a read-only frame arrived as {rights:?} and was mapped writable)"
        ),
        (Ok(rights), Err(e)) => println!(
            "attack rights-import: refused (the read-only frame arrived as {rights:?}; writable map: {e})"
        ),
        (Err(e), _) => println!("attack rights-import: could not run (identify: {e})"),
    }
    0
}
