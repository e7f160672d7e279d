//! `memserv`: the memory server. Init gives it the machine's free RAM (as
//! RAM capabilities in its task CNode, slots 32-95); programs ask it for
//! RAM (`proto::memserv`) and get a RAM capability of that size, carved
//! from the regions in turn (from the part below a limit, if the request
//! names one: the boot driver needs memory a 32-bit page table reaches). It keeps no record of what it gave: a
//! program's RAM is the program's.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, SlotRef, root};
use corefish::abi::error::SysError;
use corefish::cap::{Cap, kind};
use corefish::proto::memserv::{Reply, Request, Stats};
use corefish::{lmp, println, slots};

corefish::entry!(main);

/// First task slot holding a RAM capability from init.
pub const FIRST_RAM_SLOT: u32 = 32;
/// Last task slot holding a RAM capability from init.
pub const LAST_RAM_SLOT: u32 = 95;
/// Largest single request.
const MAX_REQUEST: u64 = 1 << 30;

struct Region {
    cap: Cap<kind::Ram>,
    base: u64,
    size: u64,
    used: u64,
}

fn main() -> i32 {
    let mut regions: Vec<Region> = (FIRST_RAM_SLOT..=LAST_RAM_SLOT)
        .filter_map(|i| {
            let cap = Cap::<kind::Ram>::at(CPtr::new(root::TASK, i));
            let id = cap.identify().ok()?;
            Some(Region {
                cap,
                base: id.base,
                size: id.size,
                used: 0,
            })
        })
        .collect();
    let total: u64 = regions.iter().map(|r| r.size).sum();
    println!(
        "memserv: serving {} MiB in {} regions",
        total >> 20,
        regions.len()
    );
    loop {
        let request = lmp::recv(lmp::INBOX);
        let answer = match Request::from_words(request.words) {
            Ok(Request::Alloc { bytes, limit }) => match give(&mut regions, bytes, limit) {
                Ok(cap) => {
                    let sent = lmp::reply(&request, Reply::Alloc(Ok(())).to_words(), Some(cap));
                    // The client has its copy; this one is not needed.
                    let _ = Cap::<kind::Any>::at(cap).delete();
                    slots::free(cap);
                    if let Err(e) = sent {
                        println!("memserv: reply failed: {e}");
                    }
                    continue;
                }
                Err(e) => Reply::Alloc(Err(e)).to_words(),
            },
            Ok(Request::Stats) => {
                let free = regions.iter().map(|r| r.size - r.used).sum();
                Reply::Stats(Ok(Stats { free, total })).to_words()
            }
            Err(_) => corefish::proto::refusal(request.words[0], SysError::InvalidOperation),
        };
        if request.cap.is_some() {
            let _ = lmp::reply(&request, answer, None);
        }
    }
}

/// Carves `bytes` of RAM from the first region with room (ending at or
/// below `limit`, unless it is 0), into a fresh slot.
fn give(regions: &mut [Region], bytes: u64, limit: u64) -> Result<CPtr, SysError> {
    if bytes == 0 || bytes > MAX_REQUEST {
        return Err(SysError::BadSize);
    }
    let bytes = bytes.next_multiple_of(4096);
    let limit = if limit == 0 { u64::MAX } else { limit };
    let region = regions
        .iter_mut()
        .find(|r| r.size - r.used >= bytes && r.base + r.used + bytes <= limit)
        .ok_or(SysError::OutOfBounds)?;
    let slot = slots::alloc()?;
    if let Err(e) = region.cap.retype(
        corefish::ObjType::Ram,
        region.used,
        bytes,
        1,
        SlotRef::Slot(slot),
    ) {
        slots::free(slot);
        return Err(e);
    }
    region.used += bytes;
    Ok(slot)
}
