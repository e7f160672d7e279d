//! `memserv`: the memory server. Init gives it the machine's free RAM (as
//! RAM capabilities in its task CNode, slots 32-95, kept in a
//! `corefish::ram_pool::RamPool`); programs ask
//! it for RAM (`proto::memserv`) and get a RAM capability of that size,
//! from the part below a limit if the request names one (the boot driver
//! needs memory a 32-bit page table reaches).
//!
//! Each program is known by the badge of its endpoint ([`clients`]) and
//! served once init admitted it (before it starts; a badge is served no
//! more once released): it may hold up to its quota (a quarter of the server's RAM unless init sets
//! another; the system's services have none), gets `OverLimit` beyond it,
//! and gives RAM back with `FREE`. When it ends, init says so (`RELEASE`)
//! and everything it still held comes back. Only init's own, unbadged
//! endpoint may set quotas and release.

#![no_std]
#![no_main]

extern crate alloc;

mod clients;

use corefish::abi::cspace::{CPtr, root};
use corefish::abi::error::SysError;
use corefish::cap::{Cap, kind};
use corefish::lmp::{self, Message};
use corefish::proto::badge::Badge;
use corefish::proto::memserv::{Reply, Request, Stats};
use corefish::ram_pool::RamPool as Pool;
use corefish::{println, slots};

use crate::clients::Clients;

corefish::entry!(main);

/// Largest single request.
const MAX_REQUEST: u64 = 1 << 30;
/// First task slot holding a RAM capability from init.
pub const FIRST_RAM_SLOT: u32 = 32;
/// Last task slot holding a RAM capability from init.
pub const LAST_RAM_SLOT: u32 = 95;

fn main() -> i32 {
    let mut pool = Pool::new();
    for slot in FIRST_RAM_SLOT..=LAST_RAM_SLOT {
        // Init fills the slots from the first; an empty one adds nothing.
        let _ = pool.add(CPtr::new(root::TASK, slot));
    }
    let total = pool.total();
    println!(
        "memserv: serving {} MiB in {} regions",
        total >> 20,
        pool.regions()
    );
    let mut clients = Clients::new(corefish::proto::memserv::default_quota(total));
    // Init, which holds the one unbadged endpoint, spawns everything: no
    // quota for it.
    clients.set_quota(0, u64::MAX);
    loop {
        let request = lmp::recv(lmp::INBOX);
        serve(&mut pool, &mut clients, request);
    }
}

/// Deletes a capability that came with a message.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

/// Answers one request.
fn serve(pool: &mut Pool, clients: &mut Clients, m: Message) {
    let from = Badge::from_word(m.badge);
    let owner = from == Some(Badge::Unbadged);
    let (reply, give) = match Request::from_words(m.words) {
        Ok(Request::Alloc { bytes, limit }) => match alloc(pool, clients, m.badge, bytes, limit) {
            Ok(cap) => (Reply::Alloc(Ok(())), Some(cap)),
            Err(e) => (Reply::Alloc(Err(e)), None),
        },
        Ok(Request::Stats) => (
            Reply::Stats(Ok(Stats {
                // What could not come back at an end may by now.
                free: {
                    clients.retry_stranded(pool);
                    pool.free()
                },
                total: pool.total(),
            })),
            None,
        ),
        // A FREE brings its RAM in place of a reply endpoint: no reply.
        Ok(Request::Free) => {
            if let Some(copy) = m.cap {
                // A FREE of what the sender does not hold changes nothing.
                let _ = clients.free(pool, m.badge, copy);
                discard(copy);
            }
            return;
        }
        Ok(Request::Release { client }) if owner => {
            (Reply::Release(Ok(clients.release(pool, client))), None)
        }
        Ok(Request::Quota { client, bytes }) if owner => {
            clients.set_quota(client, bytes);
            (Reply::Quota(Ok(())), None)
        }
        Ok(Request::Admit { client }) if owner => {
            clients.admit(client);
            (Reply::Admit(Ok(())), None)
        }
        Ok(Request::Admit { .. }) => (Reply::Admit(Err(SysError::NotAllowed)), None),
        Ok(Request::Release { .. }) => (Reply::Release(Err(SysError::NotAllowed)), None),
        Ok(Request::Quota { .. }) => (Reply::Quota(Err(SysError::NotAllowed)), None),
        Err(_) => {
            let refusal = corefish::proto::refusal(m.words[0], SysError::InvalidOperation);
            if m.cap.is_some() {
                let _ = lmp::reply(&m, refusal, None);
            }
            return;
        }
    };
    // A client that takes no answer is its own problem (what it was given
    // stays its own until it ends).
    if m.cap.is_some() {
        let _ = lmp::reply(&m, reply.to_words(), give);
    }
}

/// RAM for the client with badge `badge`: the server's original capability
/// (the reply carries a copy).
fn alloc(
    pool: &mut Pool,
    clients: &mut Clients,
    badge: u64,
    bytes: u64,
    limit: u64,
) -> Result<CPtr, SysError> {
    if bytes == 0 || bytes > MAX_REQUEST {
        return Err(SysError::BadSize);
    }
    let bytes = bytes.next_multiple_of(4096);
    let limit = if limit == 0 { u64::MAX } else { limit };
    clients.alloc(pool, badge, bytes, limit)
}
