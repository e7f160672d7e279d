//! `xcap serve NAME` / `xcap send NAME`: a capability across OSNodes.
//!
//! The server exports NAME and waits for a capability; it maps the frame
//! that arrives, reports the word the sender wrote and writes an answer
//! next to it, then watches its copy until it is gone. The sender writes a
//! word into a frame of its own, sends (a copy of) it to NAME, waits for
//! the answer in the frame, then revokes the frame, which revokes the
//! server's copy too.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use corefish::abi::invoke::MAP_WRITE;
use corefish::cap::{Cap, kind};
use corefish::{CPtr, ObjType, SysError, monitor, println, ram, sys, vspace};

corefish::entry!(main);

const RING: usize = 2;
const MAGIC: u64 = 0x5eed_cafe_f00d_0001;
const ANSWER: u64 = !MAGIC;
const TIMEOUT_NS: u64 = 60_000_000_000;

fn main() -> i32 {
    let args = corefish::args();
    let mut words = args.split_whitespace();
    let result = match (words.next(), words.next()) {
        (Some("serve"), Some(name)) => serve(name),
        (Some("send"), Some(name)) => send(name),
        _ => {
            println!("usage: xcap serve|send NAME");
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            println!("xcap: failed: {e}");
            1
        }
    }
}

/// The first two words of a mapped frame.
fn words(mapping: &vspace::Mapping) -> &[AtomicU64] {
    // SAFETY: the mapping is at least a page, page-aligned and alive while
    // the borrow lasts; the other OSNode's program writes it concurrently,
    // so it is only read and written as atomics.
    unsafe { core::slice::from_raw_parts(mapping.vaddr as *const AtomicU64, 2) }
}

fn serve(name: &str) -> Result<(), SysError> {
    monitor::export(name, RING)?;
    let deadline = sys::time_ns() + TIMEOUT_NS;
    let cap = monitor::receive_cap(RING, deadline).ok_or(SysError::DispatcherNotReady)?;
    let id = Cap::<kind::Frame>::at(cap).identify()?;
    let mapping = vspace::map(cap, 4096, MAP_WRITE)?;
    let seen = words(&mapping)[0].load(Ordering::Acquire);
    println!(
        "xcap: core {} received a frame ({:#x} bytes, foreign: {}) holding {seen:#x}",
        corefish::core_id(),
        id.size,
        id.flags & corefish::caps::FLAG_FOREIGN != 0
    );
    words(&mapping)[1].store(ANSWER, Ordering::Release);
    // Watch the copy (not the memory: a revoked mapping is gone).
    while Cap::<kind::Frame>::at(cap).identify().is_ok() {
        if sys::time_ns() > deadline {
            return Err(SysError::DispatcherNotReady);
        }
        sys::sleep_until(sys::time_ns() + 2_000_000);
    }
    let mapped = vspace::map(cap, 4096, 0).map(|_| ());
    println!(
        "xcap: core {}: the frame was revoked; mapping it now fails: {mapped:?}",
        corefish::core_id()
    );
    Ok(())
}

fn send(name: &str) -> Result<(), SysError> {
    let frame: CPtr = ram::alloc(ObjType::Frame, 4096)?;
    let mapping = vspace::map(frame, 4096, MAP_WRITE)?;
    words(&mapping)[0].store(MAGIC, Ordering::Release);
    let deadline = sys::time_ns() + TIMEOUT_NS;
    loop {
        match monitor::send_cap(name, frame) {
            Ok(()) => break,
            Err(SysError::SlotEmpty) if sys::time_ns() < deadline => {
                sys::sleep_until(sys::time_ns() + 5_000_000)
            }
            Err(e) => return Err(e),
        }
    }
    while words(&mapping)[1].load(Ordering::Acquire) != ANSWER {
        if sys::time_ns() > deadline {
            return Err(SysError::DispatcherNotReady);
        }
        sys::sleep_until(sys::time_ns() + 1_000_000);
    }
    println!(
        "xcap: core {}: the receiver answered {ANSWER:#x}",
        corefish::core_id()
    );
    monitor::revoke(Cap::<kind::Frame>::at(frame))?;
    println!("xcap: core {}: revoked the frame", corefish::core_id());
    Ok(())
}
